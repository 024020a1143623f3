/**
 * The one way the rule families turn a fault at a span into a finding: the
 * optional related places and data are set only when there are some, so
 * findings compare equal whichever family made them.
 */
import type { Span } from './spans';
import type { Finding, RelatedSpan, RuleContext } from './types';

export interface FindingExtras {
  related?: RelatedSpan[];
  data?: Record<string, unknown>;
}

export function report(ctx: RuleContext, code: string, severity: Finding['severity'], at: Span, message: string, extra: FindingExtras = {}): void {
  const f: Finding = { code, severity, start: at.start, end: at.end, message };
  if (extra.related?.length) f.related = extra.related;
  if (extra.data) f.data = extra.data;
  ctx.report(f);
}
