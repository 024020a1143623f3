/**
 * What completion offers and hover explains for the elements and attributes
 * this project knows, outside the IOMMU tables of domain/catalog.ts: which
 * children an element takes, which attributes, their values, and a short
 * text with the libvirt version that introduced each.
 *
 * Elements are keyed by their path below `<devices>` (or below `<domain>`
 * for domain-level elements), e.g. `controller/target`, `hostdev/source/address`,
 * because the same name means different things in different places
 * (`<driver>` of an IOMMU versus of a hostdev). See keyOf() in completionContext.ts.
 *
 * The texts come from the docs tables (elementDocs.ts, attributeDocs.ts
 * through docs.ts), the one place that explains the domain XML. A `since`
 * marked `sinceConfirmed: false` is our reading of libvirt's release notes,
 * not checked against that release.
 */
import { describeAttribute, describeElement } from './docs';
import { LIBVIRT_RELEASE } from '../../domain/catalog';

/** How an element is written when completion inserts it whole. */
export type ElementShape =
  /** `<name attr='…'/>` */
  | 'empty'
  /** `<name/>` with no attributes */
  | 'flag'
  /** `<name>text</name>` */
  | 'text'
  /** `<name attr='…'>` children `</name>` */
  | 'container'
  /** `<name>` children `</name>`, no attributes */
  | 'block';

export interface ElementInfo {
  readonly name: string;
  readonly shape: ElementShape;
  readonly doc: string;
  readonly since?: string;
  readonly sinceConfirmed?: boolean;
}

export interface ValueInfo {
  readonly value: string;
  readonly doc?: string;
  readonly since?: string;
}

export interface AttrDoc {
  readonly name: string;
  readonly doc: string;
  readonly since?: string;
  readonly sinceConfirmed?: boolean;
  /** Fixed values offered by completion, in the order offered. */
  readonly values?: readonly ValueInfo[];
}

/** The text of the docs tables for the element at `path` (names, the element last). */
function textOf(path: readonly string[]): string {
  const d = describeElement(path);
  if (!d) throw new Error(`no docs row for <${path.join('/')}>`);
  return d.text;
}

/** An element of ELEMENTS, by its key (see keyOf). */
const el = (key: string, shape: ElementShape, since?: string, sinceConfirmed?: boolean): ElementInfo => ({
  name: key.slice(key.lastIndexOf('/') + 1),
  shape,
  doc: textOf(key.split('/')),
  since,
  sinceConfirmed,
});

/** An element of CHILD_INFO, looked up below `parent` where the name alone is ambiguous. */
const child = (name: string, shape: ElementShape, parent?: string): ElementInfo => ({ name, shape, doc: textOf(parent ? [parent, name] : [name]) });

/** The text of the docs tables for attribute `name` of the element with key `key`. */
function attrText(key: string, name: string): string {
  const t = describeAttribute(key.split('/'), name);
  if (!t) throw new Error(`no docs row for ${key}@${name}`);
  return t;
}

