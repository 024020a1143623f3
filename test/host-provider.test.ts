/**
 * HostTopologyProvider: caching, refresh, settings changes, re-reads driven by
 * activity, and keeping the last good topology when a re-read fails.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { HostTopologyProvider, type HostSettings } from '../server/src/host/provider';
import type { SnapshotResult } from '../server/src/host/snapshot';
import { findDevice } from '../server/src/host/queries';
import type { HostTopology } from '../server/src/host/types';
import { buildSysfsFixtures, hostSnapshotPath, PCI_IDS, useTempDir } from './helpers';

const GRACE_3SMMU = hostSnapshotPath('grace-3smmu');
const tmp = useTempDir('host-provider-');

/** A topology whose only distinguishing mark is its note. */
function topo(note: string): HostTopology {
  return { version: 1, source: { kind: 'sysfs', root: '/sys' }, readAt: new Date().toISOString(), iommus: [], pciDevices: [], notes: [note] };
}

/** A reader that records the settings it was called with and answers from `answer`. */
function fakeReader(answer: (s: HostSettings, call: number) => SnapshotResult) {
  const calls: HostSettings[] = [];
  const read = async (s: HostSettings): Promise<SnapshotResult> => {
    calls.push(s);
    return answer(s, calls.length);
  };
  return { calls, read };
}

const notesOf = (t: HostTopology | undefined): string[] | undefined => t?.notes;

describe('caching', () => {
  test('get() reads once, also when called concurrently', async () => {
    const r = fakeReader((_, n) => ({ topology: topo(`read ${n}`) }));
    const p = new HostTopologyProvider({ sysfsRoot: '/x' }, { read: r.read });
    const [a, b] = await Promise.all([p.get(), p.get()]);
    const c = await p.get();
    assert.deepEqual([notesOf(a), notesOf(b), notesOf(c), r.calls], [['read 1'], ['read 1'], ['read 1'], [{ sysfsRoot: '/x', snapshot: undefined }]]);
    assert.equal(typeof p.readMs, 'number');
  });

  test('refresh() reads again', async () => {
    const r = fakeReader((_, n) => ({ topology: topo(`read ${n}`) }));
    const p = new HostTopologyProvider({}, { read: r.read });
    await p.get();
    assert.deepEqual(notesOf(await p.refresh()), ['read 2']);
    assert.deepEqual(notesOf(await p.get()), ['read 2']);
    assert.equal(r.calls.length, 2);
  });
});

describe('settings', () => {
  test('the same settings change nothing; new ones are read on the next get()', async () => {
    const r = fakeReader((s) => ({ topology: topo(`from ${s.snapshot ?? s.sysfsRoot ?? '/sys'}`) }));
    const p = new HostTopologyProvider({ sysfsRoot: '/a' }, { read: r.read });
    await p.get();
    assert.equal(p.configure({ sysfsRoot: '/a' }), false);
    assert.equal(p.configure({ sysfsRoot: '/a', snapshot: '' }), false); // a cleared setting is "not set"
    assert.deepEqual(notesOf(await p.get()), ['from /a']);
    assert.equal(p.configure({ sysfsRoot: '/a', snapshot: 'h.json' }), true);
    assert.equal(p.current, undefined);
    assert.deepEqual(notesOf(await p.get()), ['from h.json']);
    assert.equal(r.calls.length, 2);
  });

  test('a settings change during a read: the answer is for the new settings', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((res) => (release = res));
    const read = async (s: HostSettings): Promise<SnapshotResult> => {
      if (s.sysfsRoot === '/old') await gate;
      return { topology: topo(`from ${s.sysfsRoot}`) };
    };
    const p = new HostTopologyProvider({ sysfsRoot: '/old' }, { read });
    const first = p.get();
    p.configure({ sysfsRoot: '/new' });
    release();
    assert.deepEqual(notesOf(await first), ['from /new']);
    assert.deepEqual(notesOf(p.current), ['from /new']);
  });

  test('a bad snapshot after a settings change is not hidden behind the old host', async () => {
    const p = new HostTopologyProvider({ snapshot: GRACE_3SMMU });
    assert.equal((await p.get())?.hostname, 'grace-3smmu');
    const missing = path.join(tmp(), 'missing.json');
    p.configure({ snapshot: missing });
    assert.equal(await p.get(), undefined);
    assert.equal(p.lastError, `Host snapshot ${missing} does not exist.`);
    assert.deepEqual(p.notes, [`Host snapshot ${missing} does not exist.`]);
  });
});

