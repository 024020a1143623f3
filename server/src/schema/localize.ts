/**
 * Turns libxml2's RelaxNG messages into issues on exact nodes.
 *
 * libxml2 often says only that an ancestor failed: a typo in a <disk>
 * attribute becomes "Extra element devices in interleave" plus "Element
 * domain failed to validate content", and inside one element it stops at
 * the first fault. So we narrow down: each child of a failing element is
 * validated on its own (its text, against the patterns the grammar allows
 * for it there, one engine run per tree level), and we descend into the
 * children that fail until libxml2 names the fault. When no child fails, the
 * fault is the element itself, and the grammar reader tells which attribute
 * or value it does not accept. The verdict stays the one of the
 * whole-document run; narrowing only decides where and what to say.
 */
import type { XmlAttribute, XmlDocument, XmlElement } from '../xml/nodes';
import { LineIndex } from '../xml/lineIndex';
import { textOf } from '../xml/query';
import type { EngineResult, RawSchemaError, SchemaEngine, SchemaSet } from './engine';
import { localName, mergeInto, spaceAccepts, type DataCheck, type ElementPattern, type RngModel, type ValueSpace } from './rng';

export type IssueKind =
  | 'attribute-value' // the attribute is known here, its value is not accepted
  | 'attribute-unknown' // no such attribute here
  | 'attribute-missing' // a required attribute is absent (name)
  | 'text-value' // the element's text is not accepted
  | 'child-unknown' // no such element here
  | 'child-extra' // an element allowed here, but not again / not in this combination
  | 'child-missing' // a required element is absent (name)
  | 'child-unexpected' // another element was expected at this place (name)
  | 'not-empty' // the element must be empty
  | 'text-unexpected' // text where only elements are allowed
  | 'namespace-undeclared' // a prefix without xmlns declaration (name: the prefix)
  | 'content'; // the schema rejects the element and we cannot say more

export interface Issue {
  readonly kind: IssueKind;
  readonly el: XmlElement;
  readonly attr?: XmlAttribute;
  /** The missing or expected element/attribute name, or the datatype libxml2 named. */
  readonly name?: string;
  /** The libxml2 message this issue stands for. */
  readonly raw: RawSchemaError;
  /** Grammar patterns that can stand for `el` at its place. */
  readonly patterns: readonly ElementPattern[];
}

export interface LocalizeOptions {
  readonly engine: SchemaEngine;
  readonly schema: SchemaSet;
  readonly model: RngModel;
  readonly signal?: AbortSignal;
  /** Engine runs allowed for narrowing (one per tree level). */
  readonly maxRuns?: number;
}

const CASCADE = [
  /^Element \S+ failed to validate content$/,
  /^Invalid sequence in interleave$/,
  /^Extra element \S+ in interleave$/,
  /^Internal: interleave block has no data$/,
  /^Expecting element \S+, got \S+$/, // in a choice libxml2 lists a branch it tried, not the fault
  /^Element \S+ has wrong namespace: expecting \S+$/, // likewise, for same-named elements of several namespaces
  /^Extra data in the document$/,
];

export function isCascade(r: RawSchemaError): boolean {
  return CASCADE.some((re) => re.test(r.message));
}

/**
 * Issues for a document libxml2 found invalid, given the whole-document
 * messages. libxml2 stops at the first fault inside an element, so even a
 * precise message does not end the search: every failing element is looked
 * into, one engine run per tree level, until no child fails on its own.
 */