/** Elements, by key, with the children completion offers inside them (in that order). */
export const ELEMENTS: Readonly<Record<string, { info?: ElementInfo; children: readonly string[] }>> = {
  domain: {
    info: el('domain', 'container', '0.0.1'),
    children: ['name', 'uuid', 'memory', 'vcpu', 'os', 'features', 'cpu', 'iommufd', 'devices'],
  },
  devices: {
    info: el('devices', 'block', '0.0.1'),
    children: [
      'controller',
      'hostdev',
      'iommu',
      'interface',
      'disk',
      'emulator',
      'video',
      'console',
      'serial',
      'channel',
      'input',
      'graphics',
      'memballoon',
      'rng',
      'tpm',
      'watchdog',
      'filesystem',
    ],
  },
  features: { children: ['acpi', 'gic', 'ioapic'] },
  os: { children: ['type', 'loader', 'nvram', 'boot'] },
  cpu: { children: ['numa'] },
  'cpu/numa': { children: ['cell'] },
  iommufd: {
    info: el('iommufd', 'empty', LIBVIRT_RELEASE.domainIommufd),
    children: [],
  },
  iommu: {
    info: el('iommu', 'container', '2.1.0'),
    children: ['driver', 'alias', 'address'],
  },
  'iommu/driver': {
    info: el('iommu/driver', 'empty', '3.4.0'),
    children: [],
  },
  'iommu/alias': { info: el('iommu/alias', 'empty'), children: [] },
  'iommu/address': { info: el('iommu/address', 'empty'), children: [] },
  controller: {
    info: el('controller', 'container'),
    children: ['model', 'target', 'address', 'alias', 'driver'],
  },
  'controller/model': {
    info: el('controller/model', 'empty', '1.2.19'),
    children: [],
  },
  'controller/target': {
    info: el('controller/target', 'container', '1.2.19'),
    children: ['node'],
  },
  'controller/target/node': {
    info: el('controller/target/node', 'text', '1.3.4', false),
    children: [],
  },
  'controller/address': { info: el('controller/address', 'empty'), children: [] },
  'controller/alias': { info: el('controller/alias', 'empty'), children: [] },
  'controller/driver': { info: el('controller/driver', 'empty'), children: [] },
  hostdev: {
    info: el('hostdev', 'container', '0.6.0'),
    children: ['source', 'address', 'driver', 'rom', 'alias', 'acpi'],
  },
  'hostdev/source': { info: el('hostdev/source', 'block'), children: ['address'] },
  'hostdev/source/address': {
    info: el('hostdev/source/address', 'empty'),
    children: [],
  },
  'hostdev/address': { info: el('hostdev/address', 'empty'), children: [] },
  'hostdev/driver': {
    info: el('hostdev/driver', 'empty'),
    children: [],
  },
  'hostdev/rom': { info: el('hostdev/rom', 'empty'), children: [] },
  'hostdev/alias': { info: el('hostdev/alias', 'empty'), children: [] },
  'hostdev/acpi': {
    info: el('hostdev/acpi', 'empty', '11.8.0'),
    children: [],
  },
  nestedSmmuv3: {
    info: el('nestedSmmuv3', 'block'),
    children: ['name', 'address'],
  },
};

/** Element info used when ELEMENTS has no entry for the child's own key. */
export const CHILD_INFO: Readonly<Record<string, ElementInfo>> = {
  name: child('name', 'text', 'domain'),
  uuid: child('uuid', 'text', 'domain'),
  memory: child('memory', 'text', 'domain'),
  vcpu: child('vcpu', 'text', 'domain'),
  os: child('os', 'block'),
  features: child('features', 'block'),
  cpu: child('cpu', 'container', 'domain'),
  numa: child('numa', 'block'),
  cell: child('cell', 'empty'),
  interface: child('interface', 'container', 'devices'),
  disk: child('disk', 'container'),
  emulator: child('emulator', 'text'),
  video: child('video', 'block'),
  console: child('console', 'container'),
  serial: child('serial', 'container', 'devices'),
  channel: child('channel', 'container', 'devices'),
  input: child('input', 'empty', 'devices'),
  graphics: child('graphics', 'empty'),
  memballoon: child('memballoon', 'empty'),
  rng: child('rng', 'container'),
  tpm: child('tpm', 'container'),
  watchdog: child('watchdog', 'empty'),
  filesystem: child('filesystem', 'container'),
  acpi: child('acpi', 'flag', 'features'),
  gic: child('gic', 'empty'),
  ioapic: child('ioapic', 'empty'),
  type: child('type', 'text', 'os'),
  loader: child('loader', 'text'),
  nvram: child('nvram', 'text', 'os'),
  boot: child('boot', 'empty', 'os'),
  driver: child('driver', 'empty'),
  alias: child('alias', 'empty'),
  address: child('address', 'empty'),
  model: child('model', 'empty'),
  target: child('target', 'empty'),
  source: child('source', 'empty'),
};

const ON_OFF: readonly ValueInfo[] = [{ value: 'on' }, { value: 'off' }];
const YES_NO: readonly ValueInfo[] = [{ value: 'yes' }, { value: 'no' }];

const PCI_ADDRESS_ATTRS: readonly AttrDoc[] = [
  {
    name: 'type',
    doc: attrText('address', 'type'),
    values: [
      { value: 'pci' },
      { value: 'drive' },
      { value: 'virtio-serial' },
      { value: 'ccid' },
      { value: 'usb' },
      { value: 'virtio-mmio' },
      { value: 'isa' },
      { value: 'unassigned', since: '6.0.0' },
    ],
  },
  { name: 'domain', doc: attrText('address', 'domain') },
  { name: 'bus', doc: attrText('address', 'bus') },
  { name: 'slot', doc: attrText('address', 'slot') },
  { name: 'function', doc: attrText('address', 'function') },
  { name: 'multifunction', doc: attrText('address', 'multifunction'), values: ON_OFF },
];

