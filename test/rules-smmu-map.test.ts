/**
 * Rule family `smmu-map`: for each code a document that triggers it and one
 * that does not, compared as `code @ covered text`, plus whole findings
 * (message, related information, data) where quick fixes depend on them.
 * The host is the grace-3smmu fixture: 0009:01:00.0 behind
 * smmu3.0x0000000016000000, 0019:01:00.0 behind smmu3.0x0000000036000000,
 * 0001:01:00.0 behind smmu3.0x0000000012000000.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { armDomain, findingList, findingsOf, loadHost } from './helpers';
import { smmuMappingRules } from '../server/src/rules/smmuMapping';
import { analyseSmmuMapping } from '../server/src/domain/smmuMapping';
import { readDomain } from '../server/src/domain/model';
import { parseXml } from '../server/src/xml/parser';
import type { HostTopology } from '../server/src/host/types';
import type { Finding } from '../server/src/rules/types';

const grace = loadHost('grace-3smmu');
const GRACE_FILE = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');
const rules = [smmuMappingRules];
/** Findings of this family; `null` checks without any host topology. */
const check = (text: string, host: HostTopology | null = grace): string[] => findingsOf(text, { host: host ?? undefined, rules });

const GPU_A = '0x0009';
const GPU_B = '0x0019';
const NVME = '0x0001';

function pxb(index: number, busNr: number, slot: number): string {
  return `    <controller type='pci' index='${index}' model='pcie-expander-bus'>
      <model name='pxb-pcie'/>
      <target busNr='${busNr}'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='${slot}' function='0x0'/>
    </controller>`;
}

function rootPort(index: number, bus: number, slot: number): string {
  return `    <controller type='pci' index='${index}' model='pcie-root-port'>
      <target chassis='${index}' port='${slot}'/>
      <address type='pci' domain='0x0000' bus='${bus}' slot='${slot}' function='0x0'/>
    </controller>`;
}

/** A PCI hostdev for host device `<domain>:01:00.0` on guest bus `bus` (a controller index), or without a guest address. */
function hostdev(domain: string, bus: string | undefined, driver = "<driver name='vfio' iommufd='yes'/>"): string {
  const guest = bus === undefined ? '' : `\n      <address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/>`;
  return `    <hostdev mode='subsystem' type='pci' managed='yes'>
      ${driver}
      <source>
        <address domain='${domain}' bus='0x01' slot='0x00' function='0x0'/>
      </source>${guest}
    </hostdev>`;
}

function vsmmu(pciBus: number, accel: boolean): string {
  return `    <iommu model='smmuv3'>
      <driver pciBus='${pciBus}'${accel ? " accel='on'" : ''}/>
    </iommu>`;
}

const lines = (...xs: string[]): string => xs.join('\n');

/** Expanders 1 (busNr 252) and 2 (busNr 248) with root ports 3 and 4: GPU A behind the first, GPU B behind the second. */
const GPUS_ON_TWO_EXPANDERS = [pxb(1, 252, 1), pxb(2, 248, 2), rootPort(3, 1, 0), rootPort(4, 2, 0), hostdev(GPU_A, '0x03'), hostdev(GPU_B, '0x04')];

/** Expander 1 (busNr 250) with root ports 2 and 3: GPU A and GPU B, of different host SMMUs, behind the same expander. */
const GPUS_ON_ONE_EXPANDER = [pxb(1, 250, 1), rootPort(2, 1, 0), rootPort(3, 1, 1), hostdev(GPU_A, '0x02'), hostdev(GPU_B, '0x03')];

/** An x86 host (Intel DMAR only). */
const x86Host: HostTopology = {
  version: 1,
  source: { kind: 'snapshot', file: 'x86.json' },
  hostname: 'x86box',
  readAt: '2026-01-01T00:00:00.000Z',
  iommus: [{ name: 'dmar0', kind: 'intel-dmar', devices: ['0000:3b:00.0'] }],
  pciDevices: [{ bdf: '0000:3b:00.0', iommu: 'dmar0' }],
  notes: [],
};

