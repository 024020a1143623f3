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
 * Texts are our own summaries of libvirt's behaviour. A `since` marked
 * `sinceConfirmed: false` is from memory or inference.
 */

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

const el = (name: string, shape: ElementShape, doc: string, since?: string, sinceConfirmed?: boolean): ElementInfo =>
  ({ name, shape, doc, since, sinceConfirmed });

/** Elements, by key, with the children completion offers inside them (in that order). */
export const ELEMENTS: Readonly<Record<string, { info?: ElementInfo; children: readonly string[] }>> = {
  domain: {
    info: el('domain', 'container', 'The root of a libvirt domain definition. `type` names the hypervisor driver (`kvm`, `qemu`, …).', '0.0.1'),
    children: ['name', 'uuid', 'memory', 'vcpu', 'os', 'features', 'cpu', 'iommufd', 'devices'],
  },
  devices: {
    info: el('devices', 'block', 'Every device of the guest: controllers, disks, interfaces, assigned host devices, IOMMUs, …', '0.0.1'),
    children: ['controller', 'hostdev', 'iommu', 'interface', 'disk', 'emulator', 'video', 'console', 'serial', 'channel', 'input', 'graphics', 'memballoon', 'rng', 'tpm', 'watchdog', 'filesystem'],
  },
  features: { children: ['acpi', 'gic', 'ioapic'] },
  os: { children: ['type', 'loader', 'nvram', 'boot'] },
  cpu: { children: ['numa'] },
  'cpu/numa': { children: ['cell'] },
  iommufd: {
    info: el('iommufd', 'empty', 'Domain-wide switch for the iommufd backend of assigned devices: with `enabled=\'yes\'` every PCI hostdev uses VFIO through iommufd unless its own `<driver iommufd=\'no\'/>` opts out. An accelerated vSMMU needs its devices on iommufd.', '12.2.0'),
    children: [],
  },
  iommu: {
    info: el('iommu', 'container', 'A virtual IOMMU for the guest. `model` picks the kind (smmuv3 on ARM virt, intel or amd on x86 Q35, virtio on both); its `<driver>` child carries the model\'s tuning attributes. Since libvirt 11.10.0 a guest may have several `<iommu model=\'smmuv3\'>`, each attached to its own PCIe root complex with `pciBus`.', '2.1.0'),
    children: ['driver', 'alias', 'address'],
  },
  'iommu/driver': {
    info: el('driver', 'empty', 'Tuning attributes of the virtual IOMMU. Which attributes are valid depends on the IOMMU model.', '3.4.0'),
    children: [],
  },
  'iommu/alias': { info: el('alias', 'empty', 'The device alias (`iommu0`, `iommu1`, …); libvirt passes it to QEMU as the device id.'), children: [] },
  'iommu/address': { info: el('address', 'empty', 'A PCI address for the IOMMU itself. Only the virtio and amd models may have one; smmuv3 and intel are not PCI devices.'), children: [] },
  controller: {
    info: el('controller', 'container', 'A bus controller. For `type=\'pci\'` it is one node of the guest PCI tree: a root (index 0), an expander bus, a root port, a bridge… Guest `<address bus=\'N\'>` elements name a controller by its **index**.'),
    children: ['model', 'target', 'address', 'alias', 'driver'],
  },
  'controller/model': {
    info: el('model', 'empty', 'The QEMU device that emulates this controller (`pxb-pcie`, `pcie-root-port`, …). libvirt fills it in; leave it as libvirt wrote it.', '1.2.19'),
    children: [],
  },
  'controller/target': {
    info: el('target', 'container', 'Guest-visible settings of a PCI controller (bus number, chassis, port, NUMA node). They are part of the guest ABI, so keep them stable once the guest is installed.', '1.2.19'),
    children: ['node'],
  },
  'controller/target/node': {
    info: el('node', 'text', 'The guest NUMA cell (an `id` of `<cpu><numa><cell>`) this expander bus reports to the guest; put an expander on the cell closest to the host devices below it.', '1.3.4', false),
    children: [],
  },
  'controller/address': { info: el('address', 'empty', 'Where the controller plugs in: `bus` is the **index** of the parent controller (0 for pcie-root).'), children: [] },
  'controller/alias': { info: el('alias', 'empty', 'The device alias (`pci.N`); QEMU bus names derive from it.'), children: [] },
  'controller/driver': { info: el('driver', 'empty', 'Driver options of the controller (queues, iothread, …).'), children: [] },
  hostdev: {
    info: el('hostdev', 'container', 'A host device assigned to the guest. For `type=\'pci\'` the device is handed over through VFIO: `<source><address>` is its address on the host, the other `<address>` its place in the guest PCI tree.', '0.6.0'),
    children: ['source', 'address', 'driver', 'rom', 'alias', 'acpi'],
  },
  'hostdev/source': { info: el('source', 'block', 'Which host device is assigned. For PCI: `<address domain bus slot function>` on the **host**.'), children: ['address'] },
  'hostdev/source/address': {
    info: el('address', 'empty', 'The host PCI address (domain:bus:slot.function) of the assigned device, as `lspci -D` prints it.'),
    children: [],
  },
  'hostdev/address': { info: el('address', 'empty', 'The guest PCI address: `bus` is the **index** of the controller the device plugs into (normally a root port), not a guest bus number.'), children: [] },
  'hostdev/driver': {
    info: el('driver', 'empty', 'How the device is assigned. `name=\'vfio\'` is the only choice on current hosts; `iommufd=\'yes\'` (libvirt 12.1.0) uses the iommufd backend, which an accelerated vSMMU needs.'),
    children: [],
  },
  'hostdev/rom': { info: el('rom', 'empty', 'The option ROM of the assigned device: `bar=\'off\'` hides it, `file` replaces it.'), children: [] },
  'hostdev/alias': { info: el('alias', 'empty', 'The device alias (`hostdev0`, …).'), children: [] },
  'hostdev/acpi': {
    info: el('acpi', 'empty', 'ACPI Generic Initiator NUMA affinity: `nodeset` lists the guest NUMA cells (memory-less GI nodes on Grace) that the device is close to.', '11.8.0'),
    children: [],
  },
  nestedSmmuv3: {
    info: el('nestedSmmuv3', 'block', 'From the 2025 RFC that named host SMMUs in the domain XML. Released libvirt never accepted it: it uses `<iommu model=\'smmuv3\'><driver pciBus=\'N\' accel=\'on\'/></iommu>` and binds each vSMMU to a host SMMU implicitly, through the first assigned device below it.'),
    children: ['name', 'address'],
  },
};

