/**
 * Rule family `numa-cells`: the guest NUMA cells under `<cpu><numa>` as libvirt
 * checks them on define. Cell ids are 0..n-1, one cell each (in any order);
 * the cells' `cpus` together name no vCPU twice, none beyond `<vcpu>`, and
 * no more vCPUs than `<vcpu>` has (one when `<vcpu>` is absent, as libvirt
 * counts). vCPUs left out of every cell are
 * accepted by libvirt, and QEMU starts, but places them on a cell of its own
 * choosing: a warning.
 *
 * Which cell an expander bus sits on is the controllers family's
 * (`controller-numa-node`); host affinity and ACPI generic initiators are
 * not checked here.
 */
import type { XmlElement } from '../xml/nodes';
import { readGuestNuma, type GuestNumaCell } from '../domain/guestNuma';
import type { RelatedSpan, RuleContext, RuleFamily } from './types';
import { elementNameSpan, valueSpan, type Span } from './spans';
import { report } from './report';

export const numaCellRules: RuleFamily = {
  name: 'numa-cells',
  run(ctx) {
    const numa = readGuestNuma(ctx.model);
    if (!numa.cells.length) return;
    checkCellIds(ctx, numa.cells);
    // Without <vcpu> libvirt gives the domain one vCPU and checks the cells against that;
    // a malformed count is the schema's finding, and nothing to compare with here.
    const max = numa.maxVcpus ?? DEFAULT_VCPUS;
    const vcpus = Number.isFinite(max) ? max : undefined;
    checkCpus(ctx, numa.cells, vcpus, numa.vcpuEl);
  },
};

function idSpan(cell: GuestNumaCell): Span {
  return cell.idAttr ? valueSpan(cell.idAttr) : elementNameSpan(cell.el);
}

/**
 * libvirt keeps cell i at slot i: an id at or above the number of cells, or
 * one used twice, is refused.
 */
function checkCellIds(ctx: RuleContext, cells: readonly GuestNumaCell[]): void {
  const n = cells.length;
  const first = new Map<number, GuestNumaCell>();
  for (const cell of cells) {
    if (!cell.idAttr || cell.idAttr.value === undefined || !cell.idAttr.valueClosed) continue;
    const raw = cell.idAttr.value;
    if (!Number.isFinite(cell.id)) continue; // the schema says what an id looks like
    const prev = first.get(cell.id);
    if (prev) {
      report(
        ctx,
        'numa-cell-duplicate',
        idSpan(cell),
        `Cell id ${raw} is already used by another <cell>; libvirt refuses the domain ("Duplicate NUMA cell info for cell id '${cell.id}'"). Number the cells 0 to ${n - 1}, one id each.`,
        { related: [{ ...idSpan(prev), message: `the first cell with id ${cell.id}` }], data: { id: cell.id } },
      );
      continue;
    }
    first.set(cell.id, cell);
    if (cell.id < n) continue;
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !cells.some((c) => c.id === i));
    report(
      ctx,
      'numa-cell-id',
      idSpan(cell),
      `Cell id ${raw} is out of order: with ${n} cells the ids must be 0 to ${n - 1} (libvirt: "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not starting from 0 are not allowed").${missing.length ? ` Use id='${missing[0]}'.` : ''}`,
      { data: { id: cell.id, cells: n, ...(missing.length ? { suggestedId: missing[0] } : {}) } },
    );
  }
}

/** What libvirt counts when `<vcpu>` is not written. */
const DEFAULT_VCPUS = 1;

/** How the vCPU count reads in a message: `<vcpu> has 4`, or libvirt's default when it is absent. */
function vcpuCount(vcpus: number, vcpuEl: XmlElement | undefined): string {
  return vcpuEl ? `<vcpu> has ${vcpus}` : `<vcpu> is not written, so libvirt counts ${vcpus} vCPU`;
}

function vcpuRelated(vcpuEl: XmlElement | undefined): RelatedSpan[] | undefined {
  return vcpuEl ? [{ ...elementNameSpan(vcpuEl), message: 'the vCPU count' }] : undefined;
}

