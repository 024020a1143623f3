/**
 * The Grace topology rules: NUMA affinity of assigned devices, ACPI Generic
 * Initiator cells, and the 64-bit MMIO window against the BARs the host
 * reports; and the host side that feeds them (BAR sizes from sysfs
 * `resource`, snapshot format 2 next to format 1).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { armDomain, buildSysfsFixtures, findingList, findingsOf, loadHost, useTempDir } from './helpers';
import { numaRules } from '../server/src/rules/numa';
import { mmioRules } from '../server/src/rules/mmio';
import { parsePciResource } from '../server/src/host/pciResource';
import { readSysfsTopology } from '../server/src/host/sysfs';
import { parseSnapshot, serializeTopology } from '../server/src/host/snapshot';
import { cpuNodeMap, findDevice } from '../server/src/host/queries';
import { cellForHostNode, formatNodeset, parseNodeset } from '../server/src/domain/numa';
import { formatCpuList, parseCpuList } from '../server/src/host/cpuList';
import { parseDocument } from '../server/src/domain/document';

const GiB = 2 ** 30;
const tray = loadHost('gb200-tray');
const grace = loadHost('grace-3smmu');
const rules = [numaRules, mmioRules];

const pxb = (index: number, busNr: number, slot: number, node?: number): string =>
  `    <controller type='pci' index='${index}' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='${busNr}'>${node === undefined ? '' : `<node>${node}</node>`}</target><address type='pci' domain='0x0000' bus='0x00' slot='${slot}' function='0x0'/></controller>`;
const rootPort = (index: number, bus: number, slot: number): string =>
  `    <controller type='pci' index='${index}' model='pcie-root-port'><address type='pci' domain='0x0000' bus='${bus}' slot='${slot}' function='0x0'/></controller>`;
const hostdev = (domain: string, bus: string, acpi = ''): string =>
  `    <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' iommufd='yes'/><source><address domain='${domain}' bus='0x01' slot='0x00' function='0x0'/></source>${acpi}<address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/></hostdev>`;
const NUMATUNE = `
  <numatune>
    <memnode cellid='0' mode='strict' nodeset='0'/>
    <memnode cellid='1' mode='strict' nodeset='1'/>
  </numatune>`;
/** armDomain's two cells plus memory-less cells 2-9 and 10-17 for Generic Initiators. */
const withGiCells = (text: string): string =>
  text.replace('</numa>', Array.from({ length: 16 }, (_, i) => `  <cell id='${i + 2}' memory='0' unit='KiB'/>\n    `).join('') + '</numa>');

