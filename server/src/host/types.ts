/**
 * The host topology as the language service sees it: IOMMU instances and PCI
 * devices of the machine a domain will run on. Plain data, so that it can be
 * written to and read from a JSON snapshot unchanged.
 */

/** Snapshot format version; bump on incompatible changes. */
export const HOST_SNAPSHOT_VERSION = 1;

export type IommuKind = 'smmuv3' | 'intel-dmar' | 'amd-ivhd' | 'other';

export interface HostIommu {
  /** Class device name, e.g. `smmu3.0x0000000016000000`, `dmar0`, `ivhd0`. */
  name: string;
  kind: IommuKind;
  /** Parent device name, e.g. `arm-smmu-v3.8.auto` or a device-tree name. */
  platformDevice?: string;
  /** PCI addresses (`DDDD:BB:SS.F`, lower case) of the devices it translates, sorted. */
  devices: string[];
  /** NUMA node of the IOMMU's platform device, when the host says. */
  numaNode?: number;
}

export interface HostPciDevice {
  /** `DDDD:BB:SS.F`, lower case. */
  bdf: string;
  vendorId?: string;   // e.g. "0x10de"
  deviceId?: string;   // e.g. "0x2342"
  classCode?: string;  // e.g. "0x030200"
  vendorName?: string; // from pci.ids when available
  deviceName?: string; // from pci.ids when available
  numaNode?: number;   // -1 in sysfs means "none": left undefined
  iommuGroup?: number;
  driver?: string;     // bound driver, e.g. "vfio-pci", "nvidia"
  /** Name of the IOMMU instance translating this device, if any. */
  iommu?: string;
}

export type HostSource =
  | { kind: 'sysfs'; root: string }
  | { kind: 'snapshot'; file: string; hostname?: string };

export interface HostTopology {
  version: typeof HOST_SNAPSHOT_VERSION;
  source: HostSource;
  /** Host name recorded when the topology was read, if known. */
  hostname?: string;
  /** ISO time the topology was read. */
  readAt: string;
  iommus: HostIommu[];
  pciDevices: HostPciDevice[];
  /** Human-readable notes about partial reads (missing class/iommu, unreadable entries, ...). */
  notes: string[];
}
