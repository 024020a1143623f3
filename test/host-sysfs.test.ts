/**
 * The sysfs reader against fixture trees built by scripts/make-host-fixtures.mjs
 * (into a temporary directory, so nothing depends on a checked-in symlink
 * tree), plus the pure query helpers. Each test states the input and the
 * exact expected answer.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, symlinkSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { nodeSysfsFs, readSysfsTopology, rerootLinkTarget, type SysfsFs } from '../server/src/host/sysfs';
import { clearPciIdsCache, loadPciIds, PciIds } from '../server/src/host/pciIds';
import { describeDevice, devicesOfIommu, findDevice, iommuOfDevice, isArmSmmuHost, normalizeBdf, parseBdf, smmuv3s } from '../server/src/host/queries';
import type { HostTopology } from '../server/src/host/types';
import { buildSysfsFixtures as buildFixtures, PCI_IDS, useTempDir } from './helpers';

/** Every fixture host, built once for the tests that only read them. */
const tmp = useTempDir('host-sysfs-', (dir) => buildFixtures(dir));

/** A fresh copy of one fixture host, for tests that modify the tree. */
function freshHost(name: string): string {
  const dir = mkdtempSync(path.join(tmp(), `${name}-`));
  buildFixtures(dir, name);
  return path.join(dir, name);
}

const read = (root: string, fs?: SysfsFs): Promise<HostTopology> => readSysfsTopology(root, { pciIdsPaths: [PCI_IDS], fs });

const names = (xs: { name: string }[]): string[] => xs.map((x) => x.name);
const bdfs = (xs: { bdf: string }[]): string[] => xs.map((x) => x.bdf);

/** An fs layer that fails chosen calls with an errno code; `fault` gets the call and the path relative to `root`. */
function faultyFs(root: string, fault: (op: string, rel: string) => string | undefined): SysfsFs {
  const check = (op: string, p: string): void => {
    const code = fault(op, path.relative(root, p));
    if (code) throw Object.assign(new Error(`${code}: ${op} ${p}`), { code });
  };
  return {
    readdir: async (p) => (check('readdir', p), nodeSysfsFs.readdir(p)),
    readFile: async (p) => (check('readFile', p), nodeSysfsFs.readFile(p)),
    readlink: async (p) => (check('readlink', p), nodeSysfsFs.readlink(p)),
    lstat: async (p) => (check('lstat', p), nodeSysfsFs.lstat(p)),
  };
}

const H100 = { vendorId: '0x10de', deviceId: '0x2342', classCode: '0x030200', vendorName: 'NVIDIA Corporation', deviceName: 'GH100 [H100]' };
const B200 = { vendorId: '0x10de', deviceId: '0x2901', classCode: '0x030200', vendorName: 'NVIDIA Corporation', deviceName: 'GB100 [B200]' };
const NVME = { vendorId: '0x144d', deviceId: '0xa80a', classCode: '0x010802', vendorName: 'Samsung Electronics Co Ltd', deviceName: 'NVMe SSD Controller' };
const CX7 = { vendorId: '0x15b3', deviceId: '0x1021', classCode: '0x020000', vendorName: 'Mellanox Technologies', deviceName: 'MT2910 Family [ConnectX-7]' };

const GRACE_HOPPER_IOMMUS = [
  { name: 'smmu3.0x0000000011000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.3.auto', devices: [] },
  { name: 'smmu3.0x0000000012000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.4.auto', devices: ['0001:01:00.0'] },
  { name: 'smmu3.0x0000000013000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.5.auto', devices: ['0002:01:00.0'] },
  { name: 'smmu3.0x0000000016000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.8.auto', devices: ['0009:01:00.0'] },
];
const GRACE_HOPPER_DEVICES = [
  { bdf: '0001:01:00.0', ...NVME, numaNode: 0, iommuGroup: 3, driver: 'nvme', iommu: 'smmu3.0x0000000012000000' },
  { bdf: '0002:01:00.0', ...CX7, numaNode: 0, iommuGroup: 5, driver: 'mlx5_core', iommu: 'smmu3.0x0000000013000000' },
  { bdf: '0009:01:00.0', ...H100, numaNode: 0, iommuGroup: 19, driver: 'vfio-pci', iommu: 'smmu3.0x0000000016000000' },
];

