/**
 * Hover: what an element, attribute or value means (docs as data in
 * docs/elementDocs.ts, docs/attributeDocs.ts and domain/catalog.ts, with a
 * link to libvirt's documentation), and what it refers to in this document
 * and on the host: the expander a `pciBus` selects and what sits below it,
 * the host device behind a hostdev's source address, the devices behind a
 * host SMMU name.
 *
 * Every result is markdown with the exact range of the hovered word or value.
 */
import { formatNodeset, GRACE_GI_CELLS_PER_GPU, guestCells, parseNodeset } from '../domain/numa';
import type { Hover } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attrAt, attrValue, elementAt, inStartTag } from '../xml/query';
import type { Controller, DomainModel } from '../domain/model';
import { bdfOf, parseLibvirtInt, readPciAddress } from '../domain/model';
import { busNumbersBelow } from '../domain/allocate';
import { chainOf, isExpander, isRoot, pciBusOf, pluggedInto } from '../domain/topology';
import { ATTRIBUTE_MISSPELLINGS, IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS, PCI_CONTROLLER_MODELS } from '../domain/catalog';
import { describeDevice, findDevice, iommuOfDevice } from '../host/queries';
import type { HostTopology } from '../host/types';
import { keyOf, lastSegment } from './completionContext';
import { ATTRIBUTES, ELEMENTS, type ElementInfo } from './docs/elements';
import { NESTED_LAYOUT_NOTE } from './docs/elementDocs';
import { describeAttribute, describeElement, pathOf } from './docs/docs';
import { elementGrammar } from '../schema/grammarQuery';
import {
  attrDocMarkdown,
  controllerModelMarkdown,
  elementMarkdown,
  type GrammarFacts,
  iommuAttributeMarkdown,
  iommuModelMarkdown,
  linkLine,
  markdown,
  NESTED_LAYOUT_POINTER,
  proposalModelMarkdown,
} from './docs/format';
import { hostDeviceMarkdown, smmuMarkdown } from './hostInfo';

export function hover(ctx: FeatureContext, offset: number): Hover | null {
  const text = ctx.doc.text;
  const smmu = smmuTokenAt(text, offset);
  if (smmu) return result(ctx, smmuMarkdown(ctx.host, smmu.name), smmu.start, smmu.end);

  const el = elementAt(ctx.doc.xml, offset);
  if (!el) return null;
  if (offset >= el.nameStart && offset <= el.nameEnd) return result(ctx, elementDoc(ctx, el), el.nameStart, el.nameEnd);
  if (el.endTagStart >= 0) {
    const nameStart = el.endTagStart + 2;
    if (offset >= nameStart && offset <= nameStart + el.name.length) return result(ctx, elementDoc(ctx, el), nameStart, nameStart + el.name.length);
  }
  if (!inStartTag(el, offset)) return null;
  const hit = attrAt(el, offset);
  if (!hit) return null;
  const a = hit.attr;
  if (hit.part === 'name') return result(ctx, attributeDoc(ctx, el, a), a.nameStart, a.nameEnd);
  return result(ctx, valueDoc(ctx, el, a), a.valueStart, a.valueEnd);
}

function result(ctx: FeatureContext, value: string | undefined, start: number, end: number): Hover | null {
  if (!value) return null;
  return { contents: markdown(value), range: ctx.doc.lines.range(start, end) };
}

/** A host SMMU name (`smmu3.0x…`) under the cursor, in text, attribute values or comments alike. */
function smmuTokenAt(text: string, offset: number): { name: string; start: number; end: number } | undefined {
  const isTok = (c: string | undefined): boolean => !!c && /[A-Za-z0-9._]/.test(c);
  let start = offset,
    end = offset;
  while (start > 0 && isTok(text[start - 1])) start--;
  while (end < text.length && isTok(text[end])) end++;
  const name = text.slice(start, end).replace(/\.+$/, '');
  if (!/^smmu3\.0x[0-9a-fA-F]*$/.test(name)) return undefined;
  return { name, start, end: start + name.length };
}

// ---------------------------------------------------------------- elements