describe('failures', () => {
  test('a snapshot that turns bad keeps the previous good topology, and recovers', async () => {
    const file = path.join(mkdtempSync(path.join(tmp(), 'snap-')), 'host.json');
    const good = readFileSync(GRACE_3SMMU, 'utf8');
    writeFileSync(file, good);
    const p = new HostTopologyProvider({ snapshot: file });
    const first = await p.get();
    assert.equal(first?.pciDevices.length, 3);
    assert.equal(p.lastError, undefined);

    writeFileSync(file, good.replace(/"version": \d+/, '"version": 7'));
    assert.equal(await p.refresh(), first);
    const error = `Host snapshot ${file} is not usable: it has version 7 (written by a newer version?); this extension reads versions 1, 2 and 3.`;
    assert.equal(p.lastError, error);
    assert.deepEqual(p.notes, [`${error} Still using the copy loaded earlier (read at 2026-01-01T00:00:00.000Z).`]);

    writeFileSync(file, good.replace('"hostname": "grace-3smmu"', '"hostname": "renamed"'));
    assert.equal((await p.refresh())?.hostname, 'renamed');
    assert.deepEqual([p.lastError, p.notes], [undefined, []]);
  });

  test('a reader that throws is reported, not thrown', async () => {
    const p = new HostTopologyProvider(
      {},
      {
        read: async () => {
          throw new Error('boom');
        },
      },
    );
    assert.equal(await p.get(), undefined);
    assert.equal(p.lastError, 'Reading the host failed: boom');
  });
});

describe('activity', () => {
  test('noteActivity() re-reads at most every maxAgeMs', async () => {
    let now = 0;
    const r = fakeReader((_, n) => ({ topology: topo(`read ${n}`) }));
    const p = new HostTopologyProvider({}, { read: r.read, now: () => now, maxAgeMs: 5000 });
    p.noteActivity(); // before the first read: nothing to refresh
    await p.get();
    now = 4999;
    p.noteActivity();
    assert.deepEqual(notesOf(await p.get()), ['read 1']);
    now = 5000;
    p.noteActivity();
    p.noteActivity(); // a read is already under way
    assert.deepEqual(notesOf(await p.get()), ['read 2']);
    now = 9999;
    p.noteActivity();
    assert.deepEqual(notesOf(await p.get()), ['read 2']);
    now = 10000;
    p.noteActivity();
    assert.deepEqual(notesOf(await p.get()), ['read 3']);
    assert.equal(r.calls.length, 3);
  });

  test('a rebound driver on a live sysfs tree shows up after activity, with one change event', async () => {
    const dir = mkdtempSync(path.join(tmp(), 'sysfs-'));
    buildSysfsFixtures(dir, 'grace-hopper');
    const root = path.join(dir, 'grace-hopper');
    let now = 0;
    const p = new HostTopologyProvider({ sysfsRoot: root }, { now: () => now, maxAgeMs: 1000, pciIdsPaths: [PCI_IDS] });
    const events: (string | undefined)[] = [];
    p.onDidChange((t) => events.push(t && findDevice(t, '0009:01:00.0')?.driver));
    assert.equal(findDevice((await p.get())!, '0009:01:00.0')?.driver, 'vfio-pci');

    // Nothing changed on the host: a re-read fires no event.
    now = 1000;
    p.noteActivity();
    await p.get();

    // Rebind the GPU from vfio-pci to nvidia, as `driverctl` would.
    const gpu = path.join(root, 'devices/pci0009:00/0009:00:00.0/0009:01:00.0');
    unlinkSync(path.join(gpu, 'driver'));
    symlinkSync('../../../../bus/pci/drivers/nvidia', path.join(gpu, 'driver'));
    assert.equal(findDevice((await p.get())!, '0009:01:00.0')?.driver, 'vfio-pci'); // no activity yet
    now = 2000;
    p.noteActivity();
    assert.equal(findDevice((await p.get())!, '0009:01:00.0')?.driver, 'nvidia');
    assert.deepEqual(events, ['vfio-pci', 'nvidia']);
  });
});

describe('onDidChange', () => {
  test('fires on changed content or error only; dispose stops it; a failing listener does not stop others', async () => {
    let answer: SnapshotResult = { topology: topo('a') };
    const p = new HostTopologyProvider({}, { read: async () => answer });
    const seen: string[] = [];
    p.onDidChange(() => {
      throw new Error('listener bug');
    });
    const sub = p.onDidChange((t) => seen.push(`${t?.notes[0]} / ${p.lastError ?? 'ok'}`));
    await p.get();
    await p.refresh(); // same content, new readAt: no event
    answer = { topology: topo('b') };
    await p.refresh();
    answer = { error: 'broken' };
    await p.refresh();
    await p.refresh(); // same error again: no event
    sub.dispose();
    answer = { topology: topo('c') };
    await p.refresh();
    assert.deepEqual(seen, ['a / ok', 'b / ok', 'b / broken']);
  });
});