function checkCpus(ctx: RuleContext, cells: readonly GuestNumaCell[], vcpus: number | undefined, vcpuEl: XmlElement | undefined): void {
  const owner = new Map<number, GuestNumaCell>();
  let total = 0;
  let overlap = false;
  for (const cell of cells) {
    if (!cell.cpus || !cell.cpusAttr) continue;
    total += cell.cpus.length;
    const clash = cell.cpus.filter((c) => owner.has(c));
    if (clash.length) {
      overlap = true;
      const other = owner.get(clash[0])!;
      report(
        ctx,
        'numa-cpus-overlap',
        valueSpan(cell.cpusAttr),
        `vCPU ${clash.join(', ')} ${clash.length > 1 ? 'are' : 'is'} already in cell ${Number.isFinite(other.id) ? other.id : '?'}; libvirt refuses cells that share vCPUs ("NUMA cells … have overlapping vCPU IDs"). Give each vCPU to one cell.`,
        { related: other.cpusAttr ? [{ ...valueSpan(other.cpusAttr), message: 'the cell that has them first' }] : undefined, data: { cpus: clash } },
      );
    }
    for (const c of cell.cpus) if (!owner.has(c)) owner.set(c, cell);
  }
  if (vcpus === undefined) return;
  const howMany = vcpuCount(vcpus, vcpuEl);
  const beyondIn = (c: GuestNumaCell) => c.cpus?.filter((x) => x >= vcpus) ?? [];
  // libvirt compares the count first, then the highest id. Shared vCPUs are
  // counted twice in the total; the overlap is the finding then.
  if (total > vcpus && !overlap) {
    const at = cells.find((c) => beyondIn(c).length) ?? cells.find((c) => c.cpusAttr)!;
    report(
      ctx,
      'numa-cpus-beyond-vcpus',
      valueSpan(at.cpusAttr!),
      `The cells name ${total} vCPUs but ${howMany}; libvirt refuses it ("Number of CPUs in <numa> exceeds the <vcpu> count"). ${vcpuEl ? `Raise <vcpu> to ${Math.max(total, maxId(cells) + 1)}` : `Write <vcpu placement='static'>${Math.max(total, maxId(cells) + 1)}</vcpu>`}, or take vCPUs out of the cells.`,
      { related: vcpuRelated(vcpuEl), data: { total, vcpus } },
    );
  } else {
    for (const cell of cells) {
      const beyond = beyondIn(cell);
      if (!beyond.length) continue;
      report(
        ctx,
        'numa-cpus-beyond-vcpus',
        valueSpan(cell.cpusAttr!),
        `cpus='${cell.cpusAttr!.value}' names vCPU ${beyond[0]}, but ${howMany} (${vcpus > 1 ? `ids 0–${vcpus - 1}` : 'id 0'}); libvirt refuses it ("CPU IDs in <numa> exceed the <vcpu> count"). ${vcpuEl ? `Raise <vcpu> to ${maxId(cells) + 1}` : `Write <vcpu placement='static'>${maxId(cells) + 1}</vcpu>`} or use lower ids.`,
        { related: vcpuRelated(vcpuEl), data: { cpu: beyond[0], vcpus } },
      );
    }
  }
  // A cell whose cpus do not parse is reported by the schema; counting the rest would then mislead.
  if (cells.some((c) => c.cpusAttr && !c.cpus)) return;
  const left = [];
  for (let i = 0; i < vcpus && left.length <= vcpus; i++) if (!owner.has(i)) left.push(i);
  if (!left.length || !cells.some((c) => c.cpusAttr)) return;
  const numaEl = cells[0].el.parent;
  report(
    ctx,
    'numa-cpus-uncovered',
    numaEl ? elementNameSpan(numaEl) : elementNameSpan(cells[0].el),
    `vCPU ${compress(left)} ${left.length > 1 ? 'are' : 'is'} in no NUMA cell: libvirt accepts it, but QEMU puts ${left.length > 1 ? 'them' : 'it'} on a cell of its own choosing (a deprecated fallback), so the guest topology is not the one written. Add ${left.length > 1 ? 'them' : 'it'} to a cell's cpus.`,
    { related: vcpuRelated(vcpuEl), data: { cpus: left } },
  );
}

/** The highest vCPU id the cells name (-1 when none). */
function maxId(cells: readonly GuestNumaCell[]): number {
  return Math.max(-1, ...cells.flatMap((c) => c.cpus ?? []));
}

/** "0-3,6" for a sorted list of ids. */
function compress(ids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(j > i ? `${ids[i]}-${ids[j]}` : `${ids[i]}`);
    i = j;
  }
  return out.join(',');
}
