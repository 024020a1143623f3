/**
 * Re-parsing after an edit, for large documents: instead of scanning the
 * whole text again, re-scan only the sibling elements the edit touched and
 * move every offset after it by the change in length.
 *
 * Why: a full parse of a 5 MB domain allocates some 300 000 nodes and costs
 * about 200 ms on a small machine, on every keystroke. Almost every keystroke
 * changes one value, one element or the text between two elements; for those
 * this re-scans a few hundred characters and shifts integers.
 *
 * The result is always the tree a full parse of the new text gives (the
 * tests compare the two on random edits). When that cannot be guaranteed
 * cheaply, this falls back to the full parse:
 *  - a problem before the edit may have left an element open (the scanner's
 *    recovery of unclosed elements looks at the whole document, not at one
 *    region): only problems local to one tag are allowed there;
 *  - the edit is not inside the content of a properly closed root element;
 *  - the re-scanned region is not self-contained (see scanContent): an
 *    element left open (but for the one a new start tag leaves open until its
 *    end tag is typed), a new comment opener, an end tag of an outer element….
 *
 * The previous document's tree is reused, so it is *consumed*: its nodes now
 * carry the new offsets. Callers pass only a version nobody reads any more
 * (the language service's cache of the last parse per document).
 */
import type { XmlAttribute, XmlDocument, XmlElement, XmlText } from './nodes';
import { LOCAL_PROBLEMS, leavesNothingOpen, parseXml, scanContent } from './parser';
import { walkFrom } from './query';
import { changeBetween, type TextChange } from './textChange';

/** Documents whose tree was reused by a re-parse: their offsets no longer match their text. */
const consumed = new WeakSet<XmlDocument>();

/** How the last `reparseXml` call went, for tests and the benchmark. */
export type ReparseOutcome = 'unchanged' | 'incremental' | 'full';
export let lastReparse: ReparseOutcome = 'full';

/**
 * The parse of `text`, reusing `previous` (the parse of an earlier version of
 * the same document) where the edit between them allows. `previous` must not
 * be used afterwards unless the outcome was 'unchanged'. `change` is where the
 * texts differ, when the caller has it already.
 */