describe('host: BAR sizes', () => {
  test('a resource file gives the BARs with a size, their kind and prefetchability', () => {
    const text = [
      '0x0000040000000000 0x0000040003ffffff 0x0000000000140204', // BAR0: 64 MiB, 64-bit, not prefetchable
      '0x0000000000000000 0x0000000000000000 0x0000000000000000',
      '0x0000044000000000 0x0000047fffffffff 0x000000000014220c', // BAR2: 256 GiB, 64-bit prefetchable
      '0x0000000000000000 0x0000000000000000 0x0000000000000000',
      '0x0000000000001000 0x000000000000101f 0x0000000000040101', // BAR4: I/O
      '0x0000000080000000 0x00000000800fffff 0x0000000000040200', // BAR5: 1 MiB, 32-bit
      '0x0000000090000000 0x000000009007ffff 0x0000000000046200', // ROM: not a BAR
    ].join('\n');
    assert.deepEqual(parsePciResource(text), [
      { index: 0, size: 64 * 2 ** 20, kind: 'mem64', prefetchable: false },
      { index: 2, size: 256 * GiB, kind: 'mem64', prefetchable: true },
      { index: 4, size: 32, kind: 'io', prefetchable: false },
      { index: 5, size: 2 ** 20, kind: 'mem32', prefetchable: false },
    ]);
    assert.equal(parsePciResource('not a resource file'), undefined);
    assert.equal(parsePciResource(''), undefined);
  });

  const dir = useTempDir('ldx-bars-', (d) => buildSysfsFixtures(d, 'gb200-tray'));
  test('the sysfs reader keeps them per device, and the snapshot format carries them', async () => {
    const t = await readSysfsTopology(`${dir()}/gb200-tray`, { pciIdsPaths: [] });
    assert.deepEqual(t.notes, []);
    assert.deepEqual(
      findDevice(t, '0018:01:00.0')?.bars?.map((b) => [b.index, b.size, b.kind, b.prefetchable]),
      [
        [0, 64 * 2 ** 20, 'mem64', false],
        [2, 256 * GiB, 'mem64', true],
        [4, 32 * 2 ** 20, 'mem64', true],
      ],
    );
    const again = parseSnapshot(serializeTopology(t), 'x.json').topology!;
    assert.equal(again.version, 3);
    assert.deepEqual(again.pciDevices, t.pciDevices);
  });

  test('a version 1 snapshot still loads (without BARs); unknown versions and bad BARs are refused with the field named', () => {
    const v1 = parseSnapshot(JSON.stringify({ version: 1, iommus: [], pciDevices: [{ bdf: '0009:01:00.0', numaNode: 0 }] }), 'old.json');
    assert.deepEqual(v1.topology?.pciDevices, [{ bdf: '0009:01:00.0', numaNode: 0 }]);
    assert.match(serializeTopology(v1.topology!), /^\{\n {2}"version": 3,/);
    assert.equal(
      parseSnapshot(JSON.stringify({ version: 4, iommus: [], pciDevices: [] }), 'new.json').error,
      'Host snapshot new.json is not usable: it has version 4 (written by a newer version?); this extension reads versions 1, 2 and 3.',
    );
    const bad = { version: 2, iommus: [], pciDevices: [{ bdf: '0009:01:00.0', bars: [{ index: 2, size: 0, kind: 'mem64' }] }] };
    assert.equal(parseSnapshot(JSON.stringify(bad), 'b.json').error, 'Host snapshot b.json is not usable: pciDevices[0].bars[0].size must be a positive number of bytes.');
  });
});

describe('numa-device-cell-mismatch', () => {
  test('a NIC on host node 1 behind an expander in a cell backed by host node 0, with the matching cell in the data', () => {
    const text = armDomain([pxb(1, 252, 1, 0), rootPort(2, 1, 0), hostdev('0x0016', '0x02')].join('\n'), NUMATUNE);
    const fs = findingList(text, { host: tray, rules });
    assert.deepEqual(
      fs.map((f) => `${f.code} @ ${text.slice(f.start, f.end)}`),
      ['numa-device-cell-mismatch @ 0'],
    );
    assert.deepEqual(fs[0].data, { expanderIndex: 1, hostdev: 0, hostNode: 1, cell: 1 });
    assert.match(fs[0].message, /^0016:01:00\.0 sits on host NUMA node 1, but its expander \(index 1\) is in guest cell 0, which <numatune> backs with host node 0/);
  });

  test('silent when the cell matches, without <numatune>, or without a host', () => {
    assert.deepEqual(findingsOf(armDomain([pxb(1, 252, 1, 1), rootPort(2, 1, 0), hostdev('0x0016', '0x02')].join('\n'), NUMATUNE), { host: tray, rules }), []);
    assert.deepEqual(findingsOf(armDomain([pxb(1, 252, 1, 0), rootPort(2, 1, 0), hostdev('0x0016', '0x02')].join('\n')), { host: tray, rules }), []);
    assert.deepEqual(findingsOf(armDomain([pxb(1, 252, 1, 0), rootPort(2, 1, 0), hostdev('0x0016', '0x02')].join('\n'), NUMATUNE), { rules }), []);
  });
});

describe('numa-device-cell-cpus-remote: vCPU pinning against the host CPUs of each node', () => {
  // The tray's host nodes: 0 runs CPUs 0-71, 1 runs 72-143 (sysfs node/nodeN/cpulist).
  const pins = (cell0: string, cell1: string): string => `
  <cputune>
${[0, 1, 2, 3].map((v) => `    <vcpupin vcpu='${v}' cpuset='${cell0}'/>`).join('\n')}
${[4, 5, 6, 7].map((v) => `    <vcpupin vcpu='${v}' cpuset='${cell1}'/>`).join('\n')}
  </cputune>`;
  const nicOnNode1 = (cell: number) => [pxb(1, 252, 1, cell), rootPort(2, 1, 0), hostdev('0x0016', '0x02')].join('\n');

  test('a NIC on host node 1 behind an expander in a cell whose vCPUs all run on host node 0: a warning, the cell that runs on node 1 in the data', () => {
    const text = armDomain(nicOnNode1(0), pins('0-3', '72-75'));
    const fs = findingList(text, { host: tray, rules });
    assert.deepEqual(
      fs.map((f) => `${f.code} @ ${text.slice(f.start, f.end)}`),
      ['numa-device-cell-cpus-remote @ 0'],
    );
    assert.equal(fs[0].severity, 'warning');
    assert.deepEqual(fs[0].data, { expanderIndex: 1, hostdev: 0, hostNode: 1, cell: 1 });
    assert.equal(
      fs[0].message,
      '0016:01:00.0 sits on host NUMA node 1, but the vCPUs of guest cell 0 (the <node> of its expander, index 1) are pinned only to host CPUs 0-3, on host node 0: ' +
        "QEMU starts, but the guest runs the device's driver and interrupts on the other socket. Set the expander's <node> to 1, whose vCPUs run on host node 1.",
    );
  });

  test('<vcpu cpuset> pins the vCPUs without a <vcpupin> of their own', () => {
    const text = armDomain(nicOnNode1(0)).replace("<vcpu placement='static'>", "<vcpu placement='static' cpuset='0-7'>");
    assert.deepEqual(findingsOf(text, { host: tray, rules }), ['numa-device-cell-cpus-remote @ 0']);
    // No cell runs on node 1: the advice is to pin, and no cell is offered.
    assert.match(findingList(text, { host: tray, rules })[0].message, /Pin the vCPUs of cell 0 to CPUs of host node 1 \(72-143\)/);
    assert.equal(findingList(text, { host: tray, rules })[0].data && 'cell' in (findingList(text, { host: tray, rules })[0].data as object), false);
  });

  test("silent when the cell runs on the device's node too, when a vCPU of the cell is unpinned, without the host's CPU map, and when <numatune> already says the cell is wrong", () => {
    assert.deepEqual(findingsOf(armDomain(nicOnNode1(1), pins('0-3', '72-75')), { host: tray, rules }), []);
    assert.deepEqual(findingsOf(armDomain(nicOnNode1(0), pins('0-3,72', '72-75')), { host: tray, rules }), []);
    const oneUnpinned = armDomain(nicOnNode1(0), pins('0-3', '72-75')).replace("    <vcpupin vcpu='3' cpuset='0-3'/>\n", '');
    assert.deepEqual(findingsOf(oneUnpinned, { host: tray, rules }), []);
    const withoutMap = { ...tray, numaNodes: undefined };
    assert.deepEqual(findingsOf(armDomain(nicOnNode1(0), pins('0-3', '72-75')), { host: withoutMap, rules }), []);
    // One finding per expander: the memory one.
    assert.deepEqual(findingsOf(armDomain(nicOnNode1(0), pins('0-3', '72-75') + NUMATUNE), { host: tray, rules }), ['numa-device-cell-mismatch @ 0']);
  });

  test('the cell for a device on a node: pinning decides where <numatune> does not', () => {
    const model = (extra: string) => parseDocument(armDomain('', extra)).domain;
    const map = cpuNodeMap(tray)!;
    assert.equal(cellForHostNode(model(pins('72-75', '0-3')), 1, map), 0);
    assert.equal(cellForHostNode(model(pins('72-75', '0-3')), 0, map), 1);
    // Unpinned: the cell with the node's number.
    assert.equal(cellForHostNode(model(''), 1, map), 1);
    // <numatune> says where memory is; of two cells backed by node 1, the one that also runs there.
    const both1 = "\n  <numatune><memnode cellid='0' mode='strict' nodeset='1'/><memnode cellid='1' mode='strict' nodeset='1'/></numatune>";
    assert.equal(cellForHostNode(model(pins('0-3', '72-75') + both1), 1, map), 1);
    assert.equal(cellForHostNode(model(pins('72-75', '0-3') + both1), 1, map), 0);
  });
});

describe('host: NUMA nodes and their CPUs', () => {
  const dir = useTempDir('ldx-nodes-', (d) => buildSysfsFixtures(d, 'gb200-tray'));

  test('sysfs node/nodeN/cpulist, CPU-less nodes included, into the topology and through a snapshot', async () => {
    const t = await readSysfsTopology(`${dir()}/gb200-tray`, { pciIdsPaths: [] });
    assert.deepEqual(t.numaNodes, [
      { id: 0, cpus: '0-71' },
      { id: 1, cpus: '72-143' },
      { id: 2, cpus: '' },
      { id: 3, cpus: '' },
      { id: 4, cpus: '' },
      { id: 5, cpus: '' },
    ]);
    assert.deepEqual(parseSnapshot(serializeTopology(t), 'x.json').topology!.numaNodes, t.numaNodes);
    assert.equal(cpuNodeMap(t)!.get(72), 1);
    assert.equal(cpuNodeMap(t)!.get(144), undefined);
  });

  test("CPU lists read the kernel's way; a bad one is refused with the field named, a version 2 snapshot has no map", () => {
    assert.deepEqual(parseCpuList('0-2,8,10-11\n'), [0, 1, 2, 8, 10, 11]);
    assert.deepEqual(parseCpuList(''), []);
    assert.equal(parseCpuList('0-'), undefined);
    assert.equal(parseCpuList('3-1'), undefined);
    assert.equal(formatCpuList([11, 0, 1, 2, 8, 10]), '0-2,8,10-11');
    const bad = { version: 3, iommus: [], pciDevices: [], numaNodes: [{ id: 0, cpus: 'all' }] };
    assert.equal(parseSnapshot(JSON.stringify(bad), 'b.json').error, 'Host snapshot b.json is not usable: numaNodes[0].cpus is not a CPU list such as "0-71,144-215": "all".');
    const twice = {
      version: 3,
      iommus: [],
      pciDevices: [],
      numaNodes: [
        { id: 0, cpus: '0' },
        { id: 0, cpus: '1' },
      ],
    };
    assert.equal(parseSnapshot(JSON.stringify(twice), 't.json').error, 'Host snapshot t.json is not usable: numaNodes[1] repeats node 0.');
    const v2 = parseSnapshot(JSON.stringify({ version: 2, iommus: [], pciDevices: [] }), 'v2.json').topology!;
    assert.equal(v2.numaNodes, undefined);
    assert.equal(cpuNodeMap(v2), undefined);
  });

  test('a node whose cpulist cannot be read is named in a note; the others are kept', async () => {
    const root = `${dir()}/gb200-tray`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${root}/devices/system/node/node1/cpulist`, 'garbage\n');
    try {
      const t = await readSysfsTopology(root, { pciIdsPaths: [] });
      assert.deepEqual(
        t.numaNodes?.map((n) => n.id),
        [0, 2, 3, 4, 5],
      );
      assert.deepEqual(
        t.notes.filter((n) => n.includes('NUMA')),
        [`NUMA nodes in ${root}/devices/system/node: cannot read node1/cpulist (not a CPU list: "garbage").`],
      );
    } finally {
      writeFileSync(`${root}/devices/system/node/node1/cpulist`, '72-143\n');
    }
  });
});

describe('numa-gi-*: ACPI Generic Initiator cells', () => {
  const devices = (a: string, b: string) =>
    [pxb(1, 252, 1, 0), pxb(2, 248, 2, 1), rootPort(3, 1, 0), rootPort(4, 2, 0), hostdev('0x0008', '0x03', a), hostdev('0x0018', '0x04', b)].join('\n');

  test('memory-less cells of its own for each GPU: clean', () => {
    const text = withGiCells(armDomain(devices(`<acpi nodeset='2-9'/>`, `<acpi nodeset='10-17'/>`)));
    assert.deepEqual(findingsOf(text, { host: tray, rules: [numaRules] }), []);
  });

  test('missing, busy and shared cells, and a nodeset that is no list', () => {
    const text = withGiCells(armDomain(devices(`<acpi nodeset='1-9'/>`, `<acpi nodeset='9-18'/>`)));
    const fs = findingList(text, { host: tray, rules: [numaRules] });
    assert.deepEqual(
      fs.map((f) => [f.code, text.slice(f.start, f.end), f.data]),
      [
        ['numa-gi-cell-not-empty', '1-9', { hostdev: 0, cell: 1 }],
        ['numa-gi-cell-missing', '9-18', { hostdev: 1, missing: [18] }],
        ['numa-gi-cell-shared', '9-18', { hostdev: 1, cell: 9 }],
      ],
    );
    const bad = withGiCells(armDomain(devices(`<acpi nodeset='2-'/>`, `<acpi nodeset='10-17'/>`)));
    assert.deepEqual(findingsOf(bad, { host: tray, rules: [numaRules] }), ['numa-gi-nodeset-invalid @ 2-']);
  });

  test('a Grace GPU without any: an information (not for the NVMe, nor without <cpu><numa>, nor off an SMMUv3 host)', () => {
    const text = armDomain([pxb(1, 252, 1, 0), rootPort(2, 1, 0), rootPort(3, 0, 3), hostdev('0x0008', '0x02'), hostdev('0x000a', '0x03')].join('\n'));
    const fs = findingList(text, { host: tray, rules: [numaRules] });
    assert.deepEqual(
      fs.map((f) => [f.code, f.severity, f.data]),
      [['numa-gi-missing', 'information', { hostdev: 0, bdf: '0008:01:00.0' }]],
    );
    assert.deepEqual(findingsOf(text.replace(/<numa>[\s\S]*<\/numa>/, ''), { host: tray, rules: [numaRules] }), []);
    assert.deepEqual(findingsOf(text, { rules }), []);
  });

  test('nodesets read and written the way libvirt does', () => {
    assert.deepEqual([...parseNodeset('2-5,^3,9')!], [2, 4, 5, 9]);
    assert.equal(parseNodeset('2,,3'), undefined);
    assert.equal(formatNodeset([9, 2, 3, 4, 12]), '2-4,9,12');
  });
});

describe('mmio-*: the 64-bit MMIO window of ARM virt', () => {
  const fourGpus = (root: string) =>
    [
      root,
      pxb(1, 252, 1, 0),
      pxb(2, 248, 2, 0),
      pxb(3, 244, 3, 1),
      pxb(4, 240, 4, 1),
      rootPort(5, 1, 0),
      rootPort(6, 2, 0),
      rootPort(7, 3, 0),
      rootPort(8, 4, 0),
      hostdev('0x0008', '0x05'),
      hostdev('0x0009', '0x06'),
      hostdev('0x0018', '0x07'),
      hostdev('0x0019', '0x08'),
    ].join('\n');
  const ROOT = `    <controller type='pci' index='0' model='pcie-root'/>`;
  const hole = (kib: number) => `    <controller type='pci' index='0' model='pcie-root'><pcihole64 unit='KiB'>${kib}</pcihole64></controller>`;

  test("four 256 GiB BARs overflow QEMU's 512 GiB default: the size needed and the pcihole64 to set", () => {
    const text = armDomain(fourGpus(ROOT));
    const fs = findingList(text, { host: tray, rules: [mmioRules] });
    assert.deepEqual(
      fs.map((f) => [f.code, text.slice(f.start, f.end), f.data]),
      [['mmio-window-too-small', 'controller', { needBytes: 4 * (256 * GiB + 32 * 2 ** 20), windowBytes: 512 * GiB, suggestedKiB: 2 * 1024 ** 3 }]],
    );
    assert.match(
      fs[0].message,
      /need 1\.0 TiB \(0008:01:00\.0 \(256\.0 GiB\), .*more than the 64-bit MMIO window: QEMU's default of 512 GiB for the virt machine\. .*<pcihole64 unit='KiB'>2147483648<\/pcihole64> \(2 TiB\)/,
    );
  });

  test('a big enough pcihole64 is clean; one too small is reported on its value; a GPU and a NIC fit the default', () => {
    assert.deepEqual(findingsOf(armDomain(fourGpus(hole(2 * 1024 ** 3))), { host: tray, rules: [mmioRules] }), []);
    assert.deepEqual(findingsOf(armDomain(fourGpus(hole(1024 ** 3))), { host: tray, rules: [mmioRules] }), ['mmio-window-too-small @ 1073741824']);
    const two = [ROOT, pxb(1, 252, 1), rootPort(2, 1, 0), rootPort(3, 0, 2), hostdev('0x0008', '0x02'), hostdev('0x0006', '0x03')].join('\n');
    assert.deepEqual(findingsOf(armDomain(two), { host: tray, rules: [mmioRules] }), []);
    // A host without BAR sizes (a version 1 snapshot) cannot tell.
    assert.deepEqual(findingsOf(armDomain(fourGpus(ROOT).replace(/0x0008|0x0018/g, '0x0009')), { host: grace, rules: [mmioRules] }), []);
  });

  test('mmio-pcihole64-invalid: QEMU refuses a window that is not a power of two or below 512 GiB', () => {
    assert.deepEqual(findingsOf(armDomain(hole(3 * 1024 ** 3)), { rules: [mmioRules] }), ['mmio-pcihole64-invalid @ 3221225472']);
    assert.deepEqual(findingsOf(armDomain(hole(256 * 1024 ** 2)), { rules: [mmioRules] }), ['mmio-pcihole64-invalid @ 268435456']);
    // QEMU 11.1's own refusals, quoted: virsh define accepts both.
    assert.deepEqual(
      findingList(armDomain(hole(3 * 1024 ** 3)), { rules: [mmioRules] })[0].message,
      `On ARM virt, <pcihole64> becomes QEMU's highmem-mmio-size, which must be a power of two and at least 512 GiB; 3 TiB is not a power of two. \`virsh define\` accepts it, and QEMU refuses to start ("highmem-mmio-size is not a power of 2"). Use 4294967296 KiB (4 TiB).`,
    );
    assert.match(
      findingList(armDomain(hole(256 * 1024 ** 2)), { rules: [mmioRules] })[0].message,
      /QEMU refuses to start \("highmem-mmio-size cannot be set to a lower value than the default \(512 GiB\)"\)/,
    );
    assert.deepEqual(findingsOf(armDomain(hole(512 * 1024 ** 2)), { rules: [mmioRules] }), []);
    // x86 machines are not this window's business.
    assert.deepEqual(findingsOf(armDomain(hole(3 * 1024 ** 3)).replace("arch='aarch64' machine='virt'", "arch='x86_64' machine='q35'"), { rules: [mmioRules] }), []);
  });
});
