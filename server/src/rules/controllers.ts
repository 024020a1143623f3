/**
 * Rule family `controllers`: the guest PCI tree as libvirt and QEMU build it.
 * Indexes, target ranges, where expander buses may sit and what may plug into
 * them, their NUMA cells, the bus-number ranges the expanders and pcie-root
 * claim, and guest addresses that name no controller.
 *
 * Guest `<address bus='N'>` names a controller index; `<target busNr>` is a
 * guest-visible bus number. Most mistakes here come from mixing the two, so
 * messages say which one a value is.
 */
import type { Controller, DomainModel } from '../domain/model';
import { isGuestPci } from '../domain/model';
import { MAX_PCI_BUS_NUMBER, PCI_CONTROLLER_MODELS, PCI_CONTROLLER_TARGET_RANGES, type ControllerModelInfo } from '../domain/catalog';
import { definiteMachine } from '../domain/machine';
import { chainOf, expanderWithBusNr, isExpander, isPcieExpander, isRoot } from '../domain/topology';
import type { RuleCode, RuleContext, RuleFamily } from './types';
import { elementNameSpan, elementTextSpan, valueSpan, type Span } from './spans';
import { report } from './report';

export const controllerRules: RuleFamily = {
  name: 'controllers',
  run(ctx) {
    const m = ctx.model;
    const firstIndex = new Map<string, Controller>();
    const firstBusNr = new Map<number, Controller>();
    const firstChassis = new Map<number, Controller>();
    for (const c of m.controllers) {
      checkIndexDuplicate(ctx, c, firstIndex);
      if (c.type !== 'pci') continue;
      checkTargetRanges(ctx, c);
      checkExpander(ctx, c);
      checkNuma(ctx, c);
      checkChassis(ctx, c, firstChassis);
      checkBridgeIndexOrder(ctx, c);
      checkIndexBelowBus(ctx, c);
      checkBusNrDuplicate(ctx, c, firstBusNr);
    }
    checkBusNrOverlap(ctx);
    checkDeviceBuses(ctx);
  },
};

function infoOf(c: Controller | undefined): ControllerModelInfo | undefined {
  const model = c?.model?.value;
  return model !== undefined && Object.prototype.hasOwnProperty.call(PCI_CONTROLLER_MODELS, model) ? PCI_CONTROLLER_MODELS[model] : undefined;
}

function describe(c: Controller): string {
  return `the ${c.model?.value ?? `${c.type ?? ''} controller`} with index ${c.index}`;
}

/** Where a finding about a controller's index goes: its written index, else its name. */
function indexSpan(c: Controller): Span {
  return c.indexAttr ? valueSpan(c.indexAttr.attr) : elementNameSpan(c.el);
}

/**
 * Indexes are per controller type. USB companion controllers (with a
 * `<master>`) deliberately share their EHCI master's index.
 */
function checkIndexDuplicate(ctx: RuleContext, c: Controller, first: Map<string, Controller>): void {
  const v = c.indexAttr?.value;
  if (c.type === undefined || v === undefined || !Number.isFinite(v)) return;
  if (c.type === 'usb' && c.el.children.some((e) => e.name === 'master')) return;
  const key = `${c.type}#${v}`;
  const prev = first.get(key);
  if (!prev) {
    first.set(key, c);
    return;
  }
  report(
    ctx,
    'controller-index-duplicate',
    valueSpan(c.indexAttr!.attr),
    `Another <controller type='${c.type}'> already has index ${v}; indexes must be unique per controller type. Use a free index, or leave index out and libvirt picks one.`,
    { related: [{ ...indexSpan(prev), message: `the first ${c.type} controller with index ${v}` }], data: { type: c.type, index: v } },
  );
}

const RANGE_CODES = {
  busNr: 'controller-busnr-range',
  chassisNr: 'controller-chassisnr-range',
  chassis: 'controller-chassis-range',
  port: 'controller-port-range',
} as const satisfies Record<keyof typeof PCI_CONTROLLER_TARGET_RANGES, RuleCode>;

