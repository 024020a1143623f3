/**
 * Where findings point: the text of an attribute value, or of an element
 * name. Shared so that every rule family marks the same kind of fault the
 * same way.
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';

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
