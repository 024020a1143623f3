/**
 * Rule family `controllers`: one failing and one passing document per code,
 * plus full findings so that messages, related spans and data are reviewed.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { controllerRules } from '../server/src/rules/controllers';

const R = { rules: [controllerRules] };

const ROOT = `<controller type='pci' index='0' model='pcie-root'/>`;
const addr = (bus: number | string, slot = 0) => `<address type='pci' domain='0x0000' bus='${bus}' slot='${slot}' function='0x0'/>`;
const pxb = (index: number, busNr: number | string, slot: number, inner = `<node>0</node>`) =>
  `<controller type='pci' index='${index}' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='${busNr}'>${inner}</target>${addr(0, slot)}</controller>`;
const rootPort = (index: number, bus: number, slot = 0, chassis = index) =>
  `<controller type='pci' index='${index}' model='pcie-root-port'><target chassis='${chassis}' port='0x0'/>${addr(bus, slot)}</controller>`;
const hostdev = (bus: number | string) =>
  `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>${addr(bus)}</hostdev>`;

/** Offset of the value in the first (or the last) `name='value'` written in `text`, where a finding on that value starts. */
const valueAt = (text: string, attribute: string, which: 'first' | 'last' = 'first'): number =>
  (which === 'first' ? text.indexOf(attribute) : text.lastIndexOf(attribute)) + attribute.indexOf("'") + 1;

function x86Domain(machine: string, devices: string): string {
  return `<domain type='kvm'><name>x</name><memory>1</memory><os><type arch='x86_64' machine='${machine}'>hvm</type></os><devices>${devices}</devices></domain>`;
}

test('controller-index-duplicate: same type and index; USB companions and other types may share', () => {
  const text = armDomain(ROOT + `<controller type='pci' index='1' model='pcie-root-port'/><controller type='pci' index='1' model='pcie-root-port'/>`);
  const first = valueAt(text, `index='1'`);
  const second = valueAt(text, `index='1'`, 'last');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-index-duplicate',
      severity: 'error',
      start: second,
      end: second + 1,
      message: `Another <controller type='pci'> already has index 1; indexes must be unique per controller type. Use a free index, or leave index out and libvirt picks one.`,
      related: [{ start: first, end: first + 1, message: 'the first pci controller with index 1' }],
      data: { type: 'pci', index: 1 },
    },
  ]);
  deepEqual(findingsOf(armDomain(`<controller type='scsi' index='0'/><controller type='scsi' index='0x0'/>`), R), ['controller-index-duplicate @ 0x0']);
  const companions =
    `<controller type='usb' index='0' model='ich9-ehci1'/>` +
    `<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>` +
    `<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>`;
  deepEqual(findingsOf(x86Domain('q35', companions + `<controller type='pci' index='0' model='pcie-root'/><controller type='sata' index='0'/>`), R), []);
  // Controllers without an index get a free one from libvirt.
  deepEqual(findingsOf(armDomain(ROOT + `<controller type='pci' model='pcie-root-port'/><controller type='pci' model='pcie-root-port'/>`), R), []);
});

test('controller-busnr-range: busNr 1–254', () => {
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 0, 1) + pxb(2, 255, 2) + pxb(3, 'x', 3)), R), [
    'controller-busnr-range @ 0',
    'controller-busnr-range @ 255',
    'controller-busnr-range @ x',
  ]);
  const text = armDomain(ROOT + pxb(1, 255, 1));
  const at = text.indexOf('255');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-busnr-range',
      severity: 'error',
      start: at,
      end: at + 3,
      message: `busNr='255' is out of range: use 1–254.`,
      data: { attribute: 'busNr', min: 1, max: 254 },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 254, 1)), R), []);
});

test('controller-chassis-range, controller-port-range, controller-chassisnr-range', () => {
  const text = armDomain(
    ROOT +
      `<controller type='pci' index='1' model='pcie-root-port'><target chassis='256' port='0x100'/>${addr(0, 1)}</controller>` +
      `<controller type='pci' index='2' model='pci-bridge'><target chassisNr='0'/>${addr(0, 2)}</controller>`,
  );
  deepEqual(findingsOf(text, R), ['controller-chassis-range @ 256', 'controller-port-range @ 0x100', 'controller-chassisnr-range @ 0']);
  deepEqual(
    findingsOf(
      armDomain(
        ROOT +
          `<controller type='pci' index='1' model='pcie-root-port'><target chassis='255' port='0xff'/>${addr(0, 1)}</controller>` +
          `<controller type='pci' index='2' model='pci-bridge'><target chassisNr='255'/>${addr(0, 2)}</controller>`,
      ),
      R,
    ),
    [],
  );
});

