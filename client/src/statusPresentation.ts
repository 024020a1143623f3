/**
 * What the host status item shows: a pure function of the host status and
 * the grammar in use, kept apart from the item (status.ts) so that it is
 * tested without VS Code.
 */
import type { GrammarStatus, HostStatus } from './protocol';

/** Text and tooltip for a host status and the grammar in use (with how documents are validated, once known). */
export function statusPresentation(s: HostStatus, g?: GrammarStatus): { text: string; tooltip: string } {
  const icon = s.kind === 'error' ? '$(warning)' : s.smmuCount > 0 ? '$(circuit-board)' : '$(server)';
  const grammar = g ? `\n\n${g.detail}${g.validation ? `\n${g.validation}` : ''}` : '';
  return { text: `${icon} ${s.text}${g ? ` · ${g.text}` : ''}`, tooltip: `${s.detail}${grammar}\n\nClick to refresh or pick a snapshot.` };
}
