/**
 * What the guest machine is: architecture and machine type, read leniently.
 * An unset machine is "unknown", never a mismatch, since libvirt fills in a
 * default from the emulator.
 */
import type { DomainModel } from './model';

export type MachineFamily = 'arm-virt' | 'q35' | 'i440fx' | 'other' | 'unknown';

export function isArmArch(arch: string | undefined): boolean {
  return arch === 'aarch64' || arch === 'armv7l' || arch === 'armv6l';
}

export function isX86Arch(arch: string | undefined): boolean {
  return arch === 'x86_64' || arch === 'i686';
}

export function machineFamily(m: DomainModel): MachineFamily {
  const arch = m.arch?.value;
  const machine = m.machine?.value;
  if (!machine) {
    // libvirt's default machine for aarch64 is 'virt'; for x86 it is i440fx.
    if (isArmArch(arch)) return 'arm-virt';
    return 'unknown';
  }
  if (/^virt(-|$)/.test(machine) && (isArmArch(arch) || arch === undefined)) return 'arm-virt';
  if (/q35/.test(machine)) return 'q35';
  if (/^pc(-i440fx|$|-\d)/.test(machine) || /i440fx/.test(machine)) return 'i440fx';
  return 'other';
}

export function hasAcpi(m: DomainModel): boolean {
  return !!m.features?.children.some((c) => c.name === 'acpi');
}

/** The machine family when the domain says enough to judge it; an unwritten arch or x86 machine is left to libvirt's defaults. */
export function definiteMachine(m: DomainModel): MachineFamily | undefined {
  if (!m.arch?.value) return undefined;
  const f = machineFamily(m);
  return f === 'unknown' ? undefined : f;
}

/**
 * The domain is for libvirt's QEMU driver (`<domain type='kvm'|'qemu'>`):
 * the driver whose start-time refusals the QEMU-specific rules mirror. Other
 * drivers (bhyve, xen, lxc…) judge firmware and devices by their own rules.
 */
export function forQemuDriver(m: DomainModel): boolean {
  const type = m.root?.attributes.find((a) => a.name === 'type')?.value;
  return type === 'kvm' || type === 'qemu';
}
