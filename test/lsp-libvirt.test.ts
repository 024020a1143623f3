/**
 * The editor's libvirt requests, end to end over LSP: the extension's own
 * request module (client/src/libvirt/server.ts) talking to the real server
 * (dist/server.js over stdio), which runs virsh. Against virsh's test driver
 * (test/fixtures/libvirt/test-node.driver; needs libvirt-clients, installed
 * by scripts/install-test-deps.sh, skipped saying so without it), and against
 * stand-ins on the server's PATH for a libvirt that refuses the connection,
 * one that does not answer, and a machine without virsh.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startClient, type TestClient } from './lspClient';
import { LibvirtError, LibvirtServer, libvirtError } from '../client/src/libvirt/server';
import { commandLineText, readableCommandLine } from '../server/src/libvirt/qemuArgv';
import { interfacesNote } from '../server/src/libvirt/native';
import { LIBVIRT_FAILURE_CODE } from '../server/src/protocol';

const NODE_URI = `test://${path.join(__dirname, 'fixtures', 'libvirt', 'test-node.driver')}`;
const REAL_VIRSH = spawnSync('sh', ['-c', 'command -v virsh'], { encoding: 'utf8' }).stdout.trim();
const noVirsh = REAL_VIRSH && spawnSync(REAL_VIRSH, ['--version']).status === 0 ? false : 'virsh is not installed (scripts/install-test-deps.sh installs libvirt-clients)';
if (noVirsh) console.log(`# skipped: the requests against virsh's test driver: ${noVirsh}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-lsp-libvirt-'));
/** What the stand-in prints for domxml-to-native on qemu:///system: libvirt's one shell-quoted line. */
const ARGV = `LC_ALL=C /usr/bin/qemu-system-aarch64 -machine virt,gic-version=3 -device '{"driver":"pxb-pcie","bus_nr":252,"id":"pci.1","bus":"pcie.0"}' -device '{"driver":"arm-smmuv3","primary-bus":"pci.1","id":"iommu0","accel":true}' -msg timestamp=on`;

/**
 * The server's "virsh": by the connection it is given, a daemon that refuses
 * (down.example), one that never answers (silent.example), a qemu:///system
 * that builds ARGV, and the real virsh for test:// connections.
 */
const standIn = path.join(dir, 'bin');
mkdirSync(standIn);
writeFileSync(
  path.join(standIn, 'virsh'),
  `#!/bin/sh
case "$1" in --version) echo 10.0.0; exit 0;; esac
args="$*"
while [ "$#" -gt 0 ] && [ "$1" != "--connect" ]; do shift; done
case "$2" in
  *down.example*) echo "error: failed to connect to the hypervisor" >&2; echo "error: unable to connect to server at 'down.example:22': Connection refused" >&2; exit 1;;
  *silent.example*) exec "${process.execPath}" -e 'setTimeout(() => {}, 30000)';;
  qemu:///system) case "$args" in *domxml-to-native*) printf '%s\\n' '${ARGV.replace(/'/g, "'\\''")}';; *) echo "error: unexpected: $args" >&2; exit 1;; esac;;
  test:*) exec "${REAL_VIRSH || 'false'}" "$@";;
  *) echo "error: no stand-in for $2" >&2; exit 1;;
esac
`,
);
chmodSync(path.join(standIn, 'virsh'), 0o755);
const nothing = path.join(dir, 'empty');
mkdirSync(nothing);

let withVirsh: TestClient | undefined;
let withoutVirsh: TestClient | undefined;
after(async () => {
  await withVirsh?.stop();
  await withoutVirsh?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The extension's request module over a server whose PATH is `bin`, with the editor's settings as given. */
async function libvirtOver(bin: string, settings: Record<string, unknown> = {}): Promise<{ client: TestClient; libvirt: LibvirtServer }> {
  const client = await startClient({ env: { ...process.env, PATH: bin } });
  const libvirt = new LibvirtServer(
    (method, params) => client.connection.sendRequest(method, params),
    (key) => settings[key],
  );
  return { client, libvirt };
}

let standInServer: Promise<{ client: TestClient; libvirt: LibvirtServer }> | undefined;
/** One server for the tests below, virsh being the stand-in (test:// connections reach the real virsh). */
function server(): Promise<LibvirtServer> {
  standInServer ??= libvirtOver(standIn, { 'libvirt.timeoutSeconds': 1 }).then((s) => {
    withVirsh = s.client;
    return s;
  });
  return standInServer.then((s) => s.libvirt);
}

/** Resolves with the LibvirtError the promise rejects with (and fails when it resolves). */
async function failure(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LibvirtError, `a LibvirtError, not ${e}`);
    return { kind: e.kind, message: e.message };
  }
  assert.fail('the request succeeded');
}

