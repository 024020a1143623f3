/**
 * The guest's firmware and platform features as libvirt's QEMU driver
 * judges them before start: whether the guest boots UEFI, whether it has
 * ACPI, and the Hyper-V enlightenments with the ones each depends on.
 *
 * Measured against libvirt 12.8 (`virsh domxml-to-native`):
 *  - UEFI is `<os firmware='efi'>` or a `<loader type='pflash'>`; a loader
 *    without a type is a ROM, not UEFI;
 *  - on aarch64, `<acpi/>` without UEFI is refused; on x86, UEFI without
 *    `<acpi/>` is refused; armv7l and the other architectures are free;
 *  - the Hyper-V dependencies of `HYPERV_DEPENDENCIES` are refused when the
 *    dependency is absent or switched off.
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attr, attrValue, child, children } from '../xml/query';
import type { DomainModel } from './model';
import { isX86Arch } from './machine';

export interface GuestFirmware {
  /** `<os>`, when written. */
  readonly os: XmlElement | undefined;
  /** `<os firmware='…'>`, when written. */
  readonly firmwareAttr: XmlAttribute | undefined;
  /** `<os><loader>`, when written. */
  readonly loader: XmlElement | undefined;
  /** The guest boots UEFI: firmware='efi', or a pflash loader. */
  readonly uefi: boolean;
  /** `<features><acpi>`, when written. */
  readonly acpi: XmlElement | undefined;
}

export function readGuestFirmware(m: DomainModel): GuestFirmware {
  const os = child(m.root, 'os');
  const firmwareAttr = attr(os, 'firmware');
  const loader = child(os, 'loader');
  const uefi = firmwareAttr?.value === 'efi' || attrValue(loader, 'type') === 'pflash';
  return { os, firmwareAttr, loader, uefi, acpi: child(m.features, 'acpi') };
}

/** Architectures on which libvirt refuses ACPI without UEFI ("ACPI requires UEFI on this architecture"). */
export function acpiNeedsUefi(arch: string | undefined): boolean {
  return arch === 'aarch64';
}

/** Architectures on which libvirt refuses UEFI without ACPI ("UEFI requires ACPI on this architecture"). */
export function uefiNeedsAcpi(arch: string | undefined): boolean {
  return isX86Arch(arch);
}

/** What a Hyper-V enlightenment needs: another enlightenment, or a clock timer. */
export interface HypervDependency {
  /** The `<hyperv>` child that needs something, and optionally its own child (`<tlbflush><direct>`). */
  readonly feature: string;
  readonly sub?: string;
  /** libvirt's name for the feature in its message (`'hv-tlbflush-direct'`). */
  readonly libvirtName: string;
  readonly needs: { readonly kind: 'hyperv'; readonly name: string } | { readonly kind: 'timer'; readonly name: string };
}

/** In the order libvirt checks them, each refused by libvirt 12.8 when unmet. */
export const HYPERV_DEPENDENCIES: readonly HypervDependency[] = [
  { feature: 'stimer', libvirtName: 'stimer', needs: { kind: 'timer', name: 'hypervclock' } },
  { feature: 'stimer', libvirtName: 'stimer', needs: { kind: 'hyperv', name: 'synic' } },
  { feature: 'tlbflush', libvirtName: 'tlbflush', needs: { kind: 'hyperv', name: 'vpindex' } },
  { feature: 'tlbflush', sub: 'direct', libvirtName: 'hv-tlbflush-direct', needs: { kind: 'hyperv', name: 'vapic' } },
  { feature: 'ipi', libvirtName: 'ipi', needs: { kind: 'hyperv', name: 'vpindex' } },
  { feature: 'evmcs', libvirtName: 'evmcs', needs: { kind: 'hyperv', name: 'vapic' } },
];

/** An element's `state` is on (a Hyper-V feature written without `state` is not switched on). */
function isOn(el: XmlElement | undefined): boolean {
  return attrValue(el, 'state') === 'on';
}

export interface UnmetHypervDependency {
  readonly dep: HypervDependency;
  /** The element that needs it (the feature, or its sub-element). */
  readonly el: XmlElement;
  /** The dependency as written but switched off, if it is. */
  readonly off: XmlElement | undefined;
}

/**
 * The Hyper-V dependencies this domain leaves unmet. `<hyperv
 * mode='passthrough'>` hands the host's set to the guest, so nothing is
 * checked then.
 */
export function unmetHypervDependencies(m: DomainModel): UnmetHypervDependency[] {
  const hyperv = child(m.features, 'hyperv');
  if (!hyperv || attrValue(hyperv, 'mode') === 'passthrough') return [];
  const timers = children(child(m.root, 'clock'), 'timer');
  const out: UnmetHypervDependency[] = [];
  for (const dep of HYPERV_DEPENDENCIES) {
    const feature = child(hyperv, dep.feature);
    if (!isOn(feature)) continue;
    const el = dep.sub ? child(feature, dep.sub) : feature;
    if (!el || !isOn(el)) continue;
    if (dep.needs.kind === 'hyperv') {
      const need = child(hyperv, dep.needs.name);
      if (!isOn(need)) out.push({ dep, el, off: need });
    } else {
      const name = dep.needs.name;
      const timer = timers.find((t) => attrValue(t, 'name') === name);
      if (!timer || attrValue(timer, 'present') !== 'yes') out.push({ dep, el, off: timer });
    }
  }
  return out;
}
