/**
 * A host source that cannot be used (a sysfs root that does not exist or is
 * no sysfs tree, a snapshot that is missing) is said as such, on the
 * checker's standard error and in the editor's status and a warning, and is
 * never taken for a host without IOMMUs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run } from './cliRun';
import { buildSysfsFixtures } from './helpers';
import { startClient } from './lspClient';
import type { HostStatus } from '../server/src/protocol';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-host-source-'));
const GRACE_1GPU = path.join(__dirname, '..', 'examples', 'grace-1gpu.xml');
const missing = path.join(dir, 'no-such-root');
const notSysfs = path.join(dir, 'project');
mkdirSync(path.join(notSysfs, 'src'), { recursive: true });
buildSysfsFixtures(dir, 'vm-no-iommu');

test('check --sysfs-root: a missing or non-sysfs root is a note on stderr, and the domain is checked as without any host', async () => {
  const cases: [string, string][] = [
    [missing, `The sysfs root ${missing} does not exist, so no IOMMUs or PCI devices were read.`],
    [notSysfs, `The sysfs root ${notSysfs} has none of class/, bus/, devices/: it is not a sysfs tree, so no IOMMUs or PCI devices were read.`],
  ];
  for (const [root, why] of cases) {
    const r = await run(['check', '--schema', 'off', '--format', 'json', '--sysfs-root', root, GRACE_1GPU]);
    assert.equal(r.err, `libvirt-domain-xml: note: ${why} Host-dependent checks are off.\n`, root);
    const findings = JSON.parse(r.out) as { code: string; message: string }[];
    assert.deepEqual(
      findings.map((f) => f.code),
      ['smmu-map-no-host'],
      root,
    );
    assert.match(findings[0].message, /^Host-dependent checks are off: no host topology is known/, root);
    assert.equal(r.code, 0);
  }
});

test('check --sysfs-root: a real host without IOMMUs gets no such note, and the finding names what the host has', async () => {
  const r = await run(['check', '--schema', 'off', '--format', 'json', '--sysfs-root', path.join(dir, 'vm-no-iommu'), GRACE_1GPU]);
  assert.doesNotMatch(r.err, /not a sysfs tree|does not exist/);
  const findings = JSON.parse(r.out) as { code: string; message: string }[];
  assert.deepEqual(
    findings.map((f) => f.code),
    ['smmu-map-no-host'],
  );
  assert.match(findings[0].message, /has no SMMUv3 \(it reports no IOMMU at all\)/);
});

test('host --sysfs-root: no snapshot is written of a root that is no sysfs tree (exit 2)', async () => {
  const out = path.join(dir, 'nothing.json');
  const r = await run(['host', '--sysfs-root', missing, '--output', out]);
  assert.deepEqual([r.code, r.err], [2, `libvirt-domain-xml: The sysfs root ${missing} does not exist, so no IOMMUs or PCI devices were read.\n`]);
  assert.throws(() => readFileSync(out));
});

test('LSP: a configured sysfs root or snapshot that cannot be used gives a warning and an error status, not "no SMMUv3"', async () => {
  const snapshot = path.join(dir, 'gone.json');
  const cases: [Record<string, string>, string][] = [
    [{ sysfsRoot: missing }, `The sysfs root ${missing} does not exist, so no IOMMUs or PCI devices were read.`],
    [{ sysfsRoot: notSysfs }, `The sysfs root ${notSysfs} has none of class/, bus/, devices/: it is not a sysfs tree, so no IOMMUs or PCI devices were read.`],
    [{ snapshot }, `Host snapshot ${snapshot} does not exist.`],
  ];
  for (const [host, why] of cases) {
    const client = await startClient({ initializationOptions: { host, schema: { enable: false } } });
    try {
      const warning = await client.notification<{ type: number; message: string }>('window/showMessage');
      assert.deepEqual(warning, { type: 2, message: `Libvirt Domain XML: ${why} Host-dependent checks are off until the host setting is fixed.` });
      const status = await client.notification<HostStatus>('libvirtDomainXml/hostStatus');
      assert.deepEqual([status.text, status.kind, status.detail], ['host: unreadable', 'error', why]);
      const uri = 'file:///domains/grace-1gpu.xml';
      await client.open(uri, readFileSync(GRACE_1GPU, 'utf8'), 1);
      const p = await client.diagnostics(uri, 1);
      // (Version findings depend on the virsh of the machine running the test; only the host ones count here.)
      const host = p.diagnostics.filter((d) => String(d.code).startsWith('smmu-map-'));
      assert.deepEqual(
        host.map((d) => d.code),
        ['smmu-map-no-host'],
      );
      assert.match(String(host[0].message), /no host topology is known/);
    } finally {
      await client.stop();
    }
  }
});

test('LSP: a real host without IOMMUs gives no warning', async () => {
  const client = await startClient({ initializationOptions: { host: { sysfsRoot: path.join(dir, 'vm-no-iommu') }, schema: { enable: false } } });
  try {
    const status = await client.notification<HostStatus>('libvirtDomainXml/hostStatus');
    assert.deepEqual([status.text, status.kind], ['no SMMUv3 on this host · sysfs', 'sysfs']);
    assert.deepEqual(
      client.notifications.filter((n) => n.method === 'window/showMessage'),
      [],
    );
  } finally {
    await client.stop();
  }
});
