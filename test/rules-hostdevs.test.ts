/**
 * Rule family `hostdevs`: one host device assigned twice, guest address
 * types per hostdev kind, mediated-device models.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { hostdevRules } from '../server/src/rules/hostdevs';

const R = { rules: [hostdevRules] };

const pciHostdev = (src: string, guest = '') =>
  `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0009' bus='0x01' slot='0x00' function='${src}'/></source>${guest}</hostdev>`;
function x86(devices: string): string {
  return `<domain type='kvm'><name>x</name><memory>1</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${devices}</devices></domain>`;
}

test('hostdev-duplicate: the same PCI device twice, also through <interface type=hostdev>', () => {
  const text = armDomain(pciHostdev('0x0') + pciHostdev('0'));
  const first = text.indexOf('<source>') + 1;
  const second = text.indexOf('<source>', first) + 1;
  deepEqual(findingList(text, R), [
    {
      code: 'hostdev-duplicate',
      severity: 'error',
      start: second,
      end: second + 6,
      message: `The PCI device 0009:01:00.0 is already assigned to this domain: libvirt refuses a second assignment ("Hostdev already exists in the domain configuration"). Remove one of them.`,
      related: [{ start: first, end: first + 6, message: 'the first assignment of the PCI device 0009:01:00.0' }],
      data: { source: 'pci:9:1:0.0' },
    },
  ]);
  deepEqual(findingsOf(armDomain(pciHostdev('0x0') + pciHostdev('0x1')), R), []);
  const iface = `<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source></interface>`;
  deepEqual(findingsOf(armDomain(iface + pciHostdev('0x0')), R), ['hostdev-duplicate @ source']);
});

test('hostdev-duplicate: USB by vendor/product, mdev by uuid', () => {
  const usb = `<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>`;
  deepEqual(findingsOf(x86(usb + usb), R), ['hostdev-duplicate @ source']);
  const mdev = (uuid: string) => `<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='${uuid}'/></source></hostdev>`;
  deepEqual(findingsOf(x86(mdev('c2177883-f1bb-47f0-914d-32a22e3a8804') + mdev('C2177883-F1BB-47F0-914D-32A22E3A8804')), R), ['hostdev-duplicate @ source']);
  deepEqual(findingsOf(x86(mdev('c2177883-f1bb-47f0-914d-32a22e3a8804') + mdev('d2177883-f1bb-47f0-914d-32a22e3a8804')), R), []);
});

test('hostdev-address-type: each kind takes its own address types', () => {
  const text = armDomain(pciHostdev('0x0', `<address type='usb' bus='0' port='1'/>`));
  const at = text.indexOf(`usb' bus`);
  deepEqual(findingList(text, R), [
    {
      code: 'hostdev-address-type',
      severity: 'error',
      start: at,
      end: at + 3,
      message: `A <hostdev type='pci'> cannot take an address of type 'usb': libvirt accepts only 'pci' or 'unassigned' for it. Use type='pci', or remove the <address> and let libvirt place it.`,
      data: { hostdevType: 'pci', addressType: 'usb', allowed: ['pci', 'unassigned'] },
    },
  ]);
  deepEqual(findingsOf(armDomain(pciHostdev('0x0', `<address type='unassigned'/>`)), R), []);
  const usbOnPci = `<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source><address type='pci' domain='0' bus='0' slot='5' function='0'/></hostdev>`;
  deepEqual(findingsOf(x86(usbOnPci), R), ['hostdev-address-type @ pci']);
});

test("hostdev-mdev-model: missing, unknown, or not in this architecture's QEMU", () => {
  const src = `<source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>`;
  deepEqual(findingsOf(x86(`<hostdev mode='subsystem' type='mdev'>${src}</hostdev>`), R), ['hostdev-mdev-model @ hostdev']);
  deepEqual(findingsOf(x86(`<hostdev mode='subsystem' type='mdev' model='vfio-gpu'>${src}</hostdev>`), R), ['hostdev-mdev-model @ vfio-gpu']);
  deepEqual(findingsOf(x86(`<hostdev mode='subsystem' type='mdev' model='vfio-ccw'>${src}</hostdev>`), R), ['hostdev-mdev-model @ vfio-ccw']);
  deepEqual(findingsOf(x86(`<hostdev mode='subsystem' type='mdev' model='vfio-pci'>${src}</hostdev>`), R), []);
  const s390 = x86(`<hostdev mode='subsystem' type='mdev' model='vfio-ap'>${src}</hostdev>`).replace(`arch='x86_64' machine='q35'`, `arch='s390x' machine='s390-ccw-virtio'`);
  deepEqual(findingsOf(s390, R), []);
});

test('hostdev-mdev-display: display only on vfio-pci', () => {
  const src = `<source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>`;
  const s390 = (model: string) =>
    x86(`<hostdev mode='subsystem' type='mdev' model='${model}' display='on'>${src}</hostdev>`).replace(`arch='x86_64' machine='q35'`, `arch='s390x' machine='s390-ccw-virtio'`);
  deepEqual(findingsOf(s390('vfio-ccw'), R), ['hostdev-mdev-display @ on']);
  deepEqual(findingsOf(x86(`<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on'>${src}</hostdev>`), R), []);
});
