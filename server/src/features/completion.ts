/**
 * Completion: element names, attribute names and values, host SMMU names and
 * host PCI devices, and two whole-element snippets (an accelerated vSMMU, a
 * pxb-pcie expander with its root port).
 *
 * Every item carries a text edit with the exact range it replaces (the
 * partial word being typed), so choosing an item mid-word never leaves the
 * typed prefix behind. The client filters items against that range; the
 * server only decides what makes sense where the cursor is.
 */
import { cellForHostNode } from '../domain/numa';
import { cpuNodeMap } from '../host/queries';
import type { CompletionList } from 'vscode-languageserver-types';
import { CompletionItemKind } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attrValue, child } from '../xml/query';
import { DISK_PREFIX_BY_BUS, diskTargetNames, freeDiskName } from '../domain/diskFacts';
import type { Controller, DomainModel } from '../domain/model';
import { isGuestPci } from '../domain/model';
import { iommuForIndex, isExpander, isPcieExpander, pciBusOf } from '../domain/topology';
import { machineFamily } from '../domain/machine';
import { CONTROLLER_TYPES, IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS, PCI_CONTROLLER_MODELS, type AttributeInfo, type IommuModelInfo } from '../domain/catalog';
import { describeDevice, iommuOfDevice, smmuv3s } from '../host/queries';
import type { HostPciDevice, HostTopology } from '../host/types';
import { childKey, cursorSite, keyOf, lastSegment, wordAround, type CursorSite } from './completionContext';
import { grammarAttributeItems, grammarElementItems, grammarTextItems, grammarValueItems, grammarValues, rootItems } from './grammarCompletion';
import { ATTRIBUTES, CHILD_INFO, ELEMENTS, TARGET_ATTRIBUTES_BY_MODEL, type AttrDoc, type ElementInfo } from './docs/elements';
import { describeElement, pathOf } from './docs/docs';
import { attrDocMarkdown, controllerModelMarkdown, elementMarkdown, iommuAttributeMarkdown, iommuModelMarkdown } from './docs/format';
import { hostDeviceMarkdown, smmuDevicesMarkdown } from './hostInfo';
import { expanderNeed, hex2, indexFor, suggestBusNr } from './pciLayout';
import { hostSmmusBelow, smmuMappingOf } from '../domain/smmuMapping';
import { expanderSnippet, vsmmuSnippet, type Layout } from './snippets';
import { Collector, type ItemOptions } from './completionItems';

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

export function complete(ctx: FeatureContext, offset: number): CompletionList {
  const site = cursorSite(ctx.doc.xml, offset);
  const c = new Collector(ctx);
  switch (site.kind) {
    case 'element':
      elementItems(c, site);
      break;
    case 'attribute':
      attributeItems(c, site);
      break;
    case 'value':
      valueItems(c, site);
      break;
    case 'text':
      textItems(c, site);
      break;
    case 'none': {
      // An empty file (or only a prolog and comments): the whole domain skeleton.
      if (ctx.doc.xml.roots.length) return EMPTY;
      const { start, end } = wordAround(ctx.doc.text, offset);
      rootItems(c, ctx.grammar?.loaded.model, start, end, c.layout(start));
      break;
    }
  }
  // Until the grammar is loaded only the catalog answers; asking again later gets the rest.
  return { isIncomplete: !!ctx.grammarPending, items: c.items };
}

// ---------------------------------------------------------------- elements

function elementInfo(parentKey: string, name: string): ElementInfo {
  return ELEMENTS[childKey(parentKey, name)]?.info ?? CHILD_INFO[name] ?? { name, shape: 'empty', doc: '' };
}

/** The text a whole element is written as, by its shape; nested lines indented like the document. */
function elementSnippet(info: ElementInfo, l: Layout): string {
  const n = info.name;
  const inner = `\n${l.indent}${l.unit}$0\n${l.indent}`;
  switch (info.shape) {
    case 'empty':
      return `<${n} $1/>`;
    case 'flag':
      return `<${n}/>`;
    case 'text':
      return `<${n}>$1</${n}>`;
    case 'container':
      return `<${n} $1>${inner}</${n}>`;
    case 'block':
      return `<${n}>${inner}</${n}>`;
  }
}

