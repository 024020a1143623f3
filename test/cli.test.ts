/**
 * The command-line checker: formats, exit codes, standard input, host
 * snapshots. Most cases call `main()` in-process; one runs the bundled bin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run } from './cliRun';

const BROKEN = `<domain type='kvm'>\n  <devices>\n    <hostdev mode='subsystem' type='pci'>\n  </devices>\n</domain>\n`;
const CLEAN = `<domain type='kvm'>\n  <name>ok</name>\n</domain>\n`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-cli-'));
const brokenFile = path.join(dir, 'broken.xml');
const cleanFile = path.join(dir, 'clean.xml');
writeFileSync(brokenFile, BROKEN);
writeFileSync(cleanFile, CLEAN);
const HOST = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');

test('check: text output like a compiler, exit 1 on errors', async () => {
  const r = await run(['check', '--host', HOST, brokenFile]);
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    new RegExp(`^${brokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:6: error xml-unclosed-element: Element <hostdev> is never closed: add </hostdev>\\.$`, 'm'),
  );
  assert.match(r.err, /^1 file checked: \d+ errors?, \d+ warnings?$/m);
});

test('check: a clean file exits 0 and prints nothing on stdout', async () => {
  const r = await run(['check', '--host', HOST, cleanFile]);
  assert.deepEqual([r.code, r.out], [0, '']);
});

test('check: JSON output has LSP zero-based ranges and severity names', async () => {
  const r = await run(['check', '--host', HOST, '--format', 'json', brokenFile]);
  const findings = JSON.parse(r.out) as { file: string; range: unknown; severity: string; code: string; message: string }[];
  const unclosed = findings.find((f) => f.code === 'xml-unclosed-element');
  assert.deepEqual(unclosed, {
    file: brokenFile,
    range: { start: { line: 2, character: 5 }, end: { line: 2, character: 12 } },
    severity: 'error',
    code: 'xml-unclosed-element',
    message: 'Element <hostdev> is never closed: add </hostdev>.',
  });
});

test('check: reads standard input with -', async () => {
  const r = await run(['check', '--host', HOST, '--format', 'json', '-'], BROKEN);
  assert.equal(r.code, 1);
  assert.ok((JSON.parse(r.out) as { file: string }[]).every((f) => f.file === '<stdin>'));
});

test('check: usage and I/O problems exit 2 with a message on stderr', async () => {
  const cases: [string[], RegExp][] = [
    [['check'], /check needs at least one FILE/],
    [['check', '--format', 'xml', cleanFile], /unknown format 'xml'/],
    [['check', '--bogus', cleanFile], /unknown option '--bogus'/],
    [['lint', cleanFile], /unknown command 'lint'/],
    [['check', '--host', HOST, path.join(dir, 'missing.xml')], /cannot read .*missing\.xml: ENOENT/],
    [['check', '--host', path.join(dir, 'nope.json'), cleanFile], /nope\.json/],
    [['check', '--host', HOST, '--sysfs-root', dir, cleanFile], /not both/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message, args.join(' '));
  }
});

test('usage: no arguments print the usage on stderr and exit 2; --help prints it on stdout and exits 0', async () => {
  const none = await run([]);
  assert.deepEqual([none.code, none.out], [2, '']);
  assert.match(none.err, /^Usage: libvirt-domain-xml <command>/);
  for (const args of [['--help'], ['help'], ['check', '--help']]) {
    const help = await run(args);
    assert.deepEqual([help.code, help.err], [0, ''], args.join(' '));
    assert.match(help.out, /^Usage: libvirt-domain-xml <command>/, args.join(' '));
  }
});

test('check: an empty directory and a glob that matches nothing are both usage problems (exit 2), each named', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'ldx-cli-empty-'));
  const dirRun = await run(['check', '--host', HOST, empty]);
  assert.deepEqual([dirRun.code, dirRun.out], [2, '']);
  assert.match(dirRun.err, new RegExp(`^libvirt-domain-xml: no \\*\\.xml files in ${empty}$`, 'm'));
  const globRun = await run(['check', '--host', HOST, path.join(empty, '*.xml')]);
  assert.deepEqual([globRun.code, globRun.out], [2, '']);
  assert.match(globRun.err, /^libvirt-domain-xml: no files match '.*\*\.xml'$/m);
});

test('check: a snapshot that is not JSON is an I/O problem, not a crash', async () => {
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"version": 1, "iommus": [');
  const r = await run(['check', '--host', bad, cleanFile]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.json/);
});

test('host: writes a snapshot of a fixture sysfs tree that check can load', async () => {
  const fixtures = path.join(dir, 'sysfs');
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'make-host-fixtures.mjs'), fixtures, 'grace-hopper']);
  const out = path.join(dir, 'gh.json');
  const r = await run(['host', '--sysfs-root', path.join(fixtures, 'grace-hopper'), '--output', out]);
  assert.equal(r.code, 0);
  const snap = JSON.parse(readFileSync(out, 'utf8')) as { version: number; iommus: { name: string; devices: string[] }[]; numaNodes: unknown };
  assert.equal(snap.version, 3);
  assert.deepEqual(snap.numaNodes, [
    { id: 0, cpus: '0-71' },
    { id: 1, cpus: '' },
  ]);
  assert.deepEqual(snap.iommus.find((i) => i.devices.includes('0009:01:00.0'))?.name, 'smmu3.0x0000000016000000');
  const check = await run(['check', '--host', out, cleanFile]);
  assert.equal(check.code, 0);
});

test('the bundled bin runs and prints its usage', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'dist', 'cli.js'), '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: libvirt-domain-xml <command>/);
});

test('check | head -1: a reader that goes away ends the bundled bin as SIGPIPE would, without a stack trace, in every format', async () => {
  // 4 000 findings: far more output than a pipe buffers, so writing goes on after the reader left.
  const many = path.join(dir, 'many-findings.xml');
  writeFileSync(many, `<domain type='kvm'>\n${'  <x a=b/>\n'.repeat(4000)}</domain>\n`);
  for (const format of ['text', 'json', 'sarif']) {
    const child = spawn(process.execPath, [
      path.join(__dirname, '..', 'dist', 'cli.js'),
      'check',
      '--schema',
      'off',
      '--max-findings',
      '0',
      '--host',
      HOST,
      '--format',
      format,
      many,
    ]);
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.deepEqual({ status, signal }, { status: null, signal: 'SIGPIPE' }, `${format}: ${err}`);
    assert.doesNotMatch(err, /EPIPE|Error|at /, format);
  }
});
