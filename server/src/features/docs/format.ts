/**
 * Turns the docs data (catalog.ts, elements.ts) into markdown, one way for
 * hover and completion alike: a bold title, the text, the facts a user
 * checks (values, dependencies), and the libvirt version last.
 */
import type { AttributeInfo, ControllerModelInfo, IommuModelInfo, ValueKind } from '../../domain/catalog';
import { IOMMU_MODELS, PROPOSAL_IOMMU_MODELS } from '../../domain/catalog';
import type { AttrDoc, ElementInfo } from './elements';
import { NESTED_LAYOUT_NOTE } from './elements';

export function sinceLine(since: string | undefined, confirmed?: boolean): string | undefined {
  if (!since) return undefined;
  return `_Since libvirt ${since}${confirmed === false ? ' (not confirmed)' : ''}._`;
}

function join(parts: ReadonlyArray<string | undefined>): string {
  return parts.filter((p): p is string => !!p).join('\n\n');
}

export function valueKindText(v: ValueKind): string | undefined {
  switch (v.kind) {
    case 'onoff': return 'Values: `on`, `off`.';
    case 'int': return `Values: an integer from ${v.min} to ${v.max}.`;
    case 'enum': return `Values: ${v.values.map((x) => `\`${x}\``).join(', ')}.`;
    case 'index': return 'Value: a PCI controller **index**.';
    case 'string': return undefined;
  }
}

/** The models of the catalog that take this driver attribute. */
function modelsWith(name: string): string[] {
  return Object.values(IOMMU_MODELS).filter((m) => m.attributes.includes(name)).map((m) => m.name);
}

/** Docs of an IOMMU `<driver>` attribute; `nested` adds the layout note (for accel and pciBus). */
export function iommuAttributeMarkdown(a: AttributeInfo): string {
  const deps: string[] = [];
  if (a.needsPciBus) deps.push('`pciBus` (the pluggable form)');
  if (a.accelOnly) deps.push('`accel=\'on\'`');
  const models = modelsWith(a.name);
  const nested = a.name === 'accel' || a.name === 'pciBus';
  return join([
    `**\`${a.name}\`** (IOMMU \`<driver>\` attribute${models.length ? ` of ${models.map((m) => `\`${m}\``).join(', ')}` : ''})`,
    a.doc,
    [valueKindText(a.value), deps.length ? `Needs ${deps.join(' and ')}.` : undefined].filter(Boolean).join(' ') || undefined,
    nested ? NESTED_LAYOUT_NOTE : undefined,
    a.since ? sinceLine(a.since, a.confirmed) : '_Proposed on the libvirt list; not in a released libvirt._',
  ]);
}

export function iommuModelMarkdown(m: IommuModelInfo, nested: boolean): string {
  return join([
    `**IOMMU model \`${m.name}\`** (${m.machines})`,
    m.doc,
    nested ? NESTED_LAYOUT_NOTE : undefined,
    sinceLine(m.since),
  ]);
}

/** Docs for a model value that only existed in proposals (nestedSmmuv3, smmuv3Dev). */
export function proposalModelMarkdown(name: string): string | undefined {
  const from = PROPOSAL_IOMMU_MODELS[name];
  if (!from) return undefined;
  return join([
    `**IOMMU model \`${name}\`** (not in released libvirt)`,
    `From ${from}. Released libvirt writes \`<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>\`, one per PCIe expander bus.`,
    NESTED_LAYOUT_NOTE,
  ]);
}

export function controllerModelMarkdown(c: ControllerModelInfo): string {
  return join([
    `**PCI controller model \`${c.name}\`**${c.modelName ? ` (QEMU \`${c.modelName}\`)` : ''}`,
    c.doc,
    c.name === 'pcie-expander-bus' ? NESTED_LAYOUT_NOTE : undefined,
    sinceLine(c.since),
  ]);
}

export function attrDocMarkdown(a: AttrDoc, owner: string, extra?: string): string {
  const values = a.values?.length ? `Values: ${a.values.map((v) => `\`${v.value}\``).join(', ')}.` : undefined;
  return join([`**\`${a.name}\`** (attribute of \`<${owner}>\`)`, a.doc, values, extra, sinceLine(a.since, a.sinceConfirmed)]);
}

export function elementMarkdown(e: ElementInfo, extra?: string): string {
  return join([`**\`<${e.name}>\`**`, e.doc, extra, sinceLine(e.since, e.sinceConfirmed)]);
}

export function markdown(value: string): { kind: 'markdown'; value: string } {
  return { kind: 'markdown', value };
}
