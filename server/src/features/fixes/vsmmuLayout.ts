/**
 * Building blocks for laying out nested SMMUv3: a new pxb-pcie expander with
 * root ports and an accelerated vSMMU, a root port on an existing expander,
 * and moving an assigned device onto a root port. The quick fixes for one
 * device and the "generate topology" source action are both sequences of
 * these steps over one edit, so numbers handed out by one step are never
 * handed out again by the next.
 */
import type { Controller, Hostdev } from '../../domain/model';
import { PciAllocator } from '../../domain/allocate';
import { IOMMU_DRIVER_ATTRIBUTES, LIBVIRT_RELEASE } from '../../domain/catalog';
import { machineFamily } from '../../domain/machine';
import { cellForHostNode } from '../../domain/numa';
import { cpuNodeMap } from '../../host/queries';
import { isGuestPci } from '../../domain/model';
import { controllerOfAddress, expanderOf, expanderWithBusNr, isAccel, isPcieExpander, pciBusOf, pluggedInto } from '../../domain/topology';
import type { XmlElement } from '../../xml/nodes';
import { indentBefore } from '../documentStyle';
import type { HostdevPlacement, SmmuMapping } from '../../domain/smmuMapping';
import { attr, attrValue } from '../../xml/query';
import { commentsIn, DevicesInserter, EditBuilder, insertLastChild, setAttribute, versionAllows, wholeLinesOf, type FixContext } from './edits';
import { ensureIommufd } from './iommufdFix';
import { guestAddressSpec, rootPortSpec } from './pciSpecs';
import { hex2 } from '../pciLayout';
import { DEFAULT_SPARE_BUS_NUMBERS } from '../../rules/settings';

/** libvirt version of `<driver pciBus accel>` on smmuv3. */
export const PLUGGABLE_SMMU_SINCE = IOMMU_DRIVER_ATTRIBUTES.pciBus.since ?? LIBVIRT_RELEASE.pluggableSmmuv3;

/** Tuning copied from an existing accelerated vSMMU, only when its value is one libvirt accepts. */
const COPIED_ACCEL_ATTRIBUTES: ReadonlyArray<readonly [string, (v: string) => boolean]> = [
  ['ats', (v) => v === 'on' || v === 'off'],
  ['ril', (v) => v === 'on' || v === 'off'],
  ['ssidsize', (v) => /^\d+$/.test(v) && Number(v) <= 20],
  ['oas', (v) => v === '44' || v === '48'],
];

/**
 * True when the device already sits where it belongs: behind an emulated
 * vSMMU (which serves devices of any host SMMU), or behind an accelerated
 * one whose expander (or pcie-root) is bound to the device's own host SMMU.
 */
export function isWellPlaced(mapping: SmmuMapping, p: HostdevPlacement): boolean {
  if (!p.iommu) return false;
  if (!isAccel(p.iommu)) return true;
  if (!p.hostSmmu) return false;
  if (p.placement === 'expander') {
    return mapping.expanders.find((e) => e.expander === p.expander)?.boundSmmu === p.hostSmmu;
  }
  if (p.placement === 'root' || p.placement === 'unplaced') return mapping.root?.boundSmmu === p.hostSmmu;
  return false;
}

export class VsmmuLayout {
  readonly edits = new EditBuilder();
  private readonly alloc: PciAllocator;
  private readonly devices: DevicesInserter;
  private ok = true;
  /** Root ports moved along with their devices, and the bus each now plugs into. */
  private readonly carried = new Map<Controller, number>();
  /** Root ports whose indexes new controllers take: removed in finish(). */
  private readonly removing = new Set<Controller>();
  /** Root ports devices were moved off, and those devices. */
  private readonly left = new Map<Controller, Set<XmlElement>>();
  /** Whether this layout hands out new controller indexes. */
  private addsControllers = false;
  private readonly accelAttrs: [string, string][];

  constructor(private readonly ctx: FixContext) {
    this.alloc = new PciAllocator(ctx.model, ctx.feature.settings.spareBusNumbers ?? DEFAULT_SPARE_BUS_NUMBERS);
    // A new controller must not take an index some vSMMU's pciBus already names.
    for (const n of this.claimed().indexes) this.alloc.reserveIndex(n);
    this.devices = new DevicesInserter(ctx);
    const model = ctx.model;
    const accel = model.iommus.find((i) => i.model?.value === 'smmuv3' && pciBusOf(i) !== undefined && isAccel(i));
    this.accelAttrs = [];
    for (const [name, valid] of COPIED_ACCEL_ATTRIBUTES) {
      const v = attrValue(accel?.driver, name);
      if (v !== undefined && valid(v)) this.accelAttrs.push([name, v]);
    }
  }

  /** Marks the layout as impossible: `finish` then yields nothing and the caller offers no action. */
  private fail(): undefined {
    this.ok = false;
    return undefined;
  }

