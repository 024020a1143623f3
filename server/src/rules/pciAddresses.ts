/**
 * Rule family `pci-addresses`: guest `<address type='pci'>` as libvirt's
 * address code checks it when the domain is defined. Numbers in range, the
 * slots the bus below each controller model offers, what that bus accepts
 * (a root port only on pcie-root or an expander, a switch downstream port
 * only on an upstream port, …), integrated devices on bus 0, one device per
 * address, address types only some devices take, and whether pcie-root has
 * room for the root ports libvirt must place itself.
 *
 * The bus facts are in domain/pciBusFacts.ts. A `bus` that names no
 * controller is the controllers family's (`address-bus-missing`); what plugs
 * into a pcie-expander-bus, and where an expander goes, are its too.
 */
import { attr, child } from '../xml/query';
import type { Controller, DomainModel, PciAddress, PciDevice } from '../domain/model';
import { isGuestPci } from '../domain/model';
import { definiteMachine } from '../domain/machine';
import {
  INTEGRATED_DEVICES,
  PCI_BUS_FACTS,
  PCI_CONTROLLER_CONNECT,
  PCI_MAX_BUS,
  PCI_MAX_FUNCTION,
  PCI_MAX_SLOT,
  Q35_RESERVED_ROOT_SLOTS,
  ROOT_MODELS,
  ROOT_MODEL_BY_MACHINE,
  ROOT_PORTS_PER_SLOT,
  busesAccepting,
  machineWithoutPci,
  type PciConnect,
} from '../domain/pciBusFacts';
import { HOSTDEV_ONLY_ADDRESS_TYPES } from '../domain/hostdevFacts';
import { ADDRESSLESS_DEVICES, ADDRESS_TYPE_ARCHES, DISK_BUS_ADDRESS_TYPES } from '../domain/addressTypes';
import { isExpander } from '../domain/topology';
import type { RuleContext, RuleFamily } from './types';
import { elementNameSpan, valueSpan } from './spans';
import { report } from './report';

export const pciAddressRules: RuleFamily = {
  name: 'pci-addresses',
  run(ctx) {
    const m = ctx.model;
    const controllerOf = new Map(m.controllers.map((c) => [c.el, c] as const));
    const used = new Map<string, PciDevice>();
    for (const d of m.pciDevices) {
      checkAddressType(ctx, d);
      const a = d.address;
      if (!isGuestPci(a) || leftToLibvirt(a)) continue;
      if (!checkRanges(ctx, a)) continue;
      checkDuplicate(ctx, d, a, used);
      // A machine without PCI refuses every PCI address; the machine family says so once.
      if (machineWithoutPci(m)) continue;
      const self = d.kind === 'controller' ? controllerOf.get(d.el) : undefined;
      checkIntegrated(ctx, d, a);
      checkBus(ctx, d, a, self);
    }
    if (!machineWithoutPci(m)) checkRootPortRoom(ctx);
  },
};

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
function addressText(a: PciAddress & { bus: { value: number } }): string {
  return `${hex(a.domain?.value ?? 0, 4)}:${hex(a.bus.value, 2)}:${hex(a.slot?.value ?? 0, 2)}.${(a.function?.value ?? 0).toString(16)}`;
}