describe('smmu-map-no-host', () => {
  test('an ARM domain with a PCI hostdev and no host topology gets one information finding on <devices>', () => {
    const text = armDomain(lines(rootPort(1, 0, 1), hostdev(GPU_A, '0x01')));
    const [f] = findingList(text, { rules });
    assert.deepEqual(findingsOf(text, { rules }), ['smmu-map-no-host @ devices']);
    assert.equal(f.severity, 'information');
    assert.deepEqual(f.data, { reason: 'no-host' });
    assert.match(f.message, /libvirtDomainXml\.host\.snapshot/);
    assert.match(f.message, /--host/);
  });

  test('a vSMMU without assigned devices depends on no host: silent, emulated or accelerated', () => {
    assert.deepEqual(check(armDomain("    <iommu model='smmuv3'/>"), null), []);
    assert.deepEqual(check(armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), vsmmu(1, true))), null), []);
    assert.deepEqual(check(armDomain("    <iommu model='smmuv3'/>"), x86Host), []);
  });

  test('an ordinary ARM domain without hostdevs or smmuv3 stays silent', () => {
    assert.deepEqual(check(armDomain("    <interface type='network'><source network='default'/><model type='virtio'/></interface>"), null), []);
  });

  test('an x86 guest with a passed-through device stays silent', () => {
    const text = `<domain type='kvm'><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>
${hostdev('0x0000', '0x01')}
</devices></domain>`;
    assert.deepEqual(check(text, null), []);
  });

  test('a host without SMMUv3 is named with the IOMMUs it has', () => {
    const text = armDomain(hostdev(GPU_A, undefined));
    const f = findingList(text, { host: x86Host, rules });
    assert.deepEqual(
      f.map((x) => [x.code, x.severity, x.data]),
      [['smmu-map-no-host', 'information', { reason: 'no-smmuv3', iommus: ['dmar0'] }]],
    );
    assert.match(f[0].message, /host x86box has no SMMUv3 \(its IOMMUs are dmar0\)/);
  });

  test('a host with SMMUv3 turns it off (and, with no vSMMU at all, offers the generator instead)', () => {
    assert.deepEqual(check(armDomain(lines(rootPort(1, 0, 1), hostdev(GPU_A, '0x01')))), ['smmu-map-no-vsmmu @ 0x01']);
  });
});

describe('smmu-map-no-vsmmu', () => {
  test('assigned devices of SMMUv3s on pcie-root, no <iommu> at all: one information naming them and their SMMUs', () => {
    const text = armDomain(lines(rootPort(1, 0, 1), rootPort(2, 0, 2), hostdev(GPU_A, '0x01'), hostdev(GPU_B, '0x02')));
    const [f, ...rest] = findingList(text, { host: grace, rules });
    assert.deepEqual(rest, []);
    assert.equal(f.severity, 'information');
    assert.equal(text.slice(f.start, f.end), '0x01');
    assert.deepEqual(f.data, { hostdevs: [0, 1], smmus: ['smmu3.0x0000000016000000', 'smmu3.0x0000000036000000'] });
    assert.match(f.message, /Generate vSMMU topology/);
  });

  test('silent with any <iommu>, on an x86 guest, and without an SMMUv3 host', () => {
    const onRoot = lines(rootPort(1, 0, 1), hostdev(GPU_A, '0x01'));
    assert.deepEqual(check(armDomain(lines(onRoot, `    <iommu model='smmuv3'/>`))), []);
    assert.deepEqual(check(armDomain(onRoot).replace("arch='aarch64'", "arch='x86_64'")), []);
    assert.deepEqual(check(armDomain(onRoot), x86Host), ['smmu-map-no-host @ devices']);
  });
});

