/**
 * Free numbers for new PCI controllers and device addresses: controller
 * index, slot on a bus, root-port chassis, and the `busNr` of a new expander
 * bus. Quick fixes and completion snippets both need them, and both must
 * pick numbers that the controller rules will accept, so the choices live in
 * one place and read only the domain model.
 *
 * Every choice is conservative: when no number fits, the answer is
 * `undefined` and the caller offers nothing rather than a layout that a rule
 * would then reject.
 */
import type { Controller, DomainModel } from './model';
import { isGuestPci } from './model';
import { MAX_PCI_BUS_NUMBER, PCI_CONTROLLER_MODELS, PCI_CONTROLLER_TARGET_RANGES } from './catalog';
import { expanderOf, isExpander } from './topology';

/** Slots on one PCI(e) bus. */
export const PCI_SLOT_COUNT = 32;
const BUS_NR = PCI_CONTROLLER_TARGET_RANGES.busNr;
/** Chassis 0 is valid but avoided: libvirt never picks it. */
const MAX_CHASSIS = PCI_CONTROLLER_TARGET_RANGES.chassis.max;

/** Indexes of all `type='pci'` controllers (as libvirt will number them). */
export function pciIndexes(model: DomainModel): Set<number> {
  return new Set(model.pciControllers.keys());
}

/**
 * The index for a new PCI controller: one above every index in use. Not the
 * lowest gap, because a bridge or root port must have a larger index than
 * the bus it plugs into, and new controllers usually plug into other new
 * ones.
 */
export function nextFreePciIndex(model: DomainModel, reserved: Iterable<number> = []): number {
  let max = 0;
  for (const i of pciIndexes(model)) if (Number.isFinite(i) && i > max) max = i;
  for (const i of reserved) if (i > max) max = i;
  return max + 1;
}

/** Slots taken on the bus of controller `busIndex` by explicit guest addresses. */
export function usedSlots(model: DomainModel, busIndex: number): Set<number> {
  const used = new Set<number>();
  for (const d of model.pciDevices) {
    const a = d.address;
    if (!isGuestPci(a) || a.bus.value !== busIndex) continue;
    const slot = a.slot?.value ?? 0;
    if (Number.isFinite(slot)) used.add(slot);
  }
  return used;
}

/**
 * The lowest free slot on a bus. pcie-root (index 0) starts at 1: slot 0 is
 * the host bridge and libvirt never places a device there.
 */
export function freeSlot(model: DomainModel, busIndex: number, reserved: ReadonlySet<number> = new Set()): number | undefined {
  const used = usedSlots(model, busIndex);
  for (let s = busIndex === 0 ? 1 : 0; s < PCI_SLOT_COUNT; s++) {
    if (!used.has(s) && !reserved.has(s)) return s;
  }
  return undefined;
}

/** Chassis numbers in use, counting libvirt's default (chassis = index) for root ports without one. */
export function usedChassis(model: DomainModel): Set<number> {
  const used = new Set<number>();
  for (const c of model.controllers) {
    if (c.type !== 'pci') continue;
    const v = c.chassis?.value;
    if (v !== undefined && Number.isFinite(v)) used.add(v);
    else if (c.model?.value === 'pcie-root-port' || c.model?.value === 'pcie-switch-downstream-port') used.add(c.index);
  }
  return used;
}

/** A free chassis number: `preferred` (libvirt's own choice is the index) when free, else the lowest free one. */
export function freeChassis(model: DomainModel, preferred: number, reserved: ReadonlySet<number> = new Set()): number | undefined {
  const used = usedChassis(model);
  const free = (n: number) => n >= 1 && n <= MAX_CHASSIS && !used.has(n) && !reserved.has(n);
  if (free(preferred)) return preferred;
  for (let n = 1; n <= MAX_CHASSIS; n++) if (free(n)) return n;
  return undefined;
}

/** Ports and bridges: each takes one guest bus number below its root complex (catalog `ownsBus`). */
export function takesBusNumber(c: Controller): boolean {
  const model = c.model?.value;
  return c.type === 'pci' && model !== undefined && Object.prototype.hasOwnProperty.call(PCI_CONTROLLER_MODELS, model) && !!PCI_CONTROLLER_MODELS[model].ownsBus;
}

/** How many bus numbers the ports and bridges below `expander` take. */
export function busNumbersBelow(model: DomainModel, expander: Controller): number {
  let n = 0;
  for (const c of model.controllers) if (takesBusNumber(c) && expanderOf(model, c.address) === expander) n++;
  return n;
}

/** How many bus numbers pcie-root's hierarchy takes after its bus 0 (ports without an address land there too). */
export function rootBusNumbers(model: DomainModel): number {
  let n = 0;
  for (const c of model.controllers) if (takesBusNumber(c) && !expanderOf(model, c.address)) n++;
  return n;
}

/** Expanders that state a valid `busNr`, lowest first. */
export function expandersByBusNr(model: DomainModel): Controller[] {
  return model.controllers
    .filter((c) => isExpander(c) && c.busNr !== undefined && Number.isInteger(c.busNr.value) && c.busNr.value >= BUS_NR.min && c.busNr.value <= BUS_NR.max)
    .sort((a, b) => a.busNr!.value - b.busNr!.value);
}

