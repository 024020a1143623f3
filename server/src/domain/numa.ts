/**
 * The guest's NUMA layout as it matters for assigned devices: the cells of
 * `<cpu><numa>` (which have CPUs or memory, which are empty), which host
 * nodes back each cell (`<numatune>`), and the ACPI Generic Initiator cells
 * a hostdev names with `<acpi nodeset>`.
 *
 * A cell's vCPUs run on host CPUs: `<cputune><vcpupin cpuset>` per vCPU,
 * else `<vcpu cpuset>` for all of them. With the host's CPU-to-node map
 * (sysfs node/nodeN/cpulist, in the host topology) that says which host
 * nodes run a cell, where `<numatune>` says only where its memory lives.
 * `<emulatorpin>` is not used: the emulator threads serve the whole domain,
 * no cell in particular, and an assigned device's interrupts reach the
 * vCPUs without them (KVM irqfd).
 */
import type { DomainModel, Hostdev } from './model';
import { parseLibvirtInt } from './model';
import type { HostPciDevice } from '../host/types';
import { formatCpuList } from '../host/cpuList';
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attr, child, children } from '../xml/query';

/**
 * Generic Initiator cells per Grace GPU: QEMU's documentation of
 * acpi-generic-initiator (qemu-options.hx) asks for 8 nodes per device on
 * Grace Hopper; fewer are allowed but leave MIG partitions without a node.
 */
export const GRACE_GI_CELLS_PER_GPU = 8;

/** An NVIDIA 3D controller: the class Grace Hopper/Blackwell GPUs report. */
export function isNvidiaGpu(d: HostPciDevice | undefined): boolean {
  return !!d && d.vendorId?.toLowerCase() === '0x10de' && /^0x0302/i.test(d.classCode ?? '');
}

export interface GuestCell {
  readonly id: number;
  readonly el: XmlElement;
  /** True when `cpus` names at least one vCPU. */
  readonly hasCpus: boolean;
  /** True when `memory` is written and not zero (in any unit). */
  readonly hasMemory: boolean;
}

/**
 * libvirt's node/CPU set syntax: comma-separated numbers and ranges, `^N`
 * excluding one. Undefined when the text is not one (libvirt rejects it).
 */
export function parseNodeset(text: string | undefined): Set<number> | undefined {
  if (text === undefined) return undefined;
  const out = new Set<number>();
  const excluded: number[] = [];
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return undefined;
  for (const p of parts) {
    let m: RegExpExecArray | null;
    if ((m = /^\^(\d+)$/.exec(p))) excluded.push(Number(m[1]));
    else if ((m = /^(\d+)$/.exec(p))) out.add(Number(m[1]));
    else if ((m = /^(\d+)\s*-\s*(\d+)$/.exec(p))) {
      const a = Number(m[1]),
        b = Number(m[2]);
      if (b < a || b - a > 4096) return undefined;
      for (let i = a; i <= b; i++) out.add(i);
    } else return undefined;
  }
  for (const e of excluded) out.delete(e);
  return out;
}

/** A set of numbers written the way libvirt prints them: ranges joined by commas ("2-9,12"), as the kernel writes a CPU list. */
export function formatNodeset(nodes: Iterable<number>): string {
  return formatCpuList(nodes);
}

export function guestCells(m: DomainModel): GuestCell[] {
  return m.numaCells.map(({ id, el }) => {
    const cpus = parseNodeset(attr(el, 'cpus')?.value);
    const mem = parseLibvirtInt(attr(el, 'memory')?.value);
    return { id, el, hasCpus: !!cpus && cpus.size > 0, hasMemory: Number.isFinite(mem) && mem > 0 };
  });
}

/**
 * The host NUMA nodes backing guest cell `cellId`: its `<memnode>`, else
 * the domain-wide `<numatune><memory nodeset>`; undefined when neither says.
 */
export function hostNodesOfCell(m: DomainModel, cellId: number): Set<number> | undefined {
  const numatune = child(m.root, 'numatune');
  if (!numatune) return undefined;
  for (const mn of children(numatune, 'memnode')) {
    if (parseLibvirtInt(attr(mn, 'cellid')?.value) === cellId) return parseNodeset(attr(mn, 'nodeset')?.value);
  }
  return parseNodeset(attr(child(numatune, 'memory'), 'nodeset')?.value);
}

/** True when `<numatune>` says which host nodes back the guest cells. */
export function hasNumatune(m: DomainModel): boolean {
  const numatune = child(m.root, 'numatune');
  return !!numatune && (children(numatune, 'memnode').length > 0 || !!attr(child(numatune, 'memory'), 'nodeset'));
}

