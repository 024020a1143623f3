/**
 * What the checker is given, before what it says: empty input, binary files,
 * encodings and roots other than <domain>. A file named on the command line
 * (or standard input) must be a domain; files found by walking a directory
 * are skipped when they are not, and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run } from './cliRun';
import { decodeXmlBytes } from '../server/src/xml/decode';

const HOST = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');
const CLEAN = `<domain type='kvm'>\n  <name>ok</name>\n</domain>\n`;
const BROKEN = `<domain type='kvm'>\n  <devices>\n    <hostdev mode='subsystem' type='pci'>\n  </devices>\n</domain>\n`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-cli-input-'));
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => {
  const b = Buffer.from(s, 'utf16le');
  b.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), b]);
};
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);

function put(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** `line:col code` of each finding, from the text report of one file. */
async function findings(file: string): Promise<{ code: number; lines: string[] }> {
  const r = await run(['check', '--schema', 'off', '--host', HOST, file]);
  return {
    code: r.code,
    lines: r.out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(file.length + 1).replace(/^(\d+:\d+): (\w+) ([\w-]+): .*$/, '$1 $2 $3')),
  };
}

test('a named file that is empty, white space, binary or not rooted in <domain> is an error (exit 1), each with its code', async () => {
  const cases: [string, string | Buffer, string[]][] = [
    ['empty.xml', '', ['1:1 error xml-empty']],
    ['blank.xml', '  \n\t\n', ['1:1 error xml-empty']],
    ['image.xml', PNG, ['1:1 error xml-not-text']],
    ['domian.xml', "<domian type='kvm'><name>x</name></domian>\n", ['1:2 error xml-root-not-domain']],
    ['Domain.xml', "<Domain type='kvm'><name>x</name></Domain>\n", ['1:2 error xml-root-not-domain']],
    ['network.xml', '<network><name>n</name></network>\n', ['1:2 error xml-root-not-domain']],
  ];
  for (const [name, content, expected] of cases) {
    assert.deepEqual(await findings(put(name, content)), { code: 1, lines: expected }, name);
  }
  const near = await run(['check', '--schema', 'off', '--host', HOST, path.join(dir, 'domian.xml')]);
  assert.match(near.out, /The root element is <domian>, not <domain>: .* Write <domain>\.$/m);
  const empty = await run(['check', '--schema', 'off', '--host', HOST, path.join(dir, 'empty.xml')]);
  assert.match(empty.out, /The input is empty: there is no <domain> to check \(when it comes from `virsh dumpxml`, that command failed\)\.$/m);
});

test('--skip-non-domain (in the pre-commit hook entry): named non-domains are skipped and counted; standard input still must be a domain', async () => {
  const named = ['network.xml', 'empty.xml', 'image.xml'].map((f) => path.join(dir, f));
  const r = await run(['check', '--schema', 'off', '--host', HOST, '--skip-non-domain', ...named, put('named-vm.xml', BROKEN)]);
  assert.deepEqual([r.code, r.err], [1, '1 file checked: 1 error, 0 warnings; 3 files without a <domain> root skipped\n']);
  const stdin = await run(['check', '--schema', 'off', '--host', HOST, '--skip-non-domain', '-'], '');
  assert.match(stdin.out, /^<stdin>:1:1: error xml-empty: /);
});

test('empty standard input (virsh dumpxml failed) is an error, not a pass', async () => {
  for (const stdin of ['', Buffer.alloc(0), '\n']) {
    const r = await run(['check', '--schema', 'off', '--host', HOST, '-'], stdin);
    assert.equal(r.code, 1);
    assert.match(r.out, /^<stdin>:1:1: error xml-empty: /);
  }
});

test('a directory walk skips empty, binary and non-domain files, checks the domain, and says how many it skipped', async () => {
  const fleet = path.join(dir, 'fleet');
  put('fleet/vm.xml', BROKEN);
  put('fleet/empty.xml', '');
  put('fleet/image.xml', PNG);
  put('fleet/net.xml', '<network/>');
  put('fleet/domian.xml', '<domian/>');
  const text = await run(['check', '--schema', 'off', '--host', HOST, fleet]);
  assert.equal(text.code, 1);
  assert.deepEqual(
    text.out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[0]),
    [path.join(fleet, 'vm.xml')],
  );
  assert.equal(text.err, '1 file checked: 1 error, 0 warnings; 4 files without a <domain> root skipped\n');
  // Other formats say it on standard error too.
  const json = await run(['check', '--schema', 'off', '--host', HOST, '--format', 'json', fleet]);
  assert.equal(json.err, 'libvirt-domain-xml: note: 4 files without a <domain> root skipped\n');
  assert.equal((await run(['check', '--schema', 'off', '--host', HOST, '--format', 'json', '--quiet', fleet])).err, '');
});

