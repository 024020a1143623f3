/**
 * The SMMU-to-PXB mapping of a domain: for every PCI hostdev, the guest path
 * (root port → expander → vSMMU) and the host path (host device → host
 * SMMU). Rules, quick fixes, hover and the topology view all read this one
 * analysis, so they never disagree about where a device sits.
 *
 * Why it matters: the kernel ties an accelerated vSMMU to the one host SMMU
 * of the first assigned device behind it (iommufd vIOMMU), so each expander
 * that carries an accelerated vSMMU must hold devices of exactly one host
 * SMMU, and each host SMMU in use needs an expander of its own.
 */
import type { Controller, DomainModel, Hostdev, Iommu, PciAddress, PciDevice } from './model';
import { isGuestPci } from './model';
import { chainOf, isAccel, isExpander, iommuForIndex, usesPluggableSmmu } from './topology';
import type { HostPciDevice, HostTopology } from '../host/types';
import { findDevice, iommuOfDevice } from '../host/queries';
import { attrValue } from '../xml/query';

export type Placement =
  /** Below an expander bus. */
  | 'expander'
  /** On pcie-root (directly or through root ports/bridges on it). */
  | 'root'
  /** No guest PCI address: libvirt will place it, on pcie-root. */
  | 'unplaced'
  /** The address names a controller that does not exist, or the chain does not reach a root. */
  | 'unresolved';

export interface HostdevPlacement {
  readonly hostdev: Hostdev;
  /** Position in model.hostdevs. */
  readonly index: number;
  readonly bdf: string | undefined;
  /** The host device, when the host topology knows it. */
  readonly hostDevice: HostPciDevice | undefined;
  /** The host SMMUv3 translating the device, when known. */
  readonly hostSmmu: string | undefined;
  readonly placement: Placement;
  /** Controllers from the one it plugs into up towards the root. */
  readonly chain: readonly Controller[];
  readonly expander: Controller | undefined;
  /** The vSMMU serving the device: the expander's, or pcie-root's (pciBus 0). */
  readonly iommu: Iommu | undefined;
}

export interface ExpanderUse {
  readonly expander: Controller;
  readonly iommu: Iommu | undefined;
  readonly accel: boolean;
  readonly hostdevs: HostdevPlacement[];
  /**
   * The host SMMU this expander's vSMMU binds to: that of the first assigned
   * device below it whose SMMU is known (QEMU binds at the first device).
   */
  readonly boundSmmu: string | undefined;
  /** Non-hostdev endpoints below it (virtio, emulated NICs, …). */
  readonly emulated: PciDevice[];
}

/**
 * The vSMMU on pcie-root (`<driver pciBus='0'/>`). pcie-root is a root
 * complex like an expander, with the same one-host-SMMU rule when the vSMMU
 * is accelerated; it only covers devices not below an expander.
 */
export interface RootUse {
  readonly iommu: Iommu;
  readonly accel: boolean;
  /** Hostdevs on pcie-root's hierarchy, or without a guest address (libvirt puts those there). */
  readonly hostdevs: HostdevPlacement[];
  /** The host SMMU of the first of those whose SMMU is known. */
  readonly boundSmmu: string | undefined;
  /** Non-hostdev endpoints whose guest address is on pcie-root's hierarchy. */
  readonly emulated: PciDevice[];
}

export interface SmmuMapping {
  /** True when the domain uses the pluggable SMMUv3 form. */
  readonly pluggable: boolean;
  /** PCI hostdevs (type='pci', subsystem mode) in document order. */
  readonly placements: readonly HostdevPlacement[];
  /** Every expander bus in document order. */
  readonly expanders: readonly ExpanderUse[];
  /** Assigned devices grouped by their host SMMU (only those with a known SMMU). */
  readonly bySmmu: ReadonlyMap<string, HostdevPlacement[]>;
  /** For a host SMMU, the expander bound to it (first one, document order). */
  readonly expanderOfSmmu: ReadonlyMap<string, ExpanderUse>;
  /** The vSMMU on pcie-root (pciBus 0), when there is one. */
  readonly root: RootUse | undefined;
}

/**
 * Expanders with a vSMMU and no assigned device yet: the vSMMU binds to the
 * host SMMU of the first device put there, so any host SMMU may take it
 * (unless emulated devices already sit behind an accelerated one). Rules
 * name them in advice, fixes move devices there.
 */
export function unusedVsmmuExpanders(mapping: SmmuMapping): ExpanderUse[] {
  return mapping.expanders.filter((e) => e.iommu && e.hostdevs.length === 0 && !(e.accel && e.emulated.length > 0));
}

function isPciHostdev(h: Hostdev): boolean {
  return (h.mode === undefined || h.mode === 'subsystem') && h.type === 'pci';
}

/**
 * An emulated endpoint: anything with a guest PCI address except assigned
 * devices, IOMMUs and PCI controllers (root ports, bridges, expanders). USB,
 * SCSI or virtio-serial controllers are emulated PCI functions too.
 */
function isEmulatedEndpoint(d: PciDevice): boolean {
  if (d.kind === 'hostdev' || d.kind === 'iommu') return false;
  if (d.kind === 'controller') return attrValue(d.el, 'type') !== 'pci';
  return true;
}

/**
 * True when a chain of controllers ends at pcie-root: at a controller with
 * index 0, or at bus 0 when the document does not write pcie-root out
 * (libvirt adds it, and hand-written domains often leave it implicit).
 */
