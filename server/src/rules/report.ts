/**
 * The one way a finding is made: its code from the registry (rules/codes.ts),
 * which gives the severity and the type of its `data`, at a span
 * (rules/spans.ts). The optional related places, tags and data are set only
 * when there are some, so findings compare equal whichever family made them.
 */
import type { DataOf, RuleCode, Severity } from './codes';
import { RULE_CODES } from './codes';
import type { Span } from './spans';
import type { Finding, RelatedHost, RelatedSpan, RuleContext } from './types';

export interface FindingExtras {
  related?: RelatedSpan[];
  relatedHost?: RelatedHost[];
  tags?: Finding['tags'];
  /** One of the code's `otherSeverities`, in the situation its docs/rules.md row names; else its default. */
  severity?: Severity;
}

/** The extras argument: required, with `data` of the code's type, when the code carries data. */
export type ExtrasOf<C extends RuleCode> = [DataOf<C>] extends [undefined]
  ? [extra?: FindingExtras & { data?: undefined }]
  : undefined extends DataOf<C>
    ? [extra?: FindingExtras & { data?: DataOf<C> }]
    : [extra: FindingExtras & { data: DataOf<C> }];

export function finding<C extends RuleCode>(code: C, at: Span, message: string, ...[extra]: ExtrasOf<C>): Finding {
  const e: FindingExtras & { data?: unknown } = extra ?? {};
  const f = { code, severity: e.severity ?? RULE_CODES[code].severity, start: at.start, end: at.end, message } as Finding;
  if (e.related?.length) f.related = e.related;
  if (e.relatedHost?.length) f.relatedHost = e.relatedHost;
  if (e.tags?.length) f.tags = e.tags;
  if (e.data !== undefined) (f as { data?: unknown }).data = e.data;
  return f;
}

export function report<C extends RuleCode>(ctx: RuleContext, code: C, at: Span, message: string, ...extra: ExtrasOf<C>): void {
  ctx.report(finding(code, at, message, ...extra));
}
