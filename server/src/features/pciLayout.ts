/**
 * Numbers completion offers for existing controllers (index, busNr), on
 * top of domain/allocate.ts (which the snippets and quick fixes use for new
 * controllers).
 *
 * Bus numbers: an expander with busNr B owns B up to the next higher
 * expander's busNr − 1 (or 255); it needs one number for its own bus and one
 * for each root port, bridge or switch port below it. pcie-root owns 0 and
 * one number per port or bridge in its own hierarchy, all below the lowest
 * expander busNr (reference §4.2).
 */
import type { Controller, DomainModel } from '../domain/model';
import { busNumbersBelow, expandersByBusNr, rootBusNumbers } from '../domain/allocate';
import { MAX_PCI_BUS_NUMBER, PCI_CONTROLLER_TARGET_RANGES } from '../domain/catalog';

/**
 * The index completion offers for a controller: 0 for a root; for other PCI
 * controllers one above every other PCI index (a port or bridge must have a
 * larger index than the bus it plugs into, and new controllers tend to plug
 * into other new ones); for other types the lowest unused index, as libvirt
 * assigns it.
 */
export function indexFor(m: DomainModel, self: Controller | undefined, type: string | undefined, model: string | undefined): number {
  const others = m.controllers.filter((c) => c !== self && (c.type ?? '') === (type ?? ''));
  if (type === 'pci') {
    if (model === 'pcie-root' || model === 'pci-root') return 0;
    let max = 0;
    for (const c of others) if (Number.isFinite(c.index) && c.index > max) max = c.index;
    return max + 1;
  }
  const used = new Set(others.map((c) => c.index));
  let i = 0;
  while (used.has(i)) i++;
  return i;
}

/**
 * The highest busNr whose block of `need` numbers fits between the other
 * expanders (each keeping its own bus and the numbers its ports and bridges
 * take) and above pcie-root's own buses; undefined when none fits.
 */
export function freeBusNr(m: DomainModel, need: number, exclude?: Controller): number | undefined {
  const blocks = expandersByBusNr(m)
    .filter((c) => c !== exclude)
    .map((c) => ({ busNr: c.busNr!.value, need: 1 + busNumbersBelow(m, c) }));
  const floor = rootBusNumbers(m);
  for (let x = MAX_PCI_BUS_NUMBER + 1 - need; x >= 1; x--) {
    if (x <= floor) return undefined;
    const higher = blocks.find((b) => b.busNr >= x);
    if (higher && x + need - 1 >= higher.busNr) continue;
    const lower = [...blocks].reverse().find((b) => b.busNr < x);
    if (lower && lower.busNr + lower.need - 1 >= x) continue;
    return Math.min(x, PCI_CONTROLLER_TARGET_RANGES.busNr.max);
  }
  return undefined;
}

/** Bus numbers an existing expander needs: its own bus and one per port or bridge below it, at least 2. */
export function expanderNeed(m: DomainModel, c: Controller): number {
  return Math.max(2, 1 + busNumbersBelow(m, c));
}

/**
 * A busNr for an existing expander: room for what it holds plus two spare
 * numbers (another root port, a switch), or just what it holds when space is short.
 */
export function suggestBusNr(m: DomainModel, c: Controller): number | undefined {
  const need = expanderNeed(m, c);
  return freeBusNr(m, need + 2, c) ?? freeBusNr(m, need, c);
}

/** `0x` + two hex digits, the form libvirt writes guest bus and slot numbers in. */
export function hex2(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}
