/**
 * What libvirt 12.8's QEMU driver refuses about a `<disk>` before start,
 * whatever the host: a bus the machine has no controller for, and SCSI
 * pass-through settings it no longer supports. Measured with
 * `virsh domxml-to-native` against libvirt 12.8 and QEMU 11.1.
 */
import type { MachineFamily } from './machine';

/**
 * Machine families with no IDE controller: Q35 has AHCI (SATA) instead,
 * ARM virt has neither ("IDE controllers are unsupported for this QEMU
 * binary or machine type"). i440fx has one; other machines are left alone.
 */
export const MACHINES_WITHOUT_IDE: readonly MachineFamily[] = ['q35', 'arm-virt'];

/** The bus to use instead of IDE on those machines. */
export const IDE_REPLACEMENT: Partial<Record<MachineFamily, string>> = { q35: 'sata', 'arm-virt': 'scsi' };

/** `<disk sgio>` values libvirt refuses ("unfiltered sgio is no longer supported"). */
export const REFUSED_SGIO: readonly string[] = ['unfiltered'];
