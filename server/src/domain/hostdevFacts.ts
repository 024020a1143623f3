/**
 * What libvirt accepts for `<hostdev mode='subsystem'>` before start: the
 * guest address types each kind may take, the mediated-device models and the
 * architectures whose QEMU has them, and how libvirt decides that two host
 * devices are the same one (src/conf/domain_validate.c, hostdev validation;
 * src/qemu/qemu_validate.c, mdev models). Also how to read a hostdev's
 * source as that identity.
 */
import type { XmlElement } from '../xml/nodes';
import { attr, child } from '../xml/query';
import { parseLibvirtInt } from './model';

/** Guest `<address type>` values each subsystem type takes (an absent address is always fine). */
export const HOSTDEV_ADDRESS_TYPES: Readonly<Record<string, readonly string[]>> = {
  pci: ['pci', 'unassigned'],
  scsi: ['drive'],
  scsi_host: ['pci', 'ccw'],
  usb: ['usb'],
};

/** Address types only a hostdev may carry. */
export const HOSTDEV_ONLY_ADDRESS_TYPES: readonly string[] = ['unassigned'];

export interface MdevModelInfo {
  readonly name: string;
  /** Guest architectures whose QEMU has the device; undefined means every one with PCI. */
  readonly arches?: readonly string[];
  readonly doc: string;
}

export const MDEV_MODELS: Readonly<Record<string, MdevModelInfo>> = {
  'vfio-pci': { name: 'vfio-pci', doc: 'A mediated PCI device, such as a vGPU.' },
  'vfio-ccw': { name: 'vfio-ccw', arches: ['s390x'], doc: 'A mediated s390 channel I/O device.' },
  'vfio-ap': { name: 'vfio-ap', arches: ['s390x'], doc: 'A mediated s390 crypto adapter.' },
};

/**
 * What makes a host device the same one for libvirt's "Hostdev already
 * exists" check, as a comparable string, or undefined when the source is
 * incomplete (the document is still being written, or the schema will speak).
 */
export function hostdevIdentity(type: string | undefined, source: XmlElement | undefined): string | undefined {
  if (!source) return undefined;
  const num = (el: XmlElement | undefined, name: string): number | undefined => {
    const v = parseLibvirtInt(attr(el, name)?.value);
    return Number.isFinite(v) ? v : undefined;
  };
  switch (type ?? 'pci') {
    case 'pci': {
      const a = child(source, 'address');
      const d = num(a, 'domain') ?? 0,
        b = num(a, 'bus'),
        s = num(a, 'slot'),
        f = num(a, 'function') ?? 0;
      return b === undefined || s === undefined ? undefined : `pci:${d}:${b}:${s}.${f}`;
    }
    case 'usb': {
      const a = child(source, 'address');
      const bus = num(a, 'bus'),
        device = num(a, 'device');
      if (bus !== undefined && device !== undefined) return `usb-addr:${bus}:${device}`;
      const vendor = num(child(source, 'vendor'), 'id'),
        product = num(child(source, 'product'), 'id');
      return vendor !== undefined && product !== undefined ? `usb-id:${vendor}:${product}` : undefined;
    }
    case 'scsi': {
      const adapter = attr(child(source, 'adapter'), 'name')?.value;
      const a = child(source, 'address');
      const bus = num(a, 'bus'),
        target = num(a, 'target'),
        unit = num(a, 'unit');
      if (adapter !== undefined && bus !== undefined && target !== undefined && unit !== undefined) return `scsi:${adapter}:${bus}:${target}:${unit}`;
      const name = attr(source, 'name')?.value;
      return attr(source, 'protocol')?.value === 'iscsi' && name ? `iscsi:${name}` : undefined;
    }
    case 'scsi_host': {
      const wwpn = attr(source, 'wwpn')?.value;
      return wwpn ? `scsi_host:${wwpn.toLowerCase()}` : undefined;
    }
    case 'mdev': {
      const uuid = attr(child(source, 'address'), 'uuid')?.value;
      return uuid ? `mdev:${uuid.toLowerCase()}` : undefined;
    }
    default:
      return undefined;
  }
}