export function reparseXml(previous: XmlDocument, text: string, change = changeBetween(previous.text, text)): XmlDocument {
  if (consumed.has(previous)) {
    lastReparse = 'full';
    return parseXml(text);
  }
  if (!change) {
    lastReparse = 'unchanged';
    return previous;
  }
  const updated = reparseRegion(previous, text, change);
  if (updated) {
    consumed.add(previous);
    lastReparse = 'incremental';
    return updated;
  }
  lastReparse = 'full';
  return parseXml(text);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableElement = Mutable<XmlElement> & { children: XmlElement[]; texts: XmlText[] };

function reparseRegion(previous: XmlDocument, text: string, change: TextChange): XmlDocument | undefined {
  if (previous.roots.length !== 1) return undefined;
  const { start: s, oldEnd: e } = change;
  const delta = change.newEnd - change.oldEnd;

  // The deepest element whose content (between its start and end tags) holds the whole change.
  let parent = previous.roots[0] as MutableElement;
  if (!contentHolds(parent, s, e)) return undefined;
  for (;;) {
    const k = firstIndex(parent.children, (c) => c.start > s) - 1;
    const child = k >= 0 ? parent.children[k] : undefined;
    if (!child || !contentHolds(child, s, e)) break;
    parent = child as MutableElement;
  }

  // Its children the change touches, [i, j), and the region they and the text around them cover.
  const kids = parent.children;
  let i = firstIndex(kids, (c) => c.end > s);
  // Only an element that ends with its own '>' cannot grow from what is typed right after it; one cut
  // short by recovery (an unterminated start or end tag, a missing end tag) is re-scanned with the edit.
  while (i > 0 && (!kids[i - 1].closed || previous.text.charCodeAt(kids[i - 1].end - 1) !== 0x3e)) i--;
  const j = firstIndex(kids, (c) => c.start >= e);
  const from = i > 0 ? kids[i - 1].end : parent.startTagEnd;
  const to = j < kids.length ? kids[j].start : parent.endTagStart;
  // Problems before the region must not have left anything open at its start;
  // those inside it are found again by the re-scan; those after it read the same text in the same state.
  const problems = previous.problems;
  const pi = firstIndex(problems, (p) => p.start >= from);
  for (let k = 0; k < pi; k++) if (!leavesNothingOpen(problems[k].code)) return undefined;
  const outerNames = new Set<string>();
  for (let x: XmlElement | undefined = parent; x; x = x.parent) outerNames.add(x.name);
  const scanned = scanContent(text, from, to + delta, parent.name, outerNames);
  if (!scanned) return undefined;
  const pj = firstIndex(problems, (p) => p.start >= to);
  // Problems after the region are kept only if the scanner read them in the same state both times.
  // Two ways it may not have: an element closed at the region's end now (a start tag typed before its end
  // tag) would instead be closed by a later end tag of its name that matches nothing; and an element the
  // old region left open stayed on the old scanner's stack until an outer end tag, so the old messages of
  // later mismatched end tags name it ("does not match the open element <…>") where the new parse names
  // the parent. Local problems read no stack, so only they may follow in either case.
  let oldLeftOpen = false;
  for (let k = pi; k < pj && !oldLeftOpen; k++) oldLeftOpen = !leavesNothingOpen(problems[k].code);
  if (scanned.closedAtEnd || oldLeftOpen) for (let k = pj; k < problems.length; k++) if (!LOCAL_PROBLEMS.has(problems[k].code)) return undefined;

  let removed = 0;
  for (let k = i; k < j; k++) removed += countElements(kids[k]);
  for (const c of scanned.children) (c as Mutable<XmlElement>).parent = parent;

  if (delta !== 0) {
    for (let k = j; k < kids.length; k++) shiftSubtree(kids[k], delta);
    shiftAncestors(parent, to, delta);
  }
  parent.children = [...kids.slice(0, i), ...scanned.children, ...kids.slice(j)];
  // The element's own texts: those before the region stay, those inside it are the new ones, those after it moved.
  const texts = parent.texts;
  const ti = firstIndex(texts, (t) => t.start >= from);
  const tj = firstIndex(texts, (t) => t.start >= to);
  if (delta !== 0) for (let k = tj; k < texts.length; k++) shiftText(texts[k], delta);
  parent.texts = [...texts.slice(0, ti), ...scanned.texts, ...texts.slice(tj)];

  const after = problems.slice(pj).map((p) => (delta === 0 ? p : { ...p, start: p.start + delta, end: p.end + delta }));
  return {
    text,
    roots: previous.roots,
    problems: [...problems.slice(0, pi), ...scanned.problems, ...after],
    elementCount: previous.elementCount - removed + scanned.elementCount,
  };
}

function contentHolds(el: XmlElement, s: number, e: number): boolean {
  return el.closed && !el.selfClosing && el.startTagEnd <= s && e <= el.endTagStart;
}

/** First index whose item satisfies a predicate that is false then true along the list (binary search). */
function firstIndex<T>(list: readonly T[], pred: (item: T) => boolean): number {
  let lo = 0,
    hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(list[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Moves the end of `el` and of each ancestor, and everything of theirs after `at` (an old offset). */
function shiftAncestors(el: XmlElement, at: number, delta: number): void {
  let child: XmlElement | undefined;
  for (let x: XmlElement | undefined = el; x; child = x, x = x.parent) {
    const m = x as MutableElement;
    m.endTagStart += delta;
    m.end += delta;
    if (!child) continue; // the edited element's own children and texts are handled by the caller
    const kids = m.children;
    for (let k = firstIndex(kids, (c) => c.start > child!.start); k < kids.length; k++) shiftSubtree(kids[k], delta);
    const texts = m.texts;
    for (let k = firstIndex(texts, (t) => t.start >= at); k < texts.length; k++) shiftText(texts[k], delta);
  }
}

/** Moves every offset in the subtree of `root`. */
function shiftSubtree(root: XmlElement, delta: number): void {
  walkFrom([root], (node) => {
    const el = node as MutableElement;
    el.start += delta;
    el.nameStart += delta;
    el.nameEnd += delta;
    el.startTagEnd += delta;
    if (el.endTagStart !== -1) el.endTagStart += delta;
    el.end += delta;
    for (const a of el.attributes) shiftAttribute(a, delta);
    for (const t of el.texts) shiftText(t, delta);
  });
}

function shiftAttribute(attr: XmlAttribute, delta: number): void {
  const a = attr as Mutable<XmlAttribute>;
  a.nameStart += delta;
  a.nameEnd += delta;
  if (a.valueStart !== -1) {
    a.valueStart += delta;
    a.valueEnd += delta;
  }
}

function shiftText(text: XmlText, delta: number): void {
  const t = text as Mutable<XmlText>;
  t.start += delta;
  t.end += delta;
}

function countElements(root: XmlElement): number {
  let n = 0;
  walkFrom([root], () => {
    n++;
  });
  return n;
}