export async function localize(doc: XmlDocument, raws: readonly RawSchemaError[], opts: LocalizeOptions): Promise<Issue[]> {
  const root = doc.roots[0];
  if (!root) return [];
  const lines = new LineIndex(doc.text);
  const pats = new PatternsOf(opts.model);
  const issues: Issue[] = [];
  const preciseOf = (list: readonly RawSchemaError[]) => list.filter((r) => !isCascade(r) && !r.parserError);
  issues.push(...preciseOf(raws).flatMap((r) => issuesFor(r, root, lines, pats)));

  let runs = 0;
  const maxRuns = opts.maxRuns ?? 8;
  let level: { el: XmlElement; raws: readonly RawSchemaError[] }[] = [{ el: root, raws }];
  while (level.length && runs < maxRuns) {
    const next: typeof level = [];
    const batch: { el: XmlElement; patterns: ElementPattern[] }[] = [];
    const faultyChildren = new Set<XmlElement>();
    for (const { el, raws: parentRaws } of level) {
      const parentPatterns = pats.of(el);
      for (const c of el.children) {
        // A child already explained is not looked at again: with several alternative
        // patterns libxml2 would add messages about the alternatives that do not apply.
        if (issues.some((i) => within(i.el, c))) {
          faultyChildren.add(el);
          continue;
        }
        const cp = opts.model.childPatterns(parentPatterns, c.name);
        if (cp.length) batch.push({ el: c, patterns: cp });
        else if (parentPatterns.length && !opts.model.allowsAnyChild(parentPatterns)) {
          issues.push({ kind: 'child-unknown', el: c, raw: firstLocated(el, parentRaws), patterns: [] });
          faultyChildren.add(el);
        }
      }
    }
    if (batch.length) {
      runs++;
      const start = startPattern(
        opts.model,
        batch.flatMap((b) => b.patterns),
      );
      const results = await validateIsolated(
        doc,
        lines,
        batch.map((b) => b.el),
        start,
        opts,
      );
      batch.forEach((b, i) => {
        const r = results[i];
        if (!r || r.valid || r.notWellFormed) return;
        if (b.el.parent) faultyChildren.add(b.el.parent);
        issues.push(...preciseOf(r.errors).flatMap((e) => issuesFor(e, b.el, lines, pats)));
        next.push({ el: b.el, raws: r.errors });
      });
    }
    for (const { el, raws: own } of level) concludeElement(el, own, !faultyChildren.has(el), issues, pats, opts.model);
    level = next;
  }
  // Levels left when the run budget is spent are reported where we got to.
  for (const { el, raws: own } of level) concludeElement(el, own, true, issues, pats, opts.model);
  return dedupe(issues);
}

/**
 * What a failing element adds itself: attribute faults the grammar reader
 * can see (libxml2 names only the first), and, when neither its children nor
 * anything else explains the failure, what its own messages say.
 */
function concludeElement(el: XmlElement, raws: readonly RawSchemaError[], childrenFine: boolean, issues: Issue[], pats: PatternsOf, model: RngModel): void {
  issues.push(...attributeIssues(el, firstLocated(el, raws), pats));
  if (!childrenFine || issues.some((i) => within(i.el, el))) return;
  issues.push(...elementIssues(el, raws, pats, model));
}

/** The message to cite for an element: its first one with a line. */
function firstLocated(el: XmlElement, raws: readonly RawSchemaError[]): RawSchemaError {
  return raws.find((r) => r.line !== undefined) ?? raws[0] ?? { line: undefined, element: el.name, message: `Element ${el.name} failed to validate content` };
}

function within(inner: XmlElement, outer: XmlElement): boolean {
  for (let e: XmlElement | undefined = inner; e; e = e.parent) if (e === outer) return true;
  return false;
}

/**
 * The element's own text as a document of its own, with the namespace
 * declarations it inherits restated on it, and how many lines precede it in
 * the document (to add to the line numbers libxml2 gives for it).
 */