describe('smmu-map-uncovered', () => {
  test('a hostdev below an expander without vSMMU while another expander has one', () => {
    const text = armDomain(lines(...GPUS_ON_TWO_EXPANDERS, vsmmu(1, false)));
    assert.deepEqual(check(text), ['smmu-map-uncovered @ 0x04']);
    const f = findingList(text, { host: grace, rules })[0];
    assert.deepEqual(f.data, { hostdev: 1, bdf: '0019:01:00.0', smmu: 'smmu3.0x0000000036000000', expanderIndex: 2 });
    assert.match(f.message, /<iommu model='smmuv3'><driver pciBus='2'\/><\/iommu>/);
  });

  test('every expander with a vSMMU: silent', () => {
    const text = armDomain(lines(...GPUS_ON_TWO_EXPANDERS, vsmmu(1, false), vsmmu(2, false)));
    assert.deepEqual(check(text), []);
  });

  test('a hostdev on pcie-root, and one without a guest address, in a domain with pluggable SMMUv3', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), rootPort(3, 0, 2), hostdev(GPU_A, '0x02'), hostdev(GPU_B, '0x03'), hostdev(NVME, undefined), vsmmu(1, false)));
    assert.deepEqual(check(text, null), ['smmu-map-no-host @ devices', 'smmu-map-uncovered @ 0x03', 'smmu-map-uncovered @ hostdev']);
  });

  test('pcie-root with its own vSMMU (pciBus 0) covers them', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), rootPort(3, 0, 2), hostdev(GPU_A, '0x02'), hostdev(GPU_B, '0x03'), vsmmu(1, false), vsmmu(0, false)));
    assert.deepEqual(check(text), []);
  });

  test('without pluggable SMMUv3 nothing is uncovered', () => {
    const text = armDomain(lines(rootPort(1, 0, 1), hostdev(GPU_A, '0x01'), "    <iommu model='smmuv3'/>"));
    assert.deepEqual(check(text), []);
  });
});

describe('smmu-map-mixed', () => {
  const mixed = armDomain(lines(...GPUS_ON_ONE_EXPANDER, vsmmu(1, true)));

  test('devices of two host SMMUs below one accelerated expander: error on the second, and no missing-expander on top', () => {
    assert.deepEqual(check(mixed), ['smmu-map-mixed @ 0x03']);
  });

  test('the whole finding, with a snapshot host', () => {
    const [f] = findingList(mixed, { host: grace, rules });
    const at = (s: string, from = 0): { start: number; end: number } => {
      const start = mixed.indexOf(s, from);
      return { start, end: start + s.length };
    };
    const expander = mixed.indexOf("<controller type='pci' index='1'") + 1;
    const firstSource = mixed.indexOf("<address domain='0x0009'") + 1;
    assert.deepEqual(f, {
      code: 'smmu-map-mixed',
      severity: 'error',
      ...at('0x03', mixed.indexOf("bus='0x03'")),
      message:
        '0019:01:00.0 is behind host SMMU smmu3.0x0000000036000000, but the accelerated vSMMU of expander index 1 (busNr 250) is bound to ' +
        'smmu3.0x0000000016000000 by 0009:01:00.0: `virsh define` accepts this, and the start fails: the kernel refuses a device of another host SMMU behind it. ' +
        "Add an expander for smmu3.0x0000000036000000 (a pcie-expander-bus, a root port on it, and an accelerated <iommu model='smmuv3'> " +
        "with the expander's index as pciBus) and move it there.",
      related: [
        { start: expander, end: expander + 'controller'.length, message: 'expander index 1 (busNr 250): its accelerated vSMMU is bound to smmu3.0x0000000016000000' },
        {
          start: firstSource,
          end: firstSource + 'address'.length,
          message: '0009:01:00.0, behind smmu3.0x0000000016000000, is the first assigned device here and binds the vSMMU',
        },
      ],
      relatedHost: [{ path: GRACE_FILE, message: 'host topology snapshot listing smmu3.0x0000000036000000 and smmu3.0x0000000016000000' }],
      data: { expanderIndex: 1, hostdev: 1, bdf: '0019:01:00.0', smmu: 'smmu3.0x0000000036000000', expectedSmmu: 'smmu3.0x0000000016000000' },
    });
  });

  test('a live sysfs host adds no related host location: its class devices are directories an editor cannot open', () => {
    const sysfsHost: HostTopology = { ...grace, source: { kind: 'sysfs', root: '/fake/sys' } };
    const [f] = findingList(mixed, { host: sysfsHost, rules });
    assert.deepEqual(f.relatedHost ?? [], []);
    assert.match(f.message, /smmu3\.0x0000000036000000/);
  });

  test('when the other SMMU has an expander, the message sends the device there', () => {
    const text = armDomain(
      lines(
        pxb(1, 250, 1),
        pxb(4, 246, 2),
        rootPort(2, 1, 0),
        rootPort(3, 1, 1),
        rootPort(5, 4, 0),
        hostdev(GPU_A, '0x02'),
        hostdev(GPU_B, '0x03'),
        hostdev(GPU_B, '0x05'),
        vsmmu(1, true),
        vsmmu(4, true),
      ),
    );
    const fs = findingList(text, { host: grace, rules }).filter((f) => f.code === 'smmu-map-mixed');
    assert.equal(fs.length, 1);
    assert.match(fs[0].message, /Move it to a root port on the expander of smmu3\.0x0000000036000000 \(index 4\), or add an expander for it\.$/);
  });

  test('the same devices below a non-accelerated vSMMU are fine', () => {
    const text = armDomain(lines(...GPUS_ON_ONE_EXPANDER, vsmmu(1, false)));
    assert.deepEqual(check(text), []);
  });

  test('an accelerated vSMMU on pcie-root (pciBus 0) obeys the same rule', () => {
    const text = armDomain(lines(rootPort(1, 0, 1), rootPort(2, 0, 2), hostdev(GPU_A, '0x01'), hostdev(GPU_B, '0x02'), vsmmu(0, true)));
    assert.deepEqual(check(text), ['smmu-map-mixed @ 0x02']);
    const [f] = findingList(text, { host: grace, rules });
    assert.equal((f as Finding<'smmu-map-mixed'>).data?.expanderIndex, 0);
  });

  test('without a host the check is off', () => {
    assert.deepEqual(check(mixed, null), ['smmu-map-no-host @ devices']);
  });
});

