/**
 * Questions the checks ask about a host: which IOMMU translates a device,
 * which devices an IOMMU serves, which SMMUv3 instances exist.
 *
 * Lookup maps are built once per topology object and kept in a WeakMap, so
 * each question is O(1) and the maps go away with the topology. This relies
 * on topologies not being mutated after the first query; the reader and the
 * snapshot loader hand out finished objects, and the provider replaces rather
 * than edits them.
 */
import type { HostIommu, HostPciDevice, HostTopology, IommuKind } from './types';
import { parseCpuList } from './cpuList';

interface TopologyIndex {
  deviceByBdf: Map<string, HostPciDevice>;
  iommuByName: Map<string, HostIommu>;
  /** bdf → IOMMU name, from both the device's `iommu` field and the IOMMUs' device lists. */
  iommuOfBdf: Map<string, string>;
  /** IOMMU name → sorted bdfs, from both views. */
  bdfsOfIommu: Map<string, string[]>;
  smmuv3s: HostIommu[];
}

const indexes = new WeakMap<HostTopology, TopologyIndex>();

function indexOf(t: HostTopology): TopologyIndex {
  let ix = indexes.get(t);
  if (ix) return ix;
  const deviceByBdf = new Map(t.pciDevices.map((d) => [d.bdf.toLowerCase(), d]));
  const iommuByName = new Map(t.iommus.map((i) => [i.name, i]));
  const iommuOfBdf = new Map<string, string>();
  const sets = new Map<string, Set<string>>();
  const add = (iommu: string, bdf: string): void => {
    let s = sets.get(iommu);
    if (!s) sets.set(iommu, (s = new Set()));
    s.add(bdf);
  };
  // A hand-written snapshot may state the relation from either end; a
  // device's own `iommu` field wins when the two disagree.
  for (const i of t.iommus) {
    sets.set(i.name, sets.get(i.name) ?? new Set());
    for (const bdf of i.devices) {
      const b = bdf.toLowerCase();
      add(i.name, b);
      if (!iommuOfBdf.has(b)) iommuOfBdf.set(b, i.name);
    }
  }
  for (const d of t.pciDevices) {
    if (!d.iommu) continue;
    const b = d.bdf.toLowerCase();
    iommuOfBdf.set(b, d.iommu);
    add(d.iommu, b);
  }
  const bdfsOfIommu = new Map([...sets].map(([name, s]) => [name, [...s].sort()]));
  const smmuv3s = t.iommus.filter((i) => i.kind === 'smmuv3');
  ix = { deviceByBdf, iommuByName, iommuOfBdf, bdfsOfIommu, smmuv3s };
  indexes.set(t, ix);
  return ix;
}

/** Canonical form of a device address given as text; undefined when it is not one. */
function canon(bdf: string): string | undefined {
  return parseBdf(bdf)?.bdf;
}

/** The device at `bdf` (any case; the domain may be omitted). */
export function findDevice(t: HostTopology, bdf: string): HostPciDevice | undefined {
  const b = canon(bdf);
  return b === undefined ? undefined : indexOf(t).deviceByBdf.get(b);
}

/**
 * The IOMMU translating the device at `bdf`, or undefined when it has none (or
 * is unknown). An IOMMU named only by a device and absent from the list is
 * returned as a minimal entry rather than dropped.
 */
export function iommuOfDevice(t: HostTopology, bdf: string): HostIommu | undefined {
  const b = canon(bdf);
  if (b === undefined) return undefined;
  const ix = indexOf(t);
  const name = ix.iommuOfBdf.get(b);
  if (name === undefined) return undefined;
  return ix.iommuByName.get(name) ?? { name, kind: iommuKindOf(name), devices: ix.bdfsOfIommu.get(name) ?? [] };
}

/**
 * The devices the IOMMU `name` translates, sorted by address. Addresses the
 * IOMMU lists without a matching PCI device entry come back as `{ bdf }`.
 */