function elementItems(c: Collector, site: Extract<CursorSite, { kind: 'element' }>): void {
  const parentKey = site.parent ? keyOf(site.parent) : '';
  const l = c.layout(site.start);
  const grammar = c.ctx.grammar?.loaded.model;
  if (!site.parent && site.fresh) return rootItems(c, grammar, site.start, site.end, l);
  if (parentKey === 'devices') {
    // The domain intelligence first: whole vSMMU and expander snippets numbered for this document.
    if (site.fresh) {
      for (const s of [vsmmuSnippet(c.model, l), expanderSnippet(c.model, l, cellForWaitingDevice(c))]) {
        c.add(
          s.label,
          s.text,
          site.start,
          site.end,
          {
            kind: CompletionItemKind.Snippet,
            snippet: true,
            detail: s.detail,
            doc: s.documentation,
            filterText: s.filterText,
          },
          'a',
        );
      }
    }
  }
  if (parentKey === 'hostdev/source' && site.parent && site.fresh) {
    hostDeviceItems(c, site.parent.parent, (attrs) => `<address ${attrs}/>`, site.start, site.end, '<address ', 'a');
  }
  let judged: ReadonlySet<string> = new Set();
  if (grammar && site.parent) {
    const range = { start: site.start, end: site.end, nameStart: site.named?.nameStart, nameEnd: site.named?.nameEnd };
    judged = grammarElementItems(c, grammar, site.parent, site.named, range, site.fresh, l);
  }
  // The catalog's elements: all of them without a grammar, those the grammar does not know (newer syntax) with one.
  const names = site.parent ? (ELEMENTS[parentKey]?.children ?? []) : ['domain'];
  for (const name of names) {
    if (c.has(name) || judged.has(name)) continue;
    const info = elementInfo(parentKey, name);
    const anchor = site.parent ? describeElement([...pathOf(site.parent), name])?.anchor : undefined;
    const doc = info.doc ? elementMarkdown(info, undefined, undefined, anchor) : undefined;
    if (site.fresh) {
      c.add(name, elementSnippet(info, l), site.start, site.end, { kind: CompletionItemKind.Property, snippet: true, filterText: `<${name}`, doc });
    } else if (site.named) {
      c.add(name, name, site.named.nameStart, site.named.nameEnd, { kind: CompletionItemKind.Property, doc });
    }
  }
}

/** The guest cell backed by the host node of the first assigned device not yet behind an expander. */
function cellForWaitingDevice(c: Collector): number | undefined {
  const host = c.ctx.host;
  if (!host) return undefined;
  const waiting = smmuMappingOf(c.model, host).placements.find((p) => !p.expander && p.hostDevice?.numaNode !== undefined);
  return cellForHostNode(c.model, waiting?.hostDevice?.numaNode, cpuNodeMap(host));
}

// ---------------------------------------------------------------- attributes

function iommuDriverAttributes(driver: XmlElement): AttributeInfo[] {
  const model = attrValue(driver.parent, 'model');
  const names = model === undefined ? Object.keys(IOMMU_DRIVER_ATTRIBUTES) : (IOMMU_MODELS[model]?.attributes ?? []);
  const infos = names.map((n) => IOMMU_DRIVER_ATTRIBUTES[n]).filter((a): a is AttributeInfo => !!a);
  // Attributes that only matter with accel='on' come after accel itself.
  return [...infos.filter((a) => !a.accelOnly), ...infos.filter((a) => a.accelOnly)];
}

/** The attributes completion offers on an element, with their docs. */
function attributesOf(el: XmlElement, key: string): Array<{ name: string; doc: string }> {
  if (key === 'iommu/driver') return iommuDriverAttributes(el).map((a) => ({ name: a.name, doc: iommuAttributeMarkdown(a) }));
  const table = ATTRIBUTES[key] ?? ATTRIBUTES[lastSegment(key)] ?? [];
  let list: readonly AttrDoc[] = table;
  if (key === 'controller/target') {
    const allowed = TARGET_ATTRIBUTES_BY_MODEL[attrValue(el.parent, 'model') ?? ''];
    if (allowed) list = table.filter((a) => allowed.includes(a.name));
  }
  const anchor = describeElement(pathOf(el))?.anchor;
  return list.map((a) => ({ name: a.name, doc: attrDocMarkdown(a, el.name, undefined, undefined, anchor) }));
}