export function isolate(text: string, lines: LineIndex, el: XmlElement): { text: string; lineOffset: number } {
  const inherited = new Map<string, string>();
  for (let p = el.parent; p; p = p.parent) {
    for (const a of p.attributes) {
      if ((a.name === 'xmlns' || a.name.startsWith('xmlns:')) && a.value !== undefined && !inherited.has(a.name)) inherited.set(a.name, a.value);
    }
  }
  for (const a of el.attributes) inherited.delete(a.name);
  const decls = [...inherited].map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`).join('');
  return {
    text: text.slice(el.start, el.nameEnd) + decls + text.slice(el.nameEnd, el.end) + '\n',
    lineOffset: lines.positionAt(el.start).line,
  };
}

/** Runs the isolated elements in chunks (a command line has limits), with line numbers of the whole document. */
async function validateIsolated(doc: XmlDocument, lines: LineIndex, els: readonly XmlElement[], start: string, opts: LocalizeOptions): Promise<EngineResult[]> {
  const out: EngineResult[] = [];
  for (let i = 0; i < els.length; i += CHUNK) {
    const part = els.slice(i, i + CHUNK).map((el) => isolate(doc.text, lines, el));
    const results = await opts.engine.validateMany(
      part.map((p) => p.text),
      opts.schema,
      start,
      opts.signal,
    );
    results.forEach((r, j) =>
      out.push({
        ...r,
        errors: r.errors.map((e) => (e.line === undefined ? e : { ...e, line: e.line + part[j].lineOffset })),
      }),
    );
  }
  return out;
}

const CHUNK = 1000;

/** A start pattern offering each of `patterns` once. */
export function startPattern(model: RngModel, patterns: readonly ElementPattern[]): string {
  const unique = [...new Set(patterns)];
  return `<choice>${unique.map((p) => model.patternText(p)).join('')}</choice>`;
}

/** Grammar patterns for each element, derived from its ancestors' and memoised, and the questions asked through them. */
export class PatternsOf {
  private readonly memo = new Map<XmlElement, ElementPattern[]>();
  constructor(private readonly model: RngModel) {}

  of(el: XmlElement): ElementPattern[] {
    const cached = this.memo.get(el);
    if (cached) return cached;
    let out: ElementPattern[];
    if (!el.parent) out = this.model.rootPatterns(el.name);
    else {
      out = this.model.childPatterns(this.of(el.parent), el.name);
      // An element the grammar does not expect there still gets the patterns of its name elsewhere, for advice.
      if (!out.length) out = [...this.model.patternsNamed(el.name)];
    }
    this.memo.set(el, out);
    return out;
  }

  /** Allowed values of an attribute of `el`, over all its patterns; undefined when none declares it. */
  attributeSpace(el: XmlElement, name: string): ValueSpace | undefined {
    let out: { values: string[]; kinds: string[]; checks: DataCheck[] } | undefined;
    for (const p of this.of(el)) {
      const a = this.model.info(p).attributes.get(localName(name));
      if (!a) continue;
      out ??= { values: [], kinds: [], checks: [] };
      mergeInto(out, a);
    }
    return out;
  }

  /** What the text of `el` may be, over all its patterns. */
  textSpace(el: XmlElement): ValueSpace {
    const out = { values: [] as string[], kinds: [] as string[], checks: [] as DataCheck[] };
    for (const p of this.of(el)) mergeInto(out, this.model.info(p).text);
    return out;
  }

  knowsAttribute(el: XmlElement, name: string): boolean {
    return this.attributeSpace(el, name) !== undefined;
  }

  openAttributes(el: XmlElement): boolean {
    return this.of(el).some((p) => this.model.info(p).openAttributes);
  }

  /** Attributes every pattern of `el` requires. */
  requiredAttributes(el: XmlElement): string[] {
    const ps = this.of(el);
    if (!ps.length) return [];
    const sets = ps.map((p) => this.model.info(p).requiredAttributes);
    return [...sets[0]].filter((n) => sets.every((s) => s.has(n)));
  }

  /** Attribute names `el` may carry, in schema order. */
  attributeNames(el: XmlElement): string[] {
    const out: string[] = [];
    for (const p of this.of(el)) for (const n of this.model.info(p).attributes.keys()) if (!out.includes(n)) out.push(n);
    return out;
  }

  /** Child element names `el` may contain, in schema order. */
  childNames(el: XmlElement): string[] {
    const out: string[] = [];
    for (const p of this.of(el)) for (const n of this.model.info(p).children.keys()) if (!out.includes(n)) out.push(n);
    return out;
  }

  allowsChild(parent: XmlElement, name: string): boolean {
    const ps = this.of(parent);
    return this.model.childPatterns(ps, name).length > 0 || this.model.allowsAnyChild(ps);
  }
}

/** The element libxml2 means by a message: the one of that name whose start tag ends on (or spans) that line. */
export function nodeFor(r: RawSchemaError, scope: XmlElement, lines: LineIndex): XmlElement {
  if (r.line === undefined) return byName(scope, r.element ?? subjectOf(r.message)) ?? scope;
  const line0 = r.line - 1;
  let spanning: XmlElement | undefined, containing: XmlElement | undefined, onLine: XmlElement | undefined;
  const visit = (e: XmlElement) => {
    const first = lines.positionAt(e.start).line,
      last = lines.positionAt(Math.max(e.start, e.startTagEnd - 1)).line;
    const named = r.element === undefined || localName(e.name) === localName(r.element);
    if (named && last === line0 && !spanning) spanning = e;
    else if (named && first <= line0 && line0 <= last && !spanning) spanning = e;
    if (named && first <= line0 && line0 <= lines.positionAt(e.end).line) containing = e;
    if (first === line0 && !onLine) onLine = e;
    for (const c of e.children) visit(c);
  };
  visit(scope);
  return spanning ?? containing ?? onLine ?? scope;
}

/** The element a message is about, for messages printed without a location. */
export function subjectOf(message: string): string | undefined {
  const m =
    /^Element (\S+) (?:failed|has)/.exec(message) ??
    /for element (\S+)$/.exec(message) ??
    /^Expecting element (\S+) to be empty$/.exec(message) ??
    /^Did not expect text in element (\S+) content$/.exec(message);
  return m?.[1];
}

function byName(scope: XmlElement, name: string | undefined): XmlElement | undefined {
  if (name === undefined) return undefined;
  const stack = [scope];
  while (stack.length) {
    const e = stack.shift()!;
    if (localName(e.name) === localName(name)) return e;
    stack.push(...e.children);
  }
  return undefined;
}

/** Issues for one precise libxml2 message, found within `scope`. */
function issuesFor(r: RawSchemaError, scope: XmlElement, lines: LineIndex, pats: PatternsOf): Issue[] {
  const el = nodeFor(r, scope, lines);
  const patterns = pats.of(el);
  const msg = r.message;
  let m: RegExpExecArray | null;
  const issue = (kind: IssueKind, extra: Partial<Issue> = {}): Issue[] => [{ kind, el, raw: r, patterns, ...extra }];

  if ((m = /^Namespace prefix (\S+) on (\S+) is not defined$/.exec(msg))) return issue('namespace-undeclared', { name: m[1] });
  if ((m = /^Invalid attribute (\S+) for element (\S+)$/.exec(msg))) {
    const target = el.attributes.find((a) => a.name === m![1]) ?? el.attributes.find((a) => localName(a.name) === localName(m![1]));
    if (!target) return issue('content');
    // libxml2 names the first attribute it rejects; the reader finds the others.
    return [...issue(pats.knowsAttribute(el, target.name) ? 'attribute-value' : 'attribute-unknown', { attr: target }), ...attributeIssues(el, r, pats)];
  }
  if (/^Element \S+ failed to validate attributes$/.test(msg)) {
    const found = attributeIssues(el, r, pats);
    return found.length ? found : issue('content');
  }
  if ((m = /^Type (\S+) doesn't allow value '([\s\S]*)'$/.exec(msg)) || (m = /^Error validating (?:value|datatype) ?(\S*)$/.exec(msg))) {
    const value = m[2];
    if (value !== undefined && textOf(el) !== value.trim()) {
      const a = el.attributes.find((x) => x.value === value);
      if (a) return issue('attribute-value', { attr: a, name: m[1] });
    }
    return issue('text-value', { name: m[1] || undefined });
  }
  if ((m = /^Datatype element (\S+) contains no data$/.exec(msg))) return issue('text-value');
  if ((m = /^Element (\S+) has extra content: (\S+)$/.exec(msg)) || (m = /^Did not expect element (\S+) there$/.exec(msg))) {
    const childName = m[2] ?? m[1];
    if (childName === 'text') return issue('text-unexpected');
    // libxml2 reports on the extra element itself; fall back to a child of that name.
    const child = localName(el.name) === localName(childName) ? el : (el.children.find((c) => localName(c.name) === localName(childName)) ?? el);
    const parent = child.parent;
    const allowed = parent ? pats.allowsChild(parent, child.name) : true;
    return [{ kind: allowed ? 'child-extra' : 'child-unknown', el: child, raw: r, patterns: pats.of(child) }];
  }
  if ((m = /^Expecting an element (\S+), got nothing$/.exec(msg))) return issue('child-missing', { name: m[1] });
  if ((m = /^Expecting element (\S+), got (\S+)$/.exec(msg))) return issue('child-unexpected', { name: m[1] });
  if ((m = /^Expecting element (\S+) to be empty$/.exec(msg))) return issue('not-empty');
  if (/^Did not expect text in element \S+ content$/.test(msg) || /^Expecting an element got text$/.test(msg)) return issue('text-unexpected');
  return issue('content');
}

/** When the element itself is the fault and its attributes are fine: what the cascade says about its children. */
function elementIssues(el: XmlElement, raws: readonly RawSchemaError[], pats: PatternsOf, model: RngModel): Issue[] {
  const own = firstLocated(el, raws);
  const patterns = pats.of(el);
  // "Extra element X in interleave": an X that may not appear (again) in this element.
  for (const r of raws) {
    const m = /^Extra element (\S+) in interleave$/.exec(r.message);
    if (!m) continue;
    const same = el.children.filter((c) => localName(c.name) === localName(m[1]));
    const culprit = same.length > 1 ? same[same.length - 1] : same[0];
    if (!culprit) continue;
    const known = model.childPatterns(patterns, culprit.name).length > 0;
    return [{ kind: known ? 'child-extra' : 'child-unknown', el: culprit, raw: r, patterns: pats.of(culprit) }];
  }
  return [{ kind: 'content', el, raw: own, patterns }];
}

/** Attribute faults the grammar reader can see: unknown names, values outside an enumeration, required ones missing. */
function attributeIssues(el: XmlElement, raw: RawSchemaError, pats: PatternsOf): Issue[] {
  const patterns = pats.of(el);
  if (!patterns.length) return [];
  const out: Issue[] = [];
  for (const a of el.attributes) {
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:') || a.name.startsWith('xml:')) continue;
    const space = pats.attributeSpace(el, a.name);
    if (!space) {
      if (!pats.openAttributes(el)) out.push({ kind: 'attribute-unknown', el, attr: a, raw, patterns });
      continue;
    }
    if (a.value !== undefined && !spaceAccepts(space, a.value)) {
      out.push({ kind: 'attribute-value', el, attr: a, raw, patterns });
    }
  }
  for (const name of pats.requiredAttributes(el)) {
    if (!el.attributes.some((a) => localName(a.name) === name)) out.push({ kind: 'attribute-missing', el, name, raw, patterns });
  }
  return out;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  // An undeclared prefix is reported once, on its first element; what the schema says
  // about elements under it follows from it and is left out.
  const undeclared = issues.filter((i) => i.kind === 'namespace-undeclared').map((i) => i.el);
  const prefixes = new Set<string>();
  return issues.filter((i) => {
    if (i.kind === 'namespace-undeclared') {
      if (prefixes.has(i.name ?? '')) return false;
      prefixes.add(i.name ?? '');
    } else if (undeclared.some((u) => within(i.el, u))) return false;
    const key = `${i.kind}|${i.el.start}|${i.attr?.nameStart ?? ''}|${i.name ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
