/**
 * The PCI elements the fixes write, in the form libvirt itself writes them:
 * a guest address on a bus and slot, and a pcie-root-port. Shared so that
 * the emulated-device fix and the vSMMU layout produce the same XML.
 */
import { hex2 } from '../pciLayout';
import type { ElementSpec } from './edits';

/** `<address type='pci' domain='0x0000' bus=… slot=… function='0x0'/>`. */
export function guestAddressSpec(bus: number, slot: number): ElementSpec {
  return {
    name: 'address',
    attrs: [
      ['type', 'pci'],
      ['domain', '0x0000'],
      ['bus', hex2(bus)],
      ['slot', hex2(slot)],
      ['function', '0x0'],
    ],
  };
}

/** A pcie-root-port with controller index `index` and `chassis`, plugged into `slot` of bus `bus` (its port number follows the slot). */
export function rootPortSpec(index: number, chassis: number, bus: number, slot: number): ElementSpec {
  return {
    name: 'controller',
    attrs: [
      ['type', 'pci'],
      ['index', String(index)],
      ['model', 'pcie-root-port'],
    ],
    children: [
      { name: 'model', attrs: [['name', 'pcie-root-port']] },
      {
        name: 'target',
        attrs: [
          ['chassis', String(chassis)],
          ['port', '0x' + (slot << 3).toString(16)],
        ],
      },
      guestAddressSpec(bus, slot),
    ],
  };
}
