/**
 * Where the cursor is, in terms completion can act on: naming an element,
 * naming an attribute, inside an attribute value, or inside text content,
 * with the exact range the chosen item must replace.
 *
 * Works on the positioned model plus the raw text, because the document is
 * half-typed: a lone `<` is not an element (the scanner records it as a
 * problem and keeps it as text), a start tag may have no `>`, a value may
 * have no closing quote. The last `<` before the cursor tells which tag, if
 * any, the cursor is in: `<` cannot occur inside a well-formed attribute
 * value, and the scanner ends an unterminated value at the next `<` too.
 */
import type { XmlAttribute, XmlDocument, XmlElement } from '../xml/nodes';
import { elementAt } from '../xml/query';

export type CursorSite =
  /**
   * Naming an element. `start` is the `<`, `end` the end of the name typed so
   * far (the cursor for a lone `<`). `named` is the element the scanner built
   * from the partial name, if any. `fresh` is true when nothing but the name
   * has been written, so a whole element may replace it.
   */
  | { kind: 'element'; parent: XmlElement | undefined; named: XmlElement | undefined; start: number; end: number; fresh: boolean }
  /**
   * Naming an attribute of `element`. The range covers the attribute name
   * being typed (empty at the cursor in white space). `hasValue` is true
   * when a `=` already follows the name, so only the name may be replaced.
   */
  | { kind: 'attribute'; element: XmlElement; attr: XmlAttribute | undefined; start: number; end: number; hasValue: boolean }
  /** Inside the (possibly unterminated) quoted value of `attr`; the range is the whole value. */
  | { kind: 'value'; element: XmlElement; attr: XmlAttribute; start: number; end: number }
  /** In the text content of `element`; the range is the word around the cursor. */
  | { kind: 'text'; element: XmlElement; start: number; end: number }
  | { kind: 'none' };

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

function isNameStart(c: string | undefined): boolean {
  return !!c && /[A-Za-z_:\u0080-\uffff]/.test(c);
}

/** Characters that end a word of text content. */
function endsWord(c: string | undefined): boolean {
  return c === undefined || isSpace(c) || c === '<' || c === '>';
}

/** The word of text around `offset`: maximal run of characters that are neither space nor `<`/`>`. */
export function wordAround(text: string, offset: number): { start: number; end: number } {
  let start = offset;
  while (start > 0 && !endsWord(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && !endsWord(text[end])) end++;
  return { start, end };
}

export function cursorSite(xml: XmlDocument, offset: number): CursorSite {
  const text = xml.text;
  if (offset < 0 || offset > text.length || inComment(text, offset)) return { kind: 'none' };
  const lt = offset > 0 ? text.lastIndexOf('<', offset - 1) : -1;
  if (lt < 0) return textSite(xml, offset);
  const next = text[lt + 1];

  if (next === '!' || next === '?' || next === '/') {
    // Comment, processing instruction, CDATA or end tag: nothing to offer
    // inside; after its end, the cursor is in text again.
    const close = next === '!' && text.startsWith('<!--', lt) ? text.indexOf('-->', lt + 4) : text.indexOf('>', lt);
    const after = close < 0 ? -1 : close + (next === '!' && text.startsWith('<!--', lt) ? 3 : 1);
    return after >= 0 && after <= offset ? textSite(xml, offset) : { kind: 'none' };
  }

  if (!isNameStart(next)) {
    // A lone `<` just typed: the scanner keeps it as text, so the parent is
    // whatever element contains the cursor.
    if (offset === lt + 1) return { kind: 'element', parent: elementAt(xml, offset), named: undefined, start: lt, end: offset, fresh: true };
    return textSite(xml, offset);
  }

  const el = elementAt(xml, lt + 1);
  if (!el || el.start !== lt) return { kind: 'none' };

  if (offset <= el.nameEnd) {
    const fresh = el.attributes.length === 0 && el.children.length === 0 && !el.startTagClosed;
    return { kind: 'element', parent: el.parent, named: el, start: lt, end: el.nameEnd, fresh };
  }

  // Past the name: still inside the start tag unless its `>` (or `/>`) lies before the cursor.
  if (el.startTagClosed) {
    const tagClose = el.selfClosing ? el.startTagEnd - 2 : el.startTagEnd - 1;
    if (offset > tagClose) return textSite(xml, offset);
  }
  return inStartTag(text, el, offset);
}

function inStartTag(text: string, el: XmlElement, offset: number): CursorSite {
  for (const a of el.attributes) {
    if (a.quote && a.valueStart >= 0 && offset >= a.valueStart && offset <= a.valueEnd) {
      return { kind: 'value', element: el, attr: a, start: a.valueStart, end: a.valueEnd };
    }
    if (offset >= a.nameStart && offset <= a.nameEnd) {
      let i = a.nameEnd;
      while (isSpace(text[i])) i++;
      return { kind: 'attribute', element: el, attr: a, start: a.nameStart, end: a.nameEnd, hasValue: text[i] === '=' };
    }
  }
  // Only in white space: right after a value's closing quote a new name would stick to it.
  if (!isSpace(text[offset - 1])) return { kind: 'none' };
  return { kind: 'attribute', element: el, attr: undefined, start: offset, end: offset, hasValue: false };
}

/** True when `offset` lies after the `<!--` of a comment that is not closed before it. */
function inComment(text: string, offset: number): boolean {
  const open = text.lastIndexOf('<!--', offset - 1);
  if (open < 0 || offset < open + 4) return false;
  const close = text.indexOf('-->', open + 4);
  return close < 0 || offset <= close + 2;
}

function textSite(xml: XmlDocument, offset: number): CursorSite {
  const el = elementAt(xml, offset);
  if (!el || !el.startTagClosed || offset < el.startTagEnd) return { kind: 'none' };
  if (el.endTagStart >= 0 && offset > el.endTagStart) return { kind: 'none' };
  const { start, end } = wordAround(xml.text, offset);
  return { kind: 'text', element: el, start, end };
}

/**
 * The key of an element in the docs tables: its path below `<devices>` (or
 * below `<domain>` for domain-level elements), e.g. `hostdev/source/address`.
 */
export function keyOf(el: XmlElement): string {
  const names: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) {
    if (e !== el && (e.name === 'devices' || e.name === 'domain')) break;
    names.push(e.name);
  }
  return names.reverse().join('/');
}

/** The key a child named `name` of an element with key `parentKey` gets. */
export function childKey(parentKey: string, name: string): string {
  return parentKey === 'devices' || parentKey === 'domain' || parentKey === '' ? name : `${parentKey}/${name}`;
}

/** Last segment of a key: the element's own name. */
export function lastSegment(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? key : key.slice(i + 1);
}