test('controller-busnr-duplicate: two expanders with one busNr', () => {
  const text = armDomain(ROOT + pxb(1, 252, 1) + pxb(2, 252, 2));
  const first = valueAt(text, `busNr='252'`);
  const second = valueAt(text, `busNr='252'`, 'last');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-busnr-duplicate',
      severity: 'error',
      start: second,
      end: second + 3,
      message:
        'busNr 252 is already the bus number of the pcie-expander-bus with index 1; every expander needs its own range of bus numbers. Choose a busNr below the lowest one in use, leaving room for the ports below each expander.',
      related: [{ start: first, end: first + 3, message: 'busNr of the pcie-expander-bus with index 1' }],
      data: { busNr: 252, otherIndex: 1 },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + pxb(2, 248, 2)), R), []);
});

test("controller-busnr-overlap: an expander's ports reach the next expander", () => {
  const text = armDomain(ROOT + pxb(1, 250, 1) + pxb(2, 252, 2) + rootPort(3, 1, 0) + rootPort(4, 1, 1) + rootPort(5, 2, 0));
  const low = valueAt(text, `busNr='250'`);
  const high = valueAt(text, `busNr='252'`);
  deepEqual(findingList(text, R), [
    {
      code: 'controller-busnr-overlap',
      severity: 'warning',
      start: low,
      end: low + 3,
      message:
        'The pcie-expander-bus with index 1 needs bus numbers 250–252 (its own bus and 2 for the ports and bridges below it), but the pcie-expander-bus with index 2 starts at busNr 252. libvirt and QEMU accept this, but the guest firmware runs out of bus numbers and devices below it may stay invisible to the guest. Lower this busNr to 249 or less, keeping clear of the buses below it.',
      related: [{ start: high, end: high + 3, message: 'busNr of the pcie-expander-bus with index 2' }],
      data: { index: 1, busNr: 250, needed: 3, limit: 251 },
    },
  ]);
  // One root port each fits: 250–251 and 252–253, though 250's range is then used up.
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 250, 1) + pxb(2, 252, 2) + rootPort(3, 1, 0) + rootPort(5, 2, 0)), R), ['controller-busnr-no-spare @ 250']);
});

test('controller-busnr-overlap: past bus 255, and pcie-root reaching the lowest busNr', () => {
  const ports = (n: number, bus: number, first: number) => Array.from({ length: n }, (_, i) => rootPort(first + i, bus, i)).join('');
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + ports(4, 1, 2)), R), ['controller-busnr-overlap @ 252']);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + ports(3, 1, 2)), R), ['controller-busnr-no-spare @ 252']);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + ports(1, 1, 2)), R), []);
  // Two root ports on pcie-root use buses 1 and 2; an expander at busNr 2 collides.
  const text = armDomain(ROOT + pxb(1, 2, 1) + rootPort(2, 0, 2) + rootPort(3, 0, 3));
  const [f] = findingList(text, R);
  const rootAt = text.indexOf(`model='pcie-root'`) - `<controller type='pci' index='0' `.length + 1;
  deepEqual(
    [f.code, text.slice(f.start, f.end), f.message, f.related],
    [
      'controller-busnr-overlap',
      '2',
      'The root bus (pcie-root) needs bus numbers 0–2 for itself and the 2 ports and bridges below it, which reaches busNr 2 of the pcie-expander-bus with index 1. libvirt and QEMU accept this, but the guest firmware runs out of bus numbers and devices may stay invisible to the guest. Give the expanders busNr values above 2, counting down from 254.',
      [{ start: rootAt, end: rootAt + 10, message: 'pcie-root, index 0' }],
    ],
  );
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 3, 1) + rootPort(2, 0, 2) + rootPort(3, 0, 3)), R), []);
  // Switch ports without an address go behind some switch, not onto the root bus; an unresolved address counts nowhere.
  const downstream = `<controller type='pci' model='pcie-switch-downstream-port'/>`.repeat(3);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 3, 1) + rootPort(2, 0, 2) + downstream), R), []);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 3, 1) + rootPort(2, 0, 2) + rootPort(10, 9, 0) + rootPort(11, 9, 1)), R), ['address-bus-missing @ 9', 'address-bus-missing @ 9']);
});