test('a UTF-8 byte order mark is legal: no finding for a clean file, and the same places as without it for a broken one', async () => {
  assert.deepEqual(await findings(put('bom-clean.xml', Buffer.concat([BOM, Buffer.from(CLEAN)]))), { code: 0, lines: [] });
  const withBom = await findings(put('bom-broken.xml', Buffer.concat([BOM, Buffer.from(`<?xml version="1.0"?>\n${BROKEN}`)])));
  const without = await findings(put('nobom-broken.xml', `<?xml version="1.0"?>\n${BROKEN}`));
  assert.deepEqual(withBom, without);
  assert.deepEqual(without.lines, ['4:6 error xml-unclosed-element']);
  const stdin = await run(['check', '--schema', 'off', '--host', HOST, '-'], Buffer.concat([BOM, Buffer.from(CLEAN)]));
  assert.deepEqual([stdin.code, stdin.out], [0, '']);
});

test('UTF-16 (either byte order, with its mark) is decoded and checked, with one encoding error instead of a page of invalid names', async () => {
  for (const [name, encode] of [
    ['le', utf16le],
    ['be', utf16be],
  ] as const) {
    const clean = await findings(put(`utf16${name}-clean.xml`, encode(`<?xml version="1.0" encoding="UTF-16"?>\n${CLEAN}`)));
    assert.deepEqual(clean, { code: 1, lines: ['1:1 error xml-encoding'] }, name);
    const broken = await findings(put(`utf16${name}-broken.xml`, encode(BROKEN)));
    assert.deepEqual(broken, { code: 1, lines: ['1:1 error xml-encoding', '3:6 error xml-unclosed-element'] }, name);
  }
  const r = await run(['check', '--schema', 'off', '--host', HOST, path.join(dir, 'utf16le-clean.xml')]);
  assert.match(
    r.out,
    /xml-encoding: This file is UTF-16 \(little-endian, by its byte order mark\); it was checked as such, but libvirt reads domain XML as UTF-8 and refuses it\. Convert it: iconv -f UTF-16 -t UTF-8\.$/m,
  );
});

test('bytes that are not UTF-8 get one encoding error naming the byte; the rest is still checked', async () => {
  const latin1 = Buffer.from(`<domain type='kvm'>\n  <description>caf\xe9</description>\n</domain>\n`, 'latin1');
  const file = put('latin1.xml', latin1);
  // Line 1 is 20 bytes and '  <description>caf' 18 more: the é is byte 38, on line 2 at column 19.
  assert.deepEqual(await findings(file), { code: 1, lines: ['2:19 error xml-encoding'] });
  const r = await run(['check', '--schema', 'off', '--host', HOST, file]);
  assert.match(r.out, /Not UTF-8: byte 38 \(0xe9\) starts no UTF-8 character/);
});

test('decodeXmlBytes: marks, byte orders, zero bytes and broken UTF-8', () => {
  const cases: [string, Uint8Array, string, unknown][] = [
    ['utf-8', Buffer.from('<a/>'), '<a/>', undefined],
    ['utf-8 with mark', Buffer.concat([BOM, Buffer.from('<a/>')]), '<a/>', undefined],
    ['utf-16le with mark', utf16le('<a/>'), '<a/>', { kind: 'utf16', bigEndian: false, bom: true }],
    ['utf-16be with mark', utf16be('<a/>'), '<a/>', { kind: 'utf16', bigEndian: true, bom: true }],
    ['utf-16le without mark', Buffer.from('<a/>', 'utf16le'), '<a/>', { kind: 'utf16', bigEndian: false, bom: false }],
    ['binary', PNG, '', { kind: 'binary', byteOffset: 8 }],
    ['cut short', Buffer.from([0x3c, 0x61, 0xc3]), '<a\ufffd', { kind: 'invalid-utf8', byteOffset: 2, byte: 0xc3, at: 2 }],
    ['surrogate', Buffer.from([0x3c, 0xed, 0xa0, 0x80]), '<\ufffd\ufffd\ufffd', { kind: 'invalid-utf8', byteOffset: 1, byte: 0xed, at: 1 }],
    ['empty', Buffer.alloc(0), '', undefined],
  ];
  for (const [name, bytes, text, problem] of cases) assert.deepEqual(decodeXmlBytes(bytes), problem ? { text, problem } : { text }, name);
});