function elementDoc(ctx: FeatureContext, el: XmlElement): string | undefined {
  const key = keyOf(el);
  const m = ctx.doc.domain;
  if (key === 'hostdev/source/address') return hostDeviceMarkdown(ctx.host, bdfOf(readPciAddress(el)));
  const doc = describeElement(pathOf(el));
  if (key === 'controller') {
    const info = PCI_CONTROLLER_MODELS[attrValue(el, 'model') ?? ''];
    if (attrValue(el, 'type') === 'pci' && info) return controllerModelMarkdown(info);
  }
  if (!doc) return undefined;
  // The release, where the completion table (ELEMENTS) or the docs row knows it (both read LIBVIRT_RELEASE).
  const known = ELEMENTS[key]?.info;
  const info: ElementInfo = { name: el.name, shape: known?.shape ?? 'empty', doc: doc.text, since: known?.since ?? doc.since, sinceConfirmed: known?.sinceConfirmed };
  const facts = grammarFacts(ctx, el);
  if (key === 'iommu') {
    const summary = iommuSummary(ctx, el);
    // An accelerated or pluggable vSMMU: what this one is and the layout note replace the generic text
    // (and the release of <iommu> itself, which says nothing about this form).
    if (summary?.nested) return join([`**\`<${el.name}>\`** — ${summary.text}`, NESTED_LAYOUT_NOTE, linkLine(doc.anchor)]);
    return elementMarkdown(info, summary?.text, facts, doc.anchor);
  }
  if (el.name === 'nestedSmmuv3') return elementMarkdown(info, NESTED_LAYOUT_POINTER, undefined, doc.anchor);
  if (key === 'iommu/driver') {
    const model = attrValue(el.parent, 'model');
    const names = model ? IOMMU_MODELS[model]?.attributes : undefined;
    const extra = names
      ? names.length
        ? `Attributes for \`${model}\`: ${names.map((n) => `\`${n}\``).join(', ')}.`
        : `The \`${model}\` model takes no driver attributes.`
      : undefined;
    return elementMarkdown(info, extra, names ? undefined : facts, doc.anchor);
  }
  if (key === 'controller/target/node') {
    const id = parseLibvirtInt(el.texts.map((t) => t.value).join(''));
    const cell = m.numaCells.find((c) => c.id === id);
    const extra = Number.isFinite(id)
      ? cell
        ? `Guest NUMA cell ${id}${attrValue(cell.el, 'cpus') ? ` (cpus ${attrValue(cell.el, 'cpus')})` : ''}.`
        : `No guest NUMA cell has id ${id}.`
      : undefined;
    return elementMarkdown(info, extra, facts, doc.anchor);
  }
  if (!el.parent) return elementMarkdown(info, grammarLine(ctx), facts, doc.anchor);
  return elementMarkdown(info, undefined, facts, doc.anchor);
}

function join(parts: ReadonlyArray<string | undefined>): string {
  return parts.filter((p): p is string => !!p).join('\n\n');
}

/**
 * What the grammar in use allows in this element (its attributes, children
 * and text values), or for attribute `attr` (its values). Choices follow the
 * attributes written (`<disk type='file'>` allows `<source file>`), except
 * the hovered attribute itself, whose every value is listed. Undefined while
 * no grammar is loaded, or where the grammar has no place for the element.
 */
function grammarFacts(ctx: FeatureContext, el: XmlElement, attr?: XmlAttribute): GrammarFacts | undefined {
  const model = ctx.grammar?.loaded.model;
  if (!model) return undefined;
  const g = elementGrammar(model, el, attr ? { ignore: attr } : {});
  if (!g) return undefined;
  if (attr) {
    const a = g.attributes.find((x) => x.name === attr.name);
    return a && (a.values.length || a.kinds.length) ? { values: a.values, kinds: a.kinds } : undefined;
  }
  return {
    attributes: g.attributes.map((a) => a.name),
    required: new Set(g.attributes.filter((a) => a.required).map((a) => a.name)),
    children: g.children.map((c) => c.name),
    values: g.text.values,
    kinds: g.text.kinds,
  };
}

/** The root element's line on the grammar in use: which libvirt release, from where. */
function grammarLine(ctx: FeatureContext): string {
  return ctx.grammar ? `Grammar: ${ctx.grammar.description}.` : 'Grammar: none loaded (yet); what is allowed where is not shown.';
}