test('controller-busnr-no-spare: an expander whose range has no bus number left', () => {
  // busNr 254 with one root port takes 254 and 255: a second port needs a lower busNr.
  const text = armDomain(ROOT + pxb(1, 254, 1) + rootPort(2, 1, 0));
  const at = valueAt(text, `busNr='254'`);
  deepEqual(findingList(text, R), [
    {
      code: 'controller-busnr-no-spare',
      severity: 'warning',
      start: at,
      end: at + 3,
      message:
        "The pcie-expander-bus with index 1 uses every bus number of its range (254–255, up to 255, the last bus number): one more root port below it needs a lower busNr, and changing busNr later renumbers the guest's buses. " +
        'While the guest is new, lower this busNr by two or more (staying clear of the expander below it) to leave spare numbers; otherwise put new devices behind another expander.',
      data: { index: 1, busNr: 254, limit: 255 },
    },
  ]);
  // Ranges that end at the next expander, and one with room: only the full one.
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + pxb(2, 248, 2) + rootPort(3, 1, 0) + rootPort(4, 2, 0) + rootPort(5, 2, 1) + rootPort(6, 2, 2)), R), [
    'controller-busnr-no-spare @ 248',
  ]);
  // pci-expander-bus (i440fx) is left alone: it has no root ports to add.
});

test('controller-expander-placement: expanders plug into the root bus only', () => {
  const text = armDomain(ROOT + rootPort(1, 0, 1) + `<controller type='pci' index='2' model='pcie-expander-bus'><target busNr='252'/>${addr('0x01', 0)}</controller>`);
  deepEqual(findingsOf(text, R), ['controller-expander-placement @ 0x01']);
  const [f] = findingList(text, R);
  deepEqual(f.message, `A pcie-expander-bus must plug into the root bus (bus='0x00'); this one sits on bus='0x01', the pcie-root-port with index 1. Set bus='0x00'.`);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1)), R), []);
});

test('controller-expander-child: only root ports and dmi-to-pci-bridges on a pcie-expander-bus', () => {
  const text = armDomain(ROOT + pxb(1, 250, 1) + hostdev('0x01') + `<controller type='pci' index='2' model='pci-bridge'>${addr(1, 1)}</controller>`);
  deepEqual(findingsOf(text, R), ['controller-expander-child @ 0x01', 'controller-expander-child @ 1']);
  const [f] = findingList(text, R);
  const pxbAt = text.indexOf(`<controller type='pci' index='1'`) + 1;
  deepEqual(
    [f.message, f.related, f.data],
    [
      `<hostdev> plugs straight into the pcie-expander-bus with index 1, which accepts only pcie-root-port and dmi-to-pci-bridge controllers. Add a pcie-root-port on the expander and set this bus to the port's index.`,
      [{ start: pxbAt, end: pxbAt + 10, message: 'the pcie-expander-bus with index 1' }],
      { expanderIndex: 1 },
    ],
  );
  deepEqual(
    findingsOf(armDomain(ROOT + pxb(1, 250, 1) + rootPort(2, 1) + hostdev('0x02') + `<controller type='pci' index='3' model='dmi-to-pci-bridge'>${addr(1, 1)}</controller>`), R),
    [],
  );
});

test('controller-expander-machine: pcie-expander-bus only on Q35 or ARM virt', () => {
  const exp = `<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='252'/></controller>`;
  deepEqual(findingsOf(x86Domain('pc-i440fx-9.0', exp), R), ['controller-expander-machine @ pcie-expander-bus']);
  deepEqual(findingsOf(x86Domain('pc-q35-9.0', exp), R), []);
  deepEqual(findingsOf(armDomain(exp), R), []);
  // pci-expander-bus is the conventional PCI one and fits i440fx.
  deepEqual(findingsOf(x86Domain('pc-i440fx-9.0', exp.replace('pcie-expander-bus', 'pci-expander-bus')), R), []);
  deepEqual(findingsOf(`<domain type='kvm'><devices>${exp}</devices></domain>`, R), []);
});

