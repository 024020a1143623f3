/**
 * What libvirt accepts for the elements this project knows in depth: IOMMU
 * models, `<driver>` attributes per model, PCI controller models. One table
 * feeds the rules (which attribute is valid where, value ranges, the version
 * that introduced it), completion (names and values) and hover (the docs).
 *
 * Facts come from the project's reference on nested SMMUv3 (§2–§4); entries
 * marked `confirmed: false` are inferred, and rules built on them warn rather
 * than fail.
 */

import type { MachineFamily } from './machine';
import { compareVersions } from './versions';

/**
 * Which libvirt release brought what, for every feature whose release a
 * message, a hover text, a schema message or a rule names. The catalog's
 * `since` fields below read it, and so does every text that names a release:
 * no release number is typed anywhere else.
 */
export const LIBVIRT_RELEASE = {
  /** `<iommu model='smmuv3'>` with `<driver pciBus='N'/>`: the pluggable vSMMU, several per guest. */
  pluggableSmmuv3: '11.10.0',
  /**
   * `accel` and its tuning attributes (ats, ril, ssidsize, oas, cmdqv) on a pluggable smmuv3: "Since 12.7.0"
   * in the IOMMU section of the formatdomain.html that libvirt 12.8.0 ships (Debian's libvirt-doc).
   */
  acceleratedSmmuv3: '12.7.0',
  /** `<hostdev><driver iommufd='yes'/>`: an assigned device on the iommufd backend. */
  hostdevIommufd: '12.1.0',
  /** `<iommufd enabled='yes'/>` in `<domain>`: iommufd for every assigned device. */
  domainIommufd: '12.2.0',
  /** `<hostdev><acpi nodeset>`: ACPI Generic Initiator affinity. */
  hostdevAcpiNodeset: '11.8.0',
  /** `<granule>` in a virtio-iommu's `<driver>`, and `aw_bits` on virtio-iommu. */
  virtioIommuGranule: '12.1.0',
  /** `pasid` on the Intel vIOMMU. */
  intelIommuPasid: '12.8.0',
} as const;

function latestOf(...versions: string[]): string {
  return versions.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
}

/**
 * The first release in which an accelerated vSMMU can serve an assigned
 * device: the pluggable form, `accel`, and the hostdev's iommufd backend
 * (QEMU takes only iommufd-backed VFIO devices behind an accelerated vSMMU,
 * and `<driver iommufd='yes'/>` is the earliest way to ask for it).
 */
export const ACCEL_VSMMU_WITH_VFIO_SINCE = latestOf(LIBVIRT_RELEASE.pluggableSmmuv3, LIBVIRT_RELEASE.acceleratedSmmuv3, LIBVIRT_RELEASE.hostdevIommufd);

export type ValueKind = { kind: 'onoff' } | { kind: 'int'; min: number; max: number } | { kind: 'enum'; values: readonly string[] } | { kind: 'index' } | { kind: 'string' };

export interface AttributeInfo {
  readonly name: string;
  readonly value: ValueKind;
  /** libvirt version that introduced the attribute (for these models). */
  readonly since?: string;
  /** True when the value only matters with `accel='on'`. */
  readonly accelOnly?: boolean;
  /** True when the attribute belongs to the pluggable form and needs `pciBus`. */
  readonly needsPciBus?: boolean;
  readonly confirmed?: boolean;
  /** Where a model takes the attribute with other values than `value` (QEMU's device differs per model). */
  readonly valueByModel?: Readonly<Record<string, ValueKind>>;
  /** Where a model gained the attribute later than `since`. */
  readonly sinceByModel?: Readonly<Record<string, string>>;
  /**
   * Models on which libvirt passes the value to QEMU without checking it, so
   * `virsh define` accepts a bad one and QEMU refuses it at start (seen with
   * libvirt 12.8's domxml-to-native).
   */
  readonly rangeCheckedOnlyAtStart?: readonly string[];
  readonly doc: string;
}

/** The values an attribute takes on one IOMMU model. */
export function attributeValueFor(spec: AttributeInfo, model: string): ValueKind {
  return spec.valueByModel && Object.prototype.hasOwnProperty.call(spec.valueByModel, model) ? spec.valueByModel[model] : spec.value;
}

/** The libvirt release that lets one IOMMU model carry the attribute. */
export function attributeSinceFor(spec: AttributeInfo, model: string | undefined): string | undefined {
  return model !== undefined && spec.sinceByModel && Object.prototype.hasOwnProperty.call(spec.sinceByModel, model) ? spec.sinceByModel[model] : spec.since;
}