/**
 * One line on what this `<iommu>` is: model, form (integrated / pluggable on
 * which bus), acceleration. `nested` is set for a pluggable or accelerated
 * SMMUv3, the hover that carries the layout note.
 */
function iommuSummary(ctx: FeatureContext, el: XmlElement): { text: string; nested: boolean } | undefined {
  const m = ctx.doc.domain;
  const iommu = m.iommus.find((i) => i.el === el);
  const model = attrValue(el, 'model');
  if (!iommu || !model) return undefined;
  if (model !== 'smmuv3') return IOMMU_MODELS[model] ? { text: `This one: \`${model}\`, ${IOMMU_MODELS[model].machines}.`, nested: false } : undefined;
  const bus = pciBusOf(iommu);
  const accel = attrValue(iommu.driver, 'accel') === 'on';
  if (bus === undefined) return { text: 'This one: the machine-integrated SMMUv3 of the `virt` board (no `pciBus`).', nested: accel };
  const ctrl = Number.isFinite(bus) ? m.pciControllers.get(bus) : undefined;
  const where = ctrl ? `controller index ${bus} (\`${ctrl.model?.value ?? 'pci'}\`)` : `controller index ${bus}, which does not exist`;
  return { text: `A pluggable SMMUv3 on ${where}${accel ? ', accelerated by the host SMMU of the devices below it' : ', emulated'}.`, nested: true };
}

// ---------------------------------------------------------------- attributes

/** Docs of attribute `name` of `el`: the completion table's entry (values, release) where it has one, the docs tables otherwise. */
function tableDoc(ctx: FeatureContext, el: XmlElement, key: string, attr: XmlAttribute, extra?: string): string | undefined {
  const name = attr.name;
  const path = pathOf(el);
  const anchor = describeElement(path)?.anchor;
  const facts = grammarFacts(ctx, el, attr);
  const table = ATTRIBUTES[key] ?? ATTRIBUTES[lastSegment(key)] ?? [];
  const a = table.find((x) => x.name === name);
  if (a) return attrDocMarkdown(a, el.name, extra, facts, anchor);
  const text = describeAttribute(path, name);
  return text ? attrDocMarkdown({ name, doc: text }, el.name, extra, facts, anchor) : undefined;
}

function iommuDriverAttrDoc(el: XmlElement, name: string): string | undefined {
  const model = attrValue(el.parent, 'model');
  const info = IOMMU_DRIVER_ATTRIBUTES[name];
  if (!info) {
    const fix = ATTRIBUTE_MISSPELLINGS[name];
    if (!fix) return undefined;
    const canonical = IOMMU_DRIVER_ATTRIBUTES[fix.canonical];
    const head = `**\`${name}\`** is not an attribute released libvirt accepts: write \`${fix.canonical}\` (${fix.why}).`;
    return canonical ? `${head}\n\n---\n\n${iommuAttributeMarkdown(canonical)}` : head;
  }
  const doc = iommuAttributeMarkdown(info);
  const modelInfo = model ? IOMMU_MODELS[model] : undefined;
  if (modelInfo && !modelInfo.attributes.includes(name)) return `${doc}\n\n**Not valid for model \`${model}\`.**`;
  return doc;
}

function attributeDoc(ctx: FeatureContext, el: XmlElement, a: XmlAttribute): string | undefined {
  const key = keyOf(el);
  if (key === 'iommu/driver') return iommuDriverAttrDoc(el, a.name);
  if (key === 'hostdev/source/address') return hostDeviceMarkdown(ctx.host, bdfOf(readPciAddress(el)));
  const extra =
    key === 'controller/target' && a.name === 'busNr'
      ? busNrRange(ctx.doc.domain, el.parent)
      : key === 'hostdev/acpi' && a.name === 'nodeset'
        ? genericInitiatorFacts(ctx.doc.domain, a.value)
        : undefined;
  return tableDoc(ctx, el, key, a, extra);
}

/**
 * What `<acpi nodeset>` does (one QEMU acpi-generic-initiator per cell) and
 * what the named cells are in this domain.
 */