/** Element info used when ELEMENTS has no entry for the child's own key. */
export const CHILD_INFO: Readonly<Record<string, ElementInfo>> = {
  name: el('name', 'text', 'The name.'),
  uuid: el('uuid', 'text', 'The domain UUID.'),
  memory: el('memory', 'text', 'Maximum guest memory; `unit` gives the unit.'),
  vcpu: el('vcpu', 'text', 'Number of virtual CPUs.'),
  os: el('os', 'block', 'Boot and machine settings: `<type arch machine>`.'),
  features: el('features', 'block', 'Hypervisor features: ACPI, GIC version, …'),
  cpu: el('cpu', 'container', 'CPU model and guest NUMA topology.'),
  numa: el('numa', 'block', 'Guest NUMA cells.'),
  cell: el('cell', 'empty', 'One guest NUMA cell.'),
  interface: el('interface', 'container', 'A network interface.'),
  disk: el('disk', 'container', 'A disk, CD-ROM or floppy.'),
  emulator: el('emulator', 'text', 'Path of the QEMU binary.'),
  video: el('video', 'block', 'A video adapter.'),
  console: el('console', 'container', 'A text console.'),
  serial: el('serial', 'container', 'A serial port.'),
  channel: el('channel', 'container', 'A host–guest channel.'),
  input: el('input', 'empty', 'An input device.'),
  graphics: el('graphics', 'empty', 'A graphical display (VNC, SPICE, …).'),
  memballoon: el('memballoon', 'empty', 'The memory balloon device.'),
  rng: el('rng', 'container', 'A random number generator device.'),
  tpm: el('tpm', 'container', 'A TPM device.'),
  watchdog: el('watchdog', 'empty', 'A watchdog device.'),
  filesystem: el('filesystem', 'container', 'A shared host directory.'),
  acpi: el('acpi', 'flag', 'ACPI tables for the guest. Needed by virtio-iommu and used by the ARM virt machine to describe IOMMUs (IORT).'),
  gic: el('gic', 'empty', 'The ARM interrupt controller version.'),
  ioapic: el('ioapic', 'empty', 'x86 IOAPIC driver; intel `intremap` needs `driver=\'qemu\'`.'),
  type: el('type', 'text', 'OS type (`hvm`) with `arch` and `machine`.'),
  loader: el('loader', 'text', 'Firmware image.'),
  nvram: el('nvram', 'text', 'Firmware variable store.'),
  boot: el('boot', 'empty', 'Boot device.'),
  driver: el('driver', 'empty', 'Driver options.'),
  alias: el('alias', 'empty', 'The device alias.'),
  address: el('address', 'empty', 'A device address.'),
  model: el('model', 'empty', 'The device model.'),
  target: el('target', 'empty', 'Target settings.'),
  source: el('source', 'empty', 'Where the device comes from.'),
};