export interface IommuModelInfo {
  readonly name: string;
  readonly since: string;
  readonly machines: string;
  /** The machine families (domain/machine.ts) the model is accepted on; `machines` says the same in words. */
  readonly machineFamilies?: readonly MachineFamily[];
  /** True when libvirt requires `<features><acpi/>` for the model. */
  readonly needsAcpi?: boolean;
  readonly allowsAddress: boolean;
  readonly attributes: readonly string[];
  readonly doc: string;
}

export const IOMMU_DRIVER_ATTRIBUTES: Readonly<Record<string, AttributeInfo>> = {
  intremap: { name: 'intremap', value: { kind: 'onoff' }, since: '3.4.0', doc: "Interrupt remapping. On x86 it also needs `<features><ioapic driver='qemu'/></features>`." },
  caching_mode: {
    name: 'caching_mode',
    value: { kind: 'onoff' },
    since: '3.4.0',
    confirmed: false,
    doc: 'Intel caching mode (`caching-mode`), needed when the guest itself assigns devices through the vIOMMU.',
  },
  eim: {
    name: 'eim',
    value: { kind: 'onoff' },
    since: '3.4.0',
    confirmed: false,
    doc: "Extended interrupt mode, so that more than 255 vCPUs can take interrupts. Needs `intremap='on'`.",
  },
  iotlb: { name: 'iotlb', value: { kind: 'onoff' }, since: '3.5.0', confirmed: false, doc: 'Device IOTLB (ATS) support in the emulated IOMMU (`device-iotlb`).' },
  aw_bits: {
    name: 'aw_bits',
    value: { kind: 'enum', values: ['39', '48'] },
    since: '4.5.0',
    confirmed: false,
    // virtio-iommu's aw-bits is a plain width (QEMU checks 32..64); libvirt takes it on virtio since the granule work.
    valueByModel: { virtio: { kind: 'int', min: 32, max: 64 } },
    sinceByModel: { virtio: LIBVIRT_RELEASE.virtioIommuGranule },
    rangeCheckedOnlyAtStart: ['intel'],
    doc:
      'Input address width of the vIOMMU in bits (`aw-bits`): on `intel` QEMU accepts 39 or 48; on `virtio` 32 to 64 (libvirt ' +
      LIBVIRT_RELEASE.virtioIommuGranule +
      ' and later). A guest width above what the host IOMMU offers makes QEMU refuse assigned devices.',
  },
  dma_translation: {
    name: 'dma_translation',
    value: { kind: 'onoff' },
    since: '10.7.0',
    confirmed: false,
    doc: 'Turns DMA translation of the Intel vIOMMU off while keeping interrupt remapping, for guests that only need x2APIC.',
  },
  passthrough: { name: 'passthrough', value: { kind: 'onoff' }, since: '11.5.0', doc: 'AMD vIOMMU pass-through mode (`pt`).' },
  xtsup: { name: 'xtsup', value: { kind: 'onoff' }, since: '11.5.0', doc: 'AMD x2APIC (XT) interrupt support (`xtsup`).' },
  pasid: { name: 'pasid', value: { kind: 'int', min: 0, max: 20 }, since: LIBVIRT_RELEASE.intelIommuPasid, doc: 'PASID width in bits of the Intel vIOMMU; 0 turns PASID off.' },
  pciBus: {
    name: 'pciBus',
    value: { kind: 'index' },
    since: LIBVIRT_RELEASE.pluggableSmmuv3,
    doc: "Makes the SMMUv3 a pluggable device attached to a PCIe root complex. The value is a controller **index** (a `pcie-expander-bus`, or 0 for pcie-root), not the expander's `busNr`. Each `pciBus` may carry one vSMMU.",
  },
  accel: {
    name: 'accel',
    value: { kind: 'onoff' },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    doc: 'Backs the vSMMU with the host SMMUv3 in nested mode: the guest owns stage 1, the host stage 2, through iommufd. QEMU binds the vSMMU to the host SMMU of the first assigned device behind it, so every assigned device behind it must sit behind that same host SMMU, and only VFIO devices with the iommufd backend may sit behind it.',
  },
  ats: {
    name: 'ats',
    value: { kind: 'onoff' },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    accelOnly: true,
    doc: "Advertises Address Translation Services to the guest. QEMU refuses `on` when the host SMMU has no ATS. Left out with `accel='on'`, QEMU copies the host's setting.",
  },
  ril: {
    name: 'ril',
    value: { kind: 'onoff' },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    accelOnly: true,
    doc: "Range invalidation. `off` hides it from the guest; `on` is refused when the host SMMU lacks it. Left out with `accel='on'`, QEMU copies the host's setting.",
  },
  ssidsize: {
    name: 'ssidsize',
    value: { kind: 'int', min: 0, max: 20 },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    accelOnly: true,
    rangeCheckedOnlyAtStart: ['smmuv3'],
    doc: "SubstreamID (PASID) bits advertised to the guest, 0–20; above 0 the guest can use PASIDs (for example for SVA). Must not exceed the host SMMU's SSIDSIZE.",
  },
  oas: {
    name: 'oas',
    value: { kind: 'enum', values: ['44', '48'] },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    accelOnly: true,
    rangeCheckedOnlyAtStart: ['smmuv3'],
    doc: "Output address size in bits, 44 (QEMU's default) or 48. Must not exceed the host SMMU's OAS; Grace Blackwell hosts report 48.",
  },
  cmdqv: {
    name: 'cmdqv',
    value: { kind: 'onoff' },
    since: LIBVIRT_RELEASE.acceleratedSmmuv3,
    needsPciBus: true,
    accelOnly: true,
    doc: "NVIDIA Tegra241 command-queue virtualisation (vCMDQ): the guest gets the host's command queues directly. Left out with `accel='on'`, QEMU uses its default.",
  },
};