function reachesRoot(model: DomainModel, chain: readonly Controller[], address: PciAddress): boolean {
  const last = chain[chain.length - 1];
  if (last) {
    if (last.index === 0) return true;
    return !model.pciControllers.has(0) && isGuestPci(last.address) && last.address.bus.value === 0;
  }
  return isGuestPci(address) && address.bus.value === 0 && !model.pciControllers.has(0);
}

export function analyseSmmuMapping(model: DomainModel, host: HostTopology | undefined): SmmuMapping {
  const placements: HostdevPlacement[] = [];
  model.hostdevs.forEach((hostdev, index) => {
    if (!isPciHostdev(hostdev)) return;
    const bdf = hostdev.hostBdf;
    const hostDevice = host && bdf ? findDevice(host, bdf) : undefined;
    const smmu = host && bdf ? iommuOfDevice(host, bdf) : undefined;
    const chain = chainOf(model, hostdev.address);
    const expander = chain.find(isExpander);
    let placement: Placement;
    if (!isGuestPci(hostdev.address)) placement = 'unplaced';
    else if (expander) placement = 'expander';
    else if (reachesRoot(model, chain, hostdev.address)) placement = 'root';
    else placement = 'unresolved';
    const iommu = expander ? iommuForIndex(model, expander.index) : placement === 'root' || placement === 'unplaced' ? iommuForIndex(model, 0) : undefined;
    placements.push({
      hostdev,
      index,
      bdf,
      hostDevice,
      hostSmmu: smmu && smmu.kind === 'smmuv3' ? smmu.name : undefined,
      placement,
      chain,
      expander,
      iommu,
    });
  });

  // Each emulated endpoint's chain is walked once, not once per expander: large
  // generated domains hold tens of thousands of devices.
  const emulatedBelow = new Map<Controller, PciDevice[]>();
  for (const d of model.pciDevices) {
    if (!isEmulatedEndpoint(d) || !isGuestPci(d.address)) continue;
    for (const c of chainOf(model, d.address)) {
      if (!isExpander(c)) continue;
      const list = emulatedBelow.get(c);
      if (list) list.push(d);
      else emulatedBelow.set(c, [d]);
    }
  }
  const expanders: ExpanderUse[] = model.controllers.filter(isExpander).map((expander) => {
    const iommu = iommuForIndex(model, expander.index);
    const hostdevs = placements.filter((p) => p.expander === expander);
    const emulated = emulatedBelow.get(expander) ?? [];
    return {
      expander,
      iommu,
      accel: !!iommu && isAccel(iommu),
      hostdevs,
      boundSmmu: hostdevs.find((p) => p.hostSmmu)?.hostSmmu,
      emulated,
    };
  });

  const bySmmu = new Map<string, HostdevPlacement[]>();
  for (const p of placements) {
    if (!p.hostSmmu) continue;
    const list = bySmmu.get(p.hostSmmu) ?? [];
    list.push(p);
    bySmmu.set(p.hostSmmu, list);
  }
  const expanderOfSmmu = new Map<string, ExpanderUse>();
  for (const e of expanders) {
    if (e.boundSmmu && !expanderOfSmmu.has(e.boundSmmu)) expanderOfSmmu.set(e.boundSmmu, e);
  }

  const rootIommu = iommuForIndex(model, 0);
  let root: RootUse | undefined;
  if (rootIommu) {
    const hostdevs = placements.filter((p) => p.placement === 'root' || p.placement === 'unplaced');
    const emulated = model.pciDevices.filter((d) => {
      if (!isEmulatedEndpoint(d) || !isGuestPci(d.address)) return false;
      const chain = chainOf(model, d.address);
      return !chain.some(isExpander) && reachesRoot(model, chain, d.address);
    });
    root = {
      iommu: rootIommu,
      accel: isAccel(rootIommu),
      hostdevs,
      boundSmmu: hostdevs.find((p) => p.hostSmmu)?.hostSmmu,
      emulated,
    };
  }

  return { pluggable: usesPluggableSmmu(model), placements, expanders, bySmmu, expanderOfSmmu, root };
}

const cache = new WeakMap<DomainModel, { host: HostTopology | undefined; mapping: SmmuMapping }>();

/** The mapping of a parsed document version, computed once per host topology. */
export function smmuMappingOf(model: DomainModel, host: HostTopology | undefined): SmmuMapping {
  const hit = cache.get(model);
  if (hit && hit.host === host) return hit.mapping;
  const mapping = analyseSmmuMapping(model, host);
  cache.set(model, { host, mapping });
  return mapping;
}

/**
 * Whether an assigned device uses the iommufd backend, which QEMU requires
 * behind an accelerated vSMMU: its own `<driver iommufd=…>` decides, and
 * without one the domain-wide `<iommufd enabled='yes'/>` does.
 */
export function hostdevUsesIommufd(model: DomainModel, hostdev: Hostdev): boolean {
  const own = attrValue(hostdev.driver, 'iommufd');
  if (own === 'yes') return true;
  if (own === 'no') return false;
  return attrValue(model.iommufd, 'enabled') === 'yes';
}

/** Host SMMUs of the assigned devices below an expander, in first-seen order. */
export function hostSmmusBelow(mapping: SmmuMapping, expander: Controller): string[] {
  const use = mapping.expanders.find((e) => e.expander === expander);
  return [...new Set((use?.hostdevs ?? []).map((p) => p.hostSmmu).filter((s): s is string => !!s))];
}
