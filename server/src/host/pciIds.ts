/**
 * Device names from the pci.ids database (`/usr/share/misc/pci.ids` or
 * `/usr/share/hwdata/pci.ids` on the machine reading the host), so that a
 * host device reads "NVIDIA … (10de:2342)" instead of bare ids. Host paths,
 * not under the sysfs root: the database describes devices, not this host.
 */
import * as nodeFs from 'node:fs/promises';
import type { HostPciDevice } from './types';

/** Where distributions install the database. */
export const DEFAULT_PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

/**
 * One pci.ids file, indexed lazily: the first lookup scans the text once for
 * vendor lines (a single regex pass), and a vendor's device lines are parsed
 * only when one of its devices is named. The whole database is ~1.3 MB and a
 * host needs a handful of vendors, so parsing it all would be wasted work.
 */
export class PciIds {
  private readonly vendors = new Map<string, { name: string; start: number; end: number }>();
  private readonly devices = new Map<string, Map<string, string>>();

  constructor(private readonly text: string) {
    // Everything after the first top-level `C ` line is the class section: not vendors.
    const classAt = text.search(/^C [0-9a-fA-F]{2}\s/m);
    const limit = classAt < 0 ? text.length : classAt;
    const re = /^([0-9a-fA-F]{4}) {2}(.*)$/gm;
    let prev: { name: string; start: number; end: number } | undefined;
    for (let m = re.exec(text); m !== null && m.index < limit; m = re.exec(text)) {
      if (prev) prev.end = m.index;
      prev = { name: m[2].trim(), start: re.lastIndex, end: limit };
      this.vendors.set(m[1].toLowerCase(), prev);
    }
  }

  vendorName(vendorId: string): string | undefined {
    return this.vendors.get(stripHex(vendorId))?.name;
  }

  deviceName(vendorId: string, deviceId: string): string | undefined {
    const v = stripHex(vendorId);
    let devs = this.devices.get(v);
    if (!devs) {
      devs = new Map();
      const block = this.vendors.get(v);
      if (block) {
        for (const line of this.text.slice(block.start, block.end).split('\n')) {
          // Device lines have one tab; subsystem lines (two tabs) are ignored.
          const m = /^\t([0-9a-fA-F]{4}) {2}(.*)$/.exec(line);
          if (m) devs.set(m[1].toLowerCase(), m[2].trim());
        }
      }
      this.devices.set(v, devs);
    }
    return devs.get(stripHex(deviceId));
  }
}

function stripHex(id: string): string {
  return id.trim().toLowerCase().replace(/^0x/, '');
}

const pciIdsCache = new Map<string, Promise<PciIds | undefined>>();

/** The parsed pci.ids at `file`, cached per path for the life of the process (the file changes with OS updates only). */
export function loadPciIds(file: string): Promise<PciIds | undefined> {
  let p = pciIdsCache.get(file);
  if (!p) {
    p = nodeFs.readFile(file, 'utf8').then(
      (text) => new PciIds(text),
      () => undefined,
    );
    pciIdsCache.set(file, p);
  }
  return p;
}

/** Forgets cached pci.ids files (tests, or after the user points at a different one). */
export function clearPciIdsCache(): void {
  pciIdsCache.clear();
}

/** Fills in vendor/device names; returns a note when no database was found. */
export async function addPciNames(devices: HostPciDevice[], files: string[]): Promise<string | undefined> {
  if (devices.length === 0 || files.length === 0) return undefined;
  let ids: PciIds | undefined;
  for (const f of files) {
    ids = await loadPciIds(f);
    if (ids) break;
  }
  if (!ids) return `No pci.ids database found (looked at ${files.join(', ')}): devices are shown by their numeric ids only.`;
  for (const d of devices) {
    if (!d.vendorId) continue;
    const vn = ids.vendorName(d.vendorId);
    if (vn) d.vendorName = vn;
    if (d.deviceId) {
      const dn = ids.deviceName(d.vendorId, d.deviceId);
      if (dn) d.deviceName = dn;
    }
  }
  return undefined;
}