function genericInitiatorFacts(m: DomainModel, value: string | undefined): string {
  const what = `Each cell becomes an ACPI Generic Initiator for this device (QEMU \`acpi-generic-initiator\`): on Grace, memory-less, CPU-less cells that stand for the GPU's memory partitions, ${GRACE_GI_CELLS_PER_GPU} per GPU in QEMU's documentation.`;
  const nodes = parseNodeset(value);
  if (!nodes) return what;
  const cells = new Map(guestCells(m).map((c) => [c.id, c]));
  const missing = [...nodes].filter((n) => !cells.has(n));
  const busy = [...nodes].filter((n) => {
    const c = cells.get(n);
    return !!c && (c.hasCpus || c.hasMemory);
  });
  const facts = [`${nodes.size} cell${nodes.size === 1 ? '' : 's'} (${formatNodeset(nodes)})`];
  if (missing.length) facts.push(`not in <cpu><numa>: ${formatNodeset(missing)}`);
  if (busy.length) facts.push(`with vCPUs or memory: ${formatNodeset(busy)}`);
  if (!missing.length && !busy.length) facts.push('all memory-less and CPU-less');
  return `${what}\n\nHere: ${facts.join('; ')}.`;
}

/** Which bus numbers this expander owns and how many it needs, from the other expanders' busNr. */
function busNrRange(m: DomainModel, controllerEl: XmlElement | undefined): string | undefined {
  const ctrl = m.controllers.find((c) => c.el === controllerEl);
  const b = ctrl?.busNr?.value;
  if (!ctrl || b === undefined || !Number.isInteger(b)) return undefined;
  const higher = m.controllers.filter((c) => c !== ctrl && isExpander(c) && c.busNr && Number.isInteger(c.busNr.value) && c.busNr.value > b).map((c) => c.busNr!.value);
  const top = higher.length ? Math.min(...higher) - 1 : 255;
  const below = busNumbersBelow(m, ctrl);
  return `Here: buses ${b}–${top} belong to this expander; it uses ${1 + below} (its own bus and ${below} port${below === 1 ? '' : 's'} or bridge${below === 1 ? '' : 's'} below it).`;
}

// ---------------------------------------------------------------- values

function valueDoc(ctx: FeatureContext, el: XmlElement, a: XmlAttribute): string | undefined {
  const key = keyOf(el);
  const m = ctx.doc.domain;
  const v = a.value ?? '';
  if (key === 'iommu' && a.name === 'model') {
    const info = IOMMU_MODELS[v];
    if (info) {
      const driver = m.iommus.find((i) => i.el === el)?.driver;
      const nested = v === 'smmuv3' && (attrValue(driver, 'pciBus') !== undefined || attrValue(driver, 'accel') === 'on');
      return iommuModelMarkdown(info, nested);
    }
    return (
      proposalModelMarkdown(v) ??
      `**Unknown IOMMU model \`${v}\`**\n\nReleased libvirt knows ${Object.keys(IOMMU_MODELS)
        .map((x) => `\`${x}\``)
        .join(', ')}.`
    );
  }
  if (key === 'iommu/driver') {
    if (a.name === 'pciBus') return pciBusValueDoc(ctx, v);
    return iommuDriverAttrDoc(el, a.name);
  }
  if (key === 'controller' && a.name === 'model') {
    const info = PCI_CONTROLLER_MODELS[v];
    return info ? controllerModelMarkdown(info) : tableDoc(ctx, el, key, a);
  }
  if (key === 'controller/model' && a.name === 'name') {
    const info = Object.values(PCI_CONTROLLER_MODELS).find((c) => c.modelName === v);
    return info ? controllerModelMarkdown(info) : tableDoc(ctx, el, key, a);
  }
  if (key === 'hostdev/source/address') return hostDeviceMarkdown(ctx.host, bdfOf(readPciAddress(el)));
  if (lastSegment(key) === 'address' && a.name === 'bus') return guestBusDoc(ctx, el, v);
  return attributeDoc(ctx, el, a);
}

/** What a `pciBus` value selects: the expander, its busNr and what is plugged below it. */
function pciBusValueDoc(ctx: FeatureContext, raw: string): string {
  const m = ctx.doc.domain;
  const n = parseLibvirtInt(raw);
  const title = `**pciBus \`${raw}\`**`;
  if (!Number.isFinite(n)) return `${title}\n\nNot a number: \`pciBus\` takes the **index** of a PCI controller.`;
  const ctrl = m.pciControllers.get(n);
  if (!ctrl) {
    const byBusNr = m.controllers.find((c) => isExpander(c) && c.busNr?.value === n);
    const hint = byBusNr ? ` Controller index ${byBusNr.index} has \`busNr='${n}'\`: \`pciBus\` takes the index, so you probably mean \`${byBusNr.index}\`.` : '';
    return `${title}\n\nSelects nothing: no \`<controller type='pci'>\` has index ${n}.${hint}`;
  }
  const parts = [`${title} → ${controllerTitle(ctrl)}`];
  if (isRoot(ctrl) || ctrl.index === 0) {
    parts.push('The vSMMU then serves the devices on pcie-root and its root ports.');
  } else if (ctrl.model?.value !== 'pcie-expander-bus') {
    parts.push('Not a pcie-expander-bus: QEMU attaches an SMMUv3 only to pcie-root or a pxb-pcie root complex.');
  }
  const tree = treeBelow(m, ctx.host, ctrl.index, 0, new Set([ctrl.index]));
  parts.push(tree.length ? ['Plugged below it:', ...tree].join('\n') : 'Nothing is plugged below it yet.');
  return parts.join('\n\n');
}