describe('grace-hopper (GH200)', () => {
  test('reads every SMMU, device and link', async () => {
    const root = path.join(tmp(), 'grace-hopper');
    const t = await read(root);
    assert.deepEqual(
      { version: t.version, source: t.source, hostname: t.hostname, iommus: t.iommus, pciDevices: t.pciDevices, numaNodes: t.numaNodes, notes: t.notes },
      {
        version: 3,
        source: { kind: 'sysfs', root },
        hostname: undefined,
        iommus: GRACE_HOPPER_IOMMUS,
        pciDevices: GRACE_HOPPER_DEVICES,
        // The Grace CPU's node, and a CPU-less one (the GPU's memory) with an empty cpulist.
        numaNodes: [
          { id: 0, cpus: '0-71' },
          { id: 1, cpus: '' },
        ],
        notes: [],
      },
    );
    assert.match(t.readAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('which SMMU is 0009:01:00.0 behind?', async () => {
    const t = await read(path.join(tmp(), 'grace-hopper'));
    assert.equal(iommuOfDevice(t, '0009:01:00.0')?.name, 'smmu3.0x0000000016000000');
    assert.equal(iommuOfDevice(t, '0009:01:00.0')?.platformDevice, 'arm-smmu-v3.8.auto');
    // lspci-style spellings of the same address
    assert.equal(iommuOfDevice(t, '9:1:0.0')?.name, 'smmu3.0x0000000016000000');
    assert.equal(iommuOfDevice(t, '0009:01:00.0 ')?.name, 'smmu3.0x0000000016000000');
    assert.equal(iommuOfDevice(t, '0009:02:00.0'), undefined);
    assert.equal(iommuOfDevice(t, 'not an address'), undefined);
  });

  test('which devices does smmu3.0x0000000016000000 serve?', async () => {
    const t = await read(path.join(tmp(), 'grace-hopper'));
    assert.deepEqual(bdfs(devicesOfIommu(t, 'smmu3.0x0000000016000000')), ['0009:01:00.0']);
    assert.deepEqual(bdfs(devicesOfIommu(t, 'smmu3.0x0000000011000000')), []);
    assert.deepEqual(bdfs(devicesOfIommu(t, 'smmu3.0x00000000ffffffff')), []);
  });

  test('what SMMUs exist, and is this an ARM host with SMMUv3?', async () => {
    const t = await read(path.join(tmp(), 'grace-hopper'));
    assert.deepEqual(names(smmuv3s(t)), ['smmu3.0x0000000011000000', 'smmu3.0x0000000012000000', 'smmu3.0x0000000013000000', 'smmu3.0x0000000016000000']);
    assert.equal(isArmSmmuHost(t), true);
  });

  test('finds and describes a device', async () => {
    const t = await read(path.join(tmp(), 'grace-hopper'));
    const gpu = findDevice(t, '0009:01:00.0');
    assert.deepEqual(gpu, GRACE_HOPPER_DEVICES[2]);
    assert.equal(describeDevice(gpu!), 'NVIDIA Corporation GH100 [H100] (10de:2342)');
  });

  test('reading one device at a time gives the same result', async () => {
    const root = path.join(tmp(), 'grace-hopper');
    const t = await readSysfsTopology(root, { pciIdsPaths: [PCI_IDS], concurrency: 1 });
    assert.deepEqual([t.iommus, t.pciDevices, t.notes], [GRACE_HOPPER_IOMMUS, GRACE_HOPPER_DEVICES, []]);
  });
});

describe('grace-blackwell (GB200 tray)', () => {
  test('four GPUs, each behind its own SMMU, on NUMA nodes 0,0,1,1', async () => {
    const t = await read(path.join(tmp(), 'grace-blackwell'));
    const gpus = ['0008:01:00.0', '0009:01:00.0', '0018:01:00.0', '0019:01:00.0'];
    assert.deepEqual(
      gpus.map((b) => [b, iommuOfDevice(t, b)?.name, findDevice(t, b)?.numaNode, iommuOfDevice(t, b)?.numaNode]),
      [
        ['0008:01:00.0', 'smmu3.0x0000000015000000', 0, 0],
        ['0009:01:00.0', 'smmu3.0x0000000016000000', 0, 0],
        ['0018:01:00.0', 'smmu3.0x0000000035000000', 1, 1],
        ['0019:01:00.0', 'smmu3.0x0000000036000000', 1, 1],
      ],
    );
    assert.deepEqual(t.iommus, [
      { name: 'smmu3.0x0000000013000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.5.auto', numaNode: 0, devices: ['0006:01:00.0'] },
      { name: 'smmu3.0x0000000015000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.7.auto', numaNode: 0, devices: ['0008:01:00.0'] },
      { name: 'smmu3.0x0000000016000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.8.auto', numaNode: 0, devices: ['0009:01:00.0'] },
      { name: 'smmu3.0x0000000035000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.18.auto', numaNode: 1, devices: ['0018:01:00.0'] },
      { name: 'smmu3.0x0000000036000000', kind: 'smmuv3', platformDevice: 'arm-smmu-v3.19.auto', numaNode: 1, devices: ['0019:01:00.0'] },
    ]);
    assert.deepEqual(findDevice(t, '0019:01:00.0'), {
      bdf: '0019:01:00.0',
      ...B200,
      numaNode: 1,
      iommuGroup: 23,
      driver: 'vfio-pci',
      iommu: 'smmu3.0x0000000036000000',
    });
    assert.deepEqual(findDevice(t, '0006:01:00.0'), {
      bdf: '0006:01:00.0',
      ...CX7,
      numaNode: 0,
      iommuGroup: 6,
      driver: 'mlx5_core',
      iommu: 'smmu3.0x0000000013000000',
    });
    assert.equal(isArmSmmuHost(t), true);
    assert.deepEqual(t.notes, []);
  });
});

describe('x86-dmar (Intel)', () => {
  test('is not an SMMUv3 host, and says what it found instead', async () => {
    const t = await read(path.join(tmp(), 'x86-dmar'));
    assert.equal(isArmSmmuHost(t), false);
    assert.deepEqual(smmuv3s(t), []);
    assert.deepEqual(t.notes, ['No SMMUv3 on this host (found Intel DMAR: dmar0, dmar1).']);
    // Intel units hang off devices/virtual: there is no platform device to name.
    assert.deepEqual(t.iommus, [
      { name: 'dmar0', kind: 'intel-dmar', devices: ['0000:00:02.0'] },
      { name: 'dmar1', kind: 'intel-dmar', devices: ['0000:01:00.0', '0000:02:00.0'] },
    ]);
    assert.equal(iommuOfDevice(t, '0000:01:00.0')?.name, 'dmar1');
    // numa_node -1 ("none") is left out
    assert.deepEqual(findDevice(t, '0000:01:00.0'), {
      bdf: '0000:01:00.0',
      vendorId: '0x10de',
      deviceId: '0x2684',
      classCode: '0x030000',
      vendorName: 'NVIDIA Corporation',
      deviceName: 'AD102 [GeForce RTX 4090]',
      iommuGroup: 14,
      driver: 'vfio-pci',
      iommu: 'dmar1',
    });
  });
});

describe('vm-no-iommu', () => {
  test('no class/iommu: devices without IOMMUs and a note saying why', async () => {
    const root = path.join(tmp(), 'vm-no-iommu');
    const t = await read(root);
    assert.equal(isArmSmmuHost(t), false);
    assert.deepEqual(t.iommus, []);
    assert.deepEqual(t.notes, [`No IOMMU class in ${path.join(root, 'class/iommu')}: this machine exposes no IOMMUs (a VM or container?).`]);
    assert.deepEqual(t.pciDevices, [
      { bdf: '0000:00:00.0', vendorId: '0x8086', deviceId: '0x29c0', classCode: '0x060000', vendorName: 'Intel Corporation', deviceName: 'Q35 host bridge' },
      {
        bdf: '0000:00:01.0',
        vendorId: '0x1af4',
        deviceId: '0x1041',
        classCode: '0x020000',
        vendorName: 'Red Hat, Inc.',
        deviceName: 'Virtio network device',
        driver: 'virtio-pci',
      },
      { bdf: '0000:00:02.0', vendorId: '0x1af4', deviceId: '0x1042', classCode: '0x010000', vendorName: 'Red Hat, Inc.', deviceName: 'Virtio block device', driver: 'virtio-pci' },
    ]);
    assert.equal(iommuOfDevice(t, '0000:00:01.0'), undefined);
  });
});

describe('links', () => {
  test('absolute targets (/sys/..., /...) and targets climbing above the root stay inside the tree', async () => {
    const root = freshHost('grace-hopper');
    const replace = (at: string, target: string): void => {
      unlinkSync(path.join(root, at));
      symlinkSync(target, path.join(root, at));
    };
    replace('class/iommu/smmu3.0x0000000016000000', '/sys/devices/platform/arm-smmu-v3.8.auto/iommu/smmu3.0x0000000016000000');
    replace('bus/pci/devices/0009:01:00.0', '/devices/pci0009:00/0009:00:00.0/0009:01:00.0');
    replace('bus/pci/devices/0001:01:00.0', '../../../../../../../../devices/pci0001:00/0001:00:00.0/0001:01:00.0');
    // A link inside a path that is itself reached through an absolute link.
    replace('class/iommu/smmu3.0x0000000012000000', '/sys/class/iommu/alias-12');
    symlinkSync('../../devices/platform/arm-smmu-v3.4.auto/iommu/smmu3.0x0000000012000000', path.join(root, 'class/iommu/alias-12'));
    const t = await read(root);
    assert.deepEqual(
      t.iommus,
      [
        ...GRACE_HOPPER_IOMMUS.slice(0, 3),
        GRACE_HOPPER_IOMMUS[3],
        // the alias is a class entry of its own, resolving to the same class device
        { name: 'alias-12', kind: 'other', platformDevice: 'arm-smmu-v3.4.auto', devices: ['0001:01:00.0'] },
      ].sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
    assert.deepEqual(t.pciDevices, GRACE_HOPPER_DEVICES);
    assert.deepEqual(t.notes, []);
  });

  test('rerootLinkTarget', () => {
    assert.deepEqual(
      [
        rerootLinkTarget('/class/iommu', '../../devices/x'),
        rerootLinkTarget('/class/iommu', '/sys/devices/x'),
        rerootLinkTarget('/class/iommu', '/sys'),
        rerootLinkTarget('/class/iommu', '/devices/x'),
        rerootLinkTarget('/class/iommu', '/system/x'), // not /sys/: re-rooted as it is
        rerootLinkTarget('/a', '../../../../../b'),
        rerootLinkTarget('/a', '/sys/../../etc'),
      ],
      ['/devices/x', '/devices/x', '/', '/devices/x', '/system/x', '/b', '/etc'],
    );
  });

  // A broken link in an intact tree: that entry is skipped with a note, everything else is read as usual.
  const brokenLinks: { name: string; links: [target: string, at: string][]; notes: (root: string) => string[] }[] = [
    {
      name: 'a dangling link skips that entry with one note',
      links: [
        ['../../devices/platform/arm-smmu-v3.99.auto/iommu/smmu3.0x0000000099000000', 'class/iommu/smmu3.0x0000000099000000'],
        ['../../../devices/pci0009:00/0009:00:00.0/0009:02:00.0', 'bus/pci/devices/0009:02:00.0'],
      ],
      notes: (root) => [
        `Skipped IOMMU smmu3.0x0000000099000000: ${root}/class/iommu/smmu3.0x0000000099000000 is a dangling link (-> ../../devices/platform/arm-smmu-v3.99.auto/iommu/smmu3.0x0000000099000000).`,
        `Skipped PCI device 0009:02:00.0: ${root}/bus/pci/devices/0009:02:00.0 is a dangling link (-> ../../../devices/pci0009:00/0009:00:00.0/0009:02:00.0).`,
      ],
    },
    {
      name: 'link loops are cut after 40 hops with one note each',
      links: [
        ['loop-b', 'class/iommu/loop-a'],
        ['/sys/class/iommu/loop-a', 'class/iommu/loop-b'],
        ['0009:03:00.0', 'bus/pci/devices/0009:03:00.0'],
      ],
      notes: (root) => [
        `Skipped IOMMU loop-a: ${root}/class/iommu/loop-a: symbolic link loop (more than 40 hops).`,
        `Skipped IOMMU loop-b: ${root}/class/iommu/loop-b: symbolic link loop (more than 40 hops).`,
        `Skipped PCI device 0009:03:00.0: ${root}/bus/pci/devices/0009:03:00.0: symbolic link loop (more than 40 hops).`,
      ],
    },
  ];
  for (const c of brokenLinks) {
    test(c.name, async () => {
      const root = freshHost('grace-hopper');
      for (const [target, at] of c.links) symlinkSync(target, path.join(root, at));
      const t = await read(root);
      assert.deepEqual(names(t.iommus), names(GRACE_HOPPER_IOMMUS));
      assert.deepEqual(t.pciDevices, GRACE_HOPPER_DEVICES);
      assert.deepEqual(t.notes, c.notes(root));
    });
  }

  test('many broken entries: 20 notes, then a count', async () => {
    const root = freshHost('grace-hopper');
    for (let i = 0; i < 30; i++) {
      const bdf = `0009:${(0x10 + i).toString(16)}:00.0`;
      symlinkSync(`../../../devices/gone/${bdf}`, path.join(root, 'bus/pci/devices', bdf));
    }
    const t = await read(root);
    assert.equal(t.notes.length, 21);
    assert.equal(t.notes[0], `Skipped PCI device 0009:10:00.0: ${root}/bus/pci/devices/0009:10:00.0 is a dangling link (-> ../../../devices/gone/0009:10:00.0).`);
    assert.equal(t.notes[20], '... and 10 more');
    assert.deepEqual(t.pciDevices, GRACE_HOPPER_DEVICES);
  });
});

describe('unreadable and vanishing trees', () => {
  test('permission denied (injected): the entry is skipped, the other view fills the gap', async () => {
    const root = path.join(tmp(), 'grace-hopper');
    const fs = faultyFs(root, (op, rel) =>
      (op === 'readdir' && rel === 'devices/platform/arm-smmu-v3.8.auto/iommu/smmu3.0x0000000016000000/devices') ||
      (op === 'readFile' && rel === 'devices/pci0002:00/0002:00:00.0/0002:01:00.0/vendor') ||
      (op === 'readFile' && rel === 'devices/pci0002:00/0002:00:00.0/0002:01:00.0/class') ||
      (op === 'lstat' && rel === 'devices/pci0001:00/0001:00:00.0/0001:01:00.0')
        ? 'EACCES'
        : undefined,
    );
    const t = await read(root, fs);
    assert.deepEqual(t.notes, [
      `Cannot read ${root}/devices/platform/arm-smmu-v3.8.auto/iommu/smmu3.0x0000000016000000/devices: permission denied.`,
      `Skipped PCI device 0001:01:00.0: ${root}/devices/pci0001:00/0001:00:00.0/0001:01:00.0: permission denied.`,
      'PCI device 0002:01:00.0: cannot read class (permission denied), vendor (permission denied).',
    ]);
    // The GPU's own iommu link still places it behind the SMMU whose listing failed,
    assert.deepEqual(t.iommus[3], GRACE_HOPPER_IOMMUS[3]);
    // and the NVMe, skipped on the PCI side, is still known from its SMMU's listing.
    assert.deepEqual(findDevice(t, '0001:01:00.0'), { bdf: '0001:01:00.0', iommu: 'smmu3.0x0000000012000000' });
    assert.deepEqual(findDevice(t, '0002:01:00.0'), {
      bdf: '0002:01:00.0',
      deviceId: '0x1021',
      numaNode: 0,
      iommuGroup: 5,
      driver: 'mlx5_core',
      iommu: 'smmu3.0x0000000013000000',
    });
  });

  test("class/iommu unreadable: IOMMUs are still known from the devices' links", async () => {
    const root = path.join(tmp(), 'grace-hopper');
    const t = await read(
      root,
      faultyFs(root, (op, rel) => (op === 'readdir' && rel === 'class/iommu' ? 'EACCES' : undefined)),
    );
    assert.deepEqual(t.notes, [`Cannot read ${root}/class/iommu: permission denied.`]);
    assert.deepEqual(t.iommus, [
      { name: 'smmu3.0x0000000012000000', kind: 'smmuv3', devices: ['0001:01:00.0'] },
      { name: 'smmu3.0x0000000013000000', kind: 'smmuv3', devices: ['0002:01:00.0'] },
      { name: 'smmu3.0x0000000016000000', kind: 'smmuv3', devices: ['0009:01:00.0'] },
    ]);
    assert.equal(isArmSmmuHost(t), true);
  });

  test('permission denied (real chmod 000)', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which reads through chmod 000; the injected-EACCES test above covers this path');
      return;
    }
    const root = freshHost('grace-hopper');
    const dir = path.join(root, 'devices/pci0009:00/0009:00:00.0/0009:01:00.0');
    chmodSync(dir, 0o000);
    try {
      const topo = await read(root);
      assert.deepEqual(topo.notes, ['Skipped PCI device 0009:01:00.0: permission denied.']);
      assert.deepEqual(findDevice(topo, '0009:01:00.0'), { bdf: '0009:01:00.0', iommu: 'smmu3.0x0000000016000000' });
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  test('a root that does not exist', async () => {
    const root = path.join(tmp(), 'no-such-host');
    const t = await read(root);
    assert.deepEqual([t.iommus, t.pciDevices, t.notes], [[], [], [`The sysfs root ${root} does not exist, so no IOMMUs or PCI devices were read.`]]);
  });

  test('a root that is a file', async () => {
    const root = PCI_IDS;
    const t = await read(root);
    assert.deepEqual(t.notes, [`The sysfs root ${root} is not a directory, so no IOMMUs or PCI devices were read.`]);
  });

  test('a root that disappears mid-read', async () => {
    const root = path.join(tmp(), 'grace-hopper');
    let gone = false;
    // Everything after the PCI directory listing fails as if the tree was unmounted.
    const fs: SysfsFs = {
      ...faultyFs(root, () => (gone ? 'ENOENT' : undefined)),
      readdir: async (p) => {
        if (gone) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        const r = await nodeSysfsFs.readdir(p);
        if (path.relative(root, p) === 'bus/pci/devices') gone = true;
        return r;
      },
    };
    const t = await read(root, fs);
    assert.deepEqual(t.notes, [
      `Skipped PCI device 0001:01:00.0: ${root}/bus/pci/devices/0001:01:00.0 does not exist.`,
      `Skipped PCI device 0002:01:00.0: ${root}/bus/pci/devices/0002:01:00.0 does not exist.`,
      `Skipped PCI device 0009:01:00.0: ${root}/bus/pci/devices/0009:01:00.0 does not exist.`,
      `The sysfs root ${root} disappeared during the read; the topology is incomplete.`,
    ]);
    // What was read before it went (the SMMUs and their listings) is kept.
    assert.deepEqual(t.iommus, GRACE_HOPPER_IOMMUS);
    assert.equal(iommuOfDevice(t, '0009:01:00.0')?.name, 'smmu3.0x0000000016000000');
  });

  test('an empty class/iommu says the IOMMU is off', async () => {
    const root = freshHost('vm-no-iommu');
    mkdirSync(path.join(root, 'class/iommu'));
    const t = await read(root);
    assert.deepEqual(t.notes, [`${path.join(root, 'class/iommu')} is empty: the IOMMU is off or not used by the kernel (check the kernel command line and firmware settings).`]);
  });
});

describe('scale', () => {
  test('3000 devices over 16 SMMUs', async () => {
    // Creating ~30,000 files costs ~1 ms each on some VM disks; tmpfs, when it
    // has room, keeps this test to a second or two.
    const shm = '/dev/shm';
    let base = tmp();
    try {
      const st = statfsSync(shm);
      if (st.bavail * st.bsize > 256 * 1024 * 1024) base = shm;
    } catch {
      // no /dev/shm (macOS, Windows): use the temporary directory
    }
    const dir = mkdtempSync(path.join(base, 'host-sysfs-many-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    buildFixtures(dir, '--many', '3000');
    const t = await read(path.join(dir, 'many-3000'));
    assert.equal(t.pciDevices.length, 3000);
    assert.equal(t.iommus.length, 16);
    assert.deepEqual(t.notes, []);
    // Device i is in PCI domain i>>8 (0..11), behind SMMU number domain % 16.
    const smmuName = (k: number): string => `smmu3.0x${(0x10000000 + k * 0x1000000).toString(16).padStart(16, '0')}`;
    const wrong = t.pciDevices.filter((d) => d.iommu !== smmuName(parseInt(d.bdf.slice(0, 4), 16) % 16));
    assert.deepEqual(wrong, []);
    assert.deepEqual(
      t.iommus.map((i) => i.devices.length),
      [256, 256, 256, 256, 256, 256, 256, 256, 256, 256, 256, 184, 0, 0, 0, 0],
    );
    // The last one, i = 2999 = 11*256 + 183: bus 1 + ((183 >> 5) & 7) = 6, slot 183 & 31 = 0x17.
    assert.deepEqual(findDevice(t, '000b:06:17.0'), {
      bdf: '000b:06:17.0',
      ...CX7,
      numaNode: 1,
      iommuGroup: 2999,
      driver: 'vfio-pci',
      iommu: smmuName(11),
    });
    assert.equal(iommuOfDevice(t, '000b:06:17.0')?.platformDevice, 'arm-smmu-v3.111.auto');
  });
});

describe('pci.ids', () => {
  const ids = (): PciIds =>
    new PciIds(
      [
        '# comment',
        '10de  NVIDIA Corporation',
        '\t2342  GH100 [H100]',
        '\t\t10de 16c1  a subsystem',
        '2342  Odd Vendor',
        '\t10de  Odd Device',
        '',
        'C 03  Display controller',
        '\t02  3D controller',
        'abcd  After the class section',
      ].join('\n'),
    );

  test('vendor and device names; subsystems and the class section are ignored', () => {
    const p = ids();
    assert.deepEqual(
      [
        p.vendorName('0x10de'),
        p.deviceName('0x10de', '0x2342'),
        p.deviceName('10DE', '2342'),
        p.vendorName('0x2342'),
        p.deviceName('0x2342', '0x10de'),
        p.deviceName('0x10de', '0x10de'),
        p.deviceName('0x10de', '0x16c1'),
        p.vendorName('0xabcd'),
        p.vendorName('0x0000'),
        p.deviceName('0x0000', '0x0000'),
      ],
      ['NVIDIA Corporation', 'GH100 [H100]', 'GH100 [H100]', 'Odd Vendor', 'Odd Device', undefined, undefined, undefined, undefined, undefined],
    );
  });

  test('the fixture file: the first existing path wins, and a missing database is a note', async () => {
    clearPciIdsCache();
    assert.equal(await loadPciIds(path.join(tmp(), 'missing.ids')), undefined);
    const p = await loadPciIds(PCI_IDS);
    assert.equal(p?.deviceName('0x15b3', '0x1021'), 'MT2910 Family [ConnectX-7]');
    assert.equal(p?.vendorName('0xffff'), undefined); // listed after the class section
    assert.equal(await loadPciIds(PCI_IDS), p); // cached per path

    const root = path.join(tmp(), 'grace-hopper');
    const t1 = await readSysfsTopology(root, { pciIdsPaths: [path.join(tmp(), 'missing.ids'), PCI_IDS] });
    assert.deepEqual([t1.pciDevices, t1.notes], [GRACE_HOPPER_DEVICES, []]);

    const missing = path.join(tmp(), 'missing.ids');
    const t2 = await readSysfsTopology(root, { pciIdsPaths: [missing] });
    assert.deepEqual(t2.notes, [`No pci.ids database found (looked at ${missing}): devices are shown by their numeric ids only.`]);
    assert.deepEqual(t2.pciDevices[2], {
      bdf: '0009:01:00.0',
      vendorId: '0x10de',
      deviceId: '0x2342',
      classCode: '0x030200',
      numaNode: 0,
      iommuGroup: 19,
      driver: 'vfio-pci',
      iommu: 'smmu3.0x0000000016000000',
    });
    assert.equal(describeDevice(t2.pciDevices[2]), '10de:2342');
  });
});

describe('queries', () => {
  test('normalizeBdf', () => {
    assert.deepEqual(
      [
        normalizeBdf(9, 1, 0, 0),
        normalizeBdf(0x19, 0xab, 0x1f, 7),
        normalizeBdf(0xffff, 0xff, 0x1f, 7),
        normalizeBdf(0x10000, 0, 0, 0),
        normalizeBdf(0, 0x100, 0, 0),
        normalizeBdf(0, 0, 0x20, 0),
        normalizeBdf(0, 0, 0, 8),
        normalizeBdf(-1, 0, 0, 0),
        normalizeBdf(1.5, 0, 0, 0),
      ],
      ['0009:01:00.0', '0019:ab:1f.7', 'ffff:ff:1f.7', undefined, undefined, undefined, undefined, undefined, undefined],
    );
  });

  test('parseBdf', () => {
    assert.deepEqual(parseBdf('0009:01:00.0'), { domain: 9, bus: 1, slot: 0, function: 0, bdf: '0009:01:00.0' });
    assert.deepEqual(parseBdf('01:1F.3'), { domain: 0, bus: 1, slot: 31, function: 3, bdf: '0000:01:1f.3' });
    assert.deepEqual(['0009:01:20.0', '0009:01:00.8', '10000:01:00.0', '0009:01:00', 'x', ''].map(parseBdf), [undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  test('describeDevice', () => {
    assert.deepEqual(
      [
        describeDevice({ bdf: '0009:01:00.0', vendorId: '0x10de', deviceId: '0x2342', vendorName: 'NVIDIA Corporation', deviceName: 'GH100 [H100]' }),
        describeDevice({ bdf: '0009:01:00.0', vendorId: '0x10de', deviceId: '0x2342', vendorName: 'NVIDIA Corporation' }),
        describeDevice({ bdf: '0009:01:00.0', vendorId: '0x10de', deviceId: '0x2342' }),
        describeDevice({ bdf: '0009:01:00.0', vendorId: '0x10de' }),
        describeDevice({ bdf: '0009:01:00.0' }),
      ],
      ['NVIDIA Corporation GH100 [H100] (10de:2342)', 'NVIDIA Corporation device 2342 (10de:2342)', '10de:2342', '10de:????', 'PCI device 0009:01:00.0'],
    );
  });
});