describe('smmu-map-missing-expander', () => {
  test('a host SMMU with assigned devices but no expander of its own', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), rootPort(3, 0, 2), rootPort(4, 0, 3), hostdev(GPU_A, '0x02'), hostdev(GPU_B, '0x03'), vsmmu(1, true)));
    assert.deepEqual(check(text), ['smmu-map-missing-expander @ address', 'smmu-map-uncovered @ 0x03']);
    const f = findingList(text, { host: grace, rules })[0];
    assert.deepEqual(f.data, { smmu: 'smmu3.0x0000000036000000', hostdevs: [1] });
    assert.equal(f.related, undefined, 'no related places: none is set, as in every family (rules/report.ts)');
    assert.equal(f.start, text.indexOf("<address domain='0x0019'") + 1);
  });

  test('two devices of that SMMU: one finding, the other as related information', () => {
    const text = armDomain(
      lines(pxb(1, 252, 1), rootPort(2, 1, 0), rootPort(3, 0, 2), rootPort(4, 0, 3), hostdev(GPU_A, '0x02'), hostdev(GPU_B, '0x03'), hostdev(GPU_B, '0x04'), vsmmu(1, true)),
    );
    const fs = findingList(text, { host: grace, rules }).filter((f) => f.code === 'smmu-map-missing-expander');
    assert.deepEqual(
      fs.map((f) => [f.data, f.related?.map((r) => r.message)]),
      [[{ smmu: 'smmu3.0x0000000036000000', hostdevs: [1, 2] }, ['0019:01:00.0, also behind smmu3.0x0000000036000000']]],
    );
  });

  test('each host SMMU on an expander of its own: silent', () => {
    const text = armDomain(lines(...GPUS_ON_TWO_EXPANDERS, vsmmu(1, true), vsmmu(2, true)));
    assert.deepEqual(check(text), []);
  });

  test('an accelerated expander that serves no device yet is named as the home to use, not "add one"', () => {
    const text = armDomain(
      lines(
        pxb(1, 252, 1),
        pxb(2, 248, 2),
        rootPort(3, 1, 0),
        rootPort(4, 2, 0),
        rootPort(5, 0, 3),
        hostdev(GPU_A, '0x03'),
        hostdev(GPU_B, '0x05'),
        vsmmu(1, true),
        vsmmu(2, true),
      ),
    );
    const f = findingList(text, { host: grace, rules }).find((x) => x.code === 'smmu-map-missing-expander')!;
    assert.equal(
      f.message,
      'Host SMMU smmu3.0x0000000036000000 translates 0019:01:00.0, but no expander in this domain is bound to it: ' +
        "each host SMMU in use needs its own pcie-expander-bus with a root port and an <iommu model='smmuv3'> whose pciBus is that expander's index. " +
        'But expander index 2 (busNr 248) already has an accelerated vSMMU that serves no device yet: move the device to a root port on it, and its vSMMU binds to smmu3.0x0000000036000000.',
    );
    assert.deepEqual(
      f.related?.map((r) => [text.slice(r.start, r.end), r.message]),
      [['controller', 'expander index 2 (busNr 248): its vSMMU serves no device yet']],
    );
    assert.match(text.slice(f.related![0].start, f.related![0].start + 40), /^controller type='pci' index='2'/);
  });
});

