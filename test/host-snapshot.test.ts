/**
 * Host snapshots: stable serialization, round trips, the committed example
 * files, and one clear error message for each kind of bad input.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadSnapshot, parseSnapshot, serializeTopology } from '../server/src/host/snapshot';
import { readSysfsTopology } from '../server/src/host/sysfs';
import { devicesOfIommu, iommuOfDevice, isArmSmmuHost, smmuv3s } from '../server/src/host/queries';
import type { HostTopology } from '../server/src/host/types';
import { buildExampleHostSnapshot, EXAMPLE_HOST_FILES } from '../scripts/make-example-host';
import { buildSysfsFixtures, hostSnapshotPath, PCI_IDS, useTempDir } from './helpers';

const GRACE_3SMMU = hostSnapshotPath('grace-3smmu');
const tmp = useTempDir('host-snapshot-', (dir) => buildSysfsFixtures(dir, 'grace-blackwell'));

/** The message JSON.parse gives for `text` on this Node version (they differ between versions). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('text parsed');
}

const MINIMAL = { version: 1, iommus: [], pciDevices: [] };
const bad = (o: unknown): string | undefined => parseSnapshot(JSON.stringify(o), 'h.json').error;

describe('serializeTopology', () => {
  test('round trip: what is read from sysfs comes back from the snapshot, with the snapshot as source', async () => {
    const t = await readSysfsTopology(path.join(tmp(), 'grace-blackwell'), { pciIdsPaths: [PCI_IDS], hostname: 'gb200-tray' });
    const text = serializeTopology(t);
    const r = parseSnapshot(text, 'gb.json');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.topology, { ...t, source: { kind: 'snapshot', file: 'gb.json', hostname: 'gb200-tray' } });
    // Serializing the loaded copy changes nothing but the source.
    assert.equal(serializeTopology({ ...r.topology!, source: t.source }), text);
  });

  test('stable: version first, fixed key order, sorted lists, absent fields left out', () => {
    const t: HostTopology = {
      notes: ['n'],
      pciDevices: [
        { iommu: 'smmu3.0x0000000036000000', bdf: '0019:01:00.0', numaNode: 1 },
        { driver: 'nvme', bdf: '0001:01:00.0' },
      ],
      iommus: [
        { devices: ['0019:01:00.0', '0018:01:00.0'], kind: 'smmuv3', name: 'smmu3.0x0000000036000000' },
        { devices: [], name: 'smmu3.0x0000000016000000', kind: 'smmuv3', numaNode: 0, platformDevice: 'arm-smmu-v3.8.auto' },
      ],
      readAt: '2026-01-01T00:00:00.000Z',
      source: { root: '/sys', kind: 'sysfs' },
      version: 1,
      numaNodes: [
        { id: 1, cpus: '72-143' },
        { id: 0, cpus: '0-71' },
      ],
    };
    // Written in the current format whatever version it was read as.
    assert.equal(
      serializeTopology(t),
      `{
  "version": 3,
  "source": {
    "kind": "sysfs",
    "root": "/sys"
  },
  "readAt": "2026-01-01T00:00:00.000Z",
  "iommus": [
    {
      "name": "smmu3.0x0000000016000000",
      "kind": "smmuv3",
      "platformDevice": "arm-smmu-v3.8.auto",
      "numaNode": 0,
      "devices": []
    },
    {
      "name": "smmu3.0x0000000036000000",
      "kind": "smmuv3",
      "devices": [
        "0018:01:00.0",
        "0019:01:00.0"
      ]
    }
  ],
  "pciDevices": [
    {
      "bdf": "0001:01:00.0",
      "driver": "nvme"
    },
    {
      "bdf": "0019:01:00.0",
      "numaNode": 1,
      "iommu": "smmu3.0x0000000036000000"
    }
  ],
  "numaNodes": [
    {
      "id": 0,
      "cpus": "0-71"
    },
    {
      "id": 1,
      "cpus": "72-143"
    }
  ],
  "notes": [
    "n"
  ]
}
`,
    );
    // The input was not reordered in place.
    assert.equal(t.iommus[0].name, 'smmu3.0x0000000036000000');
  });
});

describe('the grace-3smmu example host', () => {
  test('examples/hosts and test/fixtures/hosts are what scripts/make-example-host.ts writes', async () => {
    const expected = await buildExampleHostSnapshot();
    for (const f of EXAMPLE_HOST_FILES) {
      assert.equal(readFileSync(f, 'utf8'), expected, `${path.basename(path.dirname(f))}/${path.basename(f)} is stale: run node --import tsx scripts/make-example-host.ts`);
    }
  });

  test('answers the questions the checks ask', async () => {
    const r = await loadSnapshot(GRACE_3SMMU);
    const t = r.topology!;
    assert.deepEqual(t.source, { kind: 'snapshot', file: GRACE_3SMMU, hostname: 'grace-3smmu' });
    assert.equal(isArmSmmuHost(t), true);
    assert.deepEqual(
      smmuv3s(t).map((i) => [i.name, i.platformDevice, i.devices]),
      [
        ['smmu3.0x0000000012000000', 'arm-smmu-v3.4.auto', ['0001:01:00.0']],
        ['smmu3.0x0000000016000000', 'arm-smmu-v3.8.auto', ['0009:01:00.0']],
        ['smmu3.0x0000000036000000', 'arm-smmu-v3.9.auto', ['0019:01:00.0']],
      ],
    );
    assert.equal(iommuOfDevice(t, '0009:01:00.0')?.name, 'smmu3.0x0000000016000000');
    assert.equal(iommuOfDevice(t, '0019:01:00.0')?.name, 'smmu3.0x0000000036000000');
    assert.deepEqual(
      devicesOfIommu(t, 'smmu3.0x0000000036000000').map((d) => [d.bdf, d.deviceName, d.numaNode]),
      [['0019:01:00.0', 'GH100 [H100]', 1]],
    );
  });
});

describe('parseSnapshot', () => {
  test('a short hand-written snapshot: only the required fields, the relation stated from one end', () => {
    const r = parseSnapshot(
      JSON.stringify({
        version: 1,
        iommus: [{ name: 'smmu3.0x0000000016000000', kind: 'smmuv3', devices: ['0009:01:00.0'] }],
        pciDevices: [{ bdf: '0019:01:00.0', iommu: 'smmu3.0x0000000036000000' }],
      }),
      'mine.json',
    );
    assert.deepEqual(r, {
      topology: {
        version: 1,
        source: { kind: 'snapshot', file: 'mine.json' },
        readAt: '',
        iommus: [{ name: 'smmu3.0x0000000016000000', kind: 'smmuv3', devices: ['0009:01:00.0'] }],
        pciDevices: [{ bdf: '0019:01:00.0', iommu: 'smmu3.0x0000000036000000' }],
        notes: [],
      },
    });
    const t = r.topology!;
    // Listed only under the IOMMU:
    assert.equal(iommuOfDevice(t, '0009:01:00.0')?.name, 'smmu3.0x0000000016000000');
    assert.deepEqual(devicesOfIommu(t, 'smmu3.0x0000000016000000'), [{ bdf: '0009:01:00.0' }]);
    // Named only by the device (the IOMMU itself is not listed):
    assert.deepEqual(iommuOfDevice(t, '0019:01:00.0'), { name: 'smmu3.0x0000000036000000', kind: 'smmuv3', devices: ['0019:01:00.0'] });
    assert.deepEqual(devicesOfIommu(t, 'smmu3.0x0000000036000000'), [{ bdf: '0019:01:00.0', iommu: 'smmu3.0x0000000036000000' }]);
  });

  test('addresses are accepted in upper case and stored in lower case', () => {
    const r = parseSnapshot(JSON.stringify({ ...MINIMAL, pciDevices: [{ bdf: '000A:01:00.0' }] }), 'h.json');
    assert.deepEqual(r.topology?.pciDevices, [{ bdf: '000a:01:00.0' }]);
  });

  test('not JSON, empty, truncated', () => {
    const good = readFileSync(GRACE_3SMMU, 'utf8');
    const truncated = good.slice(0, 200);
    assert.deepEqual(
      [parseSnapshot('hello', 'h.json'), parseSnapshot('', 'h.json'), parseSnapshot('  \n', 'h.json'), parseSnapshot(truncated, 'h.json')],
      [
        { error: `Host snapshot h.json is not valid JSON: ${jsonError('hello')}` },
        { error: 'Host snapshot h.json is empty.' },
        { error: 'Host snapshot h.json is empty.' },
        { error: `Host snapshot h.json is not valid JSON (the file looks truncated): ${jsonError(truncated)}` },
      ],
    );
  });

  test('version: missing, other, newer, wrong type', () => {
    assert.deepEqual(
      [bad({ iommus: [], pciDevices: [] }), bad({ ...MINIMAL, version: 0 }), bad({ ...MINIMAL, version: 4 }), bad({ ...MINIMAL, version: '1' })],
      [
        'Host snapshot h.json is not usable: it has no "version" field; this extension reads versions 1, 2 and 3.',
        'Host snapshot h.json is not usable: it has version 0; this extension reads versions 1, 2 and 3.',
        'Host snapshot h.json is not usable: it has version 4 (written by a newer version?); this extension reads versions 1, 2 and 3.',
        'Host snapshot h.json is not usable: it has version "1"; this extension reads versions 1, 2 and 3.',
      ],
    );
  });

  test('shape: top level, missing arrays, wrong field types', () => {
    const smmu = { name: 'smmu3.0x0000000016000000', kind: 'smmuv3', devices: [] };
    assert.deepEqual(
      [
        bad([1]),
        bad(null),
        bad({ version: 1, pciDevices: [] }),
        bad({ version: 1, iommus: [] }),
        bad({ ...MINIMAL, iommus: {} }),
        bad({ ...MINIMAL, iommus: ['smmu3.0x0000000016000000'] }),
        bad({ ...MINIMAL, iommus: [{ kind: 'smmuv3', devices: [] }] }),
        bad({ ...MINIMAL, iommus: [{ ...smmu, kind: 'smmu' }] }),
        bad({ ...MINIMAL, iommus: [{ name: 'x', kind: 'other' }] }),
        bad({ ...MINIMAL, iommus: [smmu, { ...smmu, devices: [9] }] }),
        bad({ ...MINIMAL, iommus: [{ ...smmu, devices: ['9:1:0.0'] }] }),
        bad({ ...MINIMAL, iommus: [{ ...smmu, numaNode: -1 }] }),
        bad({ ...MINIMAL, pciDevices: [{ vendorId: '0x10de' }] }),
        bad({ ...MINIMAL, pciDevices: [{ bdf: '0009:01:00.0', vendorId: 0x10de }] }),
        bad({ ...MINIMAL, pciDevices: [{ bdf: '0009:01:00.0', iommuGroup: '19' }] }),
        bad({ ...MINIMAL, pciDevices: [{ bdf: '0009:01:00.0', numaNode: 0.5 }] }),
        bad({ ...MINIMAL, notes: 'none' }),
        bad({ ...MINIMAL, notes: [1] }),
        bad({ ...MINIMAL, readAt: 5 }),
        bad({ ...MINIMAL, hostname: null }),
      ],
      [
        'Host snapshot h.json is not usable: the top level must be an object, not an array.',
        'Host snapshot h.json is not usable: the top level must be an object, not null.',
        'Host snapshot h.json is not usable: "iommus" is missing (expected an array).',
        'Host snapshot h.json is not usable: "pciDevices" is missing (expected an array).',
        'Host snapshot h.json is not usable: "iommus" must be an array, not an object.',
        'Host snapshot h.json is not usable: iommus[0] must be an object, not string "smmu3.0x0000000016000000".',
        'Host snapshot h.json is not usable: iommus[0].name is missing (expected a string).',
        'Host snapshot h.json is not usable: iommus[0].kind must be one of smmuv3, intel-dmar, amd-ivhd, other, not "smmu".',
        'Host snapshot h.json is not usable: iommus[0].devices is missing (expected an array).',
        'Host snapshot h.json is not usable: iommus[1].devices[0] must be a string, not number 9.',
        'Host snapshot h.json is not usable: iommus[0].devices[0] is not a PCI address of the form DDDD:BB:SS.F: "9:1:0.0".',
        'Host snapshot h.json is not usable: iommus[0].numaNode must be a non-negative integer, not number -1.',
        'Host snapshot h.json is not usable: pciDevices[0].bdf is missing (expected a string).',
        'Host snapshot h.json is not usable: pciDevices[0].vendorId must be a string, not number 4318.',
        'Host snapshot h.json is not usable: pciDevices[0].iommuGroup must be a non-negative integer, not string "19".',
        'Host snapshot h.json is not usable: pciDevices[0].numaNode must be a non-negative integer, not number 0.5.',
        'Host snapshot h.json is not usable: "notes" must be an array, not string "none".',
        'Host snapshot h.json is not usable: notes[0] must be a string, not number 1.',
        'Host snapshot h.json is not usable: the top level.readAt must be a string, not number 5.',
        'Host snapshot h.json is not usable: the top level.hostname must be a string, not null.',
      ],
    );
  });
});

describe('loadSnapshot', () => {
  test('a good file', async () => {
    const r = await loadSnapshot(GRACE_3SMMU);
    assert.equal(r.error, undefined);
    assert.equal(r.topology?.pciDevices.length, 3);
  });

  test('missing file, a directory, a truncated file', async () => {
    const dir = mkdtempSync(path.join(tmp(), 'files-'));
    const truncated = path.join(dir, 'truncated.json');
    const text = readFileSync(GRACE_3SMMU, 'utf8').slice(0, 321);
    writeFileSync(truncated, text);
    mkdirSync(path.join(dir, 'adir'));
    assert.deepEqual(
      [await loadSnapshot(path.join(dir, 'missing.json')), await loadSnapshot(path.join(dir, 'adir')), await loadSnapshot(truncated)],
      [
        { error: `Host snapshot ${dir}/missing.json does not exist.` },
        { error: `Host snapshot ${dir}/adir is a directory, not a file.` },
        { error: `Host snapshot ${truncated} is not valid JSON (the file looks truncated): ${jsonError(text)}` },
      ],
    );
  });

  test('permission denied', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which reads through chmod 000');
      return;
    }
    const file = path.join(mkdtempSync(path.join(tmp(), 'perm-')), 'host.json');
    writeFileSync(file, readFileSync(GRACE_3SMMU));
    chmodSync(file, 0o000);
    assert.deepEqual(await loadSnapshot(file), { error: `Host snapshot ${file} cannot be read: permission denied.` });
  });
});