/** `unassigned` belongs to hostdevs only; disks take the address types of their bus; some devices take none. */
function checkAddressType(ctx: RuleContext, d: PciDevice): void {
  const typeAttr = attr(d.address?.el, 'type');
  const t = typeAttr?.value;
  if (!typeAttr || t === undefined || !typeAttr.valueClosed) return;
  if (HOSTDEV_ONLY_ADDRESS_TYPES.includes(t) && d.kind !== 'hostdev') {
    report(
      ctx,
      'address-type-hostdev-only',
      valueSpan(typeAttr),
      `Address type '${t}' is only for <hostdev>; libvirt refuses it on a <${d.kind}> ("address of type '${t}' is supported only for hostdevs"). Use type='pci', or remove the <address>.`,
      { data: { kind: d.kind, type: t } },
    );
    return;
  }
  const arch = ctx.model.arch?.value;
  const archOnly = Object.prototype.hasOwnProperty.call(ADDRESS_TYPE_ARCHES, t) ? ADDRESS_TYPE_ARCHES[t] : undefined;
  if (archOnly && arch !== undefined && !archOnly.arches.includes(arch)) {
    const machine = ctx.model.machine?.value;
    report(
      ctx,
      'address-type-machine',
      valueSpan(typeAttr),
      `${archOnly.label} exist only on ${archOnly.arches.join('/')} machines; this domain is ${arch}${machine ? ` '${machine}'` : ''} and libvirt refuses it ("${archOnly.label} are not supported by machine type …"). Use type='pci', or remove the <address>.`,
      { data: { kind: d.kind, type: t, arch } },
    );
    return;
  }
  const modelType = attr(child(d.el, 'model'), 'type')?.value;
  const addressless = ADDRESSLESS_DEVICES.find((x) => x.element === d.kind && x.modelType === modelType);
  if (addressless) {
    report(
      ctx,
      'address-type-device',
      elementNameSpan(d.address!.el),
      `A ${addressless.label} takes no <address>: libvirt refuses it ("address not supported for video type ${modelType}"). Remove the <address>.`,
      { data: { kind: d.kind, type: t } },
    );
    return;
  }
  if (d.kind !== 'disk') return;
  const bus = attr(child(d.el, 'target'), 'bus')?.value;
  const allowed = bus !== undefined && Object.prototype.hasOwnProperty.call(DISK_BUS_ADDRESS_TYPES, bus) ? DISK_BUS_ADDRESS_TYPES[bus] : undefined;
  if (!allowed || allowed.includes(t)) return;
  report(
    ctx,
    'address-type-device',
    valueSpan(typeAttr),
    `A disk on bus '${bus}' cannot take an address of type '${t}': libvirt refuses it (for example "Invalid address type '${t}' for the disk … with the bus type '${bus}'"). Use type='${allowed[0]}', or remove the <address> and let libvirt place it.`,
    { data: { kind: d.kind, bus, type: t, allowed } },
  );
}

/**
 * Addresses libvirt places itself, or does not check: bus 0 slot 0 counts as
 * "no address" (whatever the function), and libvirt 12.8 accepts any guest
 * PCI domain without checking the rest.
 */
function leftToLibvirt(a: PciAddress & { bus: { value: number } }): boolean {
  const dom = a.domain?.value ?? 0;
  if (Number.isFinite(dom) && dom !== 0) return true;
  return a.bus.value === 0 && (a.slot?.value ?? 0) === 0;
}

/** Bus 0–255, slot 0–31, function 0–7. False when a number is out of range (later checks would mislead). */
function checkRanges(ctx: RuleContext, a: PciAddress & { bus: { value: number } }): boolean {
  let ok = true;
  const out = (name: string, n: { value: number; attr: Parameters<typeof valueSpan>[0] } | undefined, max: number, why: string) => {
    if (!n || !Number.isFinite(n.value) || n.value <= max) return;
    ok = false;
    report(
      ctx,
      'address-pci-range',
      valueSpan(n.attr),
      `${name}='${n.attr.value}' is out of range: ${why} (libvirt: "Invalid PCI address ${name}=${n.attr.value}, must be <= ${max === PCI_MAX_FUNCTION ? max : `0x${max.toString(16).toUpperCase()}`}").`,
      { data: { attribute: name, max } },
    );
  };
  out('bus', a.bus, PCI_MAX_BUS, 'a bus names a controller index, 0–255');
  out('slot', a.slot, PCI_MAX_SLOT, 'a PCI bus has slots 0x00–0x1f');
  out('function', a.function, PCI_MAX_FUNCTION, 'a slot has functions 0–7');
  return ok;
}

