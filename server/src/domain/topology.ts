/**
 * The guest PCI tree: which controller a device plugs into, the chain up to
 * pcie-root, and which expander bus (and so which vSMMU) serves a device.
 *
 * A guest `<address bus='N'>` names a controller *index*, not a bus number;
 * that indirection is why this lives in one place.
 */
import type { Controller, DomainModel, Iommu, PciAddress } from './model';
import { isGuestPci, parseLibvirtInt } from './model';
import { attr } from '../xml/query';

export const EXPANDER_MODELS = new Set(['pcie-expander-bus', 'pci-expander-bus']);

export function isExpander(c: Controller | undefined): boolean {
  return !!c && c.type === 'pci' && EXPANDER_MODELS.has(c.model?.value ?? '');
}

export function isPcieExpander(c: Controller | undefined): boolean {
  return !!c && c.type === 'pci' && c.model?.value === 'pcie-expander-bus';
}

export function isRoot(c: Controller | undefined): boolean {
  return !!c && c.type === 'pci' && (c.model?.value === 'pcie-root' || c.model?.value === 'pci-root');
}

/** The controller a guest address plugs into. */
export function controllerOfAddress(m: DomainModel, a: PciAddress | undefined): Controller | undefined {
  if (!isGuestPci(a)) return undefined;
  return m.pciControllers.get(a.bus.value);
}

/**
 * The chain of controllers from the one a device plugs into up to the root
 * (or as far as the references resolve). Guarded against cycles.
 */
export function chainOf(m: DomainModel, a: PciAddress | undefined): Controller[] {
  const chain: Controller[] = [];
  const seen = new Set<Controller>();
  let c = controllerOfAddress(m, a);
  while (c && !seen.has(c)) {
    chain.push(c);
    seen.add(c);
    if (c.index === 0) break;
    c = controllerOfAddress(m, c.address);
  }
  return chain;
}

/** The expander bus a device sits below, if any. */
export function expanderOf(m: DomainModel, a: PciAddress | undefined): Controller | undefined {
  return chainOf(m, a).find(isExpander);
}

/** `pciBus` of an IOMMU's `<driver>`, as a number (NaN when malformed), or undefined. */
export function pciBusOf(i: Iommu): number | undefined {
  const a = attr(i.driver, 'pciBus');
  if (!a || a.value === undefined) return undefined;
  return parseLibvirtInt(a.value);
}

export function isAccel(i: Iommu): boolean {
  return attr(i.driver, 'accel')?.value === 'on';
}

/** The pluggable vSMMU attached to a controller index, if any. */
export function iommuForIndex(m: DomainModel, index: number): Iommu | undefined {
  return m.iommus.find((i) => i.model?.value === 'smmuv3' && pciBusOf(i) === index);
}

/** Domains that use the pluggable SMMUv3 form (any `<iommu model='smmuv3'>` with pciBus). */
export function usesPluggableSmmu(m: DomainModel): boolean {
  return m.iommus.some((i) => i.model?.value === 'smmuv3' && pciBusOf(i) !== undefined);
}

/** Controllers and devices whose guest address plugs into the given controller index. */
export function pluggedInto(m: DomainModel, index: number): { controllers: Controller[]; devices: DomainModel['pciDevices'][number][] } {
  const controllers = m.controllers.filter((c) => c.type === 'pci' && isGuestPci(c.address) && c.address.bus.value === index && c.index !== index);
  const devices = m.pciDevices.filter((d) => d.kind !== 'controller' && isGuestPci(d.address) && d.address.bus.value === index);
  return { controllers, devices };
}

/**
 * The expander whose `<target busNr>` equals `n`. A `pciBus` or guest `bus`
 * holding an expander's busNr instead of its index is a common mix-up, and
 * rules use this to name the index that was probably meant.
 */
export function expanderWithBusNr(m: DomainModel, n: number, pcieOnly = false): Controller | undefined {
  if (!Number.isFinite(n)) return undefined;
  return m.controllers.find((c) => (pcieOnly ? isPcieExpander(c) : isExpander(c)) && c.busNr?.value === n);
}