function checkTargetRanges(ctx: RuleContext, c: Controller): void {
  for (const a of c.target?.attributes ?? []) {
    if (!Object.prototype.hasOwnProperty.call(PCI_CONTROLLER_TARGET_RANGES, a.name) || a.value === undefined || !a.valueClosed) continue;
    const name = a.name as keyof typeof PCI_CONTROLLER_TARGET_RANGES;
    const { min, max } = PCI_CONTROLLER_TARGET_RANGES[name];
    const n = numberOf(c, name);
    if (Number.isFinite(n) && n >= min && n <= max) continue;
    const what = Number.isFinite(n) ? 'is out of range' : 'is not a number';
    report(ctx, RANGE_CODES[name], valueSpan(a), `${name}='${a.value}' ${what}: use ${min}–${max}.`, { data: { attribute: name, min, max } });
  }
}

function numberOf(c: Controller, name: keyof typeof PCI_CONTROLLER_TARGET_RANGES): number {
  return c[name]?.value ?? NaN;
}

/** Placement, machine and model name of an expander bus. */
function checkExpander(ctx: RuleContext, c: Controller): void {
  if (!isExpander(c)) return;
  const m = ctx.model;
  const info = infoOf(c);
  const model = c.model!.value!;

  const a = c.address;
  if (isGuestPci(a) && a.bus.value !== 0) {
    const on = m.pciControllers.get(a.bus.value);
    report(
      ctx,
      'controller-expander-placement',
      valueSpan(a.bus.attr),
      `A ${model} must plug into the root bus (bus='0x00'); this one sits on bus='${a.bus.attr.value}'${on ? `, ${describe(on)}` : ''}. Set bus='0x00'.`,
      { related: on ? [{ ...elementNameSpan(on.el), message: describe(on) }] : undefined, data: { index: c.index } },
    );
  }

  const family = definiteMachine(m);
  if (family && info?.machineFamilies && !info.machineFamilies.includes(family)) {
    const machine = m.machine?.value ? `'${m.machine.value}'` : 'its default machine';
    report(
      ctx,
      'controller-expander-machine',
      valueSpan(c.model!),
      `A ${model} needs an x86 Q35 or ARM virt machine; this domain is ${m.arch?.value} ${machine}. Change the machine, or use pci-expander-bus on a conventional PCI machine.`,
      { related: m.machine ? [{ ...valueSpan(m.machine), message: 'the guest machine' }] : undefined, data: { model, machine: m.machine?.value } },
    );
  }
}

/** An expander's `<node>` must name a guest NUMA cell; pcie-root (index 0) takes none. */
function checkNuma(ctx: RuleContext, c: Controller): void {
  const node = c.numaNode;
  if (!node) return;
  const m = ctx.model;
  if (c.index === 0) {
    report(
      ctx,
      'controller-root-numa',
      elementNameSpan(node.el),
      `The root bus (controller index 0) cannot have a NUMA <node>: only expander buses are placed on a NUMA cell. Remove <node>.`,
      { data: { index: c.index } },
    );
    return;
  }
  if (m.numaCells.some((cell) => cell.id === node.value)) return;
  const cells = m.numaCells.map((cell) => cell.id);
  const have = cells.length ? `this domain defines cells ${cells.join(', ')}` : 'this domain defines no <cpu><numa> cells';
  const raw = node.el.texts
    .map((t) => t.value)
    .join('')
    .trim();
  report(ctx, 'controller-numa-node', elementTextSpan(node.el), `<node>${raw}</node> names no guest NUMA cell: ${have}. Use one of them, or add the cell under <cpu><numa>.`, {
    related: cells.length ? [{ ...elementNameSpan(m.numaCells[0].el.parent ?? m.numaCells[0].el), message: 'the guest NUMA cells' }] : undefined,
    data: { node: Number.isFinite(node.value) ? node.value : raw, cells },
  });
}

/**
 * QEMU registers every root port and switch downstream port in a chassis at
 * slot 0 (libvirt never sets the slot), so two ports with one chassis make
 * QEMU refuse to start ("Can't add chassis slot"); the port numbers do not
 * matter. libvirt gives a port without chassis its controller index, and
 * accepts the clash.
 */