  /**
   * Whether new vSMMUs may be added: an ARM virt guest, a libvirt that has
   * pluggable SMMUv3, and no other kind of `<iommu>` (only pluggable
   * SMMUv3s may share a domain). One whose pciBus is wrong does not stop
   * it (its own finding and fix say what to do), but the controller it was
   * probably meant for is kept out of the layout (see claimed).
   */
  canAddVsmmu(): boolean {
    const { model } = this.ctx;
    if (machineFamily(model) !== 'arm-virt' || !versionAllows(this.ctx, PLUGGABLE_SMMU_SINCE)) return false;
    return model.iommus.every((i) => i.model?.value === 'smmuv3' && pciBusOf(i) !== undefined);
  }

  /**
   * Controller indexes an existing vSMMU has or probably means: its pciBus
   * when that is a root complex or names nothing (a controller added there
   * later would get it), the expander whose busNr it holds, the expander
   * above the root port it names. `anyUnresolved`: some pciBus names
   * nothing, so any expander without a vSMMU may be the one it means.
   */
  private claimed(): { indexes: Set<number>; anyUnresolved: boolean } {
    const { model } = this.ctx;
    const indexes = new Set<number>();
    let anyUnresolved = false;
    for (const i of model.iommus) {
      const bus = pciBusOf(i);
      if (bus === undefined || !Number.isInteger(bus)) continue;
      const c = model.pciControllers.get(bus);
      const byBusNr = expanderWithBusNr(model, bus, true);
      if (c && (isPcieExpander(c) || bus === 0)) indexes.add(bus);
      else if (byBusNr) indexes.add(byBusNr.index);
      else if (c) {
        const e = expanderOf(model, c.address);
        if (e) indexes.add(e.index);
        else anyUnresolved = true;
      } else {
        indexes.add(bus);
        anyUnresolved = true;
      }
    }
    return { indexes, anyUnresolved };
  }

  /** An accelerated vSMMU on the controller `index`. */
  addVsmmu(index: number): void {
    if (!this.canAddVsmmu()) {
      this.fail();
      return;
    }
    const claimed = this.claimed();
    const existing = this.ctx.model.pciControllers.has(index);
    if (claimed.indexes.has(index) || (existing && claimed.anyUnresolved)) {
      this.fail();
      return;
    }
    this.devices.addIommu({
      name: 'iommu',
      attrs: [['model', 'smmuv3']],
      children: [{ name: 'driver', attrs: [['pciBus', String(index)], ['accel', 'on'], ...this.accelAttrs] }],
    });
  }

  /**
   * A new pcie-expander-bus for host SMMU `smmu` holding `hostdevs` behind
   * an accelerated vSMMU, in the guest cell of host node `numaNode`, with a
   * root port per device. Its bus range has one number per device plus the
   * spare ones.
   *
   * Root ports the devices leave empty are removed, and their indexes go to
   * the new controllers: the expander takes the lowest (and that port's
   * slot on pcie-root), the new root ports the next ones. A controller must
   * come after the bus it plugs into (libvirt writes them in index order
   * and QEMU refuses a bus it has not seen yet), so an old port cannot move
   * onto the new expander, which has a higher index; and a removed index
   * left unused would be a gap that libvirt fills with an empty root port
   * of its own.
   */
  addExpanderFor(smmu: string, hostdevs: readonly Hostdev[], numaNode: number | undefined): boolean {
    const { model } = this.ctx;
    if (!this.ok || hostdevs.length < 1 || !this.canAddVsmmu()) return !!this.fail();
    const group = new Set(hostdevs.map((h) => h.el));
    const freed = [...new Set(hostdevs.map((h) => this.portOf(h)))]
      .filter((p): p is Controller => !!p && !this.carried.has(p) && !this.removing.has(p) && p.el.closed && this.onlyHolds(p, group))
      .sort((a, b) => a.index - b.index);
    for (const p of freed) this.removing.add(p);
    const busNr = this.alloc.busNr(hostdevs.length);
    const own = freed[0];
    const ownSlot = own && isGuestPci(own.address) && own.address.bus.value === 0 ? own.address.slot?.value : undefined;
    const slot = ownSlot ?? this.alloc.slot(0);
    if (busNr === undefined || slot === undefined) return !!this.fail();
    const index = own ? own.index : this.newIndex();
    for (const p of freed) this.alloc.freshBus(p.index);
    const pool = freed.slice(1);
    // The guest cell backed by the devices' host node (numatune), or the cell of that number.
    const host = this.ctx.feature.host;
    const node = cellForHostNode(model, numaNode, host && cpuNodeMap(host));
    this.devices.addController(
      { comment: `expander for host SMMU ${smmu}` },
      {
        name: 'controller',
        attrs: [
          ['type', 'pci'],
          ['index', String(index)],
          ['model', 'pcie-expander-bus'],
        ],
        children: [
          { name: 'model', attrs: [['name', 'pxb-pcie']] },
          node === undefined
            ? { name: 'target', attrs: [['busNr', String(busNr)]] }
            : { name: 'target', attrs: [['busNr', String(busNr)]], children: [{ name: 'node', text: String(node) }] },
          guestAddressSpec(0, slot),
        ],
      },
    );
    for (const h of hostdevs) {
      const old = this.portOf(h);
      if (old && this.carried.get(old) === index) {
        this.ensureIommufd(h);
        continue;
      }
      const port = this.newRootPort(index, pool.shift());
      if (port === undefined) return !!this.fail();
      this.move(h, port, true);
    }
    this.addVsmmu(index);
    return this.ok;
  }

