/**
 * The host topology as the language service sees it: IOMMU instances and PCI
 * devices of the machine a domain will run on. Plain data, so that it can be
 * written to and read from a JSON snapshot unchanged.
 */

/**
 * Snapshot format version; bump when the format changes. Version 2 added
 * `bars` to PCI devices, version 3 `numaNodes` (the host CPUs of each NUMA
 * node); older snapshots still load, without what they lack.
 */
export const HOST_SNAPSHOT_VERSION = 3;

/** Snapshot versions this reader accepts. */
export const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [1, 2, 3];

/** One host NUMA node, from /sys/devices/system/node/nodeN. */
export interface HostNumaNode {
  id: number;
  /** Its CPUs in the kernel's list format (`cpulist`, "0-71"); empty for a node without CPUs. */
  cpus: string;
}

/** One memory or I/O BAR of a PCI function, from sysfs `resource`. */
export interface HostPciBar {
  /** BAR number 0-5 (a 64-bit BAR takes two registers and is listed under the first). */
  index: number;
  /** Size in bytes. */
  size: number;
  kind: 'io' | 'mem32' | 'mem64';
  prefetchable: boolean;
}

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
  /**
   * Output address size in bits, when known. Mainline sysfs does not expose
   * the SMMU's IDR registers, so only a snapshot can carry it (written by hand
   * from the kernel log's "oas N-bit" line, or by a tool using IOMMU_GET_HW_INFO).
   */
  oas?: number;
}

export interface HostPciDevice {
  /** `DDDD:BB:SS.F`, lower case. */
  bdf: string;
  vendorId?: string; // e.g. "0x10de"
  deviceId?: string; // e.g. "0x2342"
  classCode?: string; // e.g. "0x030200"
  vendorName?: string; // from pci.ids when available
  deviceName?: string; // from pci.ids when available
  numaNode?: number; // -1 in sysfs means "none": left undefined
  iommuGroup?: number;
  driver?: string; // bound driver, e.g. "vfio-pci", "nvidia"
  /** Name of the IOMMU instance translating this device, if any. */
  iommu?: string;
  /** Its BARs with a non-zero size, when `resource` could be read. */
  bars?: HostPciBar[];
}

export type HostSource = { kind: 'sysfs'; root: string } | { kind: 'snapshot'; file: string; hostname?: string };

export interface HostTopology {
  version: number;
  source: HostSource;
  /** Host name recorded when the topology was read, if known. */
  hostname?: string;
  /** ISO time the topology was read. */
  readAt: string;
  iommus: HostIommu[];
  pciDevices: HostPciDevice[];
  /**
   * The host's NUMA nodes and their CPUs, when known (sysfs; snapshots from
   * version 3): which node a pinned vCPU runs on.
   */
  numaNodes?: HostNumaNode[];
  /** Human-readable notes about partial reads (missing class/iommu, unreadable entries, ...). */
  notes: string[];
}