/**
 * How many more bus numbers fit into an expander's range (from its busNr up
 * to the next higher expander's busNr − 1, or 255). Infinity when the
 * expander has no busNr: libvirt assigns one and checks nothing here.
 */
export function busNrRoom(model: DomainModel, expander: Controller): number {
  const own = expander.busNr?.value;
  if (own === undefined || !expandersByBusNr(model).includes(expander)) return Infinity;
  let ceiling = MAX_PCI_BUS_NUMBER + 1;
  for (const e of expandersByBusNr(model)) {
    const v = e.busNr!.value;
    if (e !== expander && v > own && v < ceiling) ceiling = v;
  }
  return ceiling - 1 - own - busNumbersBelow(model, expander);
}

/**
 * The `busNr` for a new expander that will hold `rootPorts` root ports:
 * just below the lowest existing expander, leaving one number per root
 * port and `spare` more for ports added later (libvirt and KubeVirt hand
 * busNr out from the top down the same way), or at the top when there is no
 * expander yet. Undefined when it would
 * collide with pcie-root's own bus numbers.
 */
export function busNrForNewExpander(model: DomainModel, rootPorts: number, below?: number, spare = 0): number | undefined {
  const lowest = below ?? expandersByBusNr(model)[0]?.busNr?.value;
  const take = rootPorts + spare;
  const busNr = lowest === undefined ? Math.min(BUS_NR.max, MAX_PCI_BUS_NUMBER - take) : lowest - (take + 1);
  if (!Number.isInteger(busNr) || busNr < BUS_NR.min || busNr <= rootBusNumbers(model)) return undefined;
  return busNr;
}

/** Root ports plugged directly into the controller `busIndex` with nothing plugged into them. */
export function freeRootPorts(model: DomainModel, busIndex: number): Controller[] {
  const taken = new Set<number>();
  for (const d of model.pciDevices) {
    if (isGuestPci(d.address)) taken.add(d.address.bus.value);
  }
  return model.controllers.filter(
    (c) =>
      c.type === 'pci' &&
      c.model?.value === 'pcie-root-port' &&
      isGuestPci(c.address) &&
      c.address.bus.value === busIndex &&
      model.pciControllers.get(c.index) === c &&
      !taken.has(c.index),
  );
}

/**
 * Hands out numbers for several new controllers in one edit, remembering
 * what it already gave so that two new root ports never share a slot,
 * chassis or index.
 */
export class PciAllocator {
  private readonly indexes = new Set<number>();
  private readonly slots = new Map<number, Set<number>>();
  private readonly chassis = new Set<number>();
  private readonly ports = new Set<Controller>();
  private readonly extraBuses = new Map<Controller, number>();
  private lowestBusNr: number | undefined;
  /** Buses whose controller the edit replaces: what the model has on them is moving away. */
  private readonly fresh = new Set<number>();

  /** `spare`: bus numbers each new expander keeps free beyond its root ports. */
  constructor(
    private readonly model: DomainModel,
    private readonly spare = 0,
  ) {
    this.lowestBusNr = expandersByBusNr(model)[0]?.busNr?.value;
  }

  /** Keeps `n` from being handed out (new indexes go above it). */
  reserveIndex(n: number): void {
    if (Number.isInteger(n) && n >= 0) this.indexes.add(n);
  }

  index(): number {
    const i = nextFreePciIndex(this.model, this.indexes);
    this.indexes.add(i);
    return i;
  }

  /** The controller `busIndex` is replaced by a new one: slots on it are handed out from the first. */
  freshBus(busIndex: number): void {
    this.fresh.add(busIndex);
  }

  slot(busIndex: number): number | undefined {
    let r = this.slots.get(busIndex);
    if (!r) this.slots.set(busIndex, (r = new Set()));
    const s = this.fresh.has(busIndex)
      ? Array.from({ length: PCI_SLOT_COUNT }, (_, i) => i).find((i) => (busIndex !== 0 || i > 0) && !r!.has(i))
      : freeSlot(this.model, busIndex, r);
    if (s !== undefined) r.add(s);
    return s;
  }

  chassisFor(index: number): number | undefined {
    const c = freeChassis(this.model, index, this.chassis);
    if (c !== undefined) this.chassis.add(c);
    return c;
  }

  /** busNr for a new expander with `rootPorts` root ports, each new one below the last. */
  busNr(rootPorts: number): number | undefined {
    const b = busNrForNewExpander(this.model, rootPorts, this.lowestBusNr, this.spare);
    if (b !== undefined) this.lowestBusNr = b;
    return b;
  }

  /** Takes a free existing root port on `busIndex`, if any. */
  freeRootPort(busIndex: number): Controller | undefined {
    const rp = freeRootPorts(this.model, busIndex).find((c) => !this.ports.has(c));
    if (rp) this.ports.add(rp);
    return rp;
  }

  /**
   * Reserves one more bus number in an existing expander's range; false
   * when that would use its last one (controller-busnr-no-spare), unless the
   * range is unlimited.
   */
  growExpander(expander: Controller): boolean {
    const used = this.extraBuses.get(expander) ?? 0;
    if (busNrRoom(this.model, expander) - used < 2) return false;
    this.extraBuses.set(expander, used + 1);
    return true;
  }
}