// ---------------------------------------------------------------- the test driver

test('list: the domains of a connection with their states, names with spaces, quotes, é and a leading dash as libvirt has them', { skip: noVirsh }, async () => {
  const libvirt = await server();
  assert.deepEqual(await libvirt.domains(NODE_URI), [
    { name: 'web "front" é', state: 'running' },
    { name: '-dash', state: 'running' },
    { name: 'apple', state: 'running' },
  ]);
});

test("read: a domain's persistent definition, byte for byte what virsh dumpxml --inactive prints", { skip: noVirsh }, async () => {
  const libvirt = await server();
  for (const name of ['apple', 'web "front" é', '-dash']) {
    const expected = spawnSync(REAL_VIRSH, ['--connect', NODE_URI, 'dumpxml', '--inactive', '--domain', name], { encoding: 'utf8' }).stdout;
    assert.equal(await libvirt.read(NODE_URI, name), expected);
  }
  assert.deepEqual(await failure(libvirt.read(NODE_URI, 'nope')), {
    kind: 'not-found',
    message: "reading domain 'nope': failed to get domain 'nope'",
  });
});

test('define: the text libvirt accepts is defined; one naming another domain is not sent to libvirt', { skip: noVirsh }, async () => {
  const libvirt = await server();
  const text = await libvirt.read(NODE_URI, 'apple');
  assert.deepEqual(await libvirt.define(NODE_URI, 'apple', text.replace("<memory unit='KiB'>1048576", "<memory unit='KiB'>2097152")), { defined: true });
  assert.deepEqual(await libvirt.define(NODE_URI, 'apple', text.replace('<name>apple</name>', '<name>pear</name>')), {
    defined: false,
    message:
      "Not saved to libvirt: its <name> is 'pear', and this editor holds domain 'apple'; saving would define a second domain. Rename with 'virsh domrename', or keep the name.",
  });
  assert.deepEqual(await libvirt.define(NODE_URI, 'apple', "<domain type='test'/>"), {
    defined: false,
    message: 'Not saved to libvirt: it has no <domain><name>: write <name>apple</name>.',
  });
});

test("define: libvirt's refusal comes back with its words, on the attribute it names", { skip: noVirsh }, async () => {
  const libvirt = await server();
  const text = (await libvirt.read(NODE_URI, 'apple')).replace("busNr='200'", "busNr='255'");
  const result = await libvirt.define(NODE_URI, 'apple', text);
  assert.equal(result.defined, false);
  assert.ok(!result.defined && result.refusal, 'a refusal');
  const line = text.split('\n').findIndex((l) => l.includes("busNr='255'"));
  const column = text.split('\n')[line].indexOf("busNr='255'");
  assert.match(result.message, /^libvirt refused the domain, nothing was changed: .*busNr '255' out of range/);
  assert.deepEqual(
    [result.refusal.code, result.refusal.source, result.refusal.range],
    ['libvirt-refused', 'libvirt', { start: { line, character: column }, end: { line, character: column + "busNr='255'".length } }],
  );
  assert.equal(result.refusal.message, `libvirt refuses this domain: ${result.refusal.detail}`);
});

test('native: a driver without domxml-to-native is one clear error', { skip: noVirsh }, async () => {
  const libvirt = await server();
  const { kind, message } = await failure(libvirt.native('test:///default', "<domain type='test'><name>x</name></domain>", 'x'));
  assert.equal(kind, 'unsupported');
  assert.match(message, /^asking libvirt for the QEMU command line: the driver of test:\/\/\/default cannot do this/);
});

// ---------------------------------------------------------------- stand-ins