function checkDuplicate(ctx: RuleContext, d: PciDevice, a: PciAddress & { bus: { value: number } }, used: Map<string, PciDevice>): void {
  if (a.slot === undefined || !Number.isFinite(a.slot.value)) return;
  const key = addressText(a);
  const prev = used.get(key);
  if (!prev) {
    used.set(key, d);
    return;
  }
  report(
    ctx,
    'address-duplicate',
    elementNameSpan(a.el),
    `PCI address ${key} is already taken by a <${prev.kind}>: libvirt refuses the domain ("Attempted double use of PCI Address ${key}"). Give this <${d.kind}> another slot or function, or remove its <address> and let libvirt place it.`,
    { related: prev.address ? [{ ...elementNameSpan(prev.address.el), message: `the <${prev.kind}> at ${key}` }] : undefined, data: { address: key } },
  );
}

/** Integrated devices sit on the root bus itself. */
function checkIntegrated(ctx: RuleContext, d: PciDevice, a: PciAddress & { bus: { value: number } }): void {
  const model = attr(d.el, 'model')?.value;
  const integrated = INTEGRATED_DEVICES.find((x) => x.element === d.kind && x.model === model);
  if (!integrated || a.bus.value === 0) return;
  report(
    ctx,
    'address-integrated-bus',
    valueSpan(a.bus.attr),
    `${integrated.label} is an integrated device: it must sit on the root bus, bus='0x00' (libvirt: "The device at PCI address ${addressText(a)} needs to be an integrated device (bus=0)"). Set bus='0x00' and a free slot, or remove the <address>.`,
    { data: { bus: a.bus.value } },
  );
}

/** The model of the controller with this index, including the root bus libvirt adds when none is written. */
function busModel(m: DomainModel, index: number): { model: string; controller?: Controller } | undefined {
  const c = m.pciControllers.get(index);
  // Index 0 that is not a root bus is the machine family's finding; what plugs into it would only repeat it.
  if (c && index === 0 && !ROOT_MODELS.includes(c.model?.value ?? '')) return undefined;
  if (c) return c.model?.value ? { model: c.model.value, controller: c } : undefined;
  if (index !== 0) return undefined;
  const family = definiteMachine(m);
  const root = family ? ROOT_MODEL_BY_MACHINE[family] : undefined;
  return root ? { model: root } : undefined;
}

function connectOf(d: PciDevice, self: Controller | undefined): PciConnect | undefined {
  if (!self) return 'endpoint';
  if (self.type !== 'pci') return 'endpoint';
  const model = self.model?.value;
  return model && Object.prototype.hasOwnProperty.call(PCI_CONTROLLER_CONNECT, model) ? PCI_CONTROLLER_CONNECT[model] : undefined;
}

/** Slots the bus offers, and whether the bus takes what plugs in. */
function checkBus(ctx: RuleContext, d: PciDevice, a: PciAddress & { bus: { value: number } }, self: Controller | undefined): void {
  const m = ctx.model;
  const bus = a.bus.value;
  if (self && self.type === 'pci' && (self.index === bus || isExpander(self))) return; // index order and expander placement speak
  const target = busModel(m, bus);
  if (!target || !Object.prototype.hasOwnProperty.call(PCI_BUS_FACTS, target.model)) return;
  if (target.model === 'pcie-expander-bus') return; // controller-expander-child
  const facts = PCI_BUS_FACTS[target.model];
  const connect = connectOf(d, self);
  const what = self ? `a ${self.model?.value ?? `${self.type} controller`}` : `this <${d.kind}>`;
  const related = target.controller ? [{ ...elementNameSpan(target.controller.el), message: `the ${target.model} with index ${bus}` }] : undefined;

  if (connect && !facts.accepts.includes(connect)) {
    const homes = busesAccepting(connect).filter((x) => x !== target.model);
    report(
      ctx,
      'address-bus-accepts',
      valueSpan(a.bus.attr),
      `${cap(what)} cannot plug into the ${target.model} with index ${bus}, which accepts only ${facts.accepts.map(plural).join(', ')} (libvirt: "The device at PCI address ${addressText(a)} cannot be plugged into the PCI controller with index='${bus}'"). Plug it into ${homes.length ? homes.map((x) => `a ${x}`).join(' or ') : 'another controller'}.`,
      { related, data: { bus, busModel: target.model, connect } },
    );
    return;
  }
  const slot = a.slot?.value;
  if (slot === undefined || !Number.isFinite(slot)) return;
  if (slot >= facts.minSlot && slot <= facts.maxSlot) return;
  const range = facts.minSlot === facts.maxSlot ? `only slot ${facts.minSlot}` : `slots ${hexSlot(facts.minSlot)}–${hexSlot(facts.maxSlot)}`;
  const why = slot < facts.minSlot ? `slot must be >= ${facts.minSlot}` : `slot must be <= ${facts.maxSlot}`;
  report(
    ctx,
    'address-slot-range',
    valueSpan(a.slot!.attr),
    `The ${target.model} with index ${bus} offers ${range}${slot === 0 && facts.minSlot === 1 ? ' (slot 0 is taken by the bridge itself)' : ''}; slot='${a.slot!.attr.value}' is not one of them (libvirt: "Invalid PCI address ${addressText(a)}. ${why}"). Use slot='${hexSlot(facts.minSlot)}'${facts.minSlot !== facts.maxSlot ? ' or another free slot in range' : ''}.`,
    { related, data: { bus, busModel: target.model, minSlot: facts.minSlot, maxSlot: facts.maxSlot } },
  );
}