/** The vCPUs of guest cell `cellId` (its `cpus`); undefined when the cell or its list is missing or malformed. */
export function vcpusOfCell(m: DomainModel, cellId: number): Set<number> | undefined {
  const cell = m.numaCells.find((c) => c.id === cellId);
  return cell ? parseNodeset(attr(cell.el, 'cpus')?.value) : undefined;
}

/**
 * The host CPUs the vCPUs of guest cell `cellId` may run on: the union of
 * each vCPU's `<vcpupin cpuset>`, or `<vcpu cpuset>` for a vCPU without one.
 * Undefined unless every vCPU of the cell is pinned (an unpinned vCPU may
 * run anywhere) and the cell has vCPUs.
 */
export function hostCpusOfCell(m: DomainModel, cellId: number): Set<number> | undefined {
  const vcpus = vcpusOfCell(m, cellId);
  if (!vcpus || vcpus.size === 0) return undefined;
  const pins = new Map<number, Set<number> | undefined>();
  for (const pin of children(child(m.root, 'cputune'), 'vcpupin')) {
    const v = parseLibvirtInt(attr(pin, 'vcpu')?.value);
    if (Number.isInteger(v)) pins.set(v, parseNodeset(attr(pin, 'cpuset')?.value));
  }
  const vcpuEl = child(m.root, 'vcpu');
  const all = vcpuEl ? parseNodeset(attr(vcpuEl, 'cpuset')?.value) : undefined;
  const out = new Set<number>();
  for (const v of vcpus) {
    const set = pins.has(v) ? pins.get(v) : all;
    if (!set || set.size === 0) return undefined;
    for (const c of set) out.add(c);
  }
  return out;
}

/**
 * The host NUMA nodes that run guest cell `cellId`: the nodes of the host
 * CPUs its vCPUs are pinned to, by `cpuNode` (host CPU -> node). Undefined
 * when the cell is not wholly pinned or a pinned CPU is not in the map.
 */
export function hostNodesOfCellCpus(m: DomainModel, cellId: number, cpuNode: ReadonlyMap<number, number>): Set<number> | undefined {
  const cpus = hostCpusOfCell(m, cellId);
  if (!cpus) return undefined;
  const out = new Set<number>();
  for (const c of cpus) {
    const n = cpuNode.get(c);
    if (n === undefined) return undefined;
    out.add(n);
  }
  return out;
}

/**
 * The guest cell a device on host node `hostNode` belongs to, among the
 * cells with CPUs or memory: the one `<numatune>` backs with exactly that
 * host node, else one whose backing includes it; without `<numatune>`, the
 * one whose vCPUs are all pinned to CPUs of that node (`cpuNode`, host CPU
 * -> node, given), else the cell with the same number (the usual one-to-one
 * layout). A cell whose vCPUs are pinned to another node is passed over
 * while another fits. Undefined when none fits.
 */
export function cellForHostNode(m: DomainModel, hostNode: number | undefined, cpuNode?: ReadonlyMap<number, number>): number | undefined {
  if (hostNode === undefined) return undefined;
  const cells = guestCells(m).filter((c) => c.hasCpus || c.hasMemory);
  /** true: its vCPUs run on `hostNode` only; false: elsewhere too; undefined: not known. */
  const cpusHere = (id: number): boolean | undefined => {
    const nodes = cpuNode ? hostNodesOfCellCpus(m, id, cpuNode) : undefined;
    return nodes ? nodes.size === 1 && nodes.has(hostNode) : undefined;
  };
  if (hasNumatune(m)) {
    const ranked: [number, number][] = [];
    for (const c of cells) {
      const nodes = hostNodesOfCell(m, c.id);
      if (!nodes?.has(hostNode)) continue;
      ranked.push([(nodes.size === 1 ? 0 : 2) + (cpusHere(c.id) === false ? 1 : 0) * 4, c.id]);
    }
    return ranked.sort((a, b) => a[0] - b[0])[0]?.[1];
  }
  const pinnedHere = cells.find((c) => cpusHere(c.id) === true);
  if (pinnedHere) return pinnedHere.id;
  return cells.find((c) => c.id === hostNode && cpusHere(c.id) !== false)?.id;
}

/** A hostdev's `<acpi nodeset>`: the attribute and the cells it names (undefined when malformed). */
export function acpiNodesetOf(h: Hostdev): { el: XmlElement; attr: XmlAttribute; nodes: Set<number> | undefined } | undefined {
  const el = child(h.el, 'acpi');
  const a = attr(el, 'nodeset');
  if (!el || !a || a.value === undefined) return undefined;
  return { el, attr: a, nodes: parseNodeset(a.value) };
}
