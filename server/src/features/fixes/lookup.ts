/**
 * Finds what a diagnostic is about in the current parse. A quick fix trusts
 * the diagnostic's code and data, but the document may have changed since
 * the diagnostic was published, so the element is looked up again and
 * checked against the diagnostic's range before anything is edited.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { DataOf, RuleCode } from '../../rules/codes';
import type { Hostdev, Iommu } from '../../domain/model';
import type { XmlAttribute, XmlElement } from '../../xml/nodes';
import type { FixContext } from './edits';

export interface OffsetRange {
  readonly start: number;
  readonly end: number;
}

export function offsetsOf(ctx: FixContext, d: Diagnostic): OffsetRange {
  const lines = ctx.feature.doc.lines;
  return { start: lines.offsetAt(d.range.start), end: lines.offsetAt(d.range.end) };
}

export function dataOf(d: Diagnostic): Record<string, unknown> {
  const data = d.data;
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/**
 * A published diagnostic of a registry code `C` (one of a union: narrow it on
 * `d.code`). Its data came back from the client, so it is read field by field
 * and checked, but only fields the registry gives the code can be asked for.
 */
export type CodeDiagnostic<C extends RuleCode> = C extends RuleCode ? Diagnostic & { code: C } : never;

type KeysOfEach<T> = T extends object ? keyof T : never;
/** The data fields the registry (rules/codes.ts) declares for code `C`. */
export type DataKey<C extends RuleCode> = Extract<KeysOfEach<DataOf<C>>, string>;
/** The codes whose data has the field `K`. */
export type CodeWithData<K extends string> = { [C in RuleCode]: K extends DataKey<C> ? C : never }[RuleCode];

export function stringData<C extends RuleCode>(d: CodeDiagnostic<C>, key: DataKey<C>): string | undefined {
  const v = dataOf(d)[key];
  return typeof v === 'string' ? v : undefined;
}

/** A non-negative integer from the data (numbers, or digit strings as JSON round trips may give). */
export function intData<C extends RuleCode>(d: CodeDiagnostic<C>, key: DataKey<C>): number | undefined {
  const v = dataOf(d)[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function codeOf(d: Diagnostic): string | undefined {
  return typeof d.code === 'string' ? d.code : d.code === undefined ? undefined : String(d.code);
}

function contains(el: XmlElement, offset: number): boolean {
  return offset >= el.start && offset < Math.max(el.end, el.startTagEnd);
}

function overlaps(start: number, end: number, r: OffsetRange): boolean {
  return start <= r.end && end >= r.start;
}

/**
 * The hostdev a diagnostic names by `data.hostdev` (its position in the
 * model), unless the diagnostic's range lies inside another hostdev: then
 * the data is stale and the one under the range wins.
 */
export function hostdevOf(ctx: FixContext, d: CodeDiagnostic<CodeWithData<'hostdev'>>): { hostdev: Hostdev; index: number } | undefined {
  const r = offsetsOf(ctx, d);
  const hostdevs = ctx.model.hostdevs;
  const under = hostdevs.findIndex((h) => contains(h.el, r.start));
  const idx = intData(d, 'hostdev');
  if (under >= 0 && under !== idx) return { hostdev: hostdevs[under], index: under };
  if (idx !== undefined && idx < hostdevs.length) return { hostdev: hostdevs[idx], index: idx };
  return under >= 0 ? { hostdev: hostdevs[under], index: under } : undefined;
}

/** The `<iommu>` whose `<driver pciBus>` the diagnostic points at. */
export function iommuWithPciBusAt(ctx: FixContext, d: Diagnostic): { iommu: Iommu; attr: XmlAttribute } | undefined {
  const r = offsetsOf(ctx, d);
  const candidates: { iommu: Iommu; attr: XmlAttribute }[] = [];
  for (const iommu of ctx.model.iommus) {
    const a = iommu.driver?.attributes.find((x) => x.name === 'pciBus');
    if (a) candidates.push({ iommu, attr: a });
  }
  const exact = candidates.find((c) => overlaps(c.attr.nameStart, Math.max(c.attr.valueEnd, c.attr.nameEnd), r));
  if (exact) return exact;
  const inside = candidates.find((c) => contains(c.iommu.el, r.start));
  if (inside) return inside;
  return undefined;
}

/** The attribute named `name` that the diagnostic's range touches, on any element. */
export function attributeAt(ctx: FixContext, d: Diagnostic, name: string): XmlAttribute | undefined {
  const r = offsetsOf(ctx, d);
  let found: XmlAttribute | undefined;
  const visit = (el: XmlElement): void => {
    if (found || r.start > Math.max(el.end, el.startTagEnd) || r.end < el.start) return;
    for (const a of el.attributes) {
      if (a.name === name && overlaps(a.nameStart, Math.max(a.nameEnd, a.valueEnd), r)) {
        found = a;
        return;
      }
    }
    for (const c of el.children) visit(c);
  };
  for (const root of ctx.feature.doc.xml.roots) visit(root);
  return found;
}