function hexSlot(n: number): string {
  return `0x${hex(n, 2)}`;
}

function plural(c: PciConnect): string {
  return c === 'endpoint' ? 'devices' : `${c}s`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Root ports written without an address are placed by libvirt on pcie-root
 * (or an expander), eight to a slot. More of them than the free functions
 * can hold is refused. Counted generously, so it only speaks when certain.
 */
function checkRootPortRoom(ctx: RuleContext): void {
  const m = ctx.model;
  const family = definiteMachine(m);
  if (!family || ROOT_MODEL_BY_MACHINE[family] !== 'pcie-root') return;
  const unplaced = m.controllers.filter((c) => c.type === 'pci' && c.model?.value === 'pcie-root-port' && !c.address);
  if (!unplaced.length) return;

  let room = 0;
  const buses: number[] = [0, ...m.controllers.filter((c) => c.type === 'pci' && c.model?.value === 'pcie-expander-bus').map((c) => c.index)];
  for (const bus of buses) {
    const facts = PCI_BUS_FACTS[bus === 0 ? 'pcie-root' : 'pcie-expander-bus'];
    const taken = new Map<number, { functions: number; onlyPorts: boolean }>();
    for (const d of m.pciDevices) {
      const a = d.address;
      if (!isGuestPci(a) || a.bus.value !== bus || !a.slot || !Number.isFinite(a.slot.value)) continue;
      const isPort = d.kind === 'controller' && attr(d.el, 'model')?.value === 'pcie-root-port';
      const t = taken.get(a.slot.value) ?? { functions: 0, onlyPorts: true };
      taken.set(a.slot.value, { functions: t.functions + 1, onlyPorts: t.onlyPorts && isPort });
    }
    for (let slot = facts.minSlot; slot <= facts.maxSlot; slot++) {
      if (bus === 0 && family === 'q35' && Q35_RESERVED_ROOT_SLOTS.includes(slot)) continue;
      const t = taken.get(slot);
      if (!t) room += ROOT_PORTS_PER_SLOT;
      else if (t.onlyPorts) room += Math.max(0, ROOT_PORTS_PER_SLOT - t.functions);
    }
  }
  if (unplaced.length <= room) return;
  const first = unplaced[room];
  report(
    ctx,
    'address-no-free-slot',
    first.model ? valueSpan(first.model) : elementNameSpan(first.el),
    `${unplaced.length} pcie-root-ports have no address, but pcie-root${buses.length > 1 ? ' and the expander buses' : ''} ${buses.length > 1 ? 'have' : 'has'} room for at most ${room} (${ROOT_PORTS_PER_SLOT} to a free slot): libvirt refuses the rest ("a PCIe slot is needed to connect a PCI controller model='pcie-root-port', but none is available"). Remove ${unplaced.length - room} of them, or use a PCIe switch (pcie-switch-upstream-port with downstream ports) for more slots.`,
    { data: { ports: unplaced.length, room } },
  );
}
