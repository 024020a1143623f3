/**
 * The positioned XML document model. Every element, attribute name and
 * attribute value carries its exact offsets into the source text (UTF-16 code
 * units, the unit LSP positions use), so that rules and features can point at
 * the precise text at fault and edit it without re-serialising anything.
 */

export interface XmlAttribute {
  readonly name: string;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** Decoded value (entities resolved); undefined when the attribute has no `=value` yet. */
  readonly value: string | undefined;
  /** Offset of the first character of the value (after the quote); -1 when absent. */
  readonly valueStart: number;
  /** Offset just past the last character of the value (before the closing quote); -1 when absent. */
  readonly valueEnd: number;
  /** The quote character used, if any. */
  readonly quote: '"' | "'" | undefined;
  /** False while the user is still typing the value: no closing quote was found. */
  readonly valueClosed: boolean;
  readonly element: XmlElement;
}

export interface XmlText {
  readonly start: number;
  readonly end: number;
  /** Decoded text. */
  readonly value: string;
}

export interface XmlElement {
  readonly name: string;
  /** Offset of `<`. */
  readonly start: number;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** Offset just past the `>` of the start tag; equals the point of recovery when the start tag is unterminated. */
  startTagEnd: number;
  /** False when the start tag has no `>` (the user is typing inside it). */
  startTagClosed: boolean;
  readonly selfClosing: boolean;
  /** Offset of `</` of the matching end tag, or -1. */
  endTagStart: number;
  /** Offset just past the element (after its end tag, or where it was recovered). */
  end: number;
  /** True when the element has a matching end tag or is self-closing. */
  closed: boolean;
  readonly attributes: XmlAttribute[];
  readonly children: XmlElement[];
  readonly texts: XmlText[];
  readonly parent: XmlElement | undefined;
}

export type XmlProblemCode =
  | 'xml-unclosed-element'
  | 'xml-unterminated-start-tag'
  | 'xml-mismatched-end-tag'
  | 'xml-stray-end-tag'
  | 'xml-duplicate-attribute'
  | 'xml-attribute-without-value'
  | 'xml-unquoted-attribute-value'
  | 'xml-unterminated-attribute-value'
  | 'xml-bad-entity'
  | 'xml-unterminated-comment'
  | 'xml-multiple-roots'
  | 'xml-text-outside-root'
  | 'xml-no-root'
  | 'xml-invalid-name';

export interface XmlProblem {
  readonly code: XmlProblemCode;
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

export interface XmlDocument {
  readonly text: string;
  /** Top-level elements in document order (normally exactly one). */
  readonly roots: XmlElement[];
  /** Well-formedness problems found while recovering, in document order. */
  readonly problems: XmlProblem[];
  /** Number of elements in the document, for size-dependent decisions. */
  readonly elementCount: number;
}
