/**
 * Rule family `numa`: assigned devices and the guest's NUMA layout.
 *
 * - Affinity: a device on host node N behind an expander whose guest cell
 *   (`<target><node>`) is backed by other host nodes (`<numatune>`), or
 *   whose vCPUs are pinned only to CPUs of other host nodes (`<vcpupin>`,
 *   `<vcpu cpuset>`), looks local to the wrong cell; the guest places its
 *   DMA buffers and threads badly. libvirt accepts it, so these are warnings.
 * - ACPI Generic Initiators (`<hostdev><acpi nodeset>`, libvirt 11.8.0): each
 *   named cell becomes a QEMU acpi-generic-initiator for the device. They are
 *   meant to be memory-less, CPU-less cells that only this device uses (on
 *   Grace, the GPU's memory partitions). libvirt 12.8 checks none of this
 *   (see libvirt-referee notes in docs/rules.md).
 *
 * Cells that do not exist in `<cpu><numa>` at all, expander `<node>` values
 * naming missing cells, and cell numbering are checked by libvirt's own
 * rules elsewhere; this family only adds what needs the host or the GI role.
 */
import type { DomainModel } from '../domain/model';
import { smmuMappingOf } from '../domain/smmuMapping';
import {
  acpiNodesetOf,
  cellForHostNode,
  guestCells,
  hasNumatune,
  hostCpusOfCell,
  hostNodesOfCell,
  hostNodesOfCellCpus,
  formatNodeset,
  GRACE_GI_CELLS_PER_GPU,
  isNvidiaGpu,
} from '../domain/numa';
import { cpuNodeMap, isArmSmmuHost } from '../host/queries';
import type { Finding, RuleContext, RuleFamily } from './types';
import { elementNameSpan, elementTextSpan, valueSpan } from './spans';
import { finding } from './report';

export const numaRules: RuleFamily = {
  name: 'numa',
  run(ctx) {
    const out: Finding[] = [];
    checkAffinity(ctx, out);
    checkGenericInitiators(ctx, out);
    out.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const f of out) ctx.report(f);
  },
};

/**
 * Per expander with an assigned device of known host node: the guest cell
 * (`<target><node>`) must be local to that node. Memory first (`<numatune>`,
 * numa-device-cell-mismatch); where its memory is local or not said, the
 * cell's vCPUs (numa-device-cell-cpus-remote: all pinned, by `<vcpupin>` or
 * `<vcpu cpuset>`, to host CPUs of other nodes, by the host's CPU-to-node
 * map). One finding per expander.
 */
function checkAffinity(ctx: RuleContext, out: Finding[]): void {
  const { model, host } = ctx;
  if (!host) return;
  const numatune = hasNumatune(model);
  const cpuNode = cpuNodeMap(host);
  if (!numatune && !cpuNode) return;
  const mapping = smmuMappingOf(model, host);
  const reported = new Set<unknown>();
  for (const p of mapping.placements) {
    const hostNode = p.hostDevice?.numaNode;
    const node = p.expander?.numaNode;
    if (hostNode === undefined || !p.expander || !node || !Number.isFinite(node.value) || reported.has(p.expander)) continue;
    const cell = cellForHostNode(model, hostNode, cpuNode);
    const span = elementTextSpan(node.el);
    const related = [{ ...elementNameSpan(p.hostdev.el), message: `${p.bdf}, host NUMA node ${hostNode}` }];
    const data = { expanderIndex: p.expander.index, hostdev: p.index, hostNode, ...(cell !== undefined ? { cell } : {}) };
    const backing = numatune ? hostNodesOfCell(model, node.value) : undefined;
    if (backing && backing.size > 0 && !backing.has(hostNode)) {
      reported.add(p.expander);
      const advice =
        cell !== undefined
          ? `Set the expander's <node> to ${cell}, the cell backed by host node ${hostNode}.`
          : `No guest cell is backed by host node ${hostNode}: add one (with a <memnode cellid=… nodeset='${hostNode}'/>) and use it as the expander's <node>.`;
      out.push(
        finding(
          'numa-device-cell-mismatch',
          span,
          `${p.bdf} sits on host NUMA node ${hostNode}, but its expander (index ${p.expander.index}) is in guest cell ${node.value}, which <numatune> backs with host node${backing.size > 1 ? 's' : ''} ${formatNodeset(backing)}: ` +
            `the guest treats the device as local to memory on another socket. ${advice}`,
          {
            related,
            data,
          },
        ),
      );
      continue;
    }
    const runOn = cpuNode ? hostNodesOfCellCpus(model, node.value, cpuNode) : undefined;
    if (!runOn || runOn.has(hostNode)) continue;
    reported.add(p.expander);
    const cpus = hostCpusOfCell(model, node.value)!;
    const here = host.numaNodes?.find((n) => n.id === hostNode)?.cpus;
    const advice =
      cell !== undefined && cell !== node.value
        ? `Set the expander's <node> to ${cell}, whose vCPUs run on host node ${hostNode}.`
        : `Pin the vCPUs of cell ${node.value} to CPUs of host node ${hostNode}${here ? ` (${here})` : ''}, or put the expander in a cell that runs there.`;
    out.push(
      finding(
        'numa-device-cell-cpus-remote',
        span,
        `${p.bdf} sits on host NUMA node ${hostNode}, but the vCPUs of guest cell ${node.value} (the <node> of its expander, index ${p.expander.index}) are pinned only to host CPUs ${formatNodeset(cpus)}, on host node${runOn.size > 1 ? 's' : ''} ${formatNodeset(runOn)}: ` +
          `QEMU starts, but the guest runs the device's driver and interrupts on the other socket. ${advice}`,
        {
          related,
          data,
        },
      ),
    );
  }
}