export function devicesOfIommu(t: HostTopology, name: string): HostPciDevice[] {
  const ix = indexOf(t);
  return (ix.bdfsOfIommu.get(name) ?? []).map((b) => ix.deviceByBdf.get(b) ?? { bdf: b });
}

/** The host's SMMUv3 instances, in the topology's order (sorted by name when read from sysfs). */
export function smmuv3s(t: HostTopology): HostIommu[] {
  return indexOf(t).smmuv3s;
}

/** True when the host has at least one SMMUv3, i.e. nested SMMUv3 can be checked against it. */
export function isArmSmmuHost(t: HostTopology): boolean {
  return indexOf(t).smmuv3s.length > 0;
}

export interface ParsedBdf {
  domain: number;
  bus: number;
  slot: number;
  function: number;
  /** Canonical `dddd:bb:ss.f`. */
  bdf: string;
}

/**
 * `dddd:bb:ss.f` in lower-case hex, or undefined when a part is not an integer
 * in PCI range (domain 16 bits, bus 8, slot 5, function 3): a libvirt
 * `<address>` can hold anything, and a wrong address must not match a device.
 */
export function normalizeBdf(domain: number, bus: number, slot: number, fn: number): string | undefined {
  const ok = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max;
  if (!ok(domain, 0xffff) || !ok(bus, 0xff) || !ok(slot, 0x1f) || !ok(fn, 7)) return undefined;
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${fn}`;
}

/**
 * Parses `DDDD:BB:SS.F` or `BB:SS.F` (domain 0), hex digits in any case and
 * with or without leading zeros, as `lspci` and sysfs print them.
 */
export function parseBdf(s: string): ParsedBdf | undefined {
  const m = /^\s*(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])\s*$/.exec(s);
  if (!m) return undefined;
  const domain = m[1] === undefined ? 0 : parseInt(m[1], 16);
  const bus = parseInt(m[2], 16);
  const slot = parseInt(m[3], 16);
  const fn = parseInt(m[4], 16);
  const bdf = normalizeBdf(domain, bus, slot, fn);
  return bdf === undefined ? undefined : { domain, bus, slot, function: fn, bdf };
}

/**
 * One line naming a device for hovers and messages:
 * "NVIDIA Corporation GH100 [H100] (10de:2342)", or only the ids when
 * pci.ids had no names, or the address when even the ids are unknown.
 */
export function describeDevice(d: HostPciDevice): string {
  const id = (s: string | undefined): string | undefined => s?.toLowerCase().replace(/^0x/, '');
  const v = id(d.vendorId);
  const dev = id(d.deviceId);
  const ids = v && dev ? `${v}:${dev}` : v ? `${v}:????` : undefined;
  const name = [d.vendorName, d.deviceName ?? (d.vendorName && dev ? `device ${dev}` : undefined)].filter((s): s is string => !!s).join(' ');
  if (name && ids) return `${name} (${ids})`;
  if (ids) return ids;
  return name || `PCI device ${d.bdf}`;
}

/** IOMMU kind from its class device name (`smmu3.0x` + 16 hex digits is how arm-smmu-v3 names instances). */
export function iommuKindOf(name: string): IommuKind {
  if (/^smmu3\.0x[0-9a-f]{16}$/.test(name)) return 'smmuv3';
  if (name.startsWith('dmar')) return 'intel-dmar';
  if (name.startsWith('ivhd')) return 'amd-ivhd';
  return 'other';
}

/** Host CPU -> host NUMA node, from the topology's node list; undefined when the host did not say. */
export function cpuNodeMap(t: HostTopology): Map<number, number> | undefined {
  if (!t.numaNodes) return undefined;
  const out = new Map<number, number>();
  for (const n of t.numaNodes) for (const cpu of parseCpuList(n.cpus) ?? []) out.set(cpu, n.id);
  return out;
}