const ON_OFF: readonly ValueInfo[] = [{ value: 'on' }, { value: 'off' }];
const YES_NO: readonly ValueInfo[] = [{ value: 'yes' }, { value: 'no' }];

const GUEST_BUS_DOC = 'The **index** of the controller this device plugs into (not the bus number the guest sees). 0 is the root bus; a root port\'s index puts the device behind that root port.';

const PCI_ADDRESS_ATTRS: readonly AttrDoc[] = [
  {
    name: 'type', doc: 'The address type; `pci` for PCI and PCIe devices.',
    values: [{ value: 'pci' }, { value: 'drive' }, { value: 'virtio-serial' }, { value: 'ccid' }, { value: 'usb' }, { value: 'virtio-mmio' }, { value: 'isa' }, { value: 'unassigned', since: '6.0.0' }],
  },
  { name: 'domain', doc: 'PCI domain (segment) of the guest address; 0x0000 for every guest bus.' },
  { name: 'bus', doc: GUEST_BUS_DOC },
  { name: 'slot', doc: 'The slot on that bus (0x00–0x1f). A root port or downstream port has only slot 0x00.' },
  { name: 'function', doc: 'The function (0x0–0x7) of a multi-function device.' },
  { name: 'multifunction', doc: 'Marks function 0 of a multi-function device.', values: ON_OFF },
];

const HOST_ADDRESS_ATTRS: readonly AttrDoc[] = [
  { name: 'domain', doc: 'PCI domain (segment) of the device on the **host**, e.g. 0x0009 for `0009:01:00.0`.' },
  { name: 'bus', doc: 'Host PCI bus number of the device.' },
  { name: 'slot', doc: 'Host PCI slot (device) number.' },
  { name: 'function', doc: 'Host PCI function number.' },
];

