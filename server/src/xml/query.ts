/**
 * Small read helpers over the positioned model, shared by the domain model,
 * rules and features.
 */
import type { XmlAttribute, XmlDocument, XmlElement } from './nodes';

export function attr(el: XmlElement | undefined, name: string): XmlAttribute | undefined {
  if (!el) return undefined;
  for (const a of el.attributes) if (a.name === name) return a;
  return undefined;
}

export function attrValue(el: XmlElement | undefined, name: string): string | undefined {
  return attr(el, name)?.value;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.name === name) return c;
  return undefined;
}

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.name === name);
}

/** Concatenated, trimmed text content directly inside the element. */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  if (el.texts.length === 1) return el.texts[0].value.trim();
  return el.texts
    .map((t) => t.value)
    .join('')
    .trim();
}

/** The first text node's trimmed range, for diagnostics on element content. */
export function textRange(el: XmlElement): { start: number; end: number } | undefined {
  const t = el.texts[0];
  if (!t) return undefined;
  let start = t.start,
    end = t.end;
  const s = t.value;
  const lead = s.length - s.trimStart().length;
  const trail = s.length - s.trimEnd().length;
  // Only exact when the text had no entities; close enough for ranges otherwise.
  start += lead;
  end -= trail;
  return { start, end: Math.max(start, end) };
}

/** Ancestors from the parent up to the root. */
export function ancestors(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let p = el.parent; p; p = p.parent) out.push(p);
  return out;
}

/** Element path like `domain/devices/hostdev[2]`, stable across unrelated edits. */
export function pathOf(el: XmlElement): string {
  const parts: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) {
    const siblings: readonly XmlElement[] = e.parent ? e.parent.children : [];
    let n = 0;
    for (const s of siblings) {
      if (s === e) break;
      if (s.name === e.name) n++;
    }
    parts.push(n ? `${e.name}[${n}]` : e.name);
  }
  return parts.reverse().join('/');
}

/** Visits every element depth-first in document order. */
export function walk(doc: XmlDocument, visit: (el: XmlElement) => void): void {
  walkFrom(doc.roots, visit);
}

/**
 * Visits `roots` and everything below them depth-first in document order.
 * A loop with a stack: documents can nest deeper than the call stack.
 */
export function walkFrom(roots: readonly XmlElement[], visit: (el: XmlElement) => void): void {
  const stack: XmlElement[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push(roots[i]);
  while (stack.length) {
    const el = stack.pop()!;
    visit(el);
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]);
  }
}

/** The deepest element whose extent contains `offset` (start tag or content). */
export function elementAt(doc: XmlDocument, offset: number): XmlElement | undefined {
  let list = doc.roots;
  let found: XmlElement | undefined;
  for (;;) {
    const hit = findContaining(list, offset);
    if (!hit) return found;
    found = hit;
    list = hit.children;
  }
}

function findContaining(list: readonly XmlElement[], offset: number): XmlElement | undefined {
  // Children are in document order: binary search on start.
  let lo = 0,
    hi = list.length - 1,
    cand = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].start < offset) {
      cand = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (cand < 0) return undefined;
  const el = list[cand];
  // An element with an unterminated start tag extends to its recovery point inclusive.
  const end = el.closed ? el.end : Math.max(el.end, el.startTagEnd);
  return offset < end || (!el.closed && offset === end) ? el : undefined;
}

/** True when `offset` lies inside the start tag of `el` (after `<name`, before `>`). */
export function inStartTag(el: XmlElement, offset: number): boolean {
  if (offset <= el.nameEnd - 0 && offset >= el.nameStart) return true;
  if (el.startTagClosed) return offset > el.start && offset < el.startTagEnd;
  return offset > el.start && offset <= el.startTagEnd;
}

/** The attribute whose name or value contains `offset`. */
export function attrAt(el: XmlElement, offset: number): { attr: XmlAttribute; part: 'name' | 'value' } | undefined {
  for (const a of el.attributes) {
    if (offset >= a.nameStart && offset <= a.nameEnd) return { attr: a, part: 'name' };
    if (a.valueStart >= 0 && offset >= a.valueStart && offset <= a.valueEnd) return { attr: a, part: 'value' };
  }
  return undefined;
}
