/**
 * A small reader of libvirt's RelaxNG grammar. It does not validate (libxml2
 * does); it answers the questions libxml2's messages leave open:
 * - which element patterns can stand for an element of the document, given
 *   the patterns of its parent (to re-validate one element on its own);
 * - which attributes a pattern allows, which values (enumerated or typed),
 *   which ones are required, which child elements it allows;
 * - the text of a pattern, to build a grammar whose start is that pattern.
 *
 * It reads domain.rng and every file it pulls in through <include href> and
 * <externalRef href>, staying inside the schema directory. libvirt's grammar
 * has no nested grammars, so one flat table of defines is enough.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseXml } from '../xml/parser';
import type { XmlElement } from '../xml/nodes';
import { attrValue, textOf } from '../xml/query';
import { TYPE_WORDS } from './typeWords';

export interface SchemaFile {
  /** Name relative to the schema directory, with '/' separators. */
  readonly name: string;
  readonly text: string;
  readonly root: XmlElement | undefined;
}

export interface ElementPattern {
  /** Local element name, or undefined for <anyName/> / <nsName/> patterns. */
  readonly name: string | undefined;
  readonly node: XmlElement;
  readonly file: SchemaFile;
}

export interface ValueSpace {
  /** Enumerated values, in schema order. */
  readonly values: readonly string[];
  /** Descriptions of non-enumerated alternatives ("an integer from 0 to 255"). */
  readonly kinds: readonly string[];
  /** The non-enumerated alternatives as tests, in the order of `kinds`. */
  readonly checks: readonly DataCheck[];
}

/**
 * One typed alternative of a value, checkable in JavaScript for the common
 * XML Schema types (integers with bounds, patterns, lengths). A type or a
 * pattern we cannot judge accepts everything: this only helps point at the
 * attribute libxml2 already rejected, it never adds a verdict of its own.
 */
export interface DataCheck {
  accepts(value: string): boolean;
}

export interface AttributeInfo extends ValueSpace {
  readonly name: string;
}

export interface PatternInfo {
  readonly attributes: ReadonlyMap<string, AttributeInfo>;
  /** Attributes required on every path through the pattern. */
  readonly requiredAttributes: ReadonlySet<string>;
  /** True when any attribute name is allowed (<attribute><anyName/>). */
  readonly openAttributes: boolean;
  readonly children: ReadonlyMap<string, readonly ElementPattern[]>;
  /** True when any child element is allowed (<element><anyName/>). */
  readonly openChildren: boolean;
  /** What the element's own text may be, when the pattern says. */
  readonly text: ValueSpace;
}

const RNG_NS_ATTRS = ['datatypeLibrary', 'ns'] as const;

/** Local part of a qualified name. */
export function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

export class RngModel {
  private readonly defines = new Map<string, XmlElement[]>();
  private readonly starts: XmlElement[] = [];
  private readonly patterns = new Map<XmlElement, ElementPattern>();
  private readonly fileOf = new Map<XmlElement, SchemaFile>();
  private readonly infoCache = new Map<ElementPattern, PatternInfo>();
  private readonly byName = new Map<string, ElementPattern[]>();
  private rootCache: ElementPattern[] | undefined;

  constructor(
    readonly files: readonly SchemaFile[],
    mainName: string,
  ) {
    const byFile = new Map(files.map((f) => [f.name, f]));
    const seen = new Set<string>();
    const visit = (f: SchemaFile | undefined, overridden: ReadonlySet<string>, withStart: boolean) => {
      if (!f?.root || seen.has(f.name)) return;
      seen.add(f.name);
      this.scanGrammar(f, f.root, overridden, withStart, byFile, visit);
    };
    visit(byFile.get(mainName), new Set(), true);
  }

