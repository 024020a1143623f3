/**
 * Completion from libvirt's grammar, for every place the catalog has no
 * special knowledge of: element names valid there, attribute names, their
 * values, and text with choices (`<type>hvm</type>`). completion.ts adds the
 * catalog's and the host's items first; items here are added after them and
 * never repeat a label already offered.
 *
 * Order within the grammar's items: what is required and missing first;
 * then what belongs between the elements around the cursor in libvirt's own
 * layout (domain/formatOrder.ts, else the grammar's order); then the rest.
 * An element that may occur once and is already there is not offered.
 */
import { CompletionItemKind } from 'vscode-languageserver-types';
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import type { RngModel } from '../schema/rng';
import { childGrammar, elementGrammar, rootGrammar, type AttributeGrammar, type ChildGrammar, type ElementGrammar } from '../schema/grammarQuery';
import { COMMON_ATTRIBUTES, COMMON_CHILDREN, COMMON_VALUES, FORMAT_ORDER } from '../domain/formatOrder';
import { isArmArch } from '../domain/machine';
import type { DomainModel } from '../domain/model';
import { describeAttribute, describeElement, pathOf } from './docs/docs';
import { linkLine } from './docs/format';
import type { Collector } from './completionItems';
import type { Layout } from './snippets';

/** `<features>` children only x86 guests have: offered last, and not at all on an ARM guest. */
const X86_ONLY_FEATURES = new Set([
  'apic',
  'pae',
  'hap',
  'viridian',
  'privnet',
  'hyperv',
  'vmport',
  'smm',
  'ioapic',
  'pic',
  'msrs',
  'tseg',
  'pvspinlock',
  'kvm',
  'xen',
  'sbbc',
  'ibs',
]);
/** Values of libvirt's `unit` type people write; the grammar only has a pattern for them. */
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'bytes'];
/** Snippet depth: required children of required children, no further. */
const MAX_DEPTH = 2;

/** The catalog's view on a child the grammar allows: keep, rank last, or leave out. */
function catalogVerdict(model: DomainModel, parent: XmlElement, child: string): 'keep' | 'drop' {
  if (parent.name === 'features' && X86_ONLY_FEATURES.has(child) && isArmArch(model.arch?.value)) return 'drop';
  return 'keep';
}