function checkChassis(ctx: RuleContext, c: Controller, first: Map<number, Controller>): void {
  if (!CHASSIS_PORT_MODELS.includes(c.model?.value ?? '')) return;
  const ch = c.chassis?.value ?? c.index;
  if (!Number.isFinite(ch)) return;
  const prev = first.get(ch);
  if (!prev) {
    first.set(ch, c);
    return;
  }
  // Both from their indexes: the indexes clash, which controller-index-duplicate reports.
  if (!c.chassis && !prev.chassis) return;
  const chassisOf = (x: Controller) => (x.chassis ? 'its chassis' : `its index (libvirt's default chassis)`);
  const at = c.chassis ? valueSpan(c.chassis.attr) : indexSpan(c);
  report(
    ctx,
    'controller-chassis-duplicate',
    at,
    `${cap(describe(c))} gets chassis ${ch} from ${chassisOf(c)}, as does ${describe(prev)}: libvirt accepts it, but QEMU puts every port at slot 0 of its chassis and refuses to start ("Can't add chassis slot"). Give each port its own chassis, for example its controller index.`,
    {
      related: [{ ...(prev.chassis ? valueSpan(prev.chassis.attr) : indexSpan(prev)), message: `chassis ${ch} of ${describe(prev)}` }],
      data: { chassis: ch, otherIndex: prev.index },
    },
  );
}

/** Controller models QEMU registers in a chassis slot. */
const CHASSIS_PORT_MODELS = ['pcie-root-port', 'pcie-switch-downstream-port'];

/**
 * libvirt requires a pci-bridge's index to be larger than the index of the
 * bus it plugs into (L13). Ports, switches and other bridges may have any
 * index as far as libvirt 12.8 goes (checkIndexBelowBus: QEMU does not start).
 */
function checkBridgeIndexOrder(ctx: RuleContext, c: Controller): void {
  if (c.model?.value !== 'pci-bridge') return;
  // An index libvirt assigns is not the author's to fix; and libvirt may number it differently than the model does.
  if (!c.indexAttr) return;
  const a = c.address;
  if (!isGuestPci(a) || a.bus.value < c.index) return;
  const on = ctx.model.pciControllers.get(a.bus.value);
  report(
    ctx,
    'controller-bridge-index-order',
    indexSpan(c),
    `The pci-bridge with index ${c.index} plugs into bus ${a.bus.value}, but a pci-bridge's index must be larger than the index of the bus it plugs into. Give it an index above ${a.bus.value}, or plug it into a lower bus.`,
    { related: on && on !== c ? [{ ...elementNameSpan(on.el), message: describe(on) }] : undefined, data: { index: c.index, bus: a.bus.value } },
  );
}

/**
 * Any other PCI controller plugged into a controller of higher index:
 * libvirt 12.8 accepts it, but it writes the controllers onto QEMU's command
 * line in index order, and QEMU 11.1 refuses a device whose bus it has not
 * created yet ("Bus 'pci.3' not found"), so the domain does not start (both
 * seen: domxml-to-native's argv, and QEMU run with it).
 */
function checkIndexBelowBus(ctx: RuleContext, c: Controller): void {
  if (c.type !== 'pci' || c.model?.value === 'pci-bridge' || !c.indexAttr) return;
  const a = c.address;
  if (!isGuestPci(a) || a.bus.value <= c.index) return;
  const on = ctx.model.pciControllers.get(a.bus.value);
  if (!on) return;
  report(
    ctx,
    'controller-index-below-bus',
    indexSpan(c),
    `${cap(describe(c))} plugs into ${describe(on)}, which has a higher index: \`virsh define\` accepts this, but libvirt puts the controllers on QEMU's command line in index order, and QEMU refuses a controller whose bus does not exist yet ("Bus 'pci.${on.index}' not found"), so the domain does not start. Give it an index above ${on.index}.`,
    { related: [{ ...elementNameSpan(on.el), message: describe(on) }], data: { index: c.index, bus: on.index } },
  );
}

