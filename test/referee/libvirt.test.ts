/**
 * check --connect, native and a refused define against the real libvirt
 * 12.8 daemon of the referee (scripts/referee.sh, docs/referee.md), through
 * the product's own client: the virsh on PATH (bookworm's 9.0, installed by
 * scripts/install-test-deps.sh) talking to the daemon's socket. Run by
 * `npm run test:all`; skipped, saying why, where the referee or virsh is missing.
 *
 * The domains are the repository's examples with the stand-ins a machine
 * without KVM needs (type='qemu', cpu mode 'maximum'); each test defines what
 * it uses under a name of its own and undefines it afterwards (the product
 * never undefines anything; the test cleans up after itself).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run } from '../cliRun';
import { VirshConnection, VirshError } from '../../server/src/libvirt/virsh';
import { Referee } from './referee';

let referee: Referee | undefined;
let URI = '';
let skip: string | false = spawnSync('virsh', ['--version']).status === 0 ? false : 'no virsh on PATH (scripts/install-test-deps.sh installs libvirt-clients)';
let conn: VirshConnection;

before(() => {
  if (skip) return;
  const opened = Referee.open();
  if ('skip' in opened) {
    skip = opened.skip;
    return;
  }
  referee = opened.referee;
  URI = referee.uri;
  conn = new VirshConnection(URI, { timeoutMs: 60_000 });
});

const ROOT = path.join(__dirname, '..', '..');
const HOST = path.join(ROOT, 'examples', 'hosts', 'grace-3smmu.json');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-referee-'));
const defined: string[] = [];

/** An example as the referee can run it: no KVM (type qemu, cpu maximum), under another name. */
function example(file: string, name: string): string {
  return readFileSync(path.join(ROOT, 'examples', file), 'utf8')
    .replace(/<domain type='kvm'>/, "<domain type='qemu'>")
    .replace(/<cpu mode='host-passthrough'>/, "<cpu mode='maximum'>")
    .replace(/<name>[^<]*<\/name>/, `<name>${name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')}</name>`);
}

async function define(name: string, xml: string): Promise<void> {
  await conn.define(xml, name);
  defined.push(name);
}

after(() => {
  for (const name of defined) spawnSync('virsh', ['--connect', URI, 'undefine', '--nvram', '--domain', name], { stdio: 'ignore', timeout: 30_000 });
  referee?.close();
});

test('referee: check --connect --all-domains lints what the 12.8 daemon holds, under each name, against its release', async (t) => {
  if (skip) return t.skip(skip);
  await define('ldx grace "2gpu" é', example('grace-2gpu.xml', 'ldx grace "2gpu" é'));
  // libvirt accepts two GPUs of different host SMMUs under one expander; the kernel would refuse the second at start.
  await define('ldx-mixed', example('broken-mixed-smmus.xml', 'ldx-mixed'));
  const r = await run(['check', '--connect', URI, '--all-domains', '--host', HOST, '--format', 'json']);
  const findings = JSON.parse(r.out) as { file: string; code: string; severity: string }[];
  assert.deepEqual(
    findings.filter((f) => f.file === 'ldx-mixed' && f.severity === 'error').map((f) => f.code),
    ['smmu-map-mixed'],
  );
  assert.deepEqual(
    findings.filter((f) => f.file === 'ldx grace "2gpu" é' && f.severity === 'error'),
    [],
  );
  assert.equal(r.code, 1);
  const text = await run(['check', '--connect', URI, '--domain', 'ldx-mixed', '--host', HOST]);
  assert.match(text.err, /^1 domain on .* \(libvirt 12\.8\.\d+\) checked: 1 error, \d+ warnings?$/m);
  assert.match(text.out, /^ldx-mixed:\d+:\d+: error smmu-map-mixed: /m);
});

test('referee: native prints the command line of an accepted domain, vSMMU, expander and VFIO first', async (t) => {
  if (skip) return t.skip(skip);
  const file = path.join(dir, 'grace-2gpu.xml');
  writeFileSync(file, example('grace-2gpu.xml', 'ldx-native'));
  const r = await run(['native', '--connect', URI, file]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0], /^# vSMMU, expander and VFIO \(\d+\)$/);
  const parts = lines.slice(1, lines.indexOf("# the rest, in libvirt's order"));
  assert.ok(
    parts.some((l) => /^-device \{"driver":"pxb-pcie",.*"bus_nr":252/.test(l)),
    parts.join('\n'),
  );
  assert.ok(
    parts.some((l) => /^-device \{"driver":"arm-smmuv3","primary-bus":"pci\.1",.*"accel":true/.test(l)),
    parts.join('\n'),
  );
  assert.ok(
    parts.some((l) => /^-object \{"qom-type":"iommufd","id":"iommufd0"\}$/.test(l)),
    parts.join('\n'),
  );
  assert.equal(parts.filter((l) => /"driver":"vfio-pci".*"iommufd":"iommufd0"/.test(l)).length, 2);
  assert.ok(lines.some((l) => /^\/usr\/bin\/qemu-system-aarch64$/.test(l)));
});

test("referee: native turns libvirt's refusal into a diagnostic on the element it names, exit 1", async (t) => {
  if (skip) return t.skip(skip);
  const file = path.join(dir, 'nested.xml');
  writeFileSync(file, example('grace-1gpu.xml', 'ldx-refused').replace(/<iommu model='smmuv3'>/, "<iommu model='nestedSmmuv3'>"));
  const text = readFileSync(file, 'utf8');
  const r = await run(['native', '--connect', URI, '--format', 'json', file]);
  assert.equal(r.code, 1, r.err);
  const { findings } = JSON.parse(r.out) as { findings: { code: string; message: string; range: { start: { line: number; character: number } } }[] };
  assert.equal(findings.length, 1);
  assert.equal(findings[0].code, 'libvirt-refused');
  assert.match(findings[0].message, /Invalid value for attribute 'model' in element 'iommu'/);
  const line = text.split('\n')[findings[0].range.start.line];
  assert.equal(line.slice(findings[0].range.start.character).startsWith("model='nestedSmmuv3'"), true, line);
});

test('referee: a refused save leaves the domain byte-identical in libvirt', async (t) => {
  if (skip) return t.skip(skip);
  const name = 'ldx-save';
  await define(name, example('grace-1gpu.xml', name));
  const before = await conn.dumpXml(name);
  const broken = before.replace(/busNr='\d+'/, "busNr='255'");
  assert.notEqual(broken, before);
  await assert.rejects(conn.define(broken, name), (e: VirshError) => e.kind === 'rejected' && /busNr '255' out of range/.test(e.detail));
  assert.equal(await conn.dumpXml(name), before);
});