function checkGenericInitiators(ctx: RuleContext, out: Finding[]): void {
  const { model } = ctx;
  const cells = new Map(guestCells(model).map((c) => [c.id, c]));
  const owner = new Map<number, number>();
  model.hostdevs.forEach((h, index) => {
    const gi = acpiNodesetOf(h);
    if (!gi) {
      offerGenericInitiators(ctx, model, index, out);
      return;
    }
    const span = valueSpan(gi.attr);
    if (!gi.nodes) {
      out.push(
        finding('numa-gi-nodeset-invalid', span, `nodeset='${gi.attr.value}' is not a list of NUMA cells: write numbers and ranges separated by commas, such as '2-9'.`, {
          data: { hostdev: index },
        }),
      );
      return;
    }
    const missing = [...gi.nodes].filter((n) => !cells.has(n)).sort((a, b) => a - b);
    if (missing.length) {
      out.push(
        finding(
          'numa-gi-cell-missing',
          span,
          `Guest NUMA cell${missing.length > 1 ? 's' : ''} ${formatNodeset(missing)} of this nodeset ${missing.length > 1 ? 'are' : 'is'} not in <cpu><numa>. \`virsh define\` accepts this (libvirt does not check it), and QEMU stops when the domain starts ("acpi-generic-initiator: Specified node ${missing[0]} is invalid."). ` +
            `Add ${missing.length > 1 ? 'them' : 'it'} as memory-less cells (<cell id='N' memory='0' unit='KiB'/>).`,
          {
            data: { hostdev: index, missing },
          },
        ),
      );
    }
    const busy = [...gi.nodes].map((n) => cells.get(n)).filter((c) => c && (c.hasCpus || c.hasMemory));
    for (const c of busy) {
      const what = [c!.hasCpus ? 'vCPUs' : '', c!.hasMemory ? 'memory' : ''].filter(Boolean).join(' and ');
      out.push(
        finding(
          'numa-gi-cell-not-empty',
          span,
          `Guest cell ${c!.id} has ${what}, but a Generic Initiator cell stands for the device's own memory and should have neither: the guest would count this cell's CPUs or RAM as the GPU's. ` +
            `Use memory-less, CPU-less cells (memory='0', no cpus) for the nodeset.`,
          {
            related: [{ ...elementNameSpan(c!.el), message: `cell ${c!.id}` }],
            data: { hostdev: index, cell: c!.id },
          },
        ),
      );
    }
    for (const n of gi.nodes) {
      const prev = owner.get(n);
      if (prev === undefined) {
        owner.set(n, index);
        continue;
      }
      const other = model.hostdevs[prev];
      out.push(
        finding(
          'numa-gi-cell-shared',
          span,
          `Guest cell ${n} is already a Generic Initiator cell of another hostdev: each device needs cells of its own, or the guest sees one device's memory partitions as the other's.`,
          {
            related: [{ ...elementNameSpan(other.el), message: 'the hostdev that names this cell first' }],
            data: { hostdev: index, cell: n },
          },
        ),
      );
    }
  });
}

/** A Grace GPU assigned without Generic Initiator cells: the guest cannot online its memory partitions per NUMA node. */
function offerGenericInitiators(ctx: RuleContext, model: DomainModel, index: number, out: Finding[]): void {
  const { host } = ctx;
  // Generic Initiator cells extend a NUMA layout; a guest without one has other things to settle first.
  if (!host || !isArmSmmuHost(host) || model.numaCells.length === 0) return;
  const h = model.hostdevs[index];
  const p = smmuMappingOf(model, host).placements.find((x) => x.index === index);
  if (!p || !isNvidiaGpu(p.hostDevice)) return;
  out.push(
    finding(
      'numa-gi-missing',
      elementNameSpan(h.el),
      `${p.bdf} is an NVIDIA GPU on a Grace host, assigned without ACPI Generic Initiator cells: the guest driver finds no NUMA nodes for the GPU's memory partitions (MIG). ` +
        `Add ${GRACE_GI_CELLS_PER_GPU} memory-less cells to <cpu><numa> and name them in <acpi nodeset='…'/> on this hostdev (${GRACE_GI_CELLS_PER_GPU} per GPU is what QEMU's documentation of acpi-generic-initiator gives for Grace).`,
      {
        data: { hostdev: index, bdf: p.bdf },
      },
    ),
  );
}