test('controller-numa-node: <node> must name a guest NUMA cell', () => {
  const text = armDomain(ROOT + pxb(1, 252, 1, `<node>3</node>`));
  deepEqual(findingsOf(text, R), ['controller-numa-node @ 3']);
  const [f] = findingList(text, R);
  deepEqual(
    [f.message, f.data],
    [`<node>3</node> names no guest NUMA cell: this domain defines cells 0, 1. Use one of them, or add the cell under <cpu><numa>.`, { node: 3, cells: [0, 1] }],
  );
  const noNuma = `<domain type='kvm'><os><type arch='aarch64' machine='virt'>hvm</type></os><devices>${ROOT + pxb(1, 252, 1)}</devices></domain>`;
  deepEqual(
    findingList(noNuma, R).map((x) => x.message),
    [`<node>0</node> names no guest NUMA cell: this domain defines no <cpu><numa> cells. Use one of them, or add the cell under <cpu><numa>.`],
  );
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1, `<node>1</node>`)), R), []);
});

test('controller-root-numa: index 0 takes no <node>', () => {
  deepEqual(findingsOf(armDomain(`<controller type='pci' index='0' model='pcie-root'><target><node>0</node></target></controller>`), R), ['controller-root-numa @ node']);
  deepEqual(findingsOf(armDomain(ROOT), R), []);
});

test('controller-chassis-duplicate: two ports in one chassis, written or from the index', () => {
  const text = armDomain(ROOT + rootPort(1, 0, 1, 5) + rootPort(2, 0, 2, 5));
  const first = valueAt(text, `chassis='5'`);
  const second = valueAt(text, `chassis='5'`, 'last');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-chassis-duplicate',
      severity: 'error',
      start: second,
      end: second + 1,
      message: `The pcie-root-port with index 2 gets chassis 5 from its chassis, as does the pcie-root-port with index 1: libvirt accepts it, but QEMU puts every port at slot 0 of its chassis and refuses to start ("Can't add chassis slot"). Give each port its own chassis, for example its controller index.`,
      related: [{ start: first, end: first + 1, message: 'chassis 5 of the pcie-root-port with index 1' }],
      data: { chassis: 5, otherIndex: 1 },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + rootPort(1, 0, 1) + rootPort(2, 0, 2)), R), []);
  // A port without chassis gets its index: chassis='1' on index 2 clashes with index 1's default.
  const noChassis = `<controller type='pci' index='1' model='pcie-root-port'>${addr(0, 1)}</controller>`;
  deepEqual(findingsOf(armDomain(ROOT + noChassis + rootPort(2, 0, 2, 1)), R), ['controller-chassis-duplicate @ 1']);
  // Same port numbers in different chassis are fine for QEMU.
  deepEqual(findingsOf(armDomain(ROOT + rootPort(1, 0, 1, 1) + rootPort(2, 0, 2, 2)), R), []);
});

test('controller-bridge-index-order: a pci-bridge below a higher index; ports may have any index', () => {
  const text = armDomain(
    ROOT +
      `<controller type='pci' index='2' model='dmi-to-pci-bridge'>${addr(0, 1)}</controller>` +
      `<controller type='pci' index='1' model='pci-bridge'>${addr(2, 1)}</controller>`,
  );
  const list = findingList(text, R);
  deepEqual(
    list.map((f) => [f.code, f.severity, text.slice(f.start, f.end)]),
    [['controller-bridge-index-order', 'error', '1']],
  );
  deepEqual(
    list[0].message,
    `The pci-bridge with index 1 plugs into bus 2, but a pci-bridge's index must be larger than the index of the bus it plugs into. Give it an index above 2, or plug it into a lower bus.`,
  );
  // libvirt 12.8 accepts a root port numbered below its expander (QEMU does not: controller-index-below-bus).
  deepEqual(findingsOf(armDomain(ROOT + pxb(3, 252, 1) + rootPort(2, 3)), R), ['controller-index-below-bus @ 2']);
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + rootPort(2, 1)), R), []);
  // Without a written index there is nothing of the author's to point at.
  deepEqual(findingsOf(armDomain(ROOT + pxb(3, 252, 1) + `<controller type='pci' model='pcie-root-port'>${addr(3)}</controller>`), R), []);
});

