/**
 * What libvirt's grammar allows at an element of the document: its child
 * elements, its attributes and their values, its text. Completion, hover and
 * the grammar quick fixes ask here.
 *
 * API (all synchronous, on a grammar already loaded by grammarSource.ts):
 *
 *   elementGrammar(model: RngModel, el: XmlElement, opts?: { ignore?: XmlAttribute }): ElementGrammar | undefined
 *     What the grammar allows inside `el`, given its ancestors and the
 *     attributes written on it and on them. Undefined when the grammar has no
 *     place for `el` there (a foreign root, a misspelt ancestor).
 *   grammarAt(model: RngModel, xml: XmlDocument, offset: number): { element: XmlElement; grammar: ElementGrammar } | undefined
 *     The same for the innermost element around an offset (for hovers).
 *   childGrammar(model: RngModel, child: ChildGrammar): ElementGrammar
 *     What a child offered by elementGrammar allows, before anything is written on it.
 *   rootGrammar(model: RngModel): readonly ChildGrammar[]
 *     The elements the grammar allows as the document element.
 *
 * ElementGrammar = {
 *   children:   ChildGrammar[]      name, required, repeatable (grammar order)
 *   attributes: AttributeGrammar[]  name, required, values (enumerated), kinds (typed: "an integer from 0 to 255"), hint
 *   text:       ValueSpace          values and kinds of the element's own text (`<type>hvm</type>`)
 *   openChildren, openAttributes    true when any name is allowed (metadata, ...)
 * }
 *
 * Choices follow the attributes written: in `<disk type='file'>` only the
 * grammar's branches that accept type='file' count, so `<source>` allows
 * `file` and not `dev`. An attribute is judged only by the branches that
 * declare it, so a branch is never dropped for an attribute it does not
 * mention.
 */
import type { XmlAttribute, XmlDocument, XmlElement } from '../xml/nodes';
import { attrValue, elementAt, textOf } from '../xml/query';
import { localName, mergeInto, spaceAccepts, type ElementPattern, type RngModel, type ValueSpace } from './rng';

export interface ChildGrammar {
  readonly name: string;
  /** Present on every path through the parent's content. */
  readonly required: boolean;
  /** May occur more than once. */
  readonly repeatable: boolean;
  readonly patterns: readonly ElementPattern[];
}

export interface AttributeGrammar extends ValueSpace {
  readonly name: string;
  readonly required: boolean;
  /** A short placeholder for a typed value ("KiB", "0-255", "name"), when the grammar says what kind. */
  readonly hint: string | undefined;
}

export interface ElementGrammar {
  readonly children: readonly ChildGrammar[];
  readonly attributes: readonly AttributeGrammar[];
  readonly text: ValueSpace;
  readonly openChildren: boolean;
  readonly openAttributes: boolean;
}

type Written = ReadonlyMap<string, string>;

/** One content walk's result before it is frozen. */
interface Acc {
  children: Map<string, { required: boolean; repeatable: boolean; patterns: ElementPattern[] }>;
  attributes: Map<string, { required: boolean; values: string[]; kinds: string[]; checks: ValueSpace['checks'][number][]; hint: string | undefined }>;
  text: { values: string[]; kinds: string[]; checks: ValueSpace['checks'][number][] };
  openChildren: boolean;
  openAttributes: boolean;
}

/** Results per grammar, pattern and written attributes: the same element is asked about on every keystroke. */
const contentCache = new WeakMap<RngModel, Map<string, ElementGrammar>>();
const patternIds = new WeakMap<ElementPattern, number>();
let nextPatternId = 0;
/** Attributes a node declares without entering an element, per grammar node. */
const shallowCache = new WeakMap<RngModel, Map<XmlElement, Map<string, ValueSpace>>>();

function idOf(p: ElementPattern): number {
  let id = patternIds.get(p);
  if (id === undefined) patternIds.set(p, (id = nextPatternId++));
  return id;
}

function writtenOf(el: XmlElement, ignore?: XmlAttribute): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of el.attributes) if (a !== ignore && a.value !== undefined) m.set(localName(a.name), a.value);
  return m;
}

/** The element patterns that can stand for `el`, following its ancestors and their written attributes. */
export function patternsOf(model: RngModel, el: XmlElement): ElementPattern[] {
  if (!el.parent) return model.rootPatterns(el.name).filter((p) => p.name !== undefined);
  const parents = patternsOf(model, el.parent);
  if (!parents.length) return [];
  const out: ElementPattern[] = [];
  const written = writtenOf(el.parent);
  for (const p of parents) {
    const g = content(model, p, written);
    for (const c of g.children) if (c.name === localName(el.name)) for (const cp of c.patterns) if (!out.includes(cp)) out.push(cp);
  }
  return out;
}

