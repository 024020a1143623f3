/**
 * scripts/wasmBeside.mjs: the WebAssembly a module carries inline (libxml2-wasm's
 * 819 KB, as one string literal) is written to a file beside the bundle and read
 * from there; and the built dist/libxml2.mjs loads it that way and validates.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..');
/** The smallest valid WebAssembly module: magic and version, no sections. */
const EMPTY_MODULE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const raw = String.fromCharCode(...EMPTY_MODULE);

// The build scripts are ES modules; this test file is CommonJS.
let extractInlineWasm: (source: string, wasmName: string, where?: string) => { bytes: Uint8Array; contents: string };
before(async () => {
  ({ extractInlineWasm } = await import('../scripts/wasmBeside.mjs'));
});

test('an inline binary in a single-quoted string of raw characters is taken out and read from the file', () => {
  const source = `var pa;\nfunction ea(a) { return a; }\npa ??= ea('${raw}');\nexport default pa;\n`;
  const { bytes, contents } = extractInlineWasm(source, 'm.wasm');
  assert.deepEqual([...bytes], EMPTY_MODULE);
  assert.equal(
    contents,
    `import { readFileSync as __wasmBesideRead } from 'node:fs';\nvar pa;\nfunction ea(a) { return a; }\npa ??= __wasmBesideRead(new URL("./m.wasm", import.meta.url));\nexport default pa;\n`,
  );
});

test('an inline binary in a template literal of escapes gives the bytes the escapes mean', () => {
  // A custom section named "`" holding "\\": the escapes a template literal needs for them.
  const source = 'x = decode(`\\0asm\\x01\\0\\0\\0\\0\\x03\\x01\\`\\\\`);';
  const { bytes, contents } = extractInlineWasm(source, 'b.wasm');
  assert.deepEqual([...bytes], [...EMPTY_MODULE, 0x00, 0x03, 0x01, 0x60, 0x5c]);
  assert.ok(contents.endsWith('x = __wasmBesideRead(new URL("./b.wasm", import.meta.url));'), contents);
});

test('a module with no inline binary, or two, or one that is not WebAssembly, fails the build with the reason', () => {
  assert.throws(
    () => extractInlineWasm('export default 1;', 'm.wasm', 'pkg.mjs'),
    /pkg\.mjs: expected one inline WebAssembly binary, found 0; scripts\/wasmBeside\.mjs needs updating/,
  );
  assert.throws(() => extractInlineWasm(`f('${raw}'); g('${raw}');`, 'm.wasm'), /found 2/);
  assert.throws(() => extractInlineWasm(`f('\\0asm\\x02');`, 'm.wasm'), /not valid WebAssembly/);
  assert.throws(() => extractInlineWasm(`f('\\0asm\u0100');`, 'm.wasm'), /character above U\+00FF/);
  assert.throws(() => extractInlineWasm('f(`\\0asm${x}`);', 'm.wasm'), /substitution/);
  assert.throws(() => extractInlineWasm(`f('${raw}', 1);`, 'm.wasm'), /not a call's only argument/);
});

test('the built dist/libxml2.mjs holds no inline binary, reads dist/libxml2raw.wasm, and validates with it', () => {
  const mjs = path.join(root, 'dist', 'libxml2.mjs');
  assert.ok(existsSync(mjs), 'dist/libxml2.mjs is built by npm run build (npm test builds first)');
  const text = readFileSync(mjs, 'utf8');
  assert.equal(/\\0asm|\0asm/.test(text), false, 'an inline WebAssembly binary is left in dist/libxml2.mjs');
  assert.ok(text.length < 300_000, `dist/libxml2.mjs is ${text.length} characters`);
  const script = `
    const { XmlDocument, RelaxNGValidator } = await import(${JSON.stringify(pathToFileURL(mjs).href)});
    const grammar = XmlDocument.fromString('<element name="a" xmlns="http://relaxng.org/ns/structure/1.0"><empty/></element>');
    const v = RelaxNGValidator.fromDoc(grammar);
    const verdict = (xml) => { try { v.validate(XmlDocument.fromString(xml)); return 'valid'; } catch (e) { return e.details?.[0]?.message.trim() ?? String(e); } };
    console.log(JSON.stringify([verdict('<a/>'), verdict('<b/>')]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['valid', 'Expecting element a, got b']);
});