const HOST_ADDRESS_ATTRS: readonly AttrDoc[] = [
  { name: 'domain', doc: attrText('hostdev/source/address', 'domain') },
  { name: 'bus', doc: attrText('hostdev/source/address', 'bus') },
  { name: 'slot', doc: attrText('hostdev/source/address', 'slot') },
  { name: 'function', doc: attrText('hostdev/source/address', 'function') },
];

/** Attributes by element key, in the order completion offers them. iommu/driver comes from the catalog. */
export const ATTRIBUTES: Readonly<Record<string, readonly AttrDoc[]>> = {
  domain: [{ name: 'type', doc: attrText('domain', 'type'), since: '0.0.1', values: [{ value: 'kvm' }, { value: 'qemu' }] }],
  iommu: [{ name: 'model', doc: attrText('iommu', 'model'), since: '2.1.0' }],
  controller: [
    { name: 'type', doc: attrText('controller', 'type') },
    { name: 'index', doc: attrText('controller', 'index') },
    { name: 'model', doc: attrText('controller', 'model'), since: '1.0.5' },
  ],
  'controller/model': [{ name: 'name', doc: attrText('controller/model', 'name'), since: '1.2.19' }],
  'controller/target': [
    {
      name: 'busNr',
      since: '1.3.4',
      doc: attrText('controller/target', 'busNr'),
    },
    { name: 'chassis', since: '1.2.19', doc: attrText('controller/target', 'chassis') },
    { name: 'port', since: '1.2.19', doc: attrText('controller/target', 'port') },
    { name: 'chassisNr', since: '1.2.19', doc: attrText('controller/target', 'chassisNr') },
    { name: 'hotplug', since: '6.3.0', doc: attrText('controller/target', 'hotplug'), values: ON_OFF },
  ],
  hostdev: [
    { name: 'mode', doc: attrText('hostdev', 'mode'), values: [{ value: 'subsystem' }, { value: 'capabilities' }] },
    { name: 'type', doc: attrText('hostdev', 'type'), values: [{ value: 'pci' }, { value: 'usb' }, { value: 'scsi' }, { value: 'scsi_host' }, { value: 'mdev' }] },
    { name: 'managed', doc: attrText('hostdev', 'managed'), values: YES_NO },
  ],
  'hostdev/driver': [
    { name: 'name', doc: attrText('hostdev/driver', 'name'), values: [{ value: 'vfio' }, { value: 'kvm' }, { value: 'xen' }] },
    {
      name: 'iommufd',
      since: LIBVIRT_RELEASE.hostdevIommufd,
      values: YES_NO,
      doc: attrText('hostdev/driver', 'iommufd'),
    },
  ],
  'hostdev/acpi': [{ name: 'nodeset', since: LIBVIRT_RELEASE.hostdevAcpiNodeset, doc: attrText('hostdev/acpi', 'nodeset') }],
  'hostdev/rom': [
    { name: 'bar', doc: attrText('hostdev/rom', 'bar'), values: ON_OFF },
    { name: 'file', doc: attrText('hostdev/rom', 'file') },
  ],
  'hostdev/source/address': HOST_ADDRESS_ATTRS,
  address: PCI_ADDRESS_ATTRS,
  alias: [{ name: 'name', doc: attrText('alias', 'name') }],
  iommufd: [
    { name: 'enabled', since: LIBVIRT_RELEASE.domainIommufd, doc: attrText('iommufd', 'enabled'), values: YES_NO },
    { name: 'fdgroup', since: LIBVIRT_RELEASE.domainIommufd, doc: attrText('iommufd', 'fdgroup') },
  ],
  'os/type': [
    { name: 'arch', doc: attrText('os/type', 'arch'), values: [{ value: 'aarch64' }, { value: 'x86_64' }] },
    { name: 'machine', doc: attrText('os/type', 'machine') },
  ],
  'cpu/numa/cell': [
    { name: 'id', doc: attrText('cpu/numa/cell', 'id') },
    { name: 'cpus', doc: attrText('cpu/numa/cell', 'cpus') },
    { name: 'memory', doc: attrText('cpu/numa/cell', 'memory') },
    { name: 'unit', doc: attrText('cpu/numa/cell', 'unit') },
  ],
};

/** Which `<target>` attributes each PCI controller model takes. */
export const TARGET_ATTRIBUTES_BY_MODEL: Readonly<Record<string, readonly string[]>> = {
  'pcie-expander-bus': ['busNr'],
  'pci-expander-bus': ['busNr'],
  'pcie-root-port': ['chassis', 'port', 'hotplug'],
  'pcie-switch-downstream-port': ['chassis', 'port', 'hotplug'],
  'pci-bridge': ['chassisNr'],
  'pci-root': ['hotplug'],
};