export function elementGrammar(model: RngModel, el: XmlElement, opts: { ignore?: XmlAttribute } = {}): ElementGrammar | undefined {
  const patterns = patternsOf(model, el);
  if (!patterns.length) return undefined;
  const written = writtenOf(el, opts.ignore);
  if (patterns.length === 1) return content(model, patterns[0], written);
  return mergeGrammars(patterns.map((p) => content(model, p, written)));
}

/** What the grammar allows inside a child element about to be written (no attributes yet): for snippets. */
export function childGrammar(model: RngModel, child: ChildGrammar): ElementGrammar {
  const none = new Map<string, string>();
  if (child.patterns.length === 1) return content(model, child.patterns[0], none);
  return mergeGrammars(child.patterns.map((p) => content(model, p, none)));
}

export function grammarAt(model: RngModel, xml: XmlDocument, offset: number): { element: XmlElement; grammar: ElementGrammar } | undefined {
  const element = elementAt(xml, offset);
  if (!element) return undefined;
  const grammar = elementGrammar(model, element);
  return grammar ? { element, grammar } : undefined;
}

export function rootGrammar(model: RngModel): readonly ChildGrammar[] {
  const seen = new Map<string, ElementPattern[]>();
  for (const p of model.startPatterns()) {
    if (p.name === undefined) continue;
    const list = seen.get(p.name) ?? [];
    list.push(p);
    seen.set(p.name, list);
  }
  return [...seen].map(([name, patterns]) => ({ name, required: true, repeatable: false, patterns }));
}

/** Several patterns for one element (rare): what any of them allows; required only when all require it. */
function mergeGrammars(list: ElementGrammar[]): ElementGrammar {
  const children = new Map<string, { name: string; required: boolean; repeatable: boolean; patterns: ElementPattern[] }>();
  const attributes = new Map<string, AttributeGrammar & { values: string[]; kinds: string[]; checks: ValueSpace['checks'][number][] }>();
  const text = { values: [] as string[], kinds: [] as string[], checks: [] as ValueSpace['checks'][number][] };
  for (const g of list) {
    for (const c of g.children) {
      const e = children.get(c.name);
      if (!e) children.set(c.name, { ...c, patterns: [...c.patterns], required: c.required && list.every((o) => o.children.some((x) => x.name === c.name && x.required)) });
      else {
        e.repeatable ||= c.repeatable;
        for (const p of c.patterns) if (!e.patterns.includes(p)) e.patterns.push(p);
      }
    }
    for (const a of g.attributes) {
      const e = attributes.get(a.name);
      if (!e)
        attributes.set(a.name, {
          ...a,
          values: [...a.values],
          kinds: [...a.kinds],
          checks: [...a.checks],
          required: list.every((o) => o.attributes.some((x) => x.name === a.name && x.required)),
        });
      else mergeInto(e, a);
    }
    mergeInto(text, g.text);
  }
  return {
    children: [...children.values()],
    attributes: [...attributes.values()],
    text,
    openChildren: list.some((g) => g.openChildren),
    openAttributes: list.some((g) => g.openAttributes),
  };
}

