/**
 * The language server's start-up loader (server/src/boot/): it runs the
 * bundle with a V8 code cache, and no state of the cache folder (none yet,
 * damaged, written by another V8, not writable) keeps the bundle from
 * running; a cache that was not used is written afresh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cacheFileName, codeCacheDir, readCacheFile, runWithCodeCache, writeCacheFile } from '../server/src/boot/codeCache';
import { LOADER_IMPORT } from '../server/src/schema/loaderImport';
import { GRAMMAR_STATUS_NOTIFICATION, type GrammarStatus } from '../server/src/protocol';
import { startClient } from './lspClient';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ldx-code-cache-'));

/** A small CommonJS bundle: what it exports proves that it ran, with the module's own require and paths. */
function bundle(name: string, answer = 42): string {
  const file = path.join(tmp, `${name}.js`);
  const body = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join('\n');
  writeFileSync(
    file,
    `${body}\nconst p = require('node:path');\nmodule.exports = { answer: f0(${answer}), dir: p.basename(__dirname), file: p.basename(__filename), self: exports === module.exports };\n`,
  );
  return file;
}

/** What the bundle put in module.exports. */
const exported = (r: { exports: unknown }) => r.exports as { answer: number; dir: string; file: string; self: boolean };

test('code cache: none at first, written on save, used at the next start; the bundle runs as a CommonJS module each time', () => {
  const file = bundle('plain');
  const dir = path.join(tmp, 'cache-a');
  const first = runWithCodeCache(file, dir);
  assert.equal(first.outcome, 'absent');
  const saved = first.save();
  assert.ok('written' in saved, JSON.stringify(saved));
  assert.deepEqual(readdirSync(dir), [path.basename(first.file!)]);
  assert.deepEqual(first.save(), { skipped: 'already saved' });

  const second = runWithCodeCache(file, dir);
  assert.equal(second.outcome, 'used');
  assert.deepEqual(second.save(), { skipped: 'used' });
  assert.equal(exported(second).answer, 42);
});