test('controller-index-below-bus: a root port numbered below the expander it plugs into does not start', () => {
  const text = armDomain(ROOT + pxb(3, 252, 1) + rootPort(2, 3));
  const list = findingList(text, R);
  deepEqual(
    list.map((f) => [f.code, f.severity, text.slice(f.start, f.end), f.data]),
    [['controller-index-below-bus', 'error', '2', { index: 2, bus: 3 }]],
  );
  deepEqual(
    list[0].message,
    `The pcie-root-port with index 2 plugs into the pcie-expander-bus with index 3, which has a higher index: \`virsh define\` accepts this, but libvirt puts the controllers on QEMU's command line in index order, and QEMU refuses a controller whose bus does not exist yet ("Bus 'pci.3' not found"), so the domain does not start. Give it an index above 3.`,
  );
  // Above its bus, or on a bus that does not exist (address-bus-missing says so): silent.
  deepEqual(findingsOf(armDomain(ROOT + pxb(1, 252, 1) + rootPort(2, 1) + rootPort(3, 1, 1)), R), []);
  deepEqual(
    findingsOf(armDomain(ROOT + rootPort(2, 7)), R).filter((f) => f.startsWith('controller-index-below-bus')),
    [],
  );
});

test('address-bus-missing: a guest bus that names no controller index', () => {
  const text = armDomain(ROOT + hostdev('0x05'));
  const at = text.indexOf(`0x05'`);
  deepEqual(findingList(text, R), [
    {
      code: 'address-bus-missing',
      severity: 'information',
      start: at,
      end: at + 4,
      message: `bus='0x05' names no PCI controller index; libvirt will add a default controller with index 5 for it, which may not be the one you meant. The bus attribute takes a controller index.`,
      data: { bus: 5 },
    },
  ]);
  const busNr = armDomain(ROOT + pxb(1, 252, 1) + rootPort(2, 1) + hostdev('0xfc'));
  deepEqual(
    findingList(busNr, R).map((f) => [f.code, busNr.slice(f.start, f.end), f.data]),
    [['address-bus-missing', '0xfc', { bus: 252, expanderIndex: 1 }]],
  );
  // Bus 0 is the root libvirt adds itself; ports without an index get one.
  deepEqual(findingsOf(armDomain(hostdev('0x00')), R), []);
  deepEqual(findingsOf(armDomain(ROOT + `<controller type='pci' model='pcie-root-port'/>` + hostdev('0x01')), R), []);
  // Only PCI addresses name controller indexes.
  deepEqual(
    findingsOf(armDomain(ROOT + `<disk type='file' device='disk'><target dev='sda' bus='scsi'/><address type='drive' controller='3' bus='7' target='0' unit='0'/></disk>`), R),
    [],
  );
});

test('half-typed input does not throw', () => {
  deepEqual(findingsOf(armDomain(`<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='`), R), []);
  deepEqual(findingsOf(armDomain(`<controller type='pci' index=`), R), []);
  deepEqual(findingsOf(armDomain(ROOT + `<controller type='pci' index='1' model='pcie-expander-bus'><target><node></node></target>`), R), ['controller-numa-node @ node']);
  deepEqual(findingsOf(armDomain(ROOT + `<hostdev><address type='pci' bus='`), R), []);
});

test('a Grace domain with two expanders and root ports has no controller finding', () => {
  const text = armDomain(
    ROOT +
      pxb(1, 252, 1) +
      pxb(2, 248, 2, `<node>1</node>`) +
      rootPort(3, 1) +
      rootPort(4, 2) +
      hostdev('0x03') +
      hostdev('0x04') +
      rootPort(5, 0, 3) +
      `<interface type='network'><source network='default'/><model type='virtio'/>${addr(5)}</interface>`,
  );
  deepEqual(findingsOf(text, R), []);
});