  /**
   * Puts an assigned device behind `target` (an existing expander, or the
   * index of one this layout adds) and gives it the iommufd backend when
   * that expander's vSMMU is accelerated. Where it goes, in this order:
   *
   * 1. along with its own root port, when that port holds nothing but
   *    devices of `group` (the devices moving there together) and its index
   *    is above the expander's (a controller must come after its bus): the
   *    port's `<address>` moves to a free slot of the expander and the
   *    devices' own addresses stay, so no port is left empty behind and no
   *    index changes;
   * 2. onto a free root port already on the expander (a spare the user left
   *    there);
   * 3. onto a new root port, when the expander's bus range has room.
   *
   * In 2 and 3 the port the device leaves is removed in finish() when
   * nothing is left on it (see removablePorts). False (and the whole layout
   * failed) when nothing fits.
   */
  place(hostdev: Hostdev, target: Controller | number, accel: boolean, group: readonly Hostdev[] = [hostdev]): boolean {
    return this.tryPlace(hostdev, target, accel, group) || !!this.fail();
  }

  /** Like place, but a full expander is not a failure of the whole layout: the caller tries another. */
  tryPlace(hostdev: Hostdev, target: Controller | number, accel: boolean, group: readonly Hostdev[] = [hostdev]): boolean {
    if (!this.ok) return false;
    const index = typeof target === 'number' ? target : target.index;
    const grow = (): boolean => typeof target === 'number' || this.alloc.growExpander(target);
    const own = this.portOf(hostdev);
    if (own && this.carried.get(own) === index) {
      // Its port already travelled there with another device of the group.
      if (accel) this.ensureIommufd(hostdev);
      return this.ok;
    }
    if (own && own.index > index && !this.carried.has(own) && !this.removing.has(own) && this.canCarry(own, group)) {
      const slot = this.alloc.slot(index);
      if (slot !== undefined && grow()) {
        this.carry(own, index, slot);
        if (accel) this.ensureIommufd(hostdev);
        return this.ok;
      }
    }
    const free = typeof target === 'number' ? undefined : this.alloc.freeRootPort(index);
    const port = free?.index ?? (grow() ? this.newRootPort(index) : undefined);
    if (port === undefined) return false;
    this.move(hostdev, port, accel);
    return this.ok;
  }

  /** The pcie-root-port a device is plugged into, when it is one (and its index is not shared). */
  private portOf(h: Hostdev): Controller | undefined {
    const c = controllerOfAddress(this.ctx.model, h.address);
    return c && c.model?.value === 'pcie-root-port' && this.ctx.model.pciControllers.get(c.index) === c ? c : undefined;
  }

  /** Nothing else uses `port`: no controller below it, no vSMMU naming it, no device but those of `devices`. */
  private onlyHolds(port: Controller, devices: ReadonlySet<XmlElement>): boolean {
    const { model } = this.ctx;
    const below = pluggedInto(model, port.index);
    return below.controllers.length === 0 && below.devices.every((d) => devices.has(d.el)) && !model.iommus.some((i) => pciBusOf(i) === port.index);
  }

  /** A port can travel when its `<address>` is there to rewrite and it holds only devices that go along. */
  private canCarry(port: Controller, group: readonly Hostdev[]): boolean {
    return isGuestPci(port.address) && port.el.closed && this.onlyHolds(port, new Set(group.map((h) => h.el)));
  }

  /** Moves a root port (and so what is plugged into it) to `slot` of bus `busIndex`. */
  private carry(port: Controller, busIndex: number, slot: number): void {
    const { ctx, edits: b } = this;
    const el = port.address!.el;
    setAttribute(ctx, b, el, 'bus', hex2(busIndex));
    setAttribute(ctx, b, el, 'slot', hex2(slot));
    if (attr(el, 'function') && port.address!.function?.value !== 0) setAttribute(ctx, b, el, 'function', '0x0');
    // libvirt numbers a root port after its slot (port = slot << 3 | function); keep a written one matching.
    const t = port.el.children.find((c) => c.name === 'target');
    if (t && attr(t, 'port')) setAttribute(ctx, b, t, 'port', '0x' + (slot << 3).toString(16));
    this.carried.set(port, busIndex);
  }