function checkBusNrDuplicate(ctx: RuleContext, c: Controller, first: Map<number, Controller>): void {
  const v = c.busNr?.value;
  if (!isExpander(c) || v === undefined || !Number.isFinite(v)) return;
  const prev = first.get(v);
  if (!prev) {
    first.set(v, c);
    return;
  }
  report(
    ctx,
    'controller-busnr-duplicate',
    valueSpan(c.busNr!.attr),
    `busNr ${v} is already the bus number of ${describe(prev)}; every expander needs its own range of bus numbers. Choose a busNr below the lowest one in use, leaving room for the ports below each expander.`,
    { related: [{ ...valueSpan(prev.busNr!.attr), message: `busNr of ${describe(prev)}` }], data: { busNr: v, otherIndex: prev.index } },
  );
}

/**
 * A warning, not an error: libvirt does not check this and QEMU starts; the
 * limit is the guest firmware's, which numbers the buses at boot.
 * Bus numbers are handed out per root complex: an expander owns busNr for its
 * own bus plus one number per port or bridge below it, up to the next higher
 * expander's busNr (or 255); pcie-root owns 0 plus one per port or bridge
 * below it, up to the lowest busNr (§4.2 of the reference).
 */
function checkBusNrOverlap(ctx: RuleContext): void {
  const m = ctx.model;
  const { min, max } = PCI_CONTROLLER_TARGET_RANGES.busNr;
  const expanders = m.controllers.filter((c) => {
    const v = c.busNr?.value;
    return isExpander(c) && v !== undefined && Number.isFinite(v) && v >= min && v <= max;
  });
  if (!expanders.length) return;

  const below = new Map<Controller, number>();
  let onRoot = 0;
  for (const c of m.controllers) {
    if (c.type !== 'pci' || !infoOf(c)?.ownsBus) continue;
    const where = rootComplexOf(m, c);
    if (where === 'root') onRoot++;
    else if (where) below.set(where, (below.get(where) ?? 0) + 1);
  }

  const busNrOf = (c: Controller) => c.busNr!.value;
  const reported = new Set<number>();
  for (const e of expanders) {
    const b = busNrOf(e);
    if (reported.has(b)) continue; // a duplicate busNr is its own finding
    reported.add(b);
    const next = expanders.filter((o) => busNrOf(o) > b).sort((x, y) => busNrOf(x) - busNrOf(y))[0];
    const limit = next ? busNrOf(next) - 1 : MAX_PCI_BUS_NUMBER;
    const children = below.get(e) ?? 0;
    if (b + children === limit && isPcieExpander(e)) reportNoSpare(ctx, e, b, limit, next);
    if (b + children <= limit) continue;
    const room = limit - children;
    const clash = next ? `but ${describe(next)} starts at busNr ${busNrOf(next)}` : `beyond the last bus number ${MAX_PCI_BUS_NUMBER}`;
    report(
      ctx,
      'controller-busnr-overlap',
      valueSpan(e.busNr!.attr),
      `${cap(describe(e))} needs bus numbers ${b}–${b + children} (its own bus and ${children} for the ports and bridges below it), ${clash}. libvirt and QEMU accept this, but the guest firmware runs out of bus numbers and devices below it may stay invisible to the guest. Lower this busNr to ${room} or less, keeping clear of the buses below it.`,
      {
        related: next ? [{ ...valueSpan(next.busNr!.attr), message: `busNr of ${describe(next)}` }] : undefined,
        data: { index: e.index, busNr: b, needed: children + 1, limit },
      },
    );
  }

  const lowest = [...expanders].sort((x, y) => busNrOf(x) - busNrOf(y))[0];
  if (onRoot < busNrOf(lowest)) return;
  const root = m.pciControllers.get(0);
  const rootName = root && isRoot(root) ? root.model!.value! : undefined;
  report(
    ctx,
    'controller-busnr-overlap',
    valueSpan(lowest.busNr!.attr),
    `The root bus${rootName ? ` (${rootName})` : ''} needs bus numbers 0–${onRoot} for itself and the ${onRoot} ports and bridges below it, which reaches busNr ${busNrOf(lowest)} of ${describe(lowest)}. libvirt and QEMU accept this, but the guest firmware runs out of bus numbers and devices may stay invisible to the guest. Give the expanders busNr values above ${onRoot}, counting down from 254.`,
    {
      related: root && rootName ? [{ ...elementNameSpan(root.el), message: `${rootName}, index 0` }] : undefined,
      data: { index: lowest.index, busNr: busNrOf(lowest), needed: onRoot + 1, limit: busNrOf(lowest) - 1 },
    },
  );
}

