/**
 * disk-target-duplicate: the second disk with a target name takes the first
 * free name of the same kind (`vda` → `vdb`). Only the target changes: the
 * guest sees the disk under its new name, which is what the author must
 * have meant, since libvirt refuses two disks with one name.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver-types';
import { diskTargetNames, freeDiskName } from '../../domain/diskFacts';
import { EditBuilder, makeAction, type FixContext } from './edits';
import { attributeAt, stringData, type CodeDiagnostic } from './lookup';

export function diskTargetFixes(ctx: FixContext, d: CodeDiagnostic<'disk-target-duplicate'>): CodeAction[] {
  const dev = stringData(d, 'dev');
  const a = dev ? attributeAt(ctx, d, 'dev') : undefined;
  if (!a || a.value !== dev || a.valueStart < 0) return [];
  // The name is chosen again in the current parse: the diagnostic may be older than the text.
  const to = freeDiskName(dev!, diskTargetNames(ctx.model.devices));
  if (!to) return [];
  const action = makeAction(ctx, `Rename target ${dev} to ${to}`, CodeActionKind.QuickFix, [d], new EditBuilder().replace(a.valueStart, a.valueEnd, to), true);
  return action ? [action] : [];
}
