/**
 * Turns the docs data (catalog.ts, elementDocs.ts, attributeDocs.ts) into
 * markdown, one way for hover and completion alike: a bold title with the
 * one-line text, the facts a user checks (what the grammar allows,
 * dependencies), the libvirt release, and the link to libvirt's
 * documentation last.
 */
import type { AttributeInfo, ControllerModelInfo, IommuModelInfo, ValueKind } from '../../domain/catalog';
import { IOMMU_MODELS, PROPOSAL_IOMMU_MODELS } from '../../domain/catalog';
import { docLink } from './anchors';
import type { AttrDoc, ElementInfo } from './elements';

/**
 * What the grammar in use allows at a place, for the "Allowed" lines of a
 * hover. Each list is optional: an element hover shows `attributes` and
 * `children`, an attribute hover `values` and `kinds`.
 */
export interface GrammarFacts {
  /** Child element names, in grammar order. */
  readonly children?: readonly string[];
  /** Attribute names, in grammar order; `required` ones are marked. */
  readonly attributes?: readonly string[];
  readonly required?: ReadonlySet<string>;
  /** Enumerated values (of an attribute, or of the element's text). */
  readonly values?: readonly string[];
  /** Typed alternatives in words ("an integer from 0 to 255"). */
  readonly kinds?: readonly string[];
}

/**
 * The release line. `confirmed === false` marks a release we took from
 * libvirt's release notes without checking it against that release.
 */
export function sinceLine(since: string | undefined, confirmed?: boolean): string | undefined {
  if (!since) return undefined;
  return confirmed === false ? `_Since libvirt ${since}, as libvirt's release notes read (not tried on that release)._` : `_Since libvirt ${since}._`;
}

/** The link line to a section of libvirt's documentation (anchors.ts). */
export function linkLine(anchor: string | undefined): string | undefined {
  if (!anchor) return undefined;
  const url = docLink(anchor);
  return `[libvirt docs: ${anchor.slice(anchor.indexOf('#') + 1)}](${url})`;
}

function join(parts: ReadonlyArray<string | undefined>): string {
  return parts.filter((p): p is string => !!p).join('\n\n');
}

const code = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

/** At most `max` names, then "and N more": a hover stays short on elements with dozens of children. */
function capped(names: readonly string[], max: number): string {
  return names.length <= max ? code(names) : `${code(names.slice(0, max))} and ${names.length - max} more`;
}

/** The "Allowed" lines of a hover from what the grammar says. */
export function grammarLines(g: GrammarFacts | undefined): string | undefined {
  if (!g) return undefined;
  const lines: string[] = [];
  if (g.attributes?.length) {
    const req = g.attributes.filter((a) => g.required?.has(a));
    const opt = g.attributes.filter((a) => !g.required?.has(a));
    lines.push(`Attributes: ${[req.length ? `${code(req)} (required)` : '', opt.length ? capped(opt, 12) : ''].filter(Boolean).join(', ')}.`);
  }
  if (g.children?.length) lines.push(`Children: ${capped(g.children, 16)}.`);
  const values = [...(g.values ?? []).map((v) => `\`${v}\``), ...(g.kinds ?? [])];
  // An element's values are those of its text; an attribute's, its own.
  const label = g.attributes || g.children ? 'Text' : 'Values';
  if (values.length) lines.push(`${label}: ${values.length > 24 ? `${values.slice(0, 24).join(', ')} and ${values.length - 24} more` : values.join(', ')}.`);
  // Two spaces before the newline: a markdown line break, so each fact keeps its own line.
  return lines.length ? lines.join('  \n') : undefined;
}