  private newIndex(): number {
    this.addsControllers = true;
    return this.alloc.index();
  }

  /** A new root port on bus `busIndex`; `reuse`: a port this layout removes, whose index (and chassis) it takes. */
  private newRootPort(busIndex: number, reuse?: Controller): number | undefined {
    const slot = this.alloc.slot(busIndex);
    if (slot === undefined) return undefined;
    const index = reuse ? reuse.index : this.newIndex();
    const chassis = reuse?.chassis && Number.isInteger(reuse.chassis.value) ? reuse.chassis.value : this.alloc.chassisFor(index);
    if (chassis === undefined) return undefined;
    this.devices.addController(rootPortSpec(index, chassis, busIndex, slot));
    return index;
  }

  /**
   * Puts a hostdev on the root port `portIndex`: rewrites the bus (slot and
   * function to 0) of its guest address, or adds one. Behind an accelerated
   * vSMMU it also needs the iommufd backend.
   */
  private move(hostdev: Hostdev, portIndex: number, accel: boolean): void {
    if (!this.ok) return;
    const { ctx, edits: b } = this;
    const old = this.portOf(hostdev);
    if (old) this.left.set(old, (this.left.get(old) ?? new Set()).add(hostdev.el));
    const a = hostdev.address;
    if (a) {
      const el = a.el;
      if (a.type !== 'pci') setAttribute(ctx, b, el, 'type', 'pci');
      const domain = attr(el, 'domain');
      if (domain && a.domain?.value !== 0) setAttribute(ctx, b, el, 'domain', '0x0000');
      setAttribute(ctx, b, el, 'bus', hex2(portIndex));
      if (a.slot?.value !== 0) setAttribute(ctx, b, el, 'slot', '0x00');
      // A missing function is already 0.
      if (a.function !== undefined && a.function.value !== 0) setAttribute(ctx, b, el, 'function', '0x0');
    } else if (!insertLastChild(ctx, b, hostdev.el, guestAddressSpec(portIndex, 0))) {
      this.fail();
      return;
    }
    if (accel) this.ensureIommufd(hostdev);
  }

  /**
   * Root ports this layout removes: those whose indexes new controllers
   * take (see addExpanderFor), and those it empties otherwise when no index
   * gap results (every device on them moved away, nothing else uses them,
   * no index that stays or is new lies above theirs). libvirt fills a gap
   * in the controller indexes with an empty pcie-root-port of its own (seen
   * with libvirt 12.8), so removing a port below another index would only
   * trade one empty port for another: such a port stays.
   */
  private removablePorts(): Controller[] {
    const emptied = [...this.left]
      .filter(([port, gone]) => !this.carried.has(port) && !this.removing.has(port) && port.el.closed && this.onlyHolds(port, gone))
      .map(([port]) => port);
    const gone = new Set([...this.removing, ...emptied].map((p) => p.index));
    const staying = [...this.ctx.model.pciControllers.keys()].filter((i) => !gone.has(i));
    const top = this.addsControllers ? Infinity : Math.max(-1, ...staying);
    return [...this.removing, ...emptied.filter((p) => p.index > top)];
  }

  /** Removes a root port with its lines; comments inside it stay where it was. */
  private removePort(port: Controller): void {
    const { text, style } = this.ctx;
    const r = wholeLinesOf(text, port.el.start, port.el.end);
    const kept = commentsIn(text, port.el.start, port.el.end);
    const whole = r.start !== port.el.start;
    const indent = indentBefore(text, port.el.start) ?? '';
    this.edits.replace(r.start, r.end, whole ? kept.map((c) => indent + c + style.nl).join('') : kept.join(' '));
    this.devices.exclude(port.el);
  }

  ensureIommufd(hostdev: Hostdev): void {
    if (this.ok && !ensureIommufd(this.ctx, this.edits, hostdev)) this.fail();
  }

  /** The finished edit, or undefined when a step failed or nothing was done. */
  finish(): EditBuilder | undefined {
    if (!this.ok) return undefined;
    for (const port of this.removablePorts()) this.removePort(port);
    if (!this.devices.flush(this.edits)) return undefined;
    return this.edits.isEmpty ? undefined : this.edits;
  }
}

/** The NUMA node to give a new expander for these devices: the host's node of the first one that has one. */
export function numaNodeOf(placements: readonly HostdevPlacement[]): number | undefined {
  for (const p of placements) {
    const n = p.hostDevice?.numaNode;
    if (n !== undefined && Number.isInteger(n) && n >= 0) return n;
  }
  return undefined;
}