describe('smmu-map-emulated-device', () => {
  const nic = (bus: string): string => `    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/>
    </interface>`;
  const usb = (bus: string): string => `    <controller type='usb' index='0' model='qemu-xhci'>
      <address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/>
    </controller>`;

  test('a virtio NIC and a USB controller below an accelerated expander', () => {
    const text = armDomain(lines(pxb(1, 250, 1), rootPort(2, 1, 0), rootPort(3, 1, 1), rootPort(4, 1, 2), hostdev(GPU_A, '0x02'), nic('0x03'), usb('0x04'), vsmmu(1, true)));
    assert.deepEqual(check(text), ['smmu-map-emulated-device @ 0x03', 'smmu-map-emulated-device @ 0x04']);
    const [f] = findingList(text, { host: grace, rules });
    assert.deepEqual(f.data, { expanderIndex: 1, device: 5, kind: 'interface' });
    assert.match(f.message, /^This <interface> \(model virtio\) sits below expander index 1 \(busNr 250\)/);
  });

  test('the same below a non-accelerated vSMMU, or on pcie-root: silent', () => {
    const text = armDomain(lines(pxb(1, 250, 1), rootPort(2, 1, 0), rootPort(3, 1, 1), rootPort(4, 0, 2), hostdev(GPU_A, '0x02'), nic('0x03'), usb('0x04'), vsmmu(1, false)));
    assert.deepEqual(check(text), []);
  });

  test('an accelerated vSMMU on pcie-root covers emulated devices on its root ports', () => {
    const text = armDomain(lines(rootPort(1, 0, 1), rootPort(2, 0, 2), hostdev(GPU_A, '0x01'), nic('0x02'), vsmmu(0, true)));
    assert.deepEqual(check(text), ['smmu-map-emulated-device @ 0x02']);
  });
});

describe('smmu-map-no-iommufd', () => {
  const base = (driver: string, extra = ''): string => armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev(GPU_A, '0x02', driver), vsmmu(1, true)), extra);

  test('legacy VFIO behind an accelerated vSMMU, on the driver element or the hostdev', () => {
    assert.deepEqual(check(base("<driver name='vfio'/>")), ['smmu-map-no-iommufd @ driver']);
    assert.deepEqual(check(base('')), ['smmu-map-no-iommufd @ hostdev']);
  });

  test("iommufd='no' opts out even with the domain-wide setting", () => {
    const text = base("<driver name='vfio' iommufd='no'/>", "\n  <iommufd enabled='yes'/>");
    assert.deepEqual(check(text), ['smmu-map-no-iommufd @ no']);
    const [f] = findingList(text, { host: grace, rules });
    assert.deepEqual(f.data, { hostdev: 0, bdf: '0009:01:00.0', expanderIndex: 1 });
    assert.match(f.message, /opts it out of iommufd/);
  });

  test("per-hostdev iommufd='yes' or the domain-wide setting: silent", () => {
    assert.deepEqual(check(base("<driver name='vfio' iommufd='yes'/>")), []);
    assert.deepEqual(check(base('', "\n  <iommufd enabled='yes'/>")), []);
  });

  test('behind a non-accelerated vSMMU iommufd is not needed', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev(GPU_A, '0x02', ''), vsmmu(1, false)));
    assert.deepEqual(check(text), []);
  });
});

