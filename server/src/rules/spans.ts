/**
 * Where findings point: the text of an attribute value or of an element, or
 * a name. Shared so that every rule family (and the schema messages) marks
 * the same kind of fault the same way.
 *
 * One rule for "nothing to mark": when a value or a text is empty (`a=''`,
 * `<node> </node>`) or missing (`a` without `=`), the span is the name of the
 * attribute or element instead. An empty span between two quotes is drawn by
 * some editors as nothing at all and by others as a one-character mark on the
 * closing quote, and neither says which attribute is meant; the name is
 * visible in every client and is the thing to look at. Quick fixes find the
 * attribute again from either span (features/fixes/lookup.ts).
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { textRange } from '../xml/query';

export interface Span {
  start: number;
  end: number;
}

/** An attribute's value, or its name while the value is empty or missing. */
export function valueSpan(a: XmlAttribute): Span {
  return a.valueStart >= 0 && a.valueEnd > a.valueStart ? { start: a.valueStart, end: a.valueEnd } : attributeNameSpan(a);
}

/** An attribute's name. */
export function attributeNameSpan(a: XmlAttribute): Span {
  return { start: a.nameStart, end: a.nameEnd };
}

/** An element's name in its start tag. */
export function elementNameSpan(el: XmlElement): Span {
  return { start: el.nameStart, end: el.nameEnd };
}

/** An element's text (trimmed), or its name while it has none (no text, or only white space). */
export function elementTextSpan(el: XmlElement): Span {
  const r = textRange(el);
  return r && r.end > r.start ? r : elementNameSpan(el);
}