function attributeItems(c: Collector, site: Extract<CursorSite, { kind: 'attribute' }>): void {
  const el = site.element;
  const key = keyOf(el);
  if (key === 'hostdev/source/address') {
    // The host device list fills the whole attribute list at once.
    const first = el.attributes[0];
    const last = el.attributes[el.attributes.length - 1];
    const start = Math.min(site.start, first ? first.nameStart : site.start);
    const end = Math.max(site.end, last ? attributeEnd(last) : site.end);
    const typedBefore = c.text.slice(start, site.start);
    hostDeviceItems(c, el.parent?.parent, (attrs) => attrs, start, end, typedBefore, 'a');
  }
  const present = new Set(el.attributes.filter((a) => a !== site.attr).map((a) => a.name));
  const q = c.layout(site.start).quote;
  const grammar = c.ctx.grammar?.loaded.model;
  // Where the catalog narrows the attributes by model (the IOMMU driver, a controller's target), it alone answers.
  if (grammar && !catalogNarrowsAttributes(el, key)) grammarAttributeItems(c, grammar, el, site.attr, site.start, site.end, site.hasValue, q);
  for (const a of attributesOf(el, key)) {
    if (present.has(a.name) || c.has(a.name)) continue;
    if (site.hasValue) {
      c.add(a.name, a.name, site.start, site.end, { kind: CompletionItemKind.Field, doc: a.doc });
    } else {
      c.add(a.name, `${a.name}=${q}$1${q}`, site.start, site.end, { kind: CompletionItemKind.Field, snippet: true, doc: a.doc, retrigger: true });
    }
  }
}

function catalogNarrowsAttributes(el: XmlElement, key: string): boolean {
  if (key === 'iommu/driver') return attrValue(el.parent, 'model') !== undefined;
  if (key === 'controller/target') return TARGET_ATTRIBUTES_BY_MODEL[attrValue(el.parent, 'model') ?? ''] !== undefined;
  return false;
}

/** Offset just past an attribute as written (after its closing quote, if any). */
function attributeEnd(a: XmlAttribute): number {
  if (a.valueEnd < 0) return a.nameEnd;
  return a.quote && a.valueClosed ? a.valueEnd + 1 : a.valueEnd;
}

// ---------------------------------------------------------------- host devices

function isBridge(d: HostPciDevice): boolean {
  return /^0x06/i.test(d.classCode ?? '');
}

/**
 * Host PCI devices as items for a hostdev's source address. `wrap` turns
 * the attribute text into the inserted text; `filterPrefix` is the text of
 * the range before the typed word, so the client's filter still matches.
 */
function hostDeviceItems(c: Collector, hostdevEl: XmlElement | undefined, wrap: (attrs: string) => string, start: number, end: number, filterPrefix: string, group: string): void {
  const host = c.ctx.host;
  if (!host) return;
  const entries = hostDeviceEntries(host, c.layout(start).quote);
  const assigned = new Set(c.model.hostdevs.filter((h) => h.el !== hostdevEl && h.hostBdf).map((h) => h.hostBdf!));
  const add = (e: HostDeviceEntry, taken: boolean) => {
    const label = taken ? `${e.label} (already assigned)` : e.label;
    c.add(
      label,
      wrap(e.attrs),
      start,
      end,
      {
        kind: CompletionItemKind.Reference,
        detail: e.detail,
        doc: e.doc,
        filterText: filterPrefix + label,
      },
      group,
    );
  };
  // Devices another hostdev already assigns come last (same group, added after the free ones).
  for (const e of entries) if (!assigned.has(e.bdf)) add(e, false);
  for (const e of entries) if (assigned.has(e.bdf)) add(e, true);
}

interface HostDeviceEntry {
  readonly bdf: string;
  readonly label: string;
  readonly attrs: string;
  readonly detail: string;
  readonly doc: string;
}