test('native: the QEMU command line as the document the editor shows, interfaces left out and said so', async () => {
  const libvirt = await server();
  const text = "<domain type='kvm'>\n  <name>g</name>\n  <devices>\n    <interface type='network'/>\n  </devices>\n</domain>\n";
  const r = readableCommandLine(ARGV);
  assert.deepEqual(await libvirt.native('qemu:///system', text, 'g'), {
    accepted: true,
    text:
      '# QEMU command line libvirt on qemu:///system would run for g (virsh domxml-to-native; nothing defined or started)\n' +
      `# ${interfacesNote(1)}\n${commandLineText(r.parts, r.rest)}`,
  });
  assert.match(commandLineText(r.parts, r.rest), /^# vSMMU, expander and VFIO \(2\)\n-device \{"driver":"pxb-pcie"/);
});

test("a libvirt that refuses the connection: each request is one error saying so, with libvirt's words", async () => {
  const libvirt = await server();
  const uri = 'qemu+ssh://root@down.example/system';
  const expected = {
    kind: 'refused',
    message: `cannot connect to ${uri}: failed to connect to the hypervisor: unable to connect to server at 'down.example:22': Connection refused`,
  };
  assert.deepEqual(await failure(libvirt.domains(uri)), expected);
  assert.deepEqual(await failure(libvirt.read(uri, 'apple')), expected);
  // A save: the error reaches the file system, which fails the save, so the editor keeps the text.
  assert.deepEqual(await failure(libvirt.define(uri, 'apple', '<domain><name>apple</name></domain>')), expected);
});

test('a libvirt that does not answer: stopped at the time limit of the setting, and said so', async () => {
  const libvirt = await server();
  const uri = 'qemu+ssh://root@silent.example/system';
  const started = Date.now();
  assert.deepEqual(await failure(libvirt.domains(uri)), {
    kind: 'timeout',
    message: `listing the domains on ${uri}: virsh gave no answer within 1 s and was stopped.`,
  });
  assert.deepEqual(await failure(libvirt.define(uri, 'apple', '<domain><name>apple</name></domain>')), {
    kind: 'timeout',
    message: `defining apple on ${uri}: virsh gave no answer within 1 s and was stopped.`,
  });
  assert.ok(Date.now() - started < 20_000, 'the stand-in sleeps 30 s; both requests ended at their limit');
});

test('a request without a connection is refused by the server with its reason', async () => {
  const libvirt = await server();
  assert.deepEqual(await failure(libvirt.domains('')), { kind: 'bad-request', message: 'A libvirt request needs a connection URI, such as qemu:///system.' });
});

test('connections: the setting as written; unset, qemu:///system where virsh runs', async () => {
  const { client } = await libvirtOver(standIn);
  try {
    const listed = (setting: unknown) =>
      new LibvirtServer(
        (m, p) => client.connection.sendRequest(m, p),
        () => setting,
      ).connections();
    assert.deepEqual(await listed(null), { connections: ['qemu:///system'] });
    assert.deepEqual(await listed([' qemu+ssh://grace/system ', 7]), {
      connections: ['qemu+ssh://grace/system'],
      note: 'entries of libvirtDomainXml.libvirt.connections that are not URIs were left out.',
    });
  } finally {
    await client.stop();
  }
});

test('a machine without virsh: no default connection (with the reason), and asking one says what to install', async () => {
  const s = await libvirtOver(nothing);
  withoutVirsh = s.client;
  assert.deepEqual(await s.libvirt.connections(), { connections: [], note: 'virsh was not found on this machine, so no libvirt connection is shown by default.' });
  const { kind, message } = await failure(s.libvirt.domains('qemu:///system'));
  assert.equal(kind, 'missing');
  assert.match(message, /^virsh was not found on PATH: install libvirt's client tools \(Debian and Ubuntu: libvirt-clients/);
});

test('a server that does not answer at all: the request fails with that said, and nothing is claimed about libvirt', async () => {
  const s = await libvirtOver(standIn);
  await s.client.stop();
  const { kind, message } = await failure(s.libvirt.define('qemu:///system', 'apple', '<domain><name>apple</name></domain>'));
  assert.equal(kind, 'server');
  assert.match(message, /^The Libvirt Domain XML language server did not answer \(.+\); libvirt was not asked\. Nothing was changed\.$/);
  // The server's own libvirt errors keep their kind and words.
  const auth = libvirtError({ code: LIBVIRT_FAILURE_CODE, message: 'grace7 asks for credentials', data: { kind: 'auth' } });
  assert.deepEqual([auth.kind, auth.message], ['auth', 'grace7 asks for credentials']);
});