  private scanGrammar(
    f: SchemaFile,
    grammar: XmlElement,
    overridden: ReadonlySet<string>,
    withStart: boolean,
    byFile: Map<string, SchemaFile>,
    visit: (f: SchemaFile | undefined, o: ReadonlySet<string>, s: boolean) => void,
  ): void {
    for (const c of grammar.children) {
      if (c.name === 'define') {
        const name = attrValue(c, 'name');
        if (!name || overridden.has(name)) continue;
        this.addDefine(name, c, f);
      } else if (c.name === 'start') {
        if (withStart) {
          this.starts.push(c);
          this.indexFile(c, f);
        }
      } else if (c.name === 'div') {
        this.scanGrammar(f, c, overridden, withStart, byFile, visit);
      } else if (c.name === 'include') {
        // Components given inside <include> replace the included file's ones of that name.
        const own = new Set(overridden);
        let ownStart = false;
        for (const o of c.children) {
          if (o.name === 'define') {
            const n = attrValue(o, 'name');
            if (n) {
              own.add(n);
              this.addDefine(n, o, f);
            }
          } else if (o.name === 'start') {
            ownStart = true;
            if (withStart) {
              this.starts.push(o);
              this.indexFile(o, f);
            }
          }
        }
        visit(byFile.get(resolveHref(f.name, attrValue(c, 'href'))), own, withStart && !ownStart);
      }
    }
  }

  private addDefine(name: string, node: XmlElement, f: SchemaFile): void {
    const list = this.defines.get(name) ?? [];
    list.push(node);
    this.defines.set(name, list);
    this.indexFile(node, f);
  }

  private indexFile(node: XmlElement, f: SchemaFile): void {
    this.fileOf.set(node, f);
  }

  /** The defines of that name (several combine as a choice). */
  definesNamed(name: string): readonly XmlElement[] {
    return this.defines.get(name) ?? [];
  }

  /** The pattern of an <element> node of the grammar. */
  patternOf(node: XmlElement): ElementPattern {
    return this.patternFor(node);
  }

  /** Values and typed alternatives of the content `nodes` (an attribute's, or an element's text). */
  valuesOf(nodes: readonly XmlElement[]): ValueSpace {
    return this.valueSpace(nodes);
  }

  private patternFor(node: XmlElement): ElementPattern {
    let p = this.patterns.get(node);
    if (p) return p;
    let file: SchemaFile | undefined;
    for (let e: XmlElement | undefined = node; e && !file; e = e.parent) file = this.fileOf.get(e);
    const nameAttr = attrValue(node, 'name');
    let name = nameAttr !== undefined ? localName(nameAttr.trim()) : undefined;
    if (name === undefined) {
      const nc = node.children.find((c) => c.name === 'name');
      if (nc) name = localName(textOf(nc));
    }
    p = { name, node, file: file ?? { name: '?', text: '', root: undefined } };
    this.patterns.set(node, p);
    if (name !== undefined) {
      const list = this.byName.get(name) ?? [];
      list.push(p);
      this.byName.set(name, list);
    }
    return p;
  }

  /** The element patterns the grammar's start allows as the document element, by name. */
  rootPatterns(name: string): ElementPattern[] {
    if (!this.rootCache) {
      const out: ElementPattern[] = [];
      for (const s of this.starts) this.collectElements(s, out, new Set());
      this.rootCache = out;
    }
    const local = localName(name);
    return this.rootCache.filter((p) => p.name === undefined || p.name === local);
  }

  /** Every element pattern the grammar's start allows as the document element. */
  startPatterns(): readonly ElementPattern[] {
    this.rootPatterns('');
    return this.rootCache ?? [];
  }

  /** Patterns for a child called `name` of an element matched by `parents` (none: not allowed there). */
  childPatterns(parents: readonly ElementPattern[], name: string): ElementPattern[] {
    const local = localName(name);
    const out = new Set<ElementPattern>();
    for (const p of parents) {
      const info = this.info(p);
      for (const c of info.children.get(local) ?? []) out.add(c);
    }
    return [...out];
  }

  /** Whether a parent matched by `parents` allows a child element of any name. */
  allowsAnyChild(parents: readonly ElementPattern[]): boolean {
    return parents.some((p) => this.info(p).openChildren);
  }

  /** Every element pattern of that name anywhere in the grammar. */
  patternsNamed(name: string): readonly ElementPattern[] {
    this.indexAll();
    return this.byName.get(localName(name)) ?? [];
  }

