/**
 * What libvirt 12.8 refuses about a `<disk>` before start, whatever the
 * host: two disks with one target name, a bus the machine has no
 * controller for, and SCSI pass-through settings it no longer supports.
 * Measured with `virsh domxml-to-native` against libvirt 12.8 and QEMU 11.1.
 * Also how libvirt names disk targets, for the fix and completion that pick a free one.
 */
import type { MachineFamily } from './machine';
import type { XmlElement } from '../xml/nodes';
import { attrValue, child, children } from '../xml/query';

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

/**
 * A disk target name as libvirt reads it (virDiskNameParse): a prefix of
 * letters (`vd`, `sd`, `hd`, `xvd`, …) and a suffix of letters counted in
 * base 26 the spreadsheet way (`a` = 0, `z` = 25, `aa` = 26), optionally
 * followed by a partition number, which a disk target does not use.
 */
const DISK_PREFIXES = ['fd', 'hd', 'vd', 'sd', 'xvd', 'ubd'] as const;

export interface DiskName {
  prefix: string;
  index: number;
}

export function parseDiskName(dev: string): DiskName | undefined {
  const prefix = DISK_PREFIXES.find((p) => dev.startsWith(p));
  if (!prefix) return undefined;
  const suffix = dev.slice(prefix.length);
  if (!/^[a-z]{1,3}$/.test(suffix)) return undefined;
  let index = 0;
  for (const ch of suffix) index = index * 26 + (ch.charCodeAt(0) - 0x61) + 1;
  return { prefix, index: index - 1 };
}

export function formatDiskName(name: DiskName): string {
  let suffix = '';
  for (let n = name.index + 1; n > 0; n = Math.floor((n - 1) / 26)) suffix = String.fromCharCode(0x61 + ((n - 1) % 26)) + suffix;
  return name.prefix + suffix;
}

/** The target names the disks under `devices` use, leaving out the `<target>` element `except` (one being edited). */
export function diskTargetNames(devices: XmlElement | undefined, except?: XmlElement): Set<string> {
  const used = new Set<string>();
  for (const disk of children(devices, 'disk')) {
    const target = child(disk, 'target');
    const dev = target === except ? undefined : attrValue(target, 'dev');
    if (dev) used.add(dev);
  }
  return used;
}

/** The first target name of `dev`'s kind that no disk uses, or undefined when `dev` is not such a name. */
export function freeDiskName(dev: string, used: ReadonlySet<string>): string | undefined {
  const parsed = parseDiskName(dev);
  if (!parsed) return undefined;
  for (let index = 0; index < 26 * 27; index++) {
    const candidate = formatDiskName({ prefix: parsed.prefix, index });
    if (!used.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The target name prefix libvirt's drivers use for a disk on each bus
 * (virtio-blk `vd`, SCSI/SATA/USB `sd`, IDE `hd`, Xen `xvd`, floppy `fd`):
 * the guest-visible name libvirt expects, which a management tool (virsh
 * attach-disk, virt-install) also picks this way.
 */
export const DISK_PREFIX_BY_BUS: Readonly<Record<string, string>> = {
  virtio: 'vd',
  scsi: 'sd',
  sata: 'sd',
  usb: 'sd',
  ide: 'hd',
  xen: 'xvd',
  fdc: 'fd',
};