/**
 * What a host device's item says depends only on the topology and the quote
 * character, so it is built once per topology: a host has hundreds of devices
 * and this list is offered on every keystroke in a source address.
 */
const hostDeviceCache = new WeakMap<HostTopology, Map<string, HostDeviceEntry[]>>();

function hostDeviceEntries(host: HostTopology, q: string): HostDeviceEntry[] {
  let byQuote = hostDeviceCache.get(host);
  if (!byQuote) hostDeviceCache.set(host, (byQuote = new Map()));
  let entries = byQuote.get(q);
  if (entries) return entries;
  entries = [];
  for (const d of host.pciDevices) {
    if (isBridge(d)) continue;
    const bdf = d.bdf.toLowerCase();
    const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(bdf);
    if (!m) continue;
    const smmu = iommuOfDevice(host, d.bdf);
    entries.push({
      bdf,
      label: `${d.bdf} ${describeDevice(d)}${smmu ? ` — ${smmu.name}` : ''}`,
      attrs: `domain=${q}0x${m[1]}${q} bus=${q}0x${m[2]}${q} slot=${q}0x${m[3]}${q} function=${q}0x${m[4]}${q}`,
      detail: smmu ? `behind ${smmu.name}${smmu.platformDevice ? ` (${smmu.platformDevice})` : ''}` : 'behind no IOMMU',
      doc: hostDeviceMarkdown(host, d.bdf),
    });
  }
  byQuote.set(q, entries);
  return entries;
}

// ---------------------------------------------------------------- values

function valueItem(c: Collector, site: Extract<CursorSite, { kind: 'value' }>, value: string, o: Partial<ItemOptions> & { label?: string } = {}, group = 'b'): void {
  c.add(
    o.label ?? value,
    value,
    site.start,
    site.end,
    {
      kind: o.kind ?? CompletionItemKind.Value,
      detail: o.detail,
      doc: o.doc,
      filterText: o.label !== undefined ? value : undefined,
    },
    group,
  );
}

function controllerOf(m: DomainModel, el: XmlElement | undefined): Controller | undefined {
  return el ? m.controllers.find((c) => c.el === el) : undefined;
}

function valueItems(c: Collector, site: Extract<CursorSite, { kind: 'value' }>): void {
  const el = site.element;
  const name = site.attr.name;
  const key = keyOf(el);
  const m = c.model;

  if (key === 'iommu' && name === 'model') return iommuModelValues(c, site);
  if (key === 'iommu/driver') {
    if (name === 'pciBus') return pciBusValues(c, site);
    const a = IOMMU_DRIVER_ATTRIBUTES[name];
    if (name === 'oas' && a) return oasValues(c, site, a);
    if (a) return kindValues(c, site, a);
    return;
  }
  if (key === 'controller') {
    if (name === 'type') {
      for (const t of CONTROLLER_TYPES) valueItem(c, site, t, { kind: CompletionItemKind.EnumMember });
      return;
    }
    if (name === 'model' && (attrValue(el, 'type') ?? 'pci') === 'pci') {
      for (const info of Object.values(PCI_CONTROLLER_MODELS)) {
        valueItem(c, site, info.name, { kind: CompletionItemKind.EnumMember, detail: info.modelName, doc: controllerModelMarkdown(info) });
      }
      return;
    }
    if (name === 'index') {
      const type = attrValue(el, 'type');
      const next = indexFor(m, controllerOf(m, el), type, attrValue(el, 'model'));
      valueItem(c, site, String(next), { detail: type ? `next free ${type} controller index` : 'next free controller index' });
      return;
    }
  }
  if (key === 'controller/model' && name === 'name') {
    const model = attrValue(el.parent, 'model');
    const known = model ? PCI_CONTROLLER_MODELS[model] : undefined;
    const infos = known ? [known] : Object.values(PCI_CONTROLLER_MODELS);
    const seen = new Set<string>();
    for (const info of infos) {
      if (!info.modelName || seen.has(info.modelName)) continue;
      seen.add(info.modelName);
      valueItem(c, site, info.modelName, { kind: CompletionItemKind.EnumMember, detail: `for ${info.name}`, doc: controllerModelMarkdown(info) });
    }
    return;
  }
  if (key === 'controller/target') {
    const ctrl = controllerOf(m, el.parent);
    if (name === 'busNr' && ctrl) {
      const v = suggestBusNr(m, ctrl);
      if (v !== undefined) valueItem(c, site, String(v), { detail: `free; this expander needs ${expanderNeed(m, ctrl)} bus numbers` });
      return;
    }
    if ((name === 'chassis' || name === 'chassisNr') && ctrl) {
      valueItem(c, site, String(ctrl.index), { detail: 'the controller index, as libvirt would choose' });
      return;
    }
  }
  if (lastSegment(key) === 'address' && key !== 'hostdev/source/address' && name === 'bus') return guestBusValues(c, site);
  if (key === 'disk/target' && name === 'dev') diskTargetValues(c, site);

  const table = ATTRIBUTES[key] ?? ATTRIBUTES[lastSegment(key)] ?? [];
  const info = table.find((a) => a.name === name);
  const grammar = c.ctx.grammar?.loaded.model;
  // A catalog value the grammar does not allow with the attributes written (a PCI model on a USB controller) is left out.
  const allowed = grammar ? grammarValues(grammar, el, site.attr) : undefined;
  for (const v of info?.values ?? []) {
    if (!allowed?.length || allowed.includes(v.value)) valueItem(c, site, v.value, { kind: CompletionItemKind.EnumMember, doc: v.doc });
  }
  if (grammar) grammarValueItems(c, grammar, el, site.attr, site.start, site.end);
}

function iommuModelValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>): void {
  const family = machineFamily(c.model);
  const fits = (m: IommuModelInfo): boolean => family === 'unknown' || family === 'other' || !m.machineFamilies || m.machineFamilies.includes(family);
  const models = Object.values(IOMMU_MODELS);
  // Models that fit the guest machine first; the catalog order when the machine is unknown.
  for (const info of [...models.filter(fits), ...models.filter((x) => !fits(x))]) {
    valueItem(c, site, info.name, { kind: CompletionItemKind.EnumMember, detail: info.machines, doc: iommuModelMarkdown(info, false) });
  }
}

function kindValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>, a: AttributeInfo): void {
  const doc = iommuAttributeMarkdown(a);
  switch (a.value.kind) {
    case 'onoff':
      for (const v of ['on', 'off']) valueItem(c, site, v, { kind: CompletionItemKind.EnumMember, doc });
      break;
    case 'enum':
      for (const v of a.value.values) valueItem(c, site, v, { kind: CompletionItemKind.EnumMember, doc });
      break;
    case 'int': {
      // The two ends first: the maximum (what accelerated guests usually want) and 0 (off).
      const { min, max } = a.value;
      const order = [max, min];
      for (let v = min + 1; v < max; v++) order.push(v);
      for (const v of order) valueItem(c, site, String(v), { doc });
      break;
    }
    default:
      break;
  }
}

/**
 * Grace hosts' SMMUs report 48-bit output addresses (KubeVirt's Grace
 * defaults, and the host log's "oas 48-bit"), while QEMU defaults to 44.
 */
const GRACE_HOST_OAS = '48';

/**
 * `oas`: what the host SMMU behind this vSMMU reports first, when a snapshot
 * says; else on an SMMUv3 host the value Grace hosts use; else the catalog order.
 */
function oasValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>, a: AttributeInfo): void {
  if (a.value.kind !== 'enum') return kindValues(c, site, a);
  const values = a.value.values;
  const host = c.ctx.host;
  let first: string | undefined;
  let why = '';
  if (host && smmuv3s(host).length > 0) {
    const iommu = c.model.iommus.find((i) => i.driver === site.element);
    const bus = iommu ? pciBusOf(iommu) : undefined;
    const ctrl = bus !== undefined ? c.model.pciControllers.get(bus) : undefined;
    const smmu = ctrl ? hostSmmusBelow(smmuMappingOf(c.model, host), ctrl)[0] : undefined;
    const reported = smmu ? smmuv3s(host).find((s) => s.name === smmu)?.oas : undefined;
    if (reported !== undefined && values.includes(String(reported))) {
      first = String(reported);
      why = `reported by ${smmu}`;
    } else {
      first = GRACE_HOST_OAS;
      why = "what Grace hosts' SMMUs report";
    }
  }
  const doc = iommuAttributeMarkdown(a);
  for (const v of [...values].sort((x, y) => (x === first ? -1 : y === first ? 1 : 0))) {
    valueItem(c, site, v, { kind: CompletionItemKind.EnumMember, doc, detail: v === first ? why : undefined });
  }
}