export const IOMMU_MODELS: Readonly<Record<string, IommuModelInfo>> = {
  intel: {
    name: 'intel',
    since: '2.1.0',
    machines: 'x86 Q35',
    machineFamilies: ['q35'],
    allowsAddress: false,
    attributes: ['intremap', 'caching_mode', 'eim', 'iotlb', 'aw_bits', 'dma_translation', 'pasid'],
    doc: 'Emulated Intel VT-d IOMMU (QEMU `intel-iommu`). Q35 machines only.',
  },
  smmuv3: {
    name: 'smmuv3',
    since: '5.5.0',
    machines: 'ARM virt',
    machineFamilies: ['arm-virt'],
    allowsAddress: false,
    attributes: ['pciBus', 'accel', 'ats', 'ril', 'ssidsize', 'oas', 'cmdqv'],
    doc:
      "ARM SMMUv3. Without `pciBus` it is the machine-integrated SMMU of the `virt` board (`-machine virt,iommu=smmuv3`), one per guest. With `<driver pciBus='N'/>` (libvirt " +
      LIBVIRT_RELEASE.pluggableSmmuv3 +
      ") it becomes a pluggable device on one PCIe root complex, and a guest may have several. With `accel='on'` it is a nested, hardware-accelerated vSMMU backed by a host SMMUv3; with assigned devices it works from libvirt " +
      ACCEL_VSMMU_WITH_VFIO_SINCE +
      ' on.',
  },
  virtio: {
    name: 'virtio',
    since: '8.3.0',
    machines: 'x86 Q35 or ARM virt',
    machineFamilies: ['q35', 'arm-virt'],
    needsAcpi: true,
    allowsAddress: true,
    attributes: ['aw_bits'],
    doc: 'Paravirtual virtio-iommu. Q35 or ARM virt, needs ACPI (`<features><acpi/>`), may carry a PCI `<address>`.',
  },
  amd: {
    name: 'amd',
    since: '11.5.0',
    machines: 'x86 Q35',
    machineFamilies: ['q35'],
    allowsAddress: true,
    attributes: ['intremap', 'iotlb', 'passthrough', 'xtsup'],
    doc: 'Emulated AMD-Vi IOMMU. Q35 machines only; may carry a PCI `<address>`.',
  },
};

/** Models from proposals that never reached a released libvirt. */
export const PROPOSAL_IOMMU_MODELS: Readonly<Record<string, string>> = {
  nestedSmmuv3: 'the 2025 RFC that named host SMMUs in the XML',
  nestedsmmuv3: 'the 2025 RFC that named host SMMUs in the XML',
  smmuv3Dev: 'the 2025 "smmuv3Dev" RFC, replaced by smmuv3 with pciBus',
};

/** Spellings seen in the wild and what upstream libvirt writes instead. */
export const ATTRIBUTE_MISSPELLINGS: Readonly<Record<string, { canonical: string; why: string }>> = {
  ssidSize: { canonical: 'ssidsize', why: 'upstream libvirt spells it in lower case; ssidSize comes from a downstream fork and KubeVirt' },
  ssid_size: { canonical: 'ssidsize', why: 'upstream libvirt spells it ssidsize' },
  pcibus: { canonical: 'pciBus', why: 'the attribute is case-sensitive' },
  parentIdx: { canonical: 'pciBus', why: 'parentIdx came from the smmuv3Dev RFC; released libvirt uses pciBus' },
};

