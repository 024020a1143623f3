/**
 * How a document writes its XML — indentation unit, line ending, quote
 * character — so that completion snippets and quick fixes insert text that
 * looks like the user's own. Computed once per parsed document, from its
 * first 64 KB: the start of a file says enough, and large files stay cheap.
 */
import type { XmlDocument, XmlElement } from '../xml/nodes';

export interface Style {
  /** One level of indentation: spaces or a tab. */
  readonly unit: string;
  readonly nl: string;
  readonly quote: "'" | '"';
}

const SAMPLE = 64 * 1024;
const cache = new WeakMap<XmlDocument, Style>();

/**
 * The indent unit is the most common step between an element that starts a
 * line and its parent; the quote is the one most attributes use. Documents
 * written by `virsh dumpxml` give two spaces and single quotes, the defaults.
 */
export function styleOf(doc: XmlDocument): Style {
  let style = cache.get(doc);
  if (!style) {
    style = detect(doc);
    cache.set(doc, style);
  }
  return style;
}

function detect(doc: XmlDocument): Style {
  const text = doc.text;
  const steps = new Map<string, number>();
  let single = 0,
    double = 0;
  const stack: XmlElement[] = [...doc.roots].reverse();
  while (stack.length) {
    const el = stack.pop()!;
    if (el.start > SAMPLE) break;
    for (const a of el.attributes) {
      if (a.quote === "'") single++;
      else if (a.quote === '"') double++;
    }
    if (el.parent) {
      const own = indentBefore(text, el.start);
      const parent = indentBefore(text, el.parent.start);
      if (own !== undefined && parent !== undefined && own.length > parent.length && own.startsWith(parent)) {
        const step = own.slice(parent.length);
        if (/^( +|\t)$/.test(step)) steps.set(step, (steps.get(step) ?? 0) + 1);
      }
    }
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]);
  }
  let unit = '  ',
    best = 0;
  for (const [step, n] of steps)
    if (n > best) {
      unit = step;
      best = n;
    }
  const head = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  return { unit, nl: head.includes('\r\n') ? '\r\n' : '\n', quote: double > single ? '"' : "'" };
}

/** The whitespace between the start of the line and `offset`, or undefined when other text precedes it. */
export function indentBefore(text: string, offset: number): string | undefined {
  let i = offset;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (c === 0x0a) break;
    if (c !== 0x20 && c !== 0x09) return undefined;
    i--;
  }
  return text.slice(i, offset);
}

/** Indentation of the line holding `offset`, even when text precedes it on that line. */
export function lineIndentOf(text: string, offset: number): string {
  let i = offset;
  while (i > 0 && text.charCodeAt(i - 1) !== 0x0a) i--;
  let j = i;
  while (j < offset && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) j++;
  return text.slice(i, j);
}