  private indexed = false;
  private indexAll(): void {
    if (this.indexed) return;
    this.indexed = true;
    const walkAll = (e: XmlElement) => {
      if (e.name === 'element') this.patternFor(e);
      for (const c of e.children) walkAll(c);
    };
    for (const list of this.defines.values()) for (const d of list) walkAll(d);
    for (const s of this.starts) walkAll(s);
  }

  /** Namespace URIs the grammar gives elements of that local name (from their own or inherited `ns`). */
  namespacesOf(name: string): string[] {
    const out: string[] = [];
    for (const p of this.patternsNamed(name)) {
      for (let e: XmlElement | undefined = p.node; e; e = e.parent) {
        const ns = attrValue(e, 'ns');
        if (ns === undefined) continue;
        if (ns && !out.includes(ns)) out.push(ns);
        break;
      }
    }
    return out;
  }

  /** True when any pattern of the grammar declares an attribute of that name. */
  knowsAttribute(name: string): boolean {
    this.indexAll();
    for (const list of this.byName.values()) for (const p of list) if (this.info(p).attributes.has(name)) return true;
    return false;
  }

  info(p: ElementPattern): PatternInfo {
    const cached = this.infoCache.get(p);
    if (cached) return cached;
    const attributes = new Map<string, MutableSpace>();
    const children = new Map<string, ElementPattern[]>();
    const text: MutableSpace = { values: [], kinds: [], checks: [] };
    let openAttributes = false,
      openChildren = false;
    const visited = new Set<string>();
    const walk = (node: XmlElement) => {
      for (const c of node.children) {
        switch (c.name) {
          case 'element': {
            const cp = this.patternFor(c);
            if (cp.name === undefined) {
              openChildren = true;
              break;
            }
            const list = children.get(cp.name) ?? [];
            if (!list.includes(cp)) list.push(cp);
            children.set(cp.name, list);
            break;
          }
          case 'attribute': {
            const n = attrValue(c, 'name') ?? (c.children.find((x) => x.name === 'name') ? textOf(c.children.find((x) => x.name === 'name')) : undefined);
            if (n === undefined) {
              openAttributes = true;
              break;
            }
            const local = localName(n.trim());
            const a = attributes.get(local) ?? { values: [], kinds: [], checks: [] };
            const vs = this.valueSpace(c.children);
            // An attribute without content is text of any kind.
            mergeInto(a, vs.values.length || vs.kinds.length ? vs : { values: [], kinds: ['any text'], checks: [ACCEPT_ALL] });
            attributes.set(local, a);
            break;
          }
          case 'ref': {
            const n = attrValue(c, 'name');
            if (!n || visited.has(n)) break;
            visited.add(n);
            for (const d of this.defines.get(n) ?? []) walk(d);
            break;
          }
          case 'value':
          case 'data': {
            mergeInto(text, this.valueSpace([c]));
            break;
          }
          case 'name':
          case 'anyName':
          case 'nsName':
          case 'except':
            break; // name classes and exceptions describe names or forbidden values, not content
          default:
            if (!c.name.includes(':')) walk(c); // structure: group, choice, optional, interleave, ...
        }
      }
    };
    walk(p.node);
    const info: PatternInfo = {
      attributes: new Map([...attributes].map(([k, v]) => [k, { name: k, ...v }])),
      requiredAttributes: this.requiredAttributes(p.node.children, new Set()),
      openAttributes,
      children,
      openChildren,
      text,
    };
    this.infoCache.set(p, info);
    return info;
  }

