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
import { expanderOf, expanderWithBusNr, isAccel, isPcieExpander, pciBusOf } from '../../domain/topology';
import type { HostdevPlacement, SmmuMapping } from '../../domain/smmuMapping';
import { attr, attrValue } from '../../xml/query';
import {
  DevicesInserter, EditBuilder, insertLastChild, setAttribute, versionAllows,
  type ElementSpec, type FixContext,
} from './edits';
import { ensureIommufd } from './iommufdFix';
import { DEFAULT_SPARE_BUS_NUMBERS } from '../../rules/settings';

/** libvirt version of `<driver pciBus accel>` on smmuv3. */
export const PLUGGABLE_SMMU_SINCE = IOMMU_DRIVER_ATTRIBUTES.pciBus.since ?? LIBVIRT_RELEASE.pluggableSmmuv3;

const hex = (n: number, width: number): string => '0x' + n.toString(16).padStart(width, '0');

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
      else if (c) { const e = expanderOf(model, c.address); if (e) indexes.add(e.index); else anyUnresolved = true; }
      else { indexes.add(bus); anyUnresolved = true; }
    }
    return { indexes, anyUnresolved };
  }

  /** An accelerated vSMMU on the controller `index`. */
  addVsmmu(index: number): void {
    if (!this.canAddVsmmu()) { this.fail(); return; }
    const claimed = this.claimed();
    const existing = this.ctx.model.pciControllers.has(index);
    if (claimed.indexes.has(index) || (existing && claimed.anyUnresolved)) { this.fail(); return; }
    this.devices.addIommu({
      name: 'iommu', attrs: [['model', 'smmuv3']],
      children: [{ name: 'driver', attrs: [['pciBus', String(index)], ['accel', 'on'], ...this.accelAttrs] }],
    });
  }

  /**
   * A new pcie-expander-bus for host SMMU `smmu` with `ports` root ports
   * and an accelerated vSMMU, in the guest cell of host node `numaNode`.
   * Returns the root port indexes.
   */
  addExpander(smmu: string, ports: number, numaNode: number | undefined): number[] | undefined {
    const { model } = this.ctx;
    if (!this.ok || ports < 1 || !this.canAddVsmmu()) return this.fail();
    const busNr = this.alloc.busNr(ports);
    const slot = this.alloc.slot(0);
    if (busNr === undefined || slot === undefined) return this.fail();
    const index = this.alloc.index();
    // The guest cell backed by the devices' host node (numatune), or the cell of that number.
    const node = cellForHostNode(model, numaNode);
    this.devices.addController(
      { comment: `expander for host SMMU ${smmu}` },
      {
        name: 'controller', attrs: [['type', 'pci'], ['index', String(index)], ['model', 'pcie-expander-bus']],
        children: [
          { name: 'model', attrs: [['name', 'pxb-pcie']] },
          node === undefined
            ? { name: 'target', attrs: [['busNr', String(busNr)]] }
            : { name: 'target', attrs: [['busNr', String(busNr)]], children: [{ name: 'node', text: String(node) }] },
          addressSpec(0, slot),
        ],
      },
    );
    const out: number[] = [];
    for (let k = 0; k < ports; k++) {
      const rp = this.newRootPort(index);
      if (rp === undefined) return this.fail();
      out.push(rp);
    }
    this.addVsmmu(index);
    return this.ok ? out : undefined;
  }

  /** A root port for one more device on an existing expander: a free one, else a new one if its bus range has room. */
  portOn(expander: Controller): number | undefined {
    return this.tryPortOn(expander) ?? this.fail();
  }

  /** Like portOn, but a full expander is not a failure of the whole layout: the caller tries another. */
  tryPortOn(expander: Controller): number | undefined {
    if (!this.ok) return undefined;
    const free = this.alloc.freeRootPort(expander.index);
    if (free) return free.index;
    if (!this.alloc.growExpander(expander)) return undefined;
    return this.newRootPort(expander.index);
  }

  private newRootPort(busIndex: number): number | undefined {
    const slot = this.alloc.slot(busIndex);
    if (slot === undefined) return undefined;
    const index = this.alloc.index();
    const chassis = this.alloc.chassisFor(index);
    if (chassis === undefined) return undefined;
    this.devices.addController({
      name: 'controller', attrs: [['type', 'pci'], ['index', String(index)], ['model', 'pcie-root-port']],
      children: [
        { name: 'model', attrs: [['name', 'pcie-root-port']] },
        { name: 'target', attrs: [['chassis', String(chassis)], ['port', '0x' + (slot << 3).toString(16)]] },
        addressSpec(busIndex, slot),
      ],
    });
    return index;
  }

  /**
   * Puts a hostdev on the root port `portIndex`: rewrites the bus (slot and
   * function to 0) of its guest address, or adds one. Behind an accelerated
   * vSMMU it also needs the iommufd backend.
   */
  move(hostdev: Hostdev, portIndex: number, accel: boolean): void {
    if (!this.ok) return;
    const { ctx, edits: b } = this;
    const a = hostdev.address;
    if (a) {
      const el = a.el;
      if (a.type !== 'pci') setAttribute(ctx, b, el, 'type', 'pci');
      const domain = attr(el, 'domain');
      if (domain && a.domain?.value !== 0) setAttribute(ctx, b, el, 'domain', '0x0000');
      setAttribute(ctx, b, el, 'bus', hex(portIndex, 2));
      if (a.slot?.value !== 0) setAttribute(ctx, b, el, 'slot', '0x00');
      // A missing function is already 0.
      if (a.function !== undefined && a.function.value !== 0) setAttribute(ctx, b, el, 'function', '0x0');
    } else if (!insertLastChild(ctx, b, hostdev.el, addressSpec(portIndex, 0))) {
      this.fail();
      return;
    }
    if (accel) this.ensureIommufd(hostdev);
  }

  ensureIommufd(hostdev: Hostdev): void {
    if (this.ok && !ensureIommufd(this.ctx, this.edits, hostdev)) this.fail();
  }

  /** The finished edit, or undefined when a step failed or nothing was done. */
  finish(): EditBuilder | undefined {
    if (!this.ok) return undefined;
    if (!this.devices.flush(this.edits)) return undefined;
    return this.edits.isEmpty ? undefined : this.edits;
  }
}

function addressSpec(bus: number, slot: number): ElementSpec {
  return {
    name: 'address',
    attrs: [['type', 'pci'], ['domain', '0x0000'], ['bus', hex(bus, 2)], ['slot', hex(slot, 2)], ['function', '0x0']],
  };
}

/** The NUMA node to give a new expander for these devices: the host's node of the first one that has one. */
export function numaNodeOf(placements: readonly HostdevPlacement[]): number | undefined {
  for (const p of placements) {
    const n = p.hostDevice?.numaNode;
    if (n !== undefined && Number.isInteger(n) && n >= 0) return n;
  }
  return undefined;
}
