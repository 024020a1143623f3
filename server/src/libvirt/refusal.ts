/**
 * libvirt's refusal of a domain (from define or domxml-to-native) as a
 * diagnostic on the element it is about. libvirt's messages name things in
 * several ways ("attribute 'model' in element 'iommu'", "an os <type>",
 * "busNr '255' out of range", "a suitable controller for smmuv3"), so the
 * place is found by scoring every element against what the message names;
 * when nothing is named clearly enough, the diagnostic goes on the root
 * element, and the message is libvirt's in every case.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { parseXml } from '../xml/parser';
import { LineIndex } from '../xml/lineIndex';
import { walk } from '../xml/query';
import type { XmlAttribute, XmlElement } from '../xml/nodes';

/** The code of the diagnostic, documented in docs/rules.md. */
export const LIBVIRT_REFUSED = 'libvirt-refused';
/** Source of the diagnostic: the verdict is libvirt's, not one of our rules. */
export const LIBVIRT_SOURCE = 'libvirt';

/** Below this score an element is not named clearly enough; the root gets the diagnostic. */
const ENOUGH = 2;

interface Named {
  elements: Set<string>;
  attributes: Set<string>;
  quoted: Set<string>;
  words: Set<string>;
}

function namedIn(message: string): Named {
  const elements = new Set<string>();
  const attributes = new Set<string>();
  const quoted = new Set<string>();
  for (const m of message.matchAll(/element '([\w:.-]+)'|<([\w:.-]+)\/?>|element ([\w:.-]+)/g)) elements.add(m[1] ?? m[2] ?? m[3]);
  for (const m of message.matchAll(/attribute '([\w:.-]+)'/g)) attributes.add(m[1]);
  for (const m of message.matchAll(/'([^']+)'|"([^"]+)"/g)) quoted.add(m[1] ?? m[2]);
  const words = new Set((message.match(/[\w.:-]{3,}/g) ?? []).map((w) => w.replace(/[.:]+$/, '')));
  return { elements, attributes, quoted, words };
}

function score(el: XmlElement, named: Named): { score: number; attribute?: XmlAttribute } {
  let s = 0;
  if (named.elements.has(el.name)) s += 4;
  else if (el.name !== 'domain' && named.words.has(el.name)) s += 1;
  let best: { score: number; attribute?: XmlAttribute } = { score: 0 };
  for (const a of el.attributes) {
    let as = 0;
    if (named.attributes.has(a.name)) as += 3;
    else if (named.words.has(a.name)) as += 1;
    if (a.value !== undefined && a.value !== '') {
      if (named.quoted.has(a.value)) as += 3;
      else if (a.value.length >= 3 && named.words.has(a.value)) as += 2;
    }
    if (as > best.score) best = { score: as, attribute: a };
  }
  if (el.children.length === 0) {
    const text = el.texts
      .map((t) => t.value)
      .join('')
      .trim();
    if (text && named.quoted.has(text)) s += 2;
  }
  return { score: s + best.score, attribute: best.attribute };
}

/**
 * The element (and attribute) libvirt's message is most likely about:
 * the highest score, the first in the document on a tie; undefined when
 * nothing scores enough.
 */
export function locateRefusal(text: string, message: string): { start: number; end: number } | undefined {
  const xml = parseXml(text);
  const named = namedIn(message);
  let best: { score: number; el: XmlElement; attribute?: XmlAttribute } | undefined;
  walk(xml, (el) => {
    const s = score(el, named);
    if (s.score >= ENOUGH && (!best || s.score > best.score)) best = { score: s.score, el, attribute: s.attribute };
  });
  if (best) {
    const a = best.attribute;
    if (a) return { start: a.nameStart, end: a.valueEnd >= 0 ? a.valueEnd + (a.valueClosed ? 1 : 0) : a.nameEnd };
    return { start: best.el.nameStart, end: best.el.nameEnd };
  }
  const root = xml.roots[0];
  return root ? { start: root.nameStart, end: root.nameEnd } : undefined;
}

/** The diagnostic for libvirt's refusal: on the element it names, else the root, else the first character. */
export function refusalDiagnostic(text: string, detail: string, what = 'libvirt refuses this domain'): Diagnostic {
  const lines = new LineIndex(text);
  const at = locateRefusal(text, detail) ?? { start: 0, end: Math.min(1, text.length) };
  return {
    range: lines.range(at.start, at.end),
    severity: DiagnosticSeverity.Error,
    code: LIBVIRT_REFUSED,
    source: LIBVIRT_SOURCE,
    message: `${what}: ${detail}`,
  };
}