  /** Attributes present on every path through the content `nodes` (choice intersects, optional drops). */
  private requiredAttributes(nodes: readonly XmlElement[], visiting: Set<string>): Set<string> {
    const out = new Set<string>();
    const intersect = (alts: Set<string>[]): Set<string> => (alts.length ? alts.reduce((acc, r) => new Set([...acc].filter((x) => r.has(x)))) : new Set());
    for (const c of nodes) {
      let req: Set<string> = new Set();
      switch (c.name) {
        case 'attribute': {
          const n = attrValue(c, 'name');
          if (n) req = new Set([localName(n.trim())]);
          break;
        }
        case 'group':
        case 'interleave':
        case 'oneOrMore':
        case 'mixed':
          req = this.requiredAttributes(c.children, visiting);
          break;
        case 'choice':
          req = intersect(c.children.filter((a) => !a.name.includes(':')).map((a) => this.requiredAttributes([a], visiting)));
          break;
        case 'ref': {
          const n = attrValue(c, 'name');
          if (!n || visiting.has(n)) break;
          visiting.add(n);
          // Several defines of one name combine as a choice (libvirt uses combine="choice").
          req = intersect((this.defines.get(n) ?? []).map((d) => this.requiredAttributes(d.children, visiting)));
          visiting.delete(n);
          break;
        }
        default:
          break; // element, optional, zeroOrMore, empty, text, ... require no attribute
      }
      for (const r of req) out.add(r);
    }
    return out;
  }

  /** Values and typed alternatives of an attribute's content, or of value/data nodes of element content. */
  private valueSpace(nodes: readonly XmlElement[]): ValueSpace {
    const out = { values: [] as string[], kinds: [] as string[], checks: [] as DataCheck[] };
    const visited = new Set<string>();
    const kind = (k: string, check: DataCheck) => {
      if (out.kinds.includes(k)) return;
      out.kinds.push(k);
      out.checks.push(check);
    };
    const walk = (list: readonly XmlElement[], defineName: string | undefined) => {
      for (const c of list) {
        switch (c.name) {
          case 'value':
            pushUnique(out.values, textOf(c));
            break;
          case 'data':
            kind(describeData(c, defineName), dataCheck(c));
            break;
          case 'text':
            kind('any text', ACCEPT_ALL);
            break;
          case 'list':
            kind('a space-separated list', ACCEPT_ALL);
            break;
          case 'ref': {
            const name = attrValue(c, 'name');
            if (!name || visited.has(name)) break;
            visited.add(name);
            for (const d of this.defines.get(name) ?? []) walk(d.children, name);
            break;
          }
          case 'name':
          case 'anyName':
          case 'nsName':
          case 'except':
          case 'element':
          case 'attribute':
            break; // names, forbidden values and nested structure are not values of this content
          default:
            if (!c.name.includes(':')) walk(c.children, defineName);
        }
      }
    };
    walk(nodes, undefined);
    return out;
  }

  /** Collects the element patterns reachable from `node` without entering an element. */
  private collectElements(node: XmlElement, out: ElementPattern[], visited: Set<string>): void {
    for (const c of node.children) {
      if (c.name === 'element') {
        const p = this.patternFor(c);
        if (!out.includes(p)) out.push(p);
        continue;
      }
      if (c.name === 'attribute' || c.name.includes(':')) continue;
      if (c.name === 'ref') {
        const n = attrValue(c, 'name');
        if (!n || visited.has(n)) continue;
        visited.add(n);
        for (const d of this.defines.get(n) ?? []) this.collectElements(d, out, visited);
        continue;
      }
      this.collectElements(c, out, visited);
    }
  }

  /**
   * The pattern as standalone RelaxNG text for a wrapper grammar's <start>:
   * its own source, wrapped in a <group> that restates what it inherited from
   * its ancestors (datatypeLibrary, ns, namespace prefixes).
   */
  patternText(p: ElementPattern): string {
    const inherited = new Map<string, string>();
    for (let e: XmlElement | undefined = p.node.parent; e; e = e.parent) {
      for (const a of e.attributes) {
        const isNs = a.name.startsWith('xmlns:');
        if ((isNs || (RNG_NS_ATTRS as readonly string[]).includes(a.name)) && !inherited.has(a.name) && a.value !== undefined) {
          inherited.set(a.name, a.value);
        }
      }
    }
    if (!inherited.has('datatypeLibrary')) inherited.set('datatypeLibrary', '');
    const attrs = [...inherited].map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
    return `<group${attrs}>${p.file.text.slice(p.node.start, p.node.end)}</group>`;
  }
}

interface MutableSpace {
  values: string[];
  kinds: string[];
  checks: DataCheck[];
}