/** Attributes by element key, in the order completion offers them. iommu/driver comes from the catalog. */
export const ATTRIBUTES: Readonly<Record<string, readonly AttrDoc[]>> = {
  domain: [{ name: 'type', doc: 'The hypervisor driver.', since: '0.0.1', values: [{ value: 'kvm' }, { value: 'qemu' }] }],
  iommu: [{ name: 'model', doc: 'The kind of virtual IOMMU.', since: '2.1.0' }],
  controller: [
    { name: 'type', doc: 'The bus the controller provides: `pci` for the PCI tree, others for storage, USB, serial…' },
    { name: 'index', doc: 'Number of this controller among those of its type. For PCI controllers it is what guest `<address bus=\'…\'>` and `<driver pciBus=\'…\'>` refer to. Optional since libvirt 1.3.5: left out, libvirt takes the lowest unused index.' },
    { name: 'model', doc: 'The controller model; for `type=\'pci\'` it says which node of the PCI tree this is (root, expander bus, root port, bridge…).', since: '1.0.5' },
  ],
  'controller/model': [{ name: 'name', doc: 'The QEMU device emulating the controller model.', since: '1.2.19' }],
  'controller/target': [
    {
      name: 'busNr', since: '1.3.4',
      doc: 'The guest bus number of an expander bus\'s root bus, 1–254. The bus numbers from `busNr` up to the next higher expander\'s `busNr` − 1 (or 255) belong to this expander: one for its own bus and one for every root port, bridge or switch port below it. Left out, libvirt takes the lowest other expander\'s busNr − 2 (254 for the first), room for one root port only.',
    },
    { name: 'chassis', since: '1.2.19', doc: 'Chassis number of a root port or downstream port (0–255), visible to the guest. libvirt uses the controller index when it is left out.' },
    { name: 'port', since: '1.2.19', doc: 'Port number of a root port or downstream port (0–255), visible to the guest. libvirt derives it from the slot and function when left out.' },
    { name: 'chassisNr', since: '1.2.19', doc: 'Chassis number of a pci-bridge (1–255). libvirt uses the controller index when it is left out.' },
    { name: 'hotplug', since: '6.3.0', doc: 'Set `off` to stop hotplug and hot-unplug of devices on this port.', values: ON_OFF },
  ],
  hostdev: [
    { name: 'mode', doc: '`subsystem` for devices handed over whole (PCI, USB, SCSI).', values: [{ value: 'subsystem' }, { value: 'capabilities' }] },
    { name: 'type', doc: 'The kind of host device.', values: [{ value: 'pci' }, { value: 'usb' }, { value: 'scsi' }, { value: 'scsi_host' }, { value: 'mdev' }] },
    { name: 'managed', doc: 'With `yes` libvirt detaches the device from its host driver (binding it to vfio-pci) when the guest starts and gives it back afterwards; with `no` that is up to you.', values: YES_NO },
  ],
  'hostdev/driver': [
    { name: 'name', doc: 'The assignment backend; `vfio` on current hosts.', values: [{ value: 'vfio' }, { value: 'kvm' }, { value: 'xen' }] },
    {
      name: 'iommufd', since: '12.1.0', values: YES_NO,
      doc: 'Use the iommufd backend (VFIO character device) for this device. QEMU only lets iommufd-backed VFIO devices sit behind an accelerated vSMMU, so set it there (or enable `<iommufd>` for the whole domain).',
    },
  ],
  'hostdev/acpi': [{ name: 'nodeset', since: '11.8.0', doc: 'Guest NUMA cells the device has affinity to (ACPI Generic Initiator).' }],
  'hostdev/rom': [{ name: 'bar', doc: 'Show (`on`) or hide (`off`) the option ROM.', values: ON_OFF }, { name: 'file', doc: 'A ROM image to use instead of the device\'s own.' }],
  'hostdev/source/address': HOST_ADDRESS_ATTRS,
  address: PCI_ADDRESS_ATTRS,
  alias: [{ name: 'name', doc: 'The alias; user-chosen aliases must start with `ua-`.' }],
  iommufd: [
    { name: 'enabled', since: '12.2.0', doc: 'Turn the iommufd backend on for every PCI hostdev of the domain.', values: YES_NO },
    { name: 'fdgroup', since: '12.2.0', doc: 'Name of a file descriptor passed in by the management application for /dev/iommu, for unprivileged setups.' },
  ],
  'os/type': [{ name: 'arch', doc: 'Guest CPU architecture.', values: [{ value: 'aarch64' }, { value: 'x86_64' }] }, { name: 'machine', doc: 'Machine type (`virt` on ARM, `q35` on x86).' }],
  'cpu/numa/cell': [{ name: 'id', doc: 'The cell number.' }, { name: 'cpus', doc: 'vCPUs of this cell.' }, { name: 'memory', doc: 'Memory of this cell.' }, { name: 'unit', doc: 'Unit of `memory`.' }],
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

/**
 * The cost and the reason of the nested-SMMU layout, shown on every hover
 * about accelerated vSMMUs and their expanders.
 */
export const NESTED_LAYOUT_NOTE = [
  '**Why one expander per vSMMU:** the kernel (iommufd) ties an accelerated vSMMU to exactly one physical SMMU, the one behind the first assigned device QEMU attaches to it, and refuses devices behind any other SMMU. So the layout is 1:1 twice over: one vSMMU per host SMMU in use, and one PCIe expander bus (`pxb-pcie`) per vSMMU, with only that SMMU\'s devices below it.',
  '',
  '**What it costs:** every expander takes a pcie-root slot and a block of guest bus numbers, and offers no hotplug; emulated devices (virtio, e1000, …) cannot sit behind an accelerated vSMMU; and the VM cannot be live-migrated: QEMU blocks migration of a VM whose assigned (VFIO) devices sit behind a vIOMMU, as it does for VFIO devices in general.',
].join('\n');