/** "controller index 1, `pcie-expander-bus` (busNr 252, guest NUMA node 0)". */
function controllerTitle(c: Controller): string {
  const facts: string[] = [];
  if (c.busNr && Number.isFinite(c.busNr.value)) facts.push(`busNr ${c.busNr.value}`);
  if (c.numaNode && Number.isFinite(c.numaNode.value)) facts.push(`guest NUMA node ${c.numaNode.value}`);
  return `controller index ${c.index}, \`${c.model?.value ?? 'pci'}\`${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

/** The controllers and devices plugged (directly or through ports) below a controller, as a nested list. */
function treeBelow(m: DomainModel, host: HostTopology | undefined, index: number, depth: number, seen: Set<number>): string[] {
  if (depth > 6) return [];
  const pad = '  '.repeat(depth);
  const out: string[] = [];
  const { controllers, devices } = pluggedInto(m, index);
  for (const c of controllers) {
    out.push(`${pad}- \`${c.model?.value ?? 'pci'}\` index ${c.index}`);
    if (!seen.has(c.index)) {
      seen.add(c.index);
      out.push(...treeBelow(m, host, c.index, depth + 1, seen));
    }
  }
  for (const d of devices) out.push(`${pad}- ${deviceText(m, host, d.el, d.kind)}`);
  return out;
}

function deviceText(m: DomainModel, host: HostTopology | undefined, el: XmlElement, kind: string): string {
  if (kind !== 'hostdev') return `\`<${kind}>\``;
  const h = m.hostdevs.find((x) => x.el === el);
  if (!h?.hostBdf) return 'hostdev (host address incomplete)';
  const d = host ? findDevice(host, h.hostBdf) : undefined;
  const smmu = host ? iommuOfDevice(host, h.hostBdf)?.name : undefined;
  return `hostdev \`${h.hostBdf}\`${d ? ` ${describeDevice(d)}` : ''}${smmu ? ` (host SMMU \`${smmu}\`)` : ''}`;
}

/** A guest `<address bus>`: the controller it names and the path from there to the root. */
function guestBusDoc(ctx: FeatureContext, addressEl: XmlElement, raw: string): string {
  const m = ctx.doc.domain;
  const n = parseLibvirtInt(raw);
  const title = `**bus \`${raw}\`**`;
  const doc = 'A guest address names the **index** of the controller the device plugs into, not the bus number the guest sees.';
  if (!Number.isFinite(n)) return `${title}\n\nNot a number.\n\n${doc}`;
  const ctrl = m.pciControllers.get(n);
  if (!ctrl) return `${title}\n\nNo \`<controller type='pci'>\` has index ${n}; libvirt would add a default controller there, not the one you meant.\n\n${doc}`;
  const chain = chainOf(m, readPciAddress(addressEl)).slice(1);
  const path = chain.length ? `\n\nThen: ${chain.map((c) => `\`${c.model?.value ?? 'pci'}\` index ${c.index}`).join(' → ')}.` : '';
  return `${title} → ${controllerTitle(ctrl)}${path}\n\n${doc}`;
}
