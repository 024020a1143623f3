/**
 * Words for schema issues: what is wrong, on the exact text, and what the
 * schema would accept instead (values, attributes, elements, with a "did you
 * mean" when one is close). Also the version view: when the local schema
 * rejects an attribute or element that a later libvirt accepts, the issue
 * becomes one `schema-newer-libvirt` warning instead of an error that our
 * own rules would contradict.
 */
import type { XmlElement } from '../xml/nodes';
import { closest } from '../xml/closestName';
import { textOf } from '../xml/query';
import type { Finding } from '../rules/types';
import type { SchemaInvalidData, SchemaNewerData } from '../rules/codes';
import { finding } from '../rules/report';
import { attributeNameSpan, elementNameSpan, elementTextSpan, valueSpan, type Span } from '../rules/spans';
import { IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS, LIBVIRT_RELEASE } from '../domain/catalog';
import { compareVersions } from '../domain/versions';
import { localName, type RngModel, type ValueSpace } from './rng';
import type { Issue, PatternsOf } from './localize';

export const SCHEMA_INVALID = 'schema-invalid' as const;
export const SCHEMA_NEWER_LIBVIRT = 'schema-newer-libvirt' as const;
export const SCHEMA_UNAVAILABLE = 'schema-unavailable' as const;

export interface MessageContext {
  readonly pats: PatternsOf;
  readonly model: RngModel;
  /** libvirt version of the schemas, when known. */
  readonly schemaVersion: string | undefined;
}

/** A range of the text to blank out before validating again, so that errors hidden behind newer syntax show. */
export interface Blank {
  readonly start: number;
  readonly end: number;
}

export interface Rendered {
  readonly findings: Finding[];
  /** Text of newer syntax, for the next validation pass. */
  readonly blanks: Blank[];
}

/**
 * Syntax newer than some schemas, beyond the catalog's driver attributes and
 * IOMMU models (see the project's nested-SMMUv3 reference, §4.4).
 */
const NEWER_ELEMENTS: Readonly<Record<string, { parent: string; since: string }>> = {
  iommufd: { parent: 'domain', since: LIBVIRT_RELEASE.domainIommufd },
};
/** Keyed `parent/element@attribute`. */
const NEWER_ATTRIBUTES: Readonly<Record<string, { since: string }>> = {
  'hostdev/driver@iommufd': { since: LIBVIRT_RELEASE.hostdevIommufd },
};
/** Several <iommu> elements (each smmuv3 with its own pciBus) came with pluggable SMMUv3. */
const MULTIPLE_IOMMU_SINCE = LIBVIRT_RELEASE.pluggableSmmuv3;

export function renderIssues(issues: readonly Issue[], ctx: MessageContext): Rendered {
  const findings: Finding[] = [];
  const blanks: Blank[] = [];
  for (const issue of issues) {
    const newer = newerSyntax(issue, ctx);
    if (newer) {
      findings.push(newer.finding);
      blanks.push(newer.blank);
    } else {
      findings.push(invalid(issue, ctx));
    }
  }
  return { findings: groupNewerAttributes(findings, ctx), blanks };
}

/**
 * A pluggable vSMMU on an older schema would otherwise get one warning per
 * attribute (pciBus, accel, ats, ril, ssidsize, oas): the same fact six
 * times. Attributes of one element introduced by the same release become one
 * warning spanning them.
 */
function groupNewerAttributes(findings: Finding[], ctx: MessageContext): Finding[] {
  const groups = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const f of findings) {
    const d = f.code === SCHEMA_NEWER_LIBVIRT ? f.data : undefined;
    if (d?.element === undefined || !d.attribute) {
      out.push(f);
      continue;
    }
    const key = `${d.element}@${d.since}`;
    const list = groups.get(key);
    if (list) list.push(f);
    else {
      groups.set(key, [f]);
      out.push(f);
    }
  }
  const installed = ctx.schemaVersion ? `the schema installed here (libvirt ${ctx.schemaVersion})` : 'the schema installed here';
  return out.map((f): Finding => {
    if (f.code !== SCHEMA_NEWER_LIBVIRT || !f.data) return f;
    const d = f.data;
    const list = d.element !== undefined ? groups.get(`${d.element}@${d.since}`) : undefined;
    if (!list || list.length < 2) return f;
    const names = list.map((x) => (x.code === SCHEMA_NEWER_LIBVIRT && x.data?.attribute) || '?');
    const joined = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    return {
      ...f,
      start: Math.min(...list.map((x) => x.start)),
      end: Math.max(...list.map((x) => x.end)),
      message: `${joined} need libvirt ${d.since}; ${installed} does not know them.`,
      data: { ...d, attributes: names },
    };
  });
}