export function valueKindText(v: ValueKind): string | undefined {
  switch (v.kind) {
    case 'onoff':
      return 'Values: `on`, `off`.';
    case 'int':
      return `Values: an integer from ${v.min} to ${v.max}.`;
    case 'enum':
      return `Values: ${v.values.map((x) => `\`${x}\``).join(', ')}.`;
    case 'index':
      return 'Value: a PCI controller **index**.';
    case 'string':
      return undefined;
  }
}

/** The one place that explains the nested-SMMU layout is the `<iommu>` hover; the related items point there. */
export const NESTED_LAYOUT_POINTER = 'Why one expander per vSMMU, and what that costs: see the hover on `<iommu>`.';

/** The models of the catalog that take this driver attribute. */
function modelsWith(name: string): string[] {
  return Object.values(IOMMU_MODELS)
    .filter((m) => m.attributes.includes(name))
    .map((m) => m.name);
}

/** Docs of an IOMMU `<driver>` attribute. */
export function iommuAttributeMarkdown(a: AttributeInfo): string {
  const deps: string[] = [];
  if (a.needsPciBus) deps.push('`pciBus` (the pluggable form)');
  if (a.accelOnly) deps.push("`accel='on'`");
  const models = modelsWith(a.name);
  const nested = a.name === 'accel' || a.name === 'pciBus';
  return join([
    `**\`${a.name}\`** (IOMMU \`<driver>\` attribute${models.length ? ` of ${code(models)}` : ''})`,
    a.doc,
    [valueKindText(a.value), deps.length ? `Needs ${deps.join(' and ')}.` : undefined].filter(Boolean).join(' ') || undefined,
    nested ? NESTED_LAYOUT_POINTER : undefined,
    a.since ? sinceLine(a.since, a.confirmed) : '_Proposed on the libvirt list; not in a released libvirt._',
    linkLine('iommu-devices'),
  ]);
}

/** Docs of an IOMMU model value; `nested` (smmuv3 in the pluggable or accelerated form) points at the layout note. */
export function iommuModelMarkdown(m: IommuModelInfo, nested: boolean): string {
  return join([`**IOMMU model \`${m.name}\`** (${m.machines})`, m.doc, nested ? NESTED_LAYOUT_POINTER : undefined, sinceLine(m.since), linkLine('iommu-devices')]);
}

/** Docs for a model value that only existed in proposals (nestedSmmuv3, smmuv3Dev). */
export function proposalModelMarkdown(name: string): string | undefined {
  const from = PROPOSAL_IOMMU_MODELS[name];
  if (!from) return undefined;
  return join([
    `**IOMMU model \`${name}\`** (not in released libvirt)`,
    `From ${from}. Released libvirt writes \`<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>\`, one per PCIe expander bus.`,
    NESTED_LAYOUT_POINTER,
    linkLine('iommu-devices'),
  ]);
}

export function controllerModelMarkdown(c: ControllerModelInfo): string {
  return join([
    `**PCI controller model \`${c.name}\`**${c.modelName ? ` (QEMU \`${c.modelName}\`)` : ''}`,
    c.doc,
    c.name === 'pcie-expander-bus' ? NESTED_LAYOUT_POINTER : undefined,
    sinceLine(c.since),
    linkLine('controllers'),
  ]);
}

/** An attribute: title, what it does, its values (from the grammar when given, else the table), extra facts, release, link. */
export function attrDocMarkdown(a: AttrDoc, owner: string, extra?: string, grammar?: GrammarFacts, anchor?: string): string {
  const values = grammar ? grammarLines(grammar) : a.values?.length ? `Values: ${code(a.values.map((v) => v.value))}.` : undefined;
  return join([`**\`${a.name}\`** (attribute of \`<${owner}>\`)`, a.doc, values, extra, sinceLine(a.since, a.sinceConfirmed), linkLine(anchor)]);
}

/** An element: title, what it is, extra facts about this one, what the grammar allows in it, release, link. */
export function elementMarkdown(e: ElementInfo, extra?: string, grammar?: GrammarFacts, anchor?: string): string {
  return join([`**\`<${e.name}>\`**`, e.doc, extra, grammarLines(grammar), sinceLine(e.since, e.sinceConfirmed), linkLine(anchor)]);
}

export function markdown(value: string): { kind: 'markdown'; value: string } {
  return { kind: 'markdown', value };
}