export interface ControllerModelInfo {
  readonly name: string;
  readonly modelName?: string;
  /** Other `<model name>` values libvirt accepts for the model (older QEMU devices). */
  readonly otherModelNames?: readonly string[];
  readonly since?: string;
  /** True for ports and bridges: each takes one guest bus number of its own below its root complex. */
  readonly ownsBus?: boolean;
  /** When set, the only controller models that may plug into this one (L11 of the reference). */
  readonly acceptsOnly?: readonly string[];
  /** When set, the machine families the model is accepted on. */
  readonly machineFamilies?: readonly MachineFamily[];
  readonly doc: string;
}

export const PCI_CONTROLLER_MODELS: Readonly<Record<string, ControllerModelInfo>> = {
  'pcie-root': {
    name: 'pcie-root',
    since: '1.1.2',
    doc: 'The PCIe root complex of a Q35 or ARM virt machine, always index 0. Devices plug into root ports on it, not into it directly.',
  },
  'pci-root': { name: 'pci-root', since: '1.0.5', doc: 'The conventional PCI root bus of i440fx and other non-PCIe machines, index 0.' },
  'pcie-root-port': {
    name: 'pcie-root-port',
    ownsBus: true,
    modelName: 'pcie-root-port',
    otherModelNames: ['ioh3420'],
    since: '1.2.19',
    doc: 'A PCIe root port: one slot for one device, with its own bus number. Plugs into pcie-root or an expander bus.',
  },
  'pcie-switch-upstream-port': {
    name: 'pcie-switch-upstream-port',
    ownsBus: true,
    modelName: 'x3130-upstream',
    since: '1.2.19',
    doc: 'Upstream port of an emulated PCIe switch; downstream ports plug into it.',
  },
  'pcie-switch-downstream-port': {
    name: 'pcie-switch-downstream-port',
    ownsBus: true,
    modelName: 'xio3130-downstream',
    since: '1.2.19',
    doc: 'Downstream port of an emulated PCIe switch: one slot for one device.',
  },
  'pcie-expander-bus': {
    name: 'pcie-expander-bus',
    modelName: 'pxb-pcie',
    since: '1.3.4',
    acceptsOnly: ['pcie-root-port', 'dmi-to-pci-bridge'],
    machineFamilies: ['q35', 'arm-virt'],
    doc: 'A PCIe expander bus (QEMU `pxb-pcie`): an extra PCIe root complex, with its own guest NUMA node and its own bus number range starting at `busNr`. It plugs into pcie-root and accepts only root ports and dmi-to-pci-bridges, with no hotplug. For nested SMMUv3 each expander carries one vSMMU, and each vSMMU serves the devices of one host SMMU.',
  },
  'pci-expander-bus': { name: 'pci-expander-bus', modelName: 'pxb', since: '1.3.4', doc: 'A conventional PCI expander bus (QEMU `pxb`) for i440fx machines.' },
  'pci-bridge': { name: 'pci-bridge', ownsBus: true, modelName: 'pci-bridge', since: '1.0.5', doc: 'A conventional PCI bridge with 32 hotpluggable slots.' },
  'dmi-to-pci-bridge': {
    name: 'dmi-to-pci-bridge',
    ownsBus: true,
    modelName: 'i82801b11-bridge',
    since: '1.1.2',
    doc: 'Bridges PCIe to conventional PCI; pci-bridges plug into it.',
  },
  'pcie-to-pci-bridge': {
    name: 'pcie-to-pci-bridge',
    ownsBus: true,
    modelName: 'pcie-pci-bridge',
    since: '4.3.0',
    doc: 'A PCIe to PCI bridge with hotpluggable conventional PCI slots.',
  },
};

/**
 * Which PCI controller models take each `<target>` option; libvirt refuses
 * the option on any other ("Option '…' is not valid for PCI controller …").
 * Keyed by the XML spelling; `node` is the `<node>` child. Checked against
 * libvirt 12.8. `index` (libvirt's targetIndex) numbers the extra PCI host
 * bridges of pSeries guests and exists nowhere else.
 */
