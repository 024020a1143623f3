/**
 * libvirt through virsh: the client module (with stand-in programs for the
 * ways a connection goes wrong), check --connect and native against
 * virsh's built-in test driver, and the pieces that read libvirt's answers
 * (the QEMU command line, the element a refusal names).
 *
 * The test driver needs bookworm's virsh (libvirt-clients, installed by
 * scripts/install-test-deps.sh); without it those tests are skipped, saying so.
 * The same commands against a real libvirt 12.8 daemon are in
 * test/libvirt-referee.test.ts (npm run test:all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run } from './cliRun';
import { VirshConnection, VirshError, classifyFailure, parseDaemonVersion, parseDomainTable, runVirsh } from '../server/src/libvirt/virsh';
import { qemuArguments, readableCommandLine, splitShellWords } from '../server/src/libvirt/qemuArgv';
import { locateRefusal, refusalDiagnostic } from '../server/src/libvirt/refusal';
import { withoutInterfaces } from '../server/src/libvirt/domainXml';
import { isLocalUri } from '../server/src/cli/connection';

const NODE = path.join(__dirname, 'fixtures', 'libvirt', 'test-node.driver');
const NODE_URI = `test://${NODE}`;
const HOST = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');
const VIRSH = spawnSync('virsh', ['--version'], { encoding: 'utf8' });
const noVirsh = VIRSH.status === 0 ? false : 'virsh is not installed (scripts/install-test-deps.sh installs libvirt-clients)';
if (noVirsh) console.log(`# skipped: the virsh tests: ${noVirsh}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-libvirt-'));

/** A stand-in for virsh: a shell script given as the program to run. */
function fakeVirsh(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- the client

test('virsh: the arguments reach virsh as given, after the connection, with --readonly for reading', async () => {
  const echo = fakeVirsh('echo-args', 'for a in "$@"; do printf "[%s]\\n" "$a"; done');
  const out = await new VirshConnection('qemu+ssh://root@grace/system', { program: echo }).dumpXml(`it's "a vm" é -x`);
  assert.equal(out, ['[--readonly]', '[--connect]', '[qemu+ssh://root@grace/system]', '[dumpxml]', '[--inactive]', '[--domain]', `[it's "a vm" é -x]`, ''].join('\n'));
});

test('virsh: not installed -> one message naming the package', async () => {
  await assert.rejects(
    new VirshConnection('qemu:///system', { program: path.join(dir, 'no-such-virsh') }).domainNames(),
    (e: VirshError) => e.kind === 'missing' && /was not found on PATH: install libvirt's client tools \(Debian and Ubuntu: libvirt-clients/.test(e.message),
  );
});

test('virsh: a credential prompt ends the run at once, without waiting for the time limit', async () => {
  const prompt = fakeVirsh('prompt', 'printf "Please enter your authentication name: "; read answer; echo "read: $answer" >&2; sleep 30');
  const started = Date.now();
  await assert.rejects(
    runVirsh('qemu+ssh://grace/system', ['list'], { readOnly: true, purpose: 'listing' }, { program: prompt, timeoutMs: 20_000 }),
    (e: VirshError) => e.kind === 'auth' && /^qemu\+ssh:\/\/grace\/system asks for credentials that cannot be typed here/.test(e.message),
  );
  assert.ok(Date.now() - started < 10_000, 'the prompt was answered by ending virsh, not by the time limit');
});

test('virsh: standard input is closed, so a prompt that reads an answer gets end-of-file', async () => {
  const reads = fakeVirsh('reads', 'if read answer; then echo "got [$answer]"; else echo "error: authentication failed: no answer" >&2; exit 1; fi');
  await assert.rejects(
    runVirsh('qemu:///system', ['list'], { readOnly: true, purpose: 'listing' }, { program: reads }),
    (e: VirshError) => e.kind === 'auth' && e.detail === 'authentication failed: no answer',
  );
});

test('virsh: past the time limit the whole process group is killed and the message says how long it waited', async () => {
  const pidFile = path.join(dir, 'hang.pid');
  const hang = fakeVirsh('hang', `sleep 30 & echo $! > '${pidFile}'; wait`);
  await assert.rejects(
    runVirsh('qemu:///system', ['list'], { readOnly: true, purpose: 'listing the domains' }, { program: hang, timeoutMs: 300 }),
    (e: VirshError) => e.kind === 'timeout' && e.message === 'listing the domains on qemu:///system: virsh gave no answer within 0.3 s and was stopped.',
  );
  const sleeper = Number(readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 50 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(sleeper), false, 'the child of virsh was killed with it');
});

test('virsh: what virsh says on failure is classified, its "error:" prefixes removed', () => {
  const cases: [string, VirshError['kind'], string][] = [
    [
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused",
      'refused',
      "cannot connect to qemu:///system: failed to connect to the hypervisor: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused",
    ],
    [
      'error: read only access prevents virConnectDomainXMLToNative',
      'read-only',
      'doing it needs a read-write connection to qemu:///system, and this one is read-only: read only access prevents virConnectDomainXMLToNative',
    ],
    ['error: failed to connect to the hypervisor\nerror: authentication failed: Failed to collect auth credentials', 'auth', ''],
    ['error: Permission denied (publickey,password).', 'auth', ''],
    ["error: failed to get domain 'x'", 'not-found', "doing it: failed to get domain 'x'"],
    ['error: this function is not supported by the connection driver: virConnectDomainXMLToNative', 'unsupported', ''],
    ['error: something else', 'failed', 'doing it on qemu:///system failed: something else'],
  ];
  for (const [stderr, kind, message] of cases) {
    const detail = stderr
      .split('\n')
      .map((l) => l.replace(/^error: /, ''))
      .join(': ');
    const e = classifyFailure(detail, 'qemu:///system', 'doing it');
    assert.equal(e.kind, kind, stderr);
    if (message) assert.equal(e.message, message);
  }
});

test('virsh: the read-write run gets no --readonly, its temporary copy is 0600 in a 0700 directory and gone afterwards', async () => {
  // domxml-to-native's file is the 7th argument: --connect URI domxml-to-native --format qemu-argv --xml FILE
  const inspect = fakeVirsh(
    'inspect',
    'case "$1" in --readonly) echo "unexpected --readonly"; exit 1;; esac\nstat -c "%a" "$7"; stat -c "%a" "$(dirname "$7")"; cat "$7"; printf "\\n%s\\n" "$7"',
  );
  const out = await new VirshConnection('qemu:///system', { program: inspect }).toNative('<domain/>', 'vm.xml');
  const [fileMode, dirMode, content, copy] = out.split('\n');
  assert.deepEqual([fileMode, dirMode, content], ['600', '700', '<domain/>']);
  assert.equal(existsSync(copy), false, 'the copy is removed');
  assert.equal(existsSync(path.dirname(copy)), false, 'its directory too');
});

test("virsh: libvirt refusing the XML is a rejection, with the copy's path replaced by the name the user knows", async () => {
  const refuse = fakeVirsh('refuse', 'echo "error: Failed to define domain from $5" >&2; echo "error: XML error: an os <type> must be specified" >&2; exit 1');
  await assert.rejects(
    new VirshConnection('qemu:///system', { program: refuse }).define('<domain/>', 'my vm'),
    (e: VirshError) => e.kind === 'rejected' && e.detail === 'Failed to define domain from my vm: XML error: an os <type> must be specified',
  );
});

test('virsh list: states are read for names with spaces, longest name first', () => {
  const table = ' 1    web front   running\n -    web         shut off\n 3    a  b c      paused\n';
  assert.deepEqual(parseDomainTable(table, ['web', 'web front', 'a  b c', 'gone']), [
    { name: 'web', state: 'shut off' },
    { name: 'web front', state: 'running' },
    { name: 'a  b c', state: 'paused' },
    { name: 'gone', state: 'no state' },
  ]);
});

test("virsh version: the daemon release, not the client's", () => {
  const text = 'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 11.1.3\nRunning against daemon: 12.8.0\n';
  assert.equal(parseDaemonVersion(text), '12.8.0');
  assert.equal(parseDaemonVersion('Compiled against library: libvirt 9.0.0\n'), undefined);
});

test('connection URIs: local without a host part or on localhost, remote otherwise', () => {
  const local = ['qemu:///system', 'test:///default', 'qemu+unix:///system?socket=/r/run/libvirt/libvirt-sock', 'qemu+ssh://root@localhost/system', 'qemu:///session'];
  const remote = ['qemu+ssh://root@grace7/system', 'qemu+tcp://10.0.0.7:16509/system', 'qemu+tls://grace.example/system'];
  assert.deepEqual(
    local.map(isLocalUri),
    local.map(() => true),
  );
  assert.deepEqual(
    remote.map(isLocalUri),
    remote.map(() => false),
  );
});

test('virsh against the test driver: names with spaces, quotes, non-ASCII letters and a leading dash round-trip', { skip: noVirsh }, async () => {
  const conn = new VirshConnection(NODE_URI);
  assert.deepEqual(await conn.domains(), [
    { name: 'web "front" é', state: 'running' },
    { name: '-dash', state: 'running' },
    { name: 'apple', state: 'running' },
  ]);
  for (const name of ['web "front" é', '-dash']) {
    const xml = await conn.dumpXml(name);
    const escaped = name.replace(/"/g, '&quot;');
    assert.match(xml, new RegExp(`<name>${escaped}</name>`));
  }
  assert.match((await conn.daemonVersion()) ?? '', /^\d+\.\d+\.\d+$/);
});

test('virsh against the test driver: a domain that is not there', { skip: noVirsh }, async () => {
  await assert.rejects(new VirshConnection('test:///default').dumpXml('nope'), (e: VirshError) => e.kind === 'not-found');
});

// ---------------------------------------------------------------- check --connect

test('check --connect --all-domains: each domain under its name, by name, as the same checks of its XML as a file', { skip: noVirsh }, async () => {
  const r = await run(['check', '--connect', NODE_URI, '--all-domains', '--host', HOST, '--schema', 'off', '--format', 'json']);
  assert.equal(r.code, 1);
  const findings = JSON.parse(r.out) as { file: string; code: string; range: unknown }[];
  assert.deepEqual(
    findings.map((f) => [f.file, f.code]),
    [
      ['apple', 'controller-busnr-duplicate'],
      ['web "front" é', 'iommu-model-machine'],
    ],
  );
  // The verdict is the file checker's on what virsh dumpxml --inactive prints.
  const conn = new VirshConnection(NODE_URI);
  for (const name of ['apple', 'web "front" é']) {
    const file = path.join(dir, `${name.replace(/\W/g, '_')}.xml`);
    writeFileSync(file, await conn.dumpXml(name));
    const asFile = JSON.parse((await run(['check', '--host', HOST, '--schema', 'off', '--format', 'json', file])).out) as typeof findings;
    assert.deepEqual(
      findings.filter((f) => f.file === name).map(({ code, range }) => ({ code, range })),
      asFile.map(({ code, range }) => ({ code, range })),
    );
  }
});

test('check --connect: the summary names the connection and the daemon release the version checks use', { skip: noVirsh }, async () => {
  const r = await run(['check', '--connect', NODE_URI, '--all-domains', '--host', HOST, '--schema', 'off']);
  assert.match(r.err, new RegExp(`^3 domains on ${NODE_URI.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(libvirt \\d+\\.\\d+\\.\\d+\\) checked: 2 errors, 0 warnings$`, 'm'));
  assert.match(r.out, /^web "front" é:\d+:\d+: error iommu-model-machine: /m);
});

test('check --connect --domain: only the domains named; one that is not there is reported and the run exits 2', { skip: noVirsh }, async () => {
  const r = await run([
    'check',
    '--connect',
    NODE_URI,
    '--domain',
    'web "front" é',
    '--domain',
    'nope',
    '--domain',
    '-dash',
    '--host',
    HOST,
    '--schema',
    'off',
    '--format',
    'json',
  ]);
  assert.equal(r.code, 2);
  assert.deepEqual([...new Set((JSON.parse(r.out) as { file: string }[]).map((f) => f.file))], ['web "front" é']);
  assert.match(r.err, new RegExp(`no domain named 'nope' on ${NODE_URI.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
});

test('check --connect: SARIF names each domain and carries the connection in the run properties', { skip: noVirsh }, async () => {
  const r = await run(['check', '--connect', NODE_URI, '--all-domains', '--host', HOST, '--schema', 'off', '--format', 'sarif']);
  const log = JSON.parse(r.out) as { runs: { properties: Record<string, unknown>; results: { locations: { physicalLocation: { artifactLocation: unknown } }[] }[] }[] };
  const run0 = log.runs[0];
  assert.equal(run0.properties.connection, NODE_URI);
  assert.match(String(run0.properties.libvirtRelease), /^\d+\.\d+\.\d+$/);
  assert.deepEqual(
    run0.results.map((x) => x.locations[0].physicalLocation.artifactLocation),
    [{ uri: 'apple' }, { uri: 'web%20%22front%22%20%C3%A9' }],
  );
});

test('check --connect: a connection that cannot be made is one message and exit 2', async () => {
  const refused = fakeVirsh(
    'refused',
    "echo 'error: failed to connect to the hypervisor' >&2; echo \"error: Failed to connect socket to '/run/libvirt/libvirt-sock-ro': No such file or directory\" >&2; exit 1",
  );
  const old = process.env.PATH;
  // The CLI runs "virsh" from PATH: put the stand-in first under that name.
  const bin = mkdtempSync(path.join(dir, 'bin-'));
  writeFileSync(path.join(bin, 'virsh'), readFileSync(refused));
  chmodSync(path.join(bin, 'virsh'), 0o755);
  process.env.PATH = `${bin}:${old}`;
  try {
    const r = await run(['check', '--connect', 'qemu:///system', '--all-domains']);
    assert.deepEqual(
      [r.code, r.out, r.err],
      [
        2,
        '',
        "libvirt-domain-xml: cannot connect to qemu:///system: failed to connect to the hypervisor: Failed to connect socket to '/run/libvirt/libvirt-sock-ro': No such file or directory\n",
      ],
    );
  } finally {
    process.env.PATH = old;
  }
});

test('check --connect: usage errors', async () => {
  const cases: [string[], RegExp][] = [
    [['check', '--connect', 'test:///default'], /needs --all-domains or --domain NAME/],
    [['check', '--all-domains'], /--all-domains and --domain need --connect URI/],
    [['check', '--connect', 'test:///default', '--all-domains', 'vm.xml'], /takes no FILE \('vm\.xml'\)/],
    [['check', '--connect', 'test:///default', '--all-domains', '--domain', 'x'], /not both/],
    [['check', '--connect', 'test:///default', '--all-domains', '--timeout', '0'], /--timeout needs seconds/],
    [['native', 'vm.xml'], /native needs --connect URI/],
    [['native', '--connect', 'qemu:///system'], /exactly one FILE/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
});

// ---------------------------------------------------------------- native

/** A stand-in virsh that answers domxml-to-native with this command line, or refuses with this message. */
function nativeVirsh(name: string, answer: { argv?: string; refusal?: string }): string {
  const script =
    answer.argv !== undefined
      ? `cat <<'EOF'\n${answer.argv}\nEOF`
      : `printf '%s\\n' 'error: internal error: process exited while connecting' ${JSON.stringify(`error: ${answer.refusal}`)} >&2; exit 1`;
  return fakeVirsh(name, script);
}

async function withVirshOnPath<T>(program: string, body: () => Promise<T>): Promise<T> {
  const bin = mkdtempSync(path.join(dir, 'bin-'));
  writeFileSync(path.join(bin, 'virsh'), readFileSync(program));
  chmodSync(path.join(bin, 'virsh'), 0o755);
  const old = process.env.PATH;
  process.env.PATH = `${bin}:${old}`;
  try {
    return await body();
  } finally {
    process.env.PATH = old;
  }
}

const ARGV_12_8 = `LC_ALL=C PATH=/usr/bin HOME=/var/lib/libvirt/qemu/domain--1-g /usr/bin/qemu-system-aarch64 -name guest=g,debug-threads=on -S -machine virt-11.1,usb=off,gic-version=3 -object '{"qom-type":"iommufd","id":"iommufd0"}' -device '{"driver":"pxb-pcie","bus_nr":252,"id":"pci.1","bus":"pcie.0","addr":"0x1"}' -device '{"driver":"pcie-root-port","port":0,"chassis":2,"id":"pci.2","bus":"pci.1","addr":"0x0"}' -device '{"driver":"pcie-root-port","port":8,"chassis":3,"id":"pci.3","bus":"pcie.0","addr":"0x2"}' -device '{"driver":"arm-smmuv3","primary-bus":"pci.1","id":"iommu0","accel":true}' -device '{"driver":"vfio-pci","host":"0009:01:00.0","id":"hostdev0","iommufd":"iommufd0","bus":"pci.2","addr":"0x0"}' -msg timestamp=on`;

test('native: the command line one option per line, the vSMMU, expander and VFIO parts first', async () => {
  const domain = path.join(dir, 'grace.xml');
  writeFileSync(domain, "<domain type='kvm'>\n  <name>g</name>\n</domain>\n");
  const r = await withVirshOnPath(nativeVirsh('accept', { argv: ARGV_12_8 }), () => run(['native', '--connect', 'qemu:///system', domain]));
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    [
      '# vSMMU, expander and VFIO (5)',
      '-object {"qom-type":"iommufd","id":"iommufd0"}',
      '-device {"driver":"pxb-pcie","bus_nr":252,"id":"pci.1","bus":"pcie.0","addr":"0x1"}',
      '-device {"driver":"pcie-root-port","port":0,"chassis":2,"id":"pci.2","bus":"pci.1","addr":"0x0"}',
      '-device {"driver":"arm-smmuv3","primary-bus":"pci.1","id":"iommu0","accel":true}',
      '-device {"driver":"vfio-pci","host":"0009:01:00.0","id":"hostdev0","iommufd":"iommufd0","bus":"pci.2","addr":"0x0"}',
      "# the rest, in libvirt's order",
      'LC_ALL=C',
      'PATH=/usr/bin',
      'HOME=/var/lib/libvirt/qemu/domain--1-g',
      '/usr/bin/qemu-system-aarch64',
      '-name guest=g,debug-threads=on',
      '-S',
      '-machine virt-11.1,usb=off,gic-version=3',
      '-device {"driver":"pcie-root-port","port":8,"chassis":3,"id":"pci.3","bus":"pcie.0","addr":"0x2"}',
      '-msg timestamp=on',
      '',
    ].join('\n'),
  );
});

const REFUSED = `<domain type='kvm'>
  <name>g</name>
  <devices>
    <iommu model='nestedSmmuv3'/>
  </devices>
</domain>
`;

test("native: libvirt's refusal is a diagnostic on the element it names, exit 1, in text, JSON and SARIF", async () => {
  const domain = path.join(dir, 'refused.xml');
  writeFileSync(domain, REFUSED);
  const virsh = nativeVirsh('refuse-model', { refusal: "XML error: Invalid value for attribute 'model' in element 'iommu': 'nestedSmmuv3'." });
  const message =
    "libvirt refuses this domain: internal error: process exited while connecting: XML error: Invalid value for attribute 'model' in element 'iommu': 'nestedSmmuv3'.";
  await withVirshOnPath(virsh, async () => {
    const text = await run(['native', '--connect', 'qemu:///system', domain]);
    assert.equal(text.code, 1);
    assert.equal(text.out, `${domain}:4:12: error libvirt-refused: ${message}\n`);
    const json = await run(['native', '--connect', 'qemu:///system', '--format', 'json', domain]);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.out) as { accepted: boolean; arguments: unknown[]; findings: { code: string; range: unknown; message: string }[] };
    assert.deepEqual(
      [parsed.accepted, parsed.arguments, parsed.findings.map((f) => [f.code, f.range, f.message])],
      [false, [], [['libvirt-refused', { start: { line: 3, character: 11 }, end: { line: 3, character: 31 } }, message]]],
    );
    const sarif = await run(['native', '--connect', 'qemu:///system', '--format', 'sarif', domain]);
    assert.equal(sarif.code, 1);
    const result = (JSON.parse(sarif.out) as { runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { region: unknown } }[] }[] }[] }).runs[0]
      .results[0];
    assert.deepEqual(
      [result.ruleId, result.level, result.locations[0].physicalLocation.region],
      ['libvirt-refused', 'error', { startLine: 4, startColumn: 12, endLine: 4, endColumn: 32 }],
    );
  });
});

test('native: a read-only connection is told apart from a refusal (exit 2)', async () => {
  const ro = fakeVirsh('ro', 'echo "error: read only access prevents virConnectDomainXMLToNative" >&2; exit 1');
  const domain = path.join(dir, 'ro.xml');
  writeFileSync(domain, REFUSED);
  const r = await withVirshOnPath(ro, () => run(['native', '--connect', 'qemu:///system', domain]));
  assert.deepEqual([r.code, r.out], [2, '']);
  assert.match(r.err, /asking libvirt for the QEMU command line needs a read-write connection to qemu:\/\/\/system, and this one is read-only/);
});

test('native: <interface> elements are left out of what libvirt sees, and the run says so', async () => {
  const domain = path.join(dir, 'nic.xml');
  writeFileSync(
    domain,
    "<domain type='kvm'>\n  <devices>\n    <interface type='network'>\n      <source network='default'/>\n    </interface>\n    <disk type='file'/>\n  </devices>\n</domain>\n",
  );
  // The stand-in prints the copy it was given (the 7th argument) as its "command line".
  const show = fakeVirsh('show-copy', 'tr "\\n" " " < "$7"');
  const r = await withVirshOnPath(show, () => run(['native', '--connect', 'qemu:///system', domain]));
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.out, /interface/);
  assert.match(r.out, /<disk/);
  assert.match(r.err, /1 <interface> element was left out of the copy given to libvirt: for them libvirt opens \/dev\/net\/tun and can create tap devices/);
});

test('native against the test driver: a driver without domxml-to-native is one message, exit 2', { skip: noVirsh }, async () => {
  const r = await run(['native', '--connect', 'test:///default', path.join(__dirname, '..', 'examples', 'grace-1gpu.xml')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /the driver of test:\/\/\/default cannot do this/);
});

// ---------------------------------------------------------------- reading libvirt's answers

test('shell words: quotes, escapes and continuations as libvirt writes them', () => {
  assert.deepEqual(splitShellWords(`A=1 /usr/bin/q -device '{"a":"b c"}' -x "d\\"e" f\\ g \\\n-y 'it'\\''s'`), [
    'A=1',
    '/usr/bin/q',
    '-device',
    '{"a":"b c"}',
    '-x',
    'd"e',
    'f g',
    '-y',
    "it's",
  ]);
});

test('QEMU arguments: the older key=value form and -machine iommu=smmuv3 are recognised too', () => {
  const args = qemuArguments([
    '/usr/bin/q',
    '-machine',
    'virt,iommu=smmuv3',
    '-device',
    'pxb-pcie,bus_nr=250,id=pci.1',
    '-device',
    'vfio-pci,host=0009:01:00.0',
    '-device',
    'virtio-net-pci,id=n',
  ]);
  assert.deepEqual(
    args.map((a) => a.part ?? '-'),
    ['-', 'vsmmu', 'expander', 'vfio', '-'],
  );
  assert.deepEqual(readableCommandLine('/usr/bin/q -S').parts, []);
});

test('refusals: each message libvirt 12.8 gave lands on the element it names', () => {
  const domain = `<domain type='kvm'>
  <os><type arch='aarch64' machine='virt'>hvm</type></os>
  <devices>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='255'/>
    </controller>
    <iommu model='smmuv3'>
      <driver pciBus='7' accel='on'/>
    </iommu>
    <iommu model='intel'>
      <driver accel='on'/>
    </iommu>
  </devices>
</domain>`;
  const at = (message: string) => {
    const r = locateRefusal(domain, message);
    return r && domain.slice(r.start, r.end);
  };
  assert.equal(at("PCI controller busNr '255' out of range - must be 1-254"), "busNr='255'");
  assert.equal(at('Could not find a suitable controller for smmuv3'), "model='smmuv3'");
  assert.equal(at("iommu model 'intel' doesn't support some additional attributes"), "model='intel'");
  assert.equal(at('Extra element devices in interleave'), 'devices');
  assert.equal(at('internal error: something unexpected'), 'domain');
});

test("refusals: the diagnostic is an error of libvirt's, on the root when nothing is named", () => {
  const d = refusalDiagnostic("<domain type='kvm'>\n</domain>\n", 'internal error: boom');
  assert.deepEqual(d, {
    range: { start: { line: 0, character: 1 }, end: { line: 0, character: 7 } },
    severity: 1,
    code: 'libvirt-refused',
    source: 'libvirt',
    message: 'libvirt refuses this domain: internal error: boom',
  });
});

test('interfaces: cut with their indentation and line; nested <interface> elsewhere is not a device', () => {
  const text = "<domain>\n  <devices>\n    <interface type='user'/>\n    <disk/>\n    <interface type='network'>\n      <x/>\n    </interface>\n  </devices>\n</domain>\n";
  assert.deepEqual(withoutInterfaces(text), { text: '<domain>\n  <devices>\n    <disk/>\n  </devices>\n</domain>\n', removed: 2 });
  assert.deepEqual(withoutInterfaces('<domain><os><interface/></os></domain>'), { text: '<domain><os><interface/></os></domain>', removed: 0 });
});