/** pciBus: the index of each pcie-expander-bus, then 0 for pcie-root. */
function pciBusValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>): void {
  const m = c.model;
  const self = m.iommus.find((i) => i.driver === site.element);
  const doc = iommuAttributeMarkdown(IOMMU_DRIVER_ATTRIBUTES.pciBus);
  for (const ctrl of m.controllers.filter(isPcieExpander)) {
    const other = iommuForIndex(m, ctrl.index);
    const taken = !!other && other !== self;
    const facts: string[] = [];
    const busNr = ctrl.busNr?.value;
    if (busNr !== undefined && Number.isFinite(busNr)) facts.push(`busNr ${busNr}`);
    const smmus = c.ctx.host ? hostSmmusBelow(smmuMappingOf(m, c.ctx.host), ctrl) : [];
    if (smmus.length) facts.push(`devices behind ${smmus.join(', ')}`);
    const label = `${ctrl.index}${facts.length ? ` (${facts.join(', ')})` : ''}${taken ? ' — has a vSMMU' : ''}`;
    valueItem(c, site, String(ctrl.index), { label, detail: `pcie-expander-bus index ${ctrl.index}`, doc }, taken ? 'c' : 'b');
  }
  const rootTaken = iommuForIndex(m, 0);
  valueItem(
    c,
    site,
    '0',
    {
      label: `0 (pcie-root)${rootTaken && rootTaken !== self ? ' — has a vSMMU' : ''}`,
      detail: 'the main PCIe root complex',
      doc,
    },
    rootTaken && rootTaken !== self ? 'c' : 'b',
  );
}

/** Guest `<address bus>`: existing PCI controller indexes, written like the address's other numbers. */
function guestBusValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>): void {
  const m = c.model;
  const addressEl = site.element;
  const owner = addressEl.parent;
  const others = addressEl.attributes.filter((a) => a !== site.attr && a.value !== undefined && /^(0x)?[0-9a-f]+$/i.test(a.value));
  const decimal = !/^0x/i.test(site.attr.value ?? '') && others.length > 0 && others.every((a) => !/^0x/i.test(a.value!));
  const fmt = (n: number): string => (decimal ? String(n) : hex2(n));
  const pci = m.controllers.filter((x) => x.type === 'pci' && x.el !== owner).sort((a, b) => a.index - b.index);
  // Buses something other than this address's owner plugs into, computed once for all candidates.
  const occupiedBuses = new Set<number>();
  for (const d of m.pciDevices) {
    if (d.el !== owner && isGuestPci(d.address) && !(d.kind === 'controller' && controllerOf(m, d.el)?.index === d.address.bus.value)) {
      occupiedBuses.add(d.address.bus.value);
    }
  }
  // For an assigned device: the expander bound to its host SMMU, whose free root ports come first.
  const home = homeExpanderOf(c, owner);
  // An endpoint (not a controller) cannot plug into an expander (controller-expander-child), and on
  // pcie-root itself it is an integrated device without a port: both go last.
  const endpoint = !!owner && owner.name !== 'controller';
  const seen = new Set<number>();
  for (const ctrl of pci) {
    if (seen.has(ctrl.index)) continue;
    seen.add(ctrl.index);
    const model = ctrl.model?.value ?? 'pci';
    const extras: string[] = [];
    if (isExpander(ctrl) && ctrl.busNr && Number.isFinite(ctrl.busNr.value)) extras.push(`busNr ${ctrl.busNr.value}`);
    const occupied = (model === 'pcie-root-port' || model === 'pcie-switch-downstream-port') && occupiedBuses.has(ctrl.index);
    if (occupied) extras.push('occupied');
    const onHome = !!home && model === 'pcie-root-port' && isGuestPci(ctrl.address) && ctrl.address.bus.value === home.expander.index;
    if (onHome && !occupied) extras.push(`behind the expander of ${home!.smmu}`);
    const refused = endpoint && (isExpander(ctrl) || model === 'pcie-root' || model === 'pci-root');
    const group = onHome && !occupied ? 'a' : refused ? 'd' : occupied ? 'c' : 'b';
    const label = `${fmt(ctrl.index)} ${model}${extras.length ? ` (${extras.join(', ')})` : ''}`;
    valueItem(c, site, fmt(ctrl.index), { label, detail: `controller index ${ctrl.index}` }, group);
  }
}