export const PCI_CONTROLLER_OPTIONS: Readonly<
  Record<string, { readonly label: string; readonly libvirtName: string; readonly models: readonly string[]; readonly arches?: readonly string[] }>
> = {
  chassisNr: { label: 'chassisNr', libvirtName: 'chassisNr', models: ['pci-bridge'] },
  chassis: { label: 'chassis', libvirtName: 'chassis', models: ['pcie-root-port', 'pcie-switch-downstream-port'] },
  port: { label: 'port', libvirtName: 'port', models: ['pcie-root-port', 'pcie-switch-downstream-port'] },
  busNr: { label: 'busNr', libvirtName: 'busNr', models: ['pci-expander-bus', 'pcie-expander-bus'] },
  node: { label: '<node>', libvirtName: 'numaNode', models: ['pci-expander-bus', 'pcie-expander-bus'] },
  hotplug: { label: 'hotplug', libvirtName: 'hotplug', models: ['pci-root', 'pcie-root-port', 'pcie-switch-downstream-port'] },
  index: { label: '<target index>', libvirtName: 'targetIndex', models: ['pci-root'], arches: ['ppc64', 'ppc64le'] },
};

/** SCSI controller models that take `<driver iothread>`; libvirt refuses it on every other controller. */
export const IOTHREAD_CONTROLLER_MODELS: readonly string[] = ['virtio-scsi', 'virtio-transitional', 'virtio-non-transitional'];

/** Numeric `<target>` attributes of PCI controllers and the ranges libvirt accepts (L9 of the reference). */
export const PCI_CONTROLLER_TARGET_RANGES: Readonly<Record<'busNr' | 'chassisNr' | 'chassis' | 'port', { readonly min: number; readonly max: number }>> = {
  busNr: { min: 1, max: 254 },
  chassisNr: { min: 1, max: 255 },
  chassis: { min: 0, max: 255 },
  port: { min: 0, max: 255 },
};

/** Highest guest PCI bus number; an expander's hierarchy must end at or below it. */
export const MAX_PCI_BUS_NUMBER = 255;

export interface FeatureSinceInfo {
  /** How messages name the feature. */
  readonly label: string;
  readonly since: string;
  readonly doc: string;
}

/** Elements and attributes outside `<iommu>`/`<controller>` models that matter for nested SMMUv3, with the libvirt release that added them. */
export const FEATURE_SINCE: Readonly<Record<'hostdevIommufd' | 'domainIommufd' | 'hostdevAcpiNodeset' | 'iommuGranule', FeatureSinceInfo>> = {
  hostdevIommufd: {
    label: "<hostdev><driver iommufd='yes'/>",
    since: LIBVIRT_RELEASE.hostdevIommufd,
    doc: 'Opens the assigned device through iommufd (VFIO cdev) instead of the legacy VFIO container.',
  },
  domainIommufd: { label: '<iommufd>', since: LIBVIRT_RELEASE.domainIommufd, doc: 'Turns iommufd on for every assigned device of the domain.' },
  hostdevAcpiNodeset: {
    label: '<hostdev><acpi nodeset>',
    since: LIBVIRT_RELEASE.hostdevAcpiNodeset,
    doc: 'ACPI Generic Initiator NUMA affinity of an assigned device (Grace GPUs).',
  },
  iommuGranule: { label: '<iommu><driver><granule>', since: LIBVIRT_RELEASE.virtioIommuGranule, doc: 'Page granule of the virtio-iommu.' },
};

/**
 * Older spellings of syntax that the version rule flags: for a feature of
 * `FEATURE_SINCE` that a targeted release lacks, the feature of an earlier
 * release that says the same thing. The "too new" quick fix rewrites to it
 * when the target has it. Only documented equivalences belong here (the
 * nested-SMMUv3 reference, §4.4: either form satisfies QEMU's iommufd rule);
 * none of the `<iommu>` driver attributes, models or controller models has
 * an older spelling in libvirt.
 */
export const OLDER_FORMS: Readonly<Partial<Record<keyof typeof FEATURE_SINCE, { readonly older: keyof typeof FEATURE_SINCE; readonly how: string }>>> = {
  // `<iommufd enabled='yes'/>` turns the iommufd backend on for every assigned PCI device; before it, each device asked for it.
  domainIommufd: { older: 'hostdevIommufd', how: "iommufd='yes' on each assigned device's <driver>" },
};

export const CONTROLLER_TYPES = ['pci', 'usb', 'scsi', 'sata', 'virtio-serial', 'ide', 'fdc', 'ccid', 'xenbus', 'isa', 'nvme'] as const;
