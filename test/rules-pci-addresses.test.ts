/**
 * Rule family `pci-addresses`: guest PCI addresses against libvirt's address
 * checks: ranges, slots per bus model, what each bus accepts, integrated
 * devices, double use, hostdev-only address types, room for root ports.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { pciAddressRules } from '../server/src/rules/pciAddresses';

const R = { rules: [pciAddressRules] };

const ROOT = `<controller type='pci' index='0' model='pcie-root'/>`;
const addr = (bus: number | string, slot: number | string = 0, fn: number | string = 0, domain: number | string = 0) =>
  `<address type='pci' domain='${domain}' bus='${bus}' slot='${slot}' function='${fn}'/>`;
const ctrl = (index: number, model: string, address = '') => `<controller type='pci' index='${index}' model='${model}'>${address}</controller>`;
const rng = (address: string) => `<rng model='virtio'><backend model='random'>/dev/urandom</backend>${address}</rng>`;
function x86(machine: string, devices: string): string {
  return `<domain type='kvm'><name>x</name><memory>1</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='${machine}'>hvm</type></os><features><acpi/></features><devices>${devices}</devices></domain>`;
}

test('address-pci-range: slot, function and bus', () => {
  const text = armDomain(ROOT + rng(addr(0, '0x20')));
  const at = text.indexOf(`0x20`);
  deepEqual(findingList(text, R), [
    {
      code: 'address-pci-range',
      severity: 'error',
      start: at,
      end: at + 4,
      message: `slot='0x20' is out of range: a PCI bus has slots 0x00–0x1f (libvirt: "Invalid PCI address slot=0x20, must be <= 0x1F").`,
      data: { attribute: 'slot', max: 31 },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + rng(addr(0, 1, 8))), R), ['address-pci-range @ 8']);
  deepEqual(findingsOf(armDomain(ROOT + rng(addr(256, 1))), R), ['address-pci-range @ 256']);
  // libvirt 12.8 accepts a guest domain other than 0 without checking the rest of the address.
  deepEqual(findingsOf(armDomain(ROOT + rng(addr(0, 1, 8, '0x0009'))), R), []);
  deepEqual(findingsOf(armDomain(ROOT + rng(addr(0, '0x1f', 7))), R), []);
});

test('address-slot-range: slot 0 of a pci-bridge, slot 1 of a root port', () => {
  const text = x86('pc', ctrl(1, 'pci-bridge', addr(0, 3)) + rng(addr(1, 0)));
  const [f] = findingList(text, R);
  deepEqual(
    [f.code, f.message, f.data],
    [
      'address-slot-range',
      `The pci-bridge with index 1 offers slots 0x01–0x1f (slot 0 is taken by the bridge itself); slot='0' is not one of them (libvirt: "Invalid PCI address 0000:01:00.0. slot must be >= 1"). Use slot='0x01' or another free slot in range.`,
      { bus: 1, busModel: 'pci-bridge', minSlot: 1, maxSlot: 31 },
    ],
  );
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', addr(0, 1)) + rng(addr(1, 1))), R), ['address-slot-range @ 1']);
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', addr(0, 1)) + rng(addr(1, 0))), R), []);
  // Bus 0 slot 0 counts as "no address" to libvirt, whatever the function: it places the device itself.
  deepEqual(findingsOf(x86('pc', rng(addr(0, 0))), R), []);
  deepEqual(findingsOf(x86('q35', ROOT + rng(addr(0, 0, 1))), R), []);
});

test('address-bus-accepts: a dmi-to-pci-bridge on a root port, a root port on a pci-bridge', () => {
  const text = x86('q35', ROOT + ctrl(1, 'pcie-root-port', addr(0, 2)) + ctrl(2, 'dmi-to-pci-bridge', addr(1, 0)));
  const at = text.lastIndexOf(`bus='1'`) + 5;
  const rpAt = text.indexOf(`<controller type='pci' index='1'`) + 1;
  deepEqual(findingList(text, R), [
    {
      code: 'address-bus-accepts',
      severity: 'error',
      start: at,
      end: at + 1,
      message: `A dmi-to-pci-bridge cannot plug into the pcie-root-port with index 1, which accepts only devices, pci-bridges, pcie-switch-upstream-ports, pcie-to-pci-bridges (libvirt: "The device at PCI address 0000:01:00.0 cannot be plugged into the PCI controller with index='1'"). Plug it into a pcie-root or a pcie-expander-bus.`,
      related: [{ start: rpAt, end: rpAt + 10, message: 'the pcie-root-port with index 1' }],
      data: { bus: 1, busModel: 'pcie-root-port', connect: 'dmi-to-pci-bridge' },
    },
  ]);
  deepEqual(findingsOf(x86('q35', ROOT + ctrl(1, 'dmi-to-pci-bridge', addr(0, 0x1e)) + ctrl(2, 'pci-bridge', addr(1, 0)) + ctrl(3, 'pcie-root-port', addr(2, 1))), R), [
    'address-bus-accepts @ 2',
  ]);
  // A downstream port needs an upstream port; the upstream port a root port.
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', addr(0, 1)) + ctrl(2, 'pcie-switch-downstream-port', addr(1, 0))), R), ['address-bus-accepts @ 1']);
  deepEqual(
    findingsOf(
      armDomain(
        ROOT + ctrl(1, 'pcie-root-port', addr(0, 1)) + ctrl(2, 'pcie-switch-upstream-port', addr(1, 0)) + ctrl(3, 'pcie-switch-downstream-port', addr(2, 0)) + rng(addr(3, 0)),
      ),
      R,
    ),
    [],
  );
  // Endpoints written by hand may go on pcie-root itself, PCI or PCIe alike.
  deepEqual(findingsOf(x86('q35', ROOT + `<interface type='user'><model type='e1000'/>${addr(0, 3)}</interface>`), R), []);
});

test('address-integrated-bus: virtio-iommu must sit on bus 0', () => {
  const iommu = (bus: number) => `<iommu model='virtio'>${addr(bus, bus === 0 ? 3 : 0)}</iommu>`;
  deepEqual(findingsOf(x86('q35', ROOT + ctrl(1, 'pcie-root-port', addr(0, 2)) + iommu(1)), R), ['address-integrated-bus @ 1']);
  deepEqual(findingsOf(x86('q35', ROOT + iommu(0)), R), []);
});

test('address-duplicate: two devices at one address', () => {
  const text = armDomain(ROOT + rng(addr(0, 1)) + `<watchdog model='i6300esb'>${addr(0, '0x01')}</watchdog>`);
  const [f] = findingList(text, R);
  deepEqual(
    [f.code, f.message],
    [
      'address-duplicate',
      `PCI address 0000:00:01.0 is already taken by a <rng>: libvirt refuses the domain ("Attempted double use of PCI Address 0000:00:01.0"). Give this <watchdog> another slot or function, or remove its <address> and let libvirt place it.`,
    ],
  );
  deepEqual(findingsOf(armDomain(ROOT + rng(addr(0, 1)) + `<watchdog model='i6300esb'>${addr(0, 1, 1)}</watchdog>`), R), []);
});

test('address-type-hostdev-only: unassigned on anything but a hostdev', () => {
  deepEqual(findingsOf(armDomain(ROOT + rng(`<address type='unassigned'/>`)), R), ['address-type-hostdev-only @ unassigned']);
});

test('address-type-device: disk address types per bus; ramfb takes none', () => {
  const disk = (bus: string, address: string) => `<disk type='file' device='disk'><source file='/dev/null'/><target dev='sda' bus='${bus}'/>${address}</disk>`;
  const drive = `<address type='drive' controller='0' bus='0' target='0' unit='0'/>`;
  const text = x86('q35', ROOT + disk('sata', addr(0, 5)));
  const [f] = findingList(text, R);
  deepEqual(
    [f.code, text.slice(f.start, f.end), f.message],
    [
      'address-type-device',
      'pci',
      `A disk on bus 'sata' cannot take an address of type 'pci': libvirt refuses it (for example "Invalid address type 'pci' for the disk … with the bus type 'sata'"). Use type='drive', or remove the <address> and let libvirt place it.`,
    ],
  );
  deepEqual(findingsOf(x86('q35', ROOT + disk('virtio', drive)), R), ['address-type-device @ drive']);
  deepEqual(findingsOf(x86('q35', ROOT + disk('usb', addr(0, 5))), R), ['address-type-device @ pci']);
  deepEqual(findingsOf(x86('q35', ROOT + disk('sata', drive) + disk('virtio', addr(0, 6))), R), []);
  deepEqual(findingsOf(x86('q35', ROOT + `<video><model type='ramfb'/>${addr(0, 5)}</video>`), R), ['address-type-device @ address']);
});

test('address-type-machine: CCW addresses only on s390', () => {
  const ccw = `<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>`;
  const disk = `<disk type='file' device='disk'><source file='/dev/null'/><target dev='vda' bus='virtio'/>${ccw}</disk>`;
  deepEqual(findingsOf(x86('q35', ROOT + disk), R), ['address-type-machine @ ccw']);
  const s390 = `<domain type='kvm'><os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os><devices>${disk}</devices></domain>`;
  deepEqual(findingsOf(s390, R), []);
});

test('address-no-free-slot: more address-less root ports than pcie-root can hold', () => {
  const ports = (n: number) => `<controller type='pci' model='pcie-root-port'/>`.repeat(n);
  // Q35: slots 1–30 are free (0x1f is the ICH9's), eight ports to a slot.
  deepEqual(findingsOf(x86('q35', ROOT + ports(240)), R), []);
  const text = x86('q35', ROOT + ports(241));
  const [f] = findingList(text, R);
  deepEqual([f.code, f.data], ['address-no-free-slot', { ports: 241, room: 240 }]);
  // A slot taken by a device leaves eight fewer; ARM virt has slot 0x1f free too.
  deepEqual(findingsOf(x86('q35', ROOT + rng(addr(0, 2)) + ports(233)), R), ['address-no-free-slot @ pcie-root-port']);
  deepEqual(findingsOf(armDomain(ROOT + ports(248)), R), []);
});

test('a machine without PCI is left to the machine family', () => {
  deepEqual(findingsOf(x86('microvm', rng(addr(0, 0))), R), []);
});