/** Adds b's alternatives to a (kinds and checks stay paired). */
export function mergeInto(a: MutableSpace, b: ValueSpace): void {
  for (const v of b.values) pushUnique(a.values, v);
  b.kinds.forEach((k, i) => {
    if (a.kinds.includes(k)) return;
    a.kinds.push(k);
    a.checks.push(b.checks[i] ?? ACCEPT_ALL);
  });
}

/** True when the value is one of the enumerated values or passes one typed alternative. */
export function spaceAccepts(space: ValueSpace, value: string): boolean {
  if (!space.values.length && !space.checks.length) return true;
  return space.values.includes(value) || space.checks.some((c) => c.accepts(value));
}

const ACCEPT_ALL: DataCheck = { accepts: () => true };

const INTEGER_BOUNDS: Record<string, [number, number]> = {
  int: [-2147483648, 2147483647],
  integer: [-Infinity, Infinity],
  long: [-Infinity, Infinity],
  short: [-32768, 32767],
  byte: [-128, 127],
  unsignedInt: [0, 4294967295],
  unsignedLong: [0, Infinity],
  unsignedShort: [0, 65535],
  unsignedByte: [0, 255],
  nonNegativeInteger: [0, Infinity],
  positiveInteger: [1, Infinity],
  negativeInteger: [-Infinity, -1],
  nonPositiveInteger: [-Infinity, 0],
};

/** A check for a <data> pattern; what it cannot judge, it accepts. */
export function dataCheck(data: XmlElement): DataCheck {
  const type = attrValue(data, 'type') ?? 'string';
  const params = new Map<string, string>();
  for (const p of data.children) if (p.name === 'param') params.set(attrValue(p, 'name') ?? '', textOf(p));
  const excluded: string[] = [];
  const collectExcluded = (e: XmlElement) => {
    for (const c of e.children)
      if (c.name === 'value') excluded.push(textOf(c));
      else collectExcluded(c);
  };
  for (const e of data.children) if (e.name === 'except') collectExcluded(e);
  let pattern: RegExp | undefined;
  const src = params.get('pattern');
  if (src !== undefined) {
    try {
      pattern = new RegExp(`^(?:${src})$`, 'u');
    } catch {
      return ACCEPT_ALL; // an XML Schema regex JavaScript cannot read
    }
  }
  const num = (k: string) => (params.has(k) ? Number(params.get(k)) : undefined);
  const minLength = num('minLength') ?? num('length'),
    maxLength = num('maxLength') ?? num('length');
  const bounds = INTEGER_BOUNDS[type];
  const lo = Math.max(bounds?.[0] ?? -Infinity, num('minInclusive') ?? -Infinity, (num('minExclusive') ?? -Infinity) + 1);
  const hi = Math.min(bounds?.[1] ?? Infinity, num('maxInclusive') ?? Infinity, (num('maxExclusive') ?? Infinity) - 1);
  const isString = ['string', 'token', 'normalizedString'].includes(type);
  if (!bounds && !isString) return ACCEPT_ALL; // anyURI, dateTime, ...: left to libxml2
  return {
    accepts(raw: string): boolean {
      const value = type === 'string' ? raw : raw.trim().replace(/\s+/g, ' ');
      if (excluded.includes(value)) return false;
      if (pattern && !pattern.test(value)) return false;
      if (isString) {
        const n = [...value].length;
        if (minLength !== undefined && n < minLength) return false;
        if (maxLength !== undefined && n > maxLength) return false;
        return true;
      }
      if (!/^[+-]?\d+$/.test(value)) return false;
      const n = Number(value);
      return n >= lo && n <= hi;
    },
  };
}