function content(model: RngModel, p: ElementPattern, written: Written): ElementGrammar {
  let cache = contentCache.get(model);
  if (!cache) contentCache.set(model, (cache = new Map()));
  let key = String(idOf(p));
  for (const [k, v] of [...written].sort((a, b) => (a[0] < b[0] ? -1 : 1))) key += `\u0000${k}=${v}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const acc = newAcc();
  new Walker(model, written, acc).walk(p.node.children, false, false, new Set());
  const g: ElementGrammar = {
    children: [...acc.children].map(([name, c]) => ({ name, ...c })),
    attributes: [...acc.attributes].map(([name, a]) => ({ name, ...a })),
    text: acc.text,
    openChildren: acc.openChildren,
    openAttributes: acc.openAttributes,
  };
  cache.set(key, g);
  return g;
}

function newAcc(): Acc {
  return { children: new Map(), attributes: new Map(), text: { values: [], kinds: [], checks: [] }, openChildren: false, openAttributes: false };
}

/** Adds `from` to `into`; `sequential`: both may occur together, so an element in both may occur twice. */
function joinInto(into: Acc, from: Acc, sequential: boolean): void {
  for (const [name, c] of from.children) {
    const e = into.children.get(name);
    if (!e) {
      into.children.set(name, { ...c, patterns: [...c.patterns] });
      continue;
    }
    e.required ||= c.required;
    e.repeatable ||= c.repeatable || sequential;
    for (const p of c.patterns) if (!e.patterns.includes(p)) e.patterns.push(p);
  }
  for (const [name, a] of from.attributes) {
    const e = into.attributes.get(name);
    if (!e) {
      into.attributes.set(name, { ...a, values: [...a.values], kinds: [...a.kinds], checks: [...a.checks] });
      continue;
    }
    e.required ||= a.required;
    mergeInto(e, a);
    e.hint ??= a.hint;
  }
  mergeInto(into.text, from.text);
  into.openChildren ||= from.openChildren;
  into.openAttributes ||= from.openAttributes;
}

class Walker {
  constructor(
    private readonly model: RngModel,
    private readonly written: Written,
    private readonly acc: Acc,
  ) {}

  walk(nodes: readonly XmlElement[], optional: boolean, repeat: boolean, refs: Set<string>): void {
    for (const c of nodes) {
      switch (c.name) {
        case 'element': {
          const cp = this.model.patternOf(c);
          if (cp.name === undefined) {
            this.acc.openChildren = true;
            break;
          }
          const e = this.acc.children.get(cp.name);
          if (!e) this.acc.children.set(cp.name, { required: !optional, repeatable: repeat, patterns: [cp] });
          else {
            e.required ||= !optional;
            e.repeatable = true; // named twice in one content: it may occur twice
            if (!e.patterns.includes(cp)) e.patterns.push(cp);
          }
          break;
        }
        case 'attribute':
          this.attribute(c, optional);
          break;
        case 'ref': {
          const n = attrValue(c, 'name');
          if (!n || refs.has(n)) break;
          const defs = this.model.definesNamed(n);
          refs.add(n);
          // Several defines of one name combine as a choice.
          if (defs.length > 1) this.choice(defs, optional, repeat, refs);
          else for (const d of defs) this.walk(d.children, optional, repeat, refs);
          refs.delete(n);
          break;
        }
        case 'optional':
          this.walk(c.children, true, repeat, refs);
          break;
        case 'zeroOrMore':
          this.walk(c.children, true, true, refs);
          break;
        case 'oneOrMore':
          this.walk(c.children, optional, true, refs);
          break;
        case 'choice':
          this.choice(c.children, optional, repeat, refs);
          break;
        case 'value':
        case 'data':
        case 'text':
        case 'list':
          mergeInto(this.acc.text, this.model.valuesOf([c]));
          break;
        case 'name':
        case 'anyName':
        case 'nsName':
        case 'except':
        case 'empty':
        case 'notAllowed':
          break;
        default:
          if (!c.name.includes(':')) this.walk(c.children, optional, repeat, refs); // group, interleave, mixed, div
      }
    }
  }

  /**
   * The alternatives that fit the attributes written; one left is as good as
   * no choice. Each alternative is walked on its own and the results joined:
   * an element named in two alternatives is still an element that occurs once.
   */
  private choice(alts: readonly XmlElement[], optional: boolean, repeat: boolean, refs: Set<string>): void {
    const all = alts.filter((a) => !a.name.includes(':'));
    const fitting = this.written.size ? all.filter((a) => this.fits(a, refs)) : all;
    const use = fitting.length ? fitting : all;
    if (use.length === 1) {
      this.walk(use, optional, repeat, refs);
      return;
    }
    const joined = newAcc();
    for (const a of use) {
      const one = newAcc();
      new Walker(this.model, this.written, one).walk([a], true, repeat, refs);
      joinInto(joined, one, false);
    }
    joinInto(this.acc, joined, true);
  }

  /** False when the alternative declares a written attribute but does not accept its value. */
  private fits(alt: XmlElement, refs: Set<string>): boolean {
    const declared = this.shallow(alt, new Set(refs));
    for (const [name, value] of this.written) {
      const space = declared.get(name);
      if (space && !spaceAccepts(space, value)) return false;
    }
    return true;
  }

  /** Attributes an alternative declares at its own level (through refs, not inside child elements). */
  private shallow(node: XmlElement, refs: Set<string>): Map<string, ValueSpace> {
    let cache = shallowCache.get(this.model);
    if (!cache) shallowCache.set(this.model, (cache = new Map()));
    const hit = cache.get(node);
    if (hit) return hit;
    const out = new Map<string, { values: string[]; kinds: string[]; checks: ValueSpace['checks'][number][] }>();
    const visit = (n: XmlElement) => {
      if (n.name === 'attribute') {
        const name = attributeName(n);
        if (name === undefined) return;
        const space = out.get(name) ?? { values: [], kinds: [], checks: [] };
        mergeInto(space, attributeSpace(this.model, n));
        out.set(name, space);
        return;
      }
      if (n.name === 'element' || n.name.includes(':')) return;
      if (n.name === 'ref') {
        const r = attrValue(n, 'name');
        if (!r || refs.has(r)) return;
        refs.add(r);
        for (const d of this.model.definesNamed(r)) for (const c of d.children) visit(c);
        return;
      }
      for (const c of n.children) visit(c);
    };
    visit(node);
    cache.set(node, out);
    return out;
  }

  private attribute(node: XmlElement, optional: boolean): void {
    const name = attributeName(node);
    if (name === undefined) {
      this.acc.openAttributes = true;
      return;
    }
    const space = attributeSpace(this.model, node);
    const e = this.acc.attributes.get(name);
    if (!e) this.acc.attributes.set(name, { required: !optional, values: [...space.values], kinds: [...space.kinds], checks: [...space.checks], hint: hintOf(this.model, node) });
    else {
      e.required ||= !optional;
      mergeInto(e, space);
      e.hint ??= hintOf(this.model, node);
    }
  }
}

function attributeName(node: XmlElement): string | undefined {
  const n = attrValue(node, 'name') ?? (node.children.find((x) => x.name === 'name') ? textOf(node.children.find((x) => x.name === 'name')) : undefined);
  return n === undefined ? undefined : localName(n.trim());
}

function attributeSpace(model: RngModel, node: XmlElement): ValueSpace {
  const vs = model.valuesOf(node.children);
  // An attribute without content is text of any kind.
  return vs.values.length || vs.kinds.length ? vs : { values: [], kinds: ['any text'], checks: [{ accepts: () => true }] };
}

/**
 * A placeholder for a typed attribute value, from the define it refers to
 * (libvirt names its types: unit, positiveInteger, uint8, ...) or the data
 * type and its bounds.
 */
function hintOf(model: RngModel, node: XmlElement): string | undefined {
  // A choice of types (a disk's file: absFilePath or vmwarePath) takes the first one with a placeholder.
  const refs = node.children.flatMap((c) => (c.name === 'ref' ? [c] : c.name === 'choice' ? c.children.filter((r) => r.name === 'ref') : []));
  const names = refs.map((r) => attrValue(r, 'name')).filter((n): n is string => !!n);
  const named = names.find((n) => NAMED_HINTS[n]);
  if (named) return NAMED_HINTS[named];
  const refName = names[0];
  const data = findData(model, node, new Set());
  if (!data) return refName;
  const type = attrValue(data, 'type') ?? '';
  const params = new Map(data.children.filter((p) => p.name === 'param').map((p) => [attrValue(p, 'name') ?? '', textOf(p)]));
  const lo = params.get('minInclusive'),
    hi = params.get('maxInclusive');
  if (lo !== undefined || hi !== undefined) return `${lo ?? ''}-${hi ?? ''}`;
  if (/int|Integer|long|short|byte/i.test(type)) return refName ?? 'number';
  return refName ?? (type && type !== 'string' ? type : undefined);
}

function findData(model: RngModel, node: XmlElement, refs: Set<string>): XmlElement | undefined {
  for (const c of node.children) {
    if (c.name === 'data') return c;
    if (c.name === 'ref') {
      const r = attrValue(c, 'name');
      if (!r || refs.has(r)) continue;
      refs.add(r);
      for (const d of model.definesNamed(r)) {
        const f = findData(model, d, refs);
        if (f) return f;
      }
    } else if (c.name === 'choice' || c.name === 'group') {
      const f = findData(model, c, refs);
      if (f) return f;
    }
  }
  return undefined;
}

/** Placeholders for libvirt's named value types whose patterns say little to a reader. */
const NAMED_HINTS: Readonly<Record<string, string>> = {
  unit: 'KiB',
  scaledInteger: '1024',
  positiveInteger: '1',
  unsignedInt: '0',
  unsignedLong: '0',
  uint8: '0-255',
  uint16: '0-65535',
  uint24: '0-16777215',
  uint32: '0-4294967295',
  UUID: '00000000-0000-0000-0000-000000000000',
  absFilePath: '/path/to/file',
  filePath: '/path/to/file',
  absDirPath: '/path/to/dir',
  dirPath: '/path/to/dir',
  deviceName: 'name',
  diskTarget: 'vda',
  macAddr: '52:54:00:00:00:00',
  uniMacAddr: '52:54:00:00:00:00',
  ipAddr: '192.168.122.1',
  ipv4Addr: '192.168.122.1',
  ipv6Addr: 'fe80::1',
  cpuset: '0-3',
  pciDomain: '0x0000',
  pciBus: '0x00',
  pciSlot: '0x00',
  pciFunc: '0x0',
  hexuint: '0x0',
  usbPort: '1',
  driveController: '0',
  driveBus: '0',
  driveUnit: '0',
  timeDelta: '0',
  wwn: '0x5000000000000000',
  vendor: 'vendor',
  product: 'product',
  virtioQueues: '1',
  genericName: 'name',
  objectName: 'name',
  port: '5900',
  portNumber: '5900',
  address: 'localhost',
};