/**
 * An expander whose bus range is used up: the next root port below it needs
 * a bus number it does not have, and making room means changing busNr values,
 * which renumbers the guest's buses (its ABI). Warned while there is still a
 * choice; no quick fix, because the only fix is that renumbering.
 */
function reportNoSpare(ctx: RuleContext, e: Controller, b: number, limit: number, next: Controller | undefined): void {
  const upTo = next ? `up to ${limit}, where ${describe(next)} starts` : `up to ${limit}, the last bus number`;
  report(
    ctx,
    'controller-busnr-no-spare',
    valueSpan(e.busNr!.attr),
    `${cap(describe(e))} uses every bus number of its range (${b}${limit > b ? `–${limit}` : ''}, ${upTo}): one more root port below it needs a lower busNr, and changing busNr later renumbers the guest's buses. ` +
      `While the guest is new, lower this busNr by two or more (staying clear of the expander below it) to leave spare numbers; otherwise put new devices behind another expander.`,
    { data: { index: e.index, busNr: b, limit } },
  );
}

/**
 * The root complex a port or bridge ends up in: an expander, the root bus, or
 * undefined when that cannot be told (an address that does not resolve, or a
 * switch port without an address, which libvirt puts behind some switch).
 * Other ports and bridges without an address go to the root bus, where
 * libvirt places them first.
 */
function rootComplexOf(m: DomainModel, c: Controller): Controller | 'root' | undefined {
  const a = c.address;
  if (!isGuestPci(a)) return c.model?.value?.startsWith('pcie-switch-') ? undefined : 'root';
  if (a.bus.value === 0 && !m.pciControllers.has(0)) return 'root';
  const chain = chainOf(m, a);
  const expander = chain.find(isExpander);
  if (expander) return expander;
  return chain.length > 0 && chain[chain.length - 1].index === 0 ? 'root' : undefined;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Guest addresses: what plugs into a pcie-expander-bus directly (L11), and
 * `bus` values that name no controller. The latter is a note: libvirt 12.8
 * accepts it and adds default controllers up to the index, and the VM runs,
 * just rarely with the controller the author meant.
 */
function checkDeviceBuses(ctx: RuleContext): void {
  const m = ctx.model;
  const controllerOf = new Map(m.controllers.map((c) => [c.el, c] as const));
  for (const d of m.pciDevices) {
    const a = d.address;
    if (!isGuestPci(a)) continue;
    const bus = a.bus.value;
    const self = d.kind === 'controller' ? controllerOf.get(d.el) : undefined;
    if (self && self.type === 'pci' && (self.index === bus || isExpander(self))) continue; // index order and placement rules speak
    const target = m.pciControllers.get(bus);
    if (target) {
      const accepts = infoOf(target)?.acceptsOnly;
      if (!isPcieExpander(target) || !accepts) continue;
      if (self && self.type === 'pci' && accepts.includes(self.model?.value ?? '')) continue;
      const what = self ? `<controller type='${self.type ?? ''}'${self.model?.value ? ` model='${self.model.value}'` : ''}>` : `<${d.kind}>`;
      report(
        ctx,
        'controller-expander-child',
        valueSpan(a.bus.attr),
        `${what} plugs straight into ${describe(target)}, which accepts only ${accepts.join(' and ')} controllers. Add a pcie-root-port on the expander and set this bus to the port's index.`,
        { related: [{ ...elementNameSpan(target.el), message: describe(target) }], data: { expanderIndex: target.index } },
      );
      continue;
    }
    if (bus === 0) continue; // libvirt adds the root bus (index 0) itself
    const byBusNr = expanderWithBusNr(m, bus);
    const hint = byBusNr ? ` (${bus} is the busNr of ${describe(byBusNr)}, not its index ${byBusNr.index})` : '';
    report(
      ctx,
      'address-bus-missing',
      valueSpan(a.bus.attr),
      `bus='${a.bus.attr.value}' names no PCI controller index${hint}; libvirt will add a default controller with index ${bus} for it, which may not be the one you meant. The bus attribute takes a controller index.`,
      { data: byBusNr ? { bus, expanderIndex: byBusNr.index } : { bus } },
    );
  }
}