function pushUnique(list: string[], v: string): void {
  if (!list.includes(v)) list.push(v);
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

const INTEGER_TYPES: Record<string, string> = {
  int: 'an integer',
  integer: 'an integer',
  long: 'an integer',
  short: 'an integer',
  byte: 'an integer',
  unsignedInt: 'a non-negative integer',
  unsignedLong: 'a non-negative integer',
  unsignedShort: 'a non-negative integer',
  unsignedByte: 'a non-negative integer',
  nonNegativeInteger: 'a non-negative integer',
  positiveInteger: 'a positive integer',
  negativeInteger: 'a negative integer',
  nonPositiveInteger: 'a non-positive integer',
};

/** Words for a <data> pattern; long regular expressions give way to the name of the define holding them. */
export function describeData(data: XmlElement, defineName: string | undefined): string {
  const type = attrValue(data, 'type') ?? 'string';
  const params = new Map<string, string>();
  for (const p of data.children) if (p.name === 'param') params.set(attrValue(p, 'name') ?? '', textOf(p));
  const min = params.get('minInclusive'),
    max = params.get('maxInclusive');
  const pattern = params.get('pattern');
  if (INTEGER_TYPES[type]) {
    const [lo, hi] = INTEGER_BOUNDS[type] ?? [-Infinity, Infinity];
    const from = min ?? (Number.isFinite(lo) && Number.isFinite(hi) ? String(lo) : undefined);
    const to = max ?? (Number.isFinite(hi) && hi < 1e6 ? String(hi) : undefined);
    if (from !== undefined && to !== undefined) return `an integer from ${from} to ${to}`;
    if (min !== undefined) return `an integer of at least ${min}`;
    if (max !== undefined) return `an integer of at most ${max}`;
    return INTEGER_TYPES[type];
  }
  if (pattern !== undefined) {
    // libvirt's named types read better in words than as their regular expression.
    if (defineName && TYPE_WORDS[defineName]) return TYPE_WORDS[defineName];
    if (pattern.length <= 40) return `text matching ${pattern}`;
    return defineName ? `a ${defineName} value` : 'text in the form the schema defines';
  }
  const simple: Record<string, string> = {
    string: 'text',
    token: 'text',
    normalizedString: 'text',
    boolean: 'true or false',
    double: 'a number',
    float: 'a number',
    decimal: 'a number',
    anyURI: 'a URI',
    NCName: 'a name without colons',
    Name: 'a name',
    ID: 'an identifier',
    IDREF: 'an identifier',
    dateTime: 'a date and time',
  };
  const words = simple[type] ?? `a value of type ${type}`;
  const len = params.get('maxLength');
  return len ? `${words} of at most ${len} characters` : words;
}

/** Resolves an include href against the including file, refusing anything that leaves the schema directory. */
export function resolveHref(from: string, href: string | undefined): string {
  if (!href || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/')) return '';
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), href));
  return joined.startsWith('../') || joined === '..' ? '' : joined;
}

export interface LoadedSchema {
  readonly dir: string;
  readonly main: string;
  readonly files: readonly SchemaFile[];
  readonly model: RngModel;
  /** Files the grammar includes that are not there or not readable (a partial schema directory). */
  readonly missing: readonly string[];
  /** Files that are not well-formed XML or not a RelaxNG grammar (a broken schema directory). */
  readonly broken: readonly string[];
}

/** Reads `main` (domain.rng) and every file it includes, recursively, from `dir`. */
export async function loadSchema(dir: string, main = 'domain.rng'): Promise<LoadedSchema> {
  const files: SchemaFile[] = [];
  const missing: string[] = [];
  const broken: string[] = [];
  const queue = [main];
  const seen = new Set<string>();
  while (queue.length) {
    const name = queue.shift()!;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    let text: string;
    try {
      text = await readFile(path.join(dir, ...name.split('/')), 'utf8');
    } catch (e) {
      if (name === main) throw e;
      missing.push(name);
      continue;
    }
    const parsed = parseXml(text);
    const root = parsed.roots[0];
    if (parsed.problems.length || root?.name !== 'grammar') broken.push(name);
    files.push({ name, text, root });
    if (!root) continue;
    const stack = [root];
    while (stack.length) {
      const e = stack.pop()!;
      if (e.name === 'include' || e.name === 'externalRef') queue.push(resolveHref(name, attrValue(e, 'href')));
      for (const c of e.children) stack.push(c);
    }
  }
  return { dir, main, files, model: new RngModel(files, main), missing, broken };
}
