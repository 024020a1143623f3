/**
 * Where findings point: the text of an attribute value, or of an element
 * name. Shared so that every rule family marks the same kind of fault the
 * same way.
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { textRange } from '../xml/query';

export interface Span {
  start: number;
  end: number;
}

/** An attribute's value, or its name while the value is still missing. */
export function valueSpan(a: XmlAttribute): Span {
  return a.valueStart >= 0 ? { start: a.valueStart, end: a.valueEnd } : { start: a.nameStart, end: a.nameEnd };
}

/** An element's name in its start tag. */
export function elementNameSpan(el: XmlElement): Span {
  return { start: el.nameStart, end: el.nameEnd };
}

/** An attribute's name. */
export function attributeNameSpan(a: XmlAttribute): Span {
  return { start: a.nameStart, end: a.nameEnd };
}

/** An element's text (trimmed), or its name while it has none (no text, or only white space). */
export function elementTextSpan(el: XmlElement): Span {
  const r = textRange(el);
  return r && r.end > r.start ? r : elementNameSpan(el);
}