/** The expander with a vSMMU bound to the host SMMU of the hostdev `owner`, when the host tells. */
function homeExpanderOf(c: Collector, owner: XmlElement | undefined): { expander: Controller; smmu: string } | undefined {
  const host = c.ctx.host;
  if (!host || owner?.name !== 'hostdev') return undefined;
  const mapping = smmuMappingOf(c.model, host);
  const p = mapping.placements.find((x) => x.hostdev.el === owner);
  const smmu = p?.hostSmmu;
  if (!smmu) return undefined;
  const use = mapping.expanderOfSmmu.get(smmu) ?? mapping.expanders.find((e) => e.iommu && e.hostdevs.length === 0);
  return use?.iommu ? { expander: use.expander, smmu } : undefined;
}

// ---------------------------------------------------------------- text

function textItems(c: Collector, site: Extract<CursorSite, { kind: 'text' }>): void {
  const el = site.element;
  const inNested = el.name === 'nestedSmmuv3' ? !child(el, 'name') : el.name === 'name' && el.parent?.name === 'nestedSmmuv3';
  if (inNested) return smmuNameItems(c, site);
  if (keyOf(el) === 'controller/target/node') {
    for (const cell of c.model.numaCells) {
      const cpus = attrValue(cell.el, 'cpus');
      c.add(String(cell.id), String(cell.id), site.start, site.end, {
        kind: CompletionItemKind.Value,
        detail: `guest NUMA cell${cpus ? ` (cpus ${cpus})` : ''}`,
      });
    }
    return;
  }
  const grammar = c.ctx.grammar?.loaded.model;
  if (grammar) grammarTextItems(c, grammar, el, site.start, site.end);
}

function smmuNameItems(c: Collector, site: Extract<CursorSite, { kind: 'text' }>): void {
  const host = c.ctx.host;
  if (!host) return;
  for (const s of smmuv3s(host)) {
    const facts = [s.platformDevice, s.numaNode !== undefined ? `NUMA node ${s.numaNode}` : undefined].filter(Boolean);
    c.add(s.name, s.name, site.start, site.end, {
      kind: CompletionItemKind.Reference,
      detail: facts.join(', ') || undefined,
      doc: smmuDevicesMarkdown(host, s.name),
    });
  }
}

/**
 * A disk's `<target dev>`: the first name no other disk uses, with the
 * prefix of the disk's bus (`vd` for virtio, `sd` for SCSI/SATA/USB, …);
 * without a bus, virtio's first and SCSI's next. libvirt refuses two disks
 * with one name (disk-target-duplicate).
 */
function diskTargetValues(c: Collector, site: Extract<CursorSite, { kind: 'value' }>): void {
  const used = diskTargetNames(c.model.devices, site.element);
  const bus = attrValue(site.element, 'bus');
  const prefixes = bus && DISK_PREFIX_BY_BUS[bus] ? [DISK_PREFIX_BY_BUS[bus]] : ['vd', 'sd'];
  for (const prefix of prefixes) {
    const free = freeDiskName(`${prefix}a`, used);
    if (free) valueItem(c, site, free, { detail: bus ? `the first ${bus} disk name no other disk uses` : 'the first free name of this kind', kind: CompletionItemKind.Value });
  }
}