describe('smmu-map-host-device-missing and -no-smmu', () => {
  const withExtra: HostTopology = { ...grace, pciDevices: [...grace.pciDevices, { bdf: '0002:01:00.0', vendorId: '0x8086', deviceId: '0x1572' }] };

  test('a source address that is not on the host', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev('0x0005', '0x02'), vsmmu(1, true)));
    assert.deepEqual(check(text), ['smmu-map-host-device-missing @ address']);
    const [f] = findingList(text, { host: grace, rules });
    assert.equal(
      f.message,
      'No PCI device 0005:01:00.0 on host grace-3smmu: check the source address (`lspci -D` on the host lists the devices), or load the topology of the host this domain runs on.',
    );
    assert.deepEqual(f.data, { hostdev: 0, bdf: '0005:01:00.0' });
  });

  test('a host device behind no SMMUv3, in a domain that uses smmuv3', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev('0x0002', '0x02'), vsmmu(1, true)));
    assert.deepEqual(check(text, withExtra), ['smmu-map-host-device-no-smmu @ address']);
    const [f] = findingList(text, { host: withExtra, rules });
    assert.match(f.message, /^0002:01:00\.0 \(8086:1572\) is behind no IOMMU on host grace-3smmu/);
  });

  test('the same device in a domain without smmuv3: silent; a known device: silent', () => {
    assert.deepEqual(check(armDomain(lines(rootPort(1, 0, 1), hostdev('0x0002', '0x01'))), withExtra), []);
    assert.deepEqual(check(armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev(GPU_A, '0x02'), vsmmu(1, true)))), []);
  });

  test('on a host without SMMUv3 the host-device checks are off', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev('0x0005', '0x02'), vsmmu(1, true)));
    assert.deepEqual(check(text, x86Host), ['smmu-map-no-host @ devices']);
  });
});

describe('half-typed input', () => {
  test('every prefix of a broken document is checked without an exception', () => {
    const text = armDomain(
      lines(
        pxb(1, 250, 1),
        rootPort(2, 1, 0),
        rootPort(3, 1, 1),
        rootPort(4, 0, 2),
        hostdev(GPU_A, '0x02', ''),
        hostdev(GPU_B, '0x03'),
        hostdev('0x0005', '0x04'),
        "    <interface type='network'><model type='virtio'/><address type='pci' bus='0x03' slot='0x1'/></interface>",
        vsmmu(1, true),
      ),
    );
    const codes = new Set<string>();
    // The service's log throws on a failing family, so an exception in the rules fails this test.
    for (let i = 0; i <= text.length; i += 7) for (const f of findingList(text.slice(0, i), { host: grace, rules })) codes.add(f.code);
    assert.deepEqual([...codes].sort(), [
      'smmu-map-emulated-device',
      'smmu-map-host-device-missing',
      'smmu-map-mixed',
      'smmu-map-no-iommufd',
      'smmu-map-no-vsmmu',
      'smmu-map-uncovered',
    ]);
  });

  test('malformed numbers resolve to nothing rather than to a wrong controller', () => {
    const text = armDomain(lines(pxb(1, 252, 1), rootPort(2, 1, 0), hostdev(GPU_A, '0xZZ'), vsmmu(1, true)));
    const m = analyseSmmuMapping(readDomain(parseXml(text)), grace);
    assert.deepEqual(
      m.placements.map((p) => p.placement),
      ['unplaced'],
    );
    assert.deepEqual(check(text), ['smmu-map-missing-expander @ address', 'smmu-map-uncovered @ 0xZZ']);
  });
});