/** The information finding for "no schemas here", on the root element's name. */
export function unavailableFinding(root: XmlElement | undefined, reason: string): Finding {
  return finding(SCHEMA_UNAVAILABLE, rootSpan(root), `Schema validation is off: ${reason}`);
}

/** The root element's name, or the start of a document that has none. */
export function rootSpan(root: XmlElement | undefined): Span {
  return root ? elementNameSpan(root) : { start: 0, end: 0 };
}

/** The one note that a schema source was passed over, and which grammar is used instead. */
export function passedOverFinding(root: XmlElement | undefined, notes: readonly string[], using: string): Finding {
  return finding(SCHEMA_UNAVAILABLE, rootSpan(root), `Schema source passed over: ${notes.join('; ')}. Using ${using} instead.`);
}

function tag(name: string): string {
  return `<${name}>`;
}

function quoteList(values: readonly string[], max = 12): string {
  const shown = values.slice(0, max).map((v) => (v === '' ? "''" : v));
  return shown.join(', ') + (values.length > max ? `, … (${values.length} in all)` : '');
}

function elementList(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map(tag);
  return shown.join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');
}

function describeSpace(space: ValueSpace): string {
  const parts: string[] = [];
  if (space.values.length) parts.push(space.values.length === 1 ? space.values[0] : `one of ${quoteList(space.values)}`);
  parts.push(...space.kinds);
  if (parts.length <= 1) return parts[0] ?? 'a different value';
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** `name` with the namespace prefix `like` carries (libvirt's extension elements share their parent's namespace). */
function withPrefixOf(like: string, name: string): string {
  const i = like.indexOf(':');
  return i < 0 || name.includes(':') ? name : `${like.slice(0, i + 1)}${name}`;
}

function invalid(issue: Issue, ctx: MessageContext): Finding {
  const { el, attr } = issue;
  // Names as written (with their prefix), so that the message matches the text.
  const name = el.name;
  const local = localName(el.name);
  const parent = el.parent?.name;
  const data: SchemaInvalidData = { libxml2: issue.raw.message };
  if (issue.raw.line !== undefined) data.line = issue.raw.line;
  const make = (range: Span, message: string, extra: Omit<SchemaInvalidData, 'libxml2'> = {}): Finding => finding(SCHEMA_INVALID, range, message, { data: { ...data, ...extra } });

  switch (issue.kind) {
    case 'attribute-value': {
      if (!attr) break;
      const space = ctx.pats.attributeSpace(el, attr.name) ?? { values: [], kinds: [], checks: [] };
      const value = attr.value ?? '';
      const range = valueSpan(attr);
      if (space.values.includes(value)) {
        return make(
          range,
          `${attr.name}='${value}' does not fit the rest of this ${tag(name)}: the libvirt schema accepts it only with other attributes or child elements than these.`,
          { attribute: attr.name },
        );
      }
      const guess = closest(value, space.values);
      return make(
        range,
        `'${value}' is not a valid ${attr.name} for ${tag(name)}; the libvirt schema expects ${describeSpace(space)}.${guess !== undefined ? ` Did you mean '${guess}'?` : ''}`,
        { attribute: attr.name, allowed: space.values, ...(guess !== undefined ? { suggestion: guess } : {}) },
      );
    }
    case 'attribute-unknown': {
      if (!attr) break;
      const names = ctx.pats.attributeNames(el);
      const guess = closest(attr.name, names);
      const allowed = names.length ? ` It allows ${quoteList(names)}.` : ' It allows no attributes here.';
      return make(attributeNameSpan(attr), `${tag(name)} has no attribute '${attr.name}' in the libvirt schema.${guess ? ` Did you mean '${guess}'?` : ''}${allowed}`, {
        attribute: attr.name,
        ...(guess ? { suggestion: guess } : {}),
      });
    }
    case 'attribute-missing':
      return make(elementNameSpan(el), `${tag(name)} needs the attribute '${issue.name}'.`, { attribute: issue.name, missing: true });
    case 'text-value': {
      const range = elementTextSpan(el);
      const text = textOf(el);
      const space = ctx.pats.textSpace(el);
      const expected = space.values.length || space.kinds.length ? describeSpace(space) : issue.name ? `a value of type ${issue.name}` : 'another value';
      if (text && space.values.includes(text) && el.parent) {
        // libxml2 blames a value the schema lists when the choice around it failed for
        // another reason (say, a relative <loader> path beside <type>hvm</type>): point at the
        // enclosing element instead of contradicting ourselves.
        const outer = localName(el.parent.name);
        return make(
          elementNameSpan(el.parent),
          `The libvirt schema does not accept this ${tag(outer)} as written: '${text}' in ${tag(name)} is fine, so another attribute or child of ${tag(outer)} does not fit (libxml2 reports it at ${tag(name)}).`,
        );
      }
      const guess = closest(text, space.values);
      return make(
        range,
        text
          ? `'${text}' is not valid content for ${tag(name)}; the libvirt schema expects ${expected}.${guess ? ` Did you mean '${guess}'?` : ''}`
          : `${tag(name)} must not be empty; the libvirt schema expects ${expected}.`,
      );
    }
    case 'child-unknown': {
      const siblings = (el.parent ? ctx.pats.childNames(el.parent) : []).map((n) => withPrefixOf(el.parent!.name, n));
      const guess = closest(name, siblings);
      const where = parent ? ` in ${tag(parent)}` : '';
      const hint = guess ? ` Did you mean ${tag(guess)}?` : siblings.length && siblings.length <= 12 ? ` It allows ${elementList(siblings)}.` : '';
      return make(elementNameSpan(el), `${tag(name)} is not allowed${where} by the libvirt schema.${hint}`, { element: local, ...(guess ? { suggestion: localName(guess) } : {}) });
    }
    case 'child-extra': {
      const same = el.parent ? el.parent.children.filter((c) => localName(c.name) === local) : [el];
      if (same.length > 1 && parent) {
        return make(elementNameSpan(el), `${tag(parent)} may contain only one ${tag(name)} in the libvirt schema; this is another one.`, { element: local });
      }
      return make(
        elementNameSpan(el),
        `${tag(name)} is not accepted at this place${parent ? ` in ${tag(parent)}` : ''}: the libvirt schema allows it only in another position or combination.`,
        { element: local },
      );
    }
    case 'child-missing':
      return make(elementNameSpan(el), `${tag(name)} is missing the required ${tag(withPrefixOf(name, issue.name ?? '?'))} element.`, { element: issue.name, missing: true });
    case 'child-unexpected':
      return make(
        elementNameSpan(el),
        `${parent ? `${tag(parent)} expects` : 'The libvirt schema expects'} ${tag(withPrefixOf(name, issue.name ?? '?'))} here, not ${tag(name)}.`,
        { element: issue.name },
      );
    case 'not-empty':
      return make(elementNameSpan(el), `${tag(name)} must be empty in the libvirt schema.`);
    case 'text-unexpected':
      return make(elementTextSpan(el), `${tag(name)} may not contain text in the libvirt schema.`);
    case 'namespace-undeclared': {
      const prefix = issue.name ?? name.slice(0, Math.max(0, name.indexOf(':')));
      const uris = ctx.model.namespacesOf(local).filter((u) => u.includes(`/${prefix}/`));
      const hint = uris.length === 1 ? ` (libvirt's ${prefix} namespace is ${uris[0]})` : '';
      return make(elementNameSpan(el), `The namespace prefix '${prefix}' of ${tag(name)} is not declared: add xmlns:${prefix}='…' to the root element${hint}.`);
    }
    case 'content':
      break;
  }
  return make(elementNameSpan(el), contentMessage(name, issue.raw.message));
}

/** The last resort: libxml2 gave no detail we can place; say so plainly, with its words for reference. */
function contentMessage(name: string, raw: string): string {
  if (/^Element \S+ failed to validate (content|attributes)$/.test(raw) || /interleave/.test(raw)) {
    return `The libvirt schema does not accept this ${tag(name)} as written: no form of ${tag(name)} it defines fits these attributes and child elements together.`;
  }
  return `The libvirt schema does not accept this ${tag(name)}: ${raw.replace(/^Relax-NG validity error : /, '')}.`;
}

interface NewerView {
  finding: Finding;
  blank: Blank;
}

/** The issue as "a later libvirt accepts this", when our knowledge says so. */
function newerSyntax(issue: Issue, ctx: MessageContext): NewerView | undefined {
  const { el, attr } = issue;
  const name = localName(el.name);
  const parent = el.parent ? localName(el.parent.name) : undefined;
  const isNewer = (since: string | undefined, known: () => boolean): boolean => {
    if (!since) return false;
    if (ctx.schemaVersion) return compareVersions(since, ctx.schemaVersion) > 0;
    return !known();
  };
  const installed = ctx.schemaVersion ? `the schema installed here (libvirt ${ctx.schemaVersion})` : 'the schema installed here';
  const attrBlank = (a: NonNullable<typeof attr>): Blank => ({ start: a.nameStart, end: a.valueStart >= 0 ? a.valueEnd + (a.valueClosed ? 1 : 0) : a.nameEnd });
  const view = (range: Span, blank: Blank, label: string, since: string, what: string, more: Partial<SchemaNewerData> = {}): NewerView => ({
    finding: finding(SCHEMA_NEWER_LIBVIRT, range, `${label} needs libvirt ${since}; ${installed} does not know ${what}.`, {
      data: { since, ...(ctx.schemaVersion ? { schemaVersion: ctx.schemaVersion } : {}), libxml2: issue.raw.message, ...more },
    }),
    blank,
  });

  if ((issue.kind === 'attribute-unknown' || issue.kind === 'attribute-value') && attr) {
    const an = localName(attr.name);
    // <iommu><driver pciBus=… accel=…/>: the catalog's driver attributes.
    const cat = name === 'driver' && parent === 'iommu' ? IOMMU_DRIVER_ATTRIBUTES[an] : undefined;
    const known = () => ctx.pats.knowsAttribute(el, an);
    if (cat?.since && issue.kind === 'attribute-unknown' && isNewer(cat.since, known)) {
      // Attributes of one <driver> that share a version are told in one message: see groupNewerAttributes.
      return view(attributeNameSpan(attr), attrBlank(attr), an, cat.since, 'it', { element: el.start, attribute: an });
    }
    const extra = NEWER_ATTRIBUTES[`${parent}/${name}@${an}`];
    if (extra && issue.kind === 'attribute-unknown' && isNewer(extra.since, known)) {
      return view(attributeNameSpan(attr), attrBlank(attr), `${an} on ${tag(parent ?? '')} ${tag(name)}`, extra.since, 'it');
    }
    // <iommu model='amd'>: a model newer than the schema.
    if (name === 'iommu' && an === 'model' && attr.value !== undefined) {
      const model = IOMMU_MODELS[attr.value];
      const listed = () => (ctx.pats.attributeSpace(el, 'model')?.values ?? []).includes(attr.value!);
      if (model && isNewer(model.since, listed)) {
        const range = valueSpan(attr);
        // The model attribute is required: blank the whole element so the rest can be checked.
        return view(range, { start: el.start, end: el.end }, `IOMMU model '${attr.value}'`, model.since, 'it');
      }
    }
  }
  if (issue.kind === 'child-unknown' || issue.kind === 'child-extra') {
    const extra = NEWER_ELEMENTS[name];
    if (extra && extra.parent === parent && isNewer(extra.since, () => (el.parent ? ctx.pats.allowsChild(el.parent, name) : false))) {
      return view(elementNameSpan(el), { start: el.start, end: el.end }, tag(name), extra.since, 'it');
    }
    if (name === 'iommu' && parent === 'devices' && issue.kind === 'child-extra') {
      const several = (el.parent?.children ?? []).filter((c) => localName(c.name) === 'iommu').length > 1;
      if (several && isNewer(MULTIPLE_IOMMU_SINCE, () => ctx.model.knowsAttribute('pciBus'))) {
        return view(elementNameSpan(el), { start: el.start, end: el.end }, `More than one ${tag('iommu')}`, MULTIPLE_IOMMU_SINCE, 'that');
      }
    }
  }
  return undefined;
}