test('code cache: the bundle imports ES modules through the loader, with and without the cache, and Node says nothing about it', async () => {
  // As schema/loaderImport.ts does: the loader's import(), lent under a symbol. (A script V8 restores from a code
  // cache in a new process cannot import() by itself: the LSP test below starts the server twice to show it.)
  const file = path.join(tmp, 'imports.js');
  writeFileSync(
    file,
    `const lent = globalThis[Symbol.for(${JSON.stringify(Symbol.keyFor(LOADER_IMPORT))})];\nmodule.exports = { os: lent('node:os').then((m) => typeof m.cpus) };\n`,
  );
  const dir = path.join(tmp, 'cache-imports');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    for (const expected of ['absent', 'used']) {
      const r = runWithCodeCache(file, dir);
      assert.equal(r.outcome, expected);
      assert.equal(await (r.exports as { os: Promise<string> }).os, 'function');
      r.save();
    }
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

test('code cache: what the bundle exports and sees (module, exports, require, __dirname, __filename)', () => {
  const file = bundle('exports', 7);
  const r = runWithCodeCache(file, undefined);
  assert.equal(r.outcome, 'off');
  assert.deepEqual(r.save(), { skipped: 'off' });
  assert.deepEqual(exported(r), { answer: 7, dir: path.basename(tmp), file: 'exports.js', self: true });
});

test('code cache: a damaged file is not given to V8, the bundle runs, and the cache is written again', () => {
  const file = bundle('damaged');
  const dir = path.join(tmp, 'cache-b');
  const first = runWithCodeCache(file, dir);
  first.save();
  const cacheFile = first.file!;
  const good = readFileSync(cacheFile);

  // One flipped byte in the data (V8 itself aborts the process on some such files), a cut file, and noise.
  const flipped = Buffer.from(good);
  flipped[flipped.length - 10] ^= 0xff;
  for (const bad of [flipped, good.subarray(0, good.length - 100), Buffer.from('not a cache at all')]) {
    writeFileSync(cacheFile, bad);
    assert.equal(readCacheFile(cacheFile), 'damaged');
    const r = runWithCodeCache(file, dir);
    assert.equal(r.outcome, 'damaged');
    assert.equal(exported(r).answer, 42);
    assert.ok('written' in r.save());
    assert.ok(Buffer.isBuffer(readCacheFile(cacheFile)));
    assert.equal(runWithCodeCache(file, dir).outcome, 'used');
  }
});

test('code cache: a cache V8 rejects (written for another source) is replaced', () => {
  const file = bundle('rejected');
  const dir = path.join(tmp, 'cache-c');
  const cacheFile = path.join(dir, cacheFileName(readFileSync(file)));
  // Well-formed for our header, but V8's data of another script: V8 checks the source and refuses it.
  const other = new vm.Script('(function () { return 1; })');
  writeCacheFile(cacheFile, other.createCachedData());
  const r = runWithCodeCache(file, dir);
  assert.equal(r.outcome, 'rejected');
  assert.equal(exported(r).answer, 42);
  assert.ok('written' in r.save());
  assert.equal(runWithCodeCache(file, dir).outcome, 'used');
});

test('code cache: another bundle or other Node flags get their own file; old files beyond the newest few are removed', () => {
  const a = readFileSync(bundle('one', 1));
  const b = readFileSync(bundle('two', 2));
  assert.notEqual(cacheFileName(a), cacheFileName(b));
  assert.notEqual(cacheFileName(a, ['--max-semi-space-size=2']), cacheFileName(a, ['--max-semi-space-size=2', '--nolazy']));
  assert.equal(cacheFileName(a, ['--x']), cacheFileName(a, ['--x']));

  const dir = path.join(tmp, 'cache-d');
  for (let i = 0; i < 6; i++) runWithCodeCache(bundle(`many${i}`, i), dir).save();
  // The current one and the three newest others.
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.v8cache')).length, 4);
});

test('code cache: a folder that cannot be written leaves the bundle running and says why', () => {
  const file = bundle('unwritable');
  const blocker = path.join(tmp, 'a-file');
  writeFileSync(blocker, '');
  const r = runWithCodeCache(file, path.join(blocker, 'cache'));
  assert.equal(r.outcome, 'absent');
  assert.equal(exported(r).answer, 42);
  const saved = r.save();
  assert.ok('failed' in saved && /a-file/.test(saved.failed), JSON.stringify(saved));
});

test('code cache folder: LDX_CODE_CACHE_DIR, "off" or empty for none, else the platform cache folder', () => {
  assert.equal(codeCacheDir({ LDX_CODE_CACHE_DIR: '/x/y' }, 'linux'), path.resolve('/x/y'));
  assert.equal(codeCacheDir({ LDX_CODE_CACHE_DIR: 'off' }, 'linux'), undefined);
  assert.equal(codeCacheDir({ LDX_CODE_CACHE_DIR: '' }, 'linux'), undefined);
  assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux'), path.join('/xdg', 'libvirt-domain-xml'));
  // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
  assert.equal(codeCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux'), path.join(os.homedir(), '.cache', 'libvirt-domain-xml'));
  assert.equal(codeCacheDir({}, 'darwin'), path.join(os.homedir(), 'Library', 'Caches', 'libvirt-domain-xml'));
  assert.equal(codeCacheDir({ LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, 'win32'), path.join('C:\\Users\\me\\AppData\\Local', 'libvirt-domain-xml', 'Cache'));
});

test('LSP: the server starts on a damaged cache, answers, writes a good cache, and the next start uses it', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp, 'server-cache');
  const cacheFile = path.join(dir, cacheFileName(readFileSync(path.join(__dirname, '..', 'dist', 'languageServer.js')), ['--max-semi-space-size=2', '--expose-gc']));
  mkdirSync(dir, { recursive: true });
  writeFileSync(cacheFile, 'not a cache');
  // With libvirt's schema on, the session loads libxml2, which changes a V8 flag (schema/libxml2Wasm.ts): a
  // cache written after that would be refused by every later start.
  const text = "<domain type='kvm'><name>a</name><memory>1</memory><bogus/><os><type>hvm</type></os></domain>";
  let written: { ino: number; mtimeMs: number } | undefined;
  for (const start of ['damaged', 'cached']) {
    const client = await startClient({ env: { ...process.env, LDX_CODE_CACHE_DIR: dir }, initializationOptions: { libvirtVersion: '12.8.0' } });
    try {
      const uri = 'file:///cache/test.xml';
      await client.open(uri, text, 1);
      const p = await client.diagnostics(uri, 1, (d) => d.diagnostics.some((x) => x.code === 'schema-invalid'));
      assert.ok(p.diagnostics.length > 0);
      if (start === 'damaged') {
        for (let i = 0; i < 60 && !Buffer.isBuffer(readCacheFile(cacheFile)); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(Buffer.isBuffer(readCacheFile(cacheFile)), 'a good cache was written');
        const st = statSync(cacheFile);
        written = { ino: st.ino, mtimeMs: st.mtimeMs };
      } else {
        // Past the time a start without a usable cache writes one (boot/main.ts): this start used it.
        await new Promise((r) => setTimeout(r, 2000));
        const st = statSync(cacheFile);
        assert.deepEqual({ ino: st.ino, mtimeMs: st.mtimeMs }, written, 'the cache was not written again');
      }
      assert.equal(client.stderr(), '');
      // The findings are libxml2's in the server's process on both starts, not its fallback's: a bundle restored
      // from the cache cannot import() libxml2 by itself (schema/loaderImport.ts).
      const logged = client.notifications.filter((n) => n.method === 'window/logMessage').map((n) => (n.params as { message: string }).message);
      assert.deepEqual(
        logged.filter((m) => /libxml2-wasm could not be loaded/.test(m)),
        [],
        start,
      );
      const status = await client.notification<GrammarStatus>(GRAMMAR_STATUS_NOTIFICATION, (g) => g.validation !== undefined);
      assert.match(status.validation ?? '', /^Schema validation: libxml2 in the language server/, start);
    } finally {
      await client.stop();
    }
  }
});

test('LSP: a cache folder that cannot be written: the server works and says so once in its log', { timeout: 30_000 }, async () => {
  const blocker = path.join(tmp, 'blocks-the-cache');
  writeFileSync(blocker, '');
  const client = await startClient({ env: { ...process.env, LDX_CODE_CACHE_DIR: path.join(blocker, 'cache') } });
  try {
    const uri = 'file:///cache/test.xml';
    await client.open(uri, "<domain type='kvm'><name>a</name></domain>", 1);
    await client.diagnostics(uri, 1);
    for (let i = 0; i < 60 && !client.stderr(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(client.stderr(), /^The code cache was not written \(.*blocks-the-cache.*\); starts stay slower\.\n$/);
  } finally {
    await client.stop();
  }
});