/** The grammar's children of `parent` in offering order, without once-only ones already written. */
export function rankedChildren(model: RngModel, domain: DomainModel, parent: XmlElement, typed: XmlElement | undefined, start: number, end: number): ChildGrammar[] {
  const g = elementGrammar(model, parent);
  if (!g) return [];
  const present = new Set(parent.children.filter((c) => c !== typed).map((c) => c.name));
  const offered = g.children.filter((c) => (c.repeatable || !present.has(c.name)) && catalogVerdict(domain, parent, c.name) === 'keep');
  const common = COMMON_CHILDREN[parent.name] ?? [];
  // libvirt's layout where known; else the usual children in their usual order, then the grammar's.
  const order = FORMAT_ORDER[parent.name] ?? [...common, ...g.children.map((c) => c.name).filter((n) => !common.includes(n))];
  const pos = (name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  let prev: XmlElement | undefined, next: XmlElement | undefined;
  for (const c of parent.children) {
    if (c === typed) continue;
    if (c.end <= start) prev = c;
    else if (c.start >= end && !next) next = c;
  }
  const lo = prev ? pos(prev.name) : -1;
  const hi = next ? pos(next.name) : order.length;
  const between = (c: ChildGrammar) => pos(c.name) >= lo && pos(c.name) <= hi && pos(c.name) < order.length;
  const isCommon = (c: ChildGrammar) => common.includes(c.name);
  // Required and missing; usual and in its place; usual; in its place; the rest.
  const score = (c: ChildGrammar) => (c.required && !present.has(c.name) ? 0 : between(c) && isCommon(c) ? 1 : isCommon(c) ? 2 : between(c) ? 3 : 4);
  const near = (c: ChildGrammar) => Math.min(Math.abs(pos(c.name) - lo), Math.abs(pos(c.name) - hi));
  return offered
    .map((c, i) => ({ c, i, s: score(c) }))
    .sort((a, b) => a.s - b.s || (a.s === 2 ? near(a.c) - near(b.c) : 0) || pos(a.c.name) - pos(b.c.name) || a.i - b.i)
    .map((x) => x.c);
}

/**
 * Element names (or whole elements when `fresh`) that the grammar allows
 * under `parent`. Returns every name the grammar has there, offered or not
 * (once-only and present, left out by the catalog), so that the caller does
 * not offer them from elsewhere.
 */
export function grammarElementItems(
  c: Collector,
  model: RngModel,
  parent: XmlElement,
  typed: XmlElement | undefined,
  range: { start: number; end: number; nameStart?: number; nameEnd?: number },
  fresh: boolean,
  l: Layout,
): ReadonlySet<string> {
  const known = new Set(elementGrammar(model, parent)?.children.map((ch) => ch.name) ?? []);
  for (const child of rankedChildren(model, c.model, parent, typed, range.start, range.end)) {
    if (c.has(child.name)) continue;
    const doc = describeElement([...pathOf(parent), child.name]);
    const docText = doc ? [doc.text, linkLine(doc.anchor)].filter(Boolean).join('\n\n') : undefined;
    if (fresh) {
      const s = elementSnippet(model, child, l);
      c.add(child.name, s.text, range.start, range.end, {
        kind: CompletionItemKind.Property,
        snippet: true,
        filterText: `<${child.name}`,
        doc: docText,
        detail: child.required ? 'required' : undefined,
        retrigger: s.retrigger,
      });
    } else if (range.nameStart !== undefined && range.nameEnd !== undefined) {
      c.add(child.name, child.name, range.nameStart, range.nameEnd, { kind: CompletionItemKind.Property, doc: docText });
    }
  }
  return known;
}

/** The document element: `<domain type='…'>` with what a domain cannot do without, as one snippet. */
export function rootItems(c: Collector, model: RngModel | undefined, start: number, end: number, l: Layout): void {
  const q = l.quote;
  const types = model ? rootGrammar(model).flatMap((r) => (r.name === 'domain' ? elementTypes(model, r) : [])) : [];
  const choice = types.length ? `\${1|${['kvm', 'qemu', ...types.filter((t) => t !== 'kvm' && t !== 'qemu')].map(escapeChoice).join(',')}|}` : '${1:kvm}';
  const u = l.unit;
  const text = [
    `<domain type=${q}${choice}${q}>`,
    `${u}<name>\${2:guest}</name>`,
    `${u}<memory unit=${q}GiB${q}>\${3:4}</memory>`,
    `${u}<vcpu>\${4:2}</vcpu>`,
    `${u}<os>`,
    `${u}${u}<type arch=${q}\${5|aarch64,x86_64|}${q}>hvm</type>`,
    `${u}</os>`,
    `${u}<devices>`,
    `${u}${u}$0`,
    `${u}</devices>`,
    `</domain>`,
  ].join('\n');
  c.add(
    'domain',
    text,
    start,
    end,
    {
      kind: CompletionItemKind.Snippet,
      snippet: true,
      filterText: '<domain',
      detail: 'a new libvirt domain',
      doc: 'A domain with a name, memory, vCPUs, the OS type and an empty device list: the least libvirt starts.',
    },
    'a',
  );
}

function elementTypes(model: RngModel, root: ChildGrammar): string[] {
  return (
    childGrammar(model, root)
      .attributes.find((a) => a.name === 'type')
      ?.values.slice() ?? []
  );
}

/** Attribute names the grammar allows on `el` and that are not written yet: required first, then the usual ones. */
export function grammarAttributeItems(
  c: Collector,
  model: RngModel,
  el: XmlElement,
  editing: XmlAttribute | undefined,
  start: number,
  end: number,
  hasValue: boolean,
  q: string,
): void {
  const g = elementGrammar(model, el, { ignore: editing });
  if (!g) return;
  const present = new Set(el.attributes.filter((a) => a !== editing).map((a) => a.name));
  const list = g.attributes.filter((a) => !present.has(a.name));
  // Required first; then those the grammar lists between the attributes around the cursor (libvirt writes them in that order).
  const order = g.attributes.map((a) => a.name);
  const written = el.attributes.filter((a) => a !== editing);
  const prev = [...written].reverse().find((a) => a.nameStart < start);
  const next = written.find((a) => a.nameStart >= end);
  const lo = prev ? order.indexOf(prev.name) : -1;
  const hi = next && order.includes(next.name) ? order.indexOf(next.name) : order.length;
  const between = (a: AttributeGrammar) => order.indexOf(a.name) > lo && order.indexOf(a.name) < hi;
  // The usual ones (COMMON_ATTRIBUTES) come right after the required ones.
  const usual = COMMON_ATTRIBUTES[`${el.parent?.name}/${el.name}`] ?? COMMON_ATTRIBUTES[el.name] ?? [];
  const isUsual = (a: AttributeGrammar) => usual.includes(a.name);
  const ordered = [
    ...list.filter((a) => a.required),
    ...usual.flatMap((n) => list.filter((a) => !a.required && a.name === n)),
    ...list.filter((a) => !a.required && !isUsual(a) && between(a)),
    ...list.filter((a) => !a.required && !isUsual(a) && !between(a)),
  ];
  const anchor = describeElement(pathOf(el))?.anchor;
  for (const a of ordered) {
    if (c.has(a.name)) continue;
    const text = describeAttribute(pathOf(el), a.name);
    const doc = text ? [text, linkLine(anchor)].filter(Boolean).join('\n\n') : undefined;
    const detail = [a.required ? 'required' : '', valuesLine(a)].filter(Boolean).join(' · ') || undefined;
    if (hasValue) c.add(a.name, a.name, start, end, { kind: CompletionItemKind.Field, doc, detail });
    else c.add(a.name, `${a.name}=${q}$1${q}`, start, end, { kind: CompletionItemKind.Field, snippet: true, doc, detail, retrigger: true });
  }
}

/** The enumerated values the grammar allows for an attribute as written (empty: typed or unknown). */
export function grammarValues(model: RngModel, el: XmlElement, attr: XmlAttribute): readonly string[] {
  return elementGrammar(model, el, { ignore: attr })?.attributes.find((x) => x.name === attr.name)?.values ?? [];
}

/** Values of an attribute from the grammar, following the other attributes written; typed values as a hint. */
export function grammarValueItems(c: Collector, model: RngModel, el: XmlElement, attr: XmlAttribute, start: number, end: number): void {
  const g = elementGrammar(model, el, { ignore: attr });
  const a = g?.attributes.find((x) => x.name === attr.name);
  if (!a) return;
  // A free-text value that one hypervisor driver narrows down (the QEMU driver takes only name='qemu' on a disk's <driver>).
  const values = a.values.length ? rankByUse(c, el, attr.name, a.values) : a.hint === 'KiB' ? UNITS : commonValues(el, attr.name);
  for (const v of values) {
    if (!c.has(v)) c.add(v, v, start, end, { kind: CompletionItemKind.EnumMember, detail: a.values.length ? undefined : a.kinds.join(' or ') });
  }
  hintItem(c, a, start, end);
}

/** Text content with choices (`<type>hvm</type>`, on/off, ...), and the kind of a typed text as a hint. */
export function grammarTextItems(c: Collector, model: RngModel, el: XmlElement, start: number, end: number): void {
  if (el.children.length) return;
  const g = elementGrammar(model, el);
  if (!g || g.children.length) return;
  for (const v of g.text.values) if (!c.has(v)) c.add(v, v, start, end, { kind: CompletionItemKind.EnumMember });
  if (!g.text.values.length && g.text.kinds.length && !g.text.kinds.includes('any text')) {
    const kinds = g.text.kinds.join(' or ');
    c.add(kinds, `\${1:}`, start, end, { kind: CompletionItemKind.Text, snippet: true, detail: 'what the grammar expects here', filterText: '' }, 'z');
  }
}

/** A placeholder item for a typed value: the hint, with what the grammar says about it. */
function hintItem(c: Collector, a: AttributeGrammar, start: number, end: number): void {
  if (a.values.length || !a.kinds.length || a.kinds.every((k) => k === 'any text')) return;
  const hint = a.hint ?? a.kinds[0];
  if (c.has(hint)) return;
  c.add(
    hint,
    `\${1:${escapeSnippet(hint)}}`,
    start,
    end,
    {
      kind: CompletionItemKind.Text,
      snippet: true,
      detail: a.kinds.join(' or '),
      filterText: hint,
    },
    'z',
  );
}

/**
 * Values already used for this attribute come first (documents repeat
 * themselves: on elements of the same name most, on any element a little
 * where the attribute means the same everywhere),
 * then the values people usually write (domain/formatOrder.ts), then the rest.
 */
function rankByUse(c: Collector, el: XmlElement, attr: string, values: readonly string[]): string[] {
  if (values.length <= 5) return [...values];
  const used = new Map<string, number>();
  const visit = (e: XmlElement) => {
    if (e !== el) {
      const v = e.attributes.find((x) => x.name === attr)?.value;
      // On another element only where the attribute means the same everywhere (unit='GiB'): a disk's type is not an interface's.
      if (v !== undefined && (e.name === el.name || !PER_ELEMENT_MEANING.has(attr))) used.set(v, (used.get(v) ?? 0) + (e.name === el.name ? 10 : 1));
    }
    for (const ch of e.children) visit(ch);
  };
  for (const r of c.ctx.doc.xml.roots) visit(r);
  const common = commonValues(el, attr);
  const rank = (v: string) => {
    const i = common.indexOf(v);
    return i < 0 ? common.length : i;
  };
  return [...values].sort((a, b) => (used.get(b) ?? 0) - (used.get(a) ?? 0) || rank(a) - rank(b));
}

/** Attributes whose values mean something different on each element that has them. */
const PER_ELEMENT_MEANING: ReadonlySet<string> = new Set(['type', 'model', 'mode', 'name', 'device']);

function commonValues(el: XmlElement, attr: string): readonly string[] {
  return COMMON_VALUES[`${el.parent?.name}/${el.name}@${attr}`] ?? COMMON_VALUES[`${el.name}@${attr}`] ?? [];
}

function valuesLine(a: AttributeGrammar): string {
  if (a.values.length) return a.values.length > 6 ? `${a.values.slice(0, 6).join(', ')}, …` : a.values.join(', ');
  return a.kinds.filter((k) => k !== 'any text').join(' or ');
}

/** A child element written whole: required attributes and children as tab stops. */
function elementSnippet(model: RngModel, child: ChildGrammar, l: Layout): { text: string; retrigger: boolean } {
  const stop = { n: 0 };
  const text = writeElement(model, child, l, '', 0, stop);
  // No required attribute: the first tab stop is in the start tag, where the attribute names are wanted.
  const g = childGrammar(model, child);
  const retrigger = !g.attributes.some((a) => a.required) && g.attributes.length > 0;
  return { text, retrigger };
}

function writeElement(model: RngModel, child: ChildGrammar, l: Layout, indent: string, depth: number, stop: { n: number }): string {
  const g: ElementGrammar = childGrammar(model, child);
  const q = l.quote;
  const required = g.attributes.filter((a) => a.required);
  let attrs = required.map((a) => ` ${a.name}=${q}${valuePlaceholder(a.values, a.hint, stop)}${q}`).join('');
  if (!required.length && g.attributes.length && depth === 0) attrs = ` $${++stop.n}`;
  const n = child.name;
  const kids = depth < MAX_DEPTH ? g.children.filter((k) => k.required) : [];
  if (kids.length) {
    const inner = kids.map((k) => `${l.indent}${indent}${l.unit}${writeElement(model, k, l, indent + l.unit, depth + 1, stop)}`).join('\n');
    return `<${n}${attrs}>\n${inner}\n${l.indent}${indent}</${n}>`;
  }
  // An element whose children are all optional and seldom written (a disk's <driver>, <source>, <address>) is
  // written empty, its attributes to fill; one that exists to hold children (<devices>, <cputune>) or usually
  // holds some (COMMON_CHILDREN) is opened.
  const usuallyEmpty = depth === 0 && g.attributes.length > 0 && !Object.prototype.hasOwnProperty.call(COMMON_CHILDREN, n);
  if ((g.children.length || g.openChildren) && !usuallyEmpty) {
    return depth === 0 ? `<${n}${attrs}>\n${l.indent}${indent}${l.unit}$0\n${l.indent}${indent}</${n}>` : `<${n}${attrs}></${n}>`;
  }
  const hasText = g.text.values.length || g.text.kinds.length;
  if (hasText) return `<${n}${attrs}>${valuePlaceholder(g.text.values, undefined, stop)}</${n}>`;
  return `<${n}${attrs}/>`;
}

function valuePlaceholder(values: readonly string[], hint: string | undefined, stop: { n: number }): string {
  if (values.length === 1) return escapeSnippet(values[0]);
  const i = ++stop.n;
  if (values.length > 1) return `\${${i}|${values.map(escapeChoice).join(',')}|}`;
  return hint ? `\${${i}:${escapeSnippet(hint)}}` : `$${i}`;
}

function escapeSnippet(s: string): string {
  return s.replace(/[\\$}]/g, (m) => `\\${m}`);
}

function escapeChoice(s: string): string {
  return s.replace(/[\\$}|,]/g, (m) => `\\${m}`);
}
