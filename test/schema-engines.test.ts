/**
 * The in-process schema engine (libxml2-wasm, libvirt's grammar compiled
 * once) against the reference verdict, the system xmllint: every domain of
 * the repository and of the peer corpus gets the same verdict and the same
 * messages on the same lines and elements from both; the schema findings
 * built on them (which also validate single elements against start
 * patterns) are the same; and what the engine hands to its fallback
 * (large documents, undeclared namespace prefixes) comes back in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { elementOf, InProcessEngine, LARGE_DOCUMENT, MAX_COMPILED_STARTS } from '../server/src/schema/engineInProcess';
import { XmllintEngine, systemXmllintAvailable } from '../server/src/schema/engineXmllint';
import type { EngineResult, SchemaEngine, SchemaSet } from '../server/src/schema/engine';
import { SchemaEngineError } from '../server/src/schema/engine';
import { checkText, DEFAULT_SCHEMA_SETTINGS, prepareSchema, type SchemaSetup } from '../server/src/schema/validator';
import { loadSchema } from '../server/src/schema/rng';
import { corpusInputs, repositoryInputs } from './referee/inputs';
import { SHIPPED_SCHEMAS, SKIP_NO_SHIPPED_SCHEMAS } from './helpers';

const MINI = path.join(__dirname, 'fixtures', 'schema', 'mini');
const HAVE_XMLLINT = systemXmllintAvailable();
const SKIP_XMLLINT = 'xmllint not found on PATH: run scripts/install-test-deps.sh';
const HAVE_SHIPPED = existsSync(path.join(SHIPPED_SCHEMAS, 'domain.rng'));

async function setOf(dir: string): Promise<SchemaSet> {
  const s = await loadSchema(dir);
  return { dir, main: s.main, files: new Map(s.files.map((f) => [f.name, f.text])) };
}

/** An engine that passes everything to another and keeps what it was given. */
class Recording implements SchemaEngine {
  readonly name = 'xmllint' as const;
  readonly seen: string[] = [];
  constructor(private readonly inner: SchemaEngine) {}
  validate(text: string, dir: string, signal?: AbortSignal) {
    this.seen.push(text);
    return this.inner.validate(text, dir, signal);
  }
  validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    this.seen.push(...texts);
    return this.inner.validateMany(texts, schema, start, signal);
  }
}

const MINI_VALID = `<domain type='kvm'>\n  <name>a</name>\n  <devices>\n    <disk type='file'><target dev='vda'/></disk>\n  </devices>\n</domain>\n`;
const MINI_TYPO = `<domain type='kvm'>\n  <name>a</name>\n  <memory>lots</memory>\n</domain>\n`;

test('xmllint paths name elements as xmllint does: local name, no position', () => {
  assert.deepEqual(['/domain/devices/disk[2]', "/domain/*[name()='x:y']", '/domain/qemu:commandline/qemu:arg[3]', '/domain/text()[2]', '', undefined].map(elementOf), [
    'disk',
    'y',
    'arg',
    undefined,
    undefined,
    undefined,
  ]);
});

test('the mini grammar: a valid document passes, a wrong value is named on its line', async () => {
  const engine = new InProcessEngine();
  const schema = await setOf(MINI);
  const [ok, bad] = await engine.validateMany([MINI_VALID, MINI_TYPO], schema);
  assert.deepEqual(ok, { valid: true, errors: [] });
  assert.equal(bad.valid, false);
  assert.ok(
    bad.errors.some((e) => e.line === 3 && e.element === 'memory'),
    JSON.stringify(bad.errors),
  );
});

test('a document libxml2 cannot read is not well-formed, with its parser messages', async () => {
  const [r] = await new InProcessEngine().validateMany(['<domain type="kvm"><name>a</domain>'], await setOf(MINI));
  assert.equal(r.valid, false);
  assert.equal(r.notWellFormed, true);
  assert.ok(r.errors.length > 0 && r.errors.every((e) => e.parserError && e.line === 1), JSON.stringify(r.errors));
  assert.match(r.errors[0].message, /Opening and ending tag mismatch: name line 1 and domain/);
});

test('large documents and undeclared prefixes go to the fallback engine and come back in order', async (t) => {
  if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
  const fallback = new Recording(new XmllintEngine());
  const engine = new InProcessEngine({ fallback });
  const schema = await setOf(MINI);
  const large = MINI_VALID.replace('<name>', `<!-- ${'x'.repeat(LARGE_DOCUMENT)} --><name>`);
  const prefixed = MINI_VALID.replace('<name>a</name>', '<name>a</name><q:extra/>');
  const results = await engine.validateMany([MINI_TYPO, large, MINI_VALID, prefixed], schema);
  assert.deepEqual(fallback.seen, [large, prefixed]);
  assert.deepEqual(engine.fellBack, { large: 1, namespace: 1, unavailable: 0 });
  assert.deepEqual(
    results.map((r) => r.valid),
    [false, true, true, false],
  );
  // What xmllint says of the prefixed document: the namespace error and the element the grammar does not allow.
  assert.deepEqual(
    results[3].errors.map((e) => e.message),
    (await new XmllintEngine().validateMany([prefixed], schema))[0].errors.map((e) => e.message),
  );
  assert.ok(results[3].errors.some((e) => /Namespace prefix q on extra is not defined/.test(e.message)));
});

test('without a fallback, the engine validates large documents itself', async () => {
  const engine = new InProcessEngine();
  const large = MINI_TYPO.replace('<name>', `<!-- ${'x'.repeat(LARGE_DOCUMENT)} --><name>`);
  const [r] = await engine.validateMany([large], await setOf(MINI));
  assert.equal(r.valid, false);
  assert.deepEqual(engine.fellBack, { large: 0, namespace: 0, unavailable: 0 });
});

test('when libxml2-wasm cannot load, the fallback validates and the log says why, once', async (t) => {
  if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
  const log: string[] = [];
  const fallback = new Recording(new XmllintEngine());
  const engine = new InProcessEngine({ fallback, load: () => Promise.reject(new Error('no WebAssembly here')), log: (m) => log.push(m) });
  const schema = await setOf(MINI);
  const first = await engine.validateMany([MINI_VALID], schema);
  const second = await engine.validateMany([MINI_TYPO], schema);
  assert.deepEqual([first[0].valid, second[0].valid], [true, false]);
  assert.deepEqual(fallback.seen, [MINI_VALID, MINI_TYPO]);
  assert.deepEqual(log, ['schema: libxml2-wasm could not be loaded (no WebAssembly here); validating with xmllint']);
  assert.equal(await engine.describe(), 'xmllint (libxml2 could not be loaded in the language server: no WebAssembly here)');
});

test('the engine says how it validates: libxml2 in process, with its fallback for large documents', async () => {
  assert.equal(await new InProcessEngine({ fallback: new XmllintEngine() }).describe(), 'libxml2 in the language server (xmllint for documents over 256 KB)');
  assert.equal(await new InProcessEngine().describe(), 'libxml2 in the language server');
  assert.equal(
    await new InProcessEngine({ load: () => Promise.reject(new Error('no WebAssembly here')) }).describe(),
    'none (libxml2 could not be loaded in the language server: no WebAssembly here)',
  );
});

test('when libxml2-wasm cannot load and there is no fallback, the run fails with a clear error', async () => {
  const engine = new InProcessEngine({ load: () => Promise.reject(new Error('no WebAssembly here')) });
  await assert.rejects(engine.validateMany([MINI_VALID], await setOf(MINI)), (e: unknown) => e instanceof SchemaEngineError && /could not be loaded/.test(e.message));
});

test('a grammar that does not compile gives libxml2 own reason', async () => {
  const schema: SchemaSet = {
    dir: '/nowhere',
    main: 'domain.rng',
    files: new Map([['domain.rng', `<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><ref name="nope"/></start></grammar>`]]),
  };
  await assert.rejects(
    new InProcessEngine().validateMany([MINI_VALID], schema),
    (e: unknown) => e instanceof SchemaEngineError && /could not compile the grammar: .*nope/.test(e.message),
  );
});

test('start patterns: each compiled once, evicted beyond the limit, compiled again when asked again', async () => {
  const engine = new InProcessEngine();
  const schema = await setOf(MINI);
  const disk = `<disk type='file'><target dev='vda'/></disk>`;
  const floppy = `<disk type='floppy'><target dev='fda'/></disk>`;
  const starts = Array.from({ length: MAX_COMPILED_STARTS + 2 }, (_, i) => `<choice><ref name="disk"/>${'<notAllowed/>'.repeat(i)}</choice>`);
  for (const s of starts) assert.deepEqual(await engine.validateMany([disk], schema, s), [{ valid: true, errors: [] }]);
  // The first was evicted: asking again must compile it again, not use a freed grammar.
  const [again, bad] = await engine.validateMany([disk, floppy], schema, starts[0]);
  assert.deepEqual(again, { valid: true, errors: [] });
  assert.deepEqual(bad.valid, false);
  assert.deepEqual(bad, (await engine.validateMany([floppy], schema, starts[1]))[0]);
  assert.ok(
    bad.errors.some((e) => e.element === 'disk' && e.line === 1),
    JSON.stringify(bad.errors),
  );
});

test('grammars: the last two sets stay compiled; an older one asked again is compiled again', async () => {
  const engine = new InProcessEngine();
  const [a, b, c] = [await setOf(MINI), await setOf(MINI), await setOf(MINI)];
  for (const set of [a, b, c, a, b]) assert.deepEqual(await engine.validateMany([MINI_VALID, MINI_TYPO], set).then((r) => r.map((x) => x.valid)), [true, false]);
});

test('a cancelled run is abandoned with an AbortError', async () => {
  const c = new AbortController();
  c.abort();
  await assert.rejects(new InProcessEngine().validateMany([MINI_VALID], await setOf(MINI), undefined, c.signal), { name: 'AbortError' });
});

/** Every domain file of the repository and the corpus beside it. */
function domains(): { name: string; text: string }[] {
  const corpus = corpusInputs();
  if (corpus.skipped) console.log(`# schema engines: ${corpus.skipped}; the repository's domains only`);
  return [...repositoryInputs(), ...corpus.inputs];
}

test("libvirt 12.8: every domain gets xmllint's verdict, lines, elements and messages from the in-process engine", async (t) => {
  if (!HAVE_SHIPPED) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
  if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
  const schema = await setOf(SHIPPED_SCHEMAS);
  const docs = domains();
  const fallback = new Recording(new XmllintEngine());
  const ours = await new InProcessEngine({ fallback }).validateMany(
    docs.map((d) => d.text),
    schema,
  );
  const reference = await new XmllintEngine().validateMany(
    docs.map((d) => d.text),
    schema,
  );
  // A document libxml2 cannot read is only "not well-formed" (the checks skip it, our parser reports why):
  // libxml2 releases word the aftermath of a parser error differently, so only that verdict is compared.
  const answer = (r: EngineResult) => (r.notWellFormed ? { valid: false, notWellFormed: true } : r);
  const differ = docs.filter((_, i) => !isDeepStrictEqual(answer(ours[i]), answer(reference[i]))).map((d) => d.name);
  assert.deepEqual(differ, []);
  const invalid = reference.filter((r) => !r.valid).length;
  console.log(`# schema engines: ${docs.length} domains, ${invalid} invalid, ${fallback.seen.length} handed to xmllint; all answers equal`);
  // The comparison means something only if both kinds are there, and most were answered in process.
  assert.ok(invalid > 10 && docs.length - invalid > 10, `${invalid} of ${docs.length} invalid`);
  assert.ok(fallback.seen.length < 5, `${fallback.seen.length} handed over`);
});

test('libvirt 12.8: schema findings (narrowed to nodes with start patterns) are the same with either engine', async (t) => {
  if (!HAVE_SHIPPED) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
  if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
  const settings = { ...DEFAULT_SCHEMA_SETTINGS, targetVersion: '12.8.0' };
  const locate = { shippedDir: SHIPPED_SCHEMAS, defaultDir: path.join(SHIPPED_SCHEMAS, 'none'), pathEnv: '' };
  const inProcess = (await prepareSchema(settings, locate, new InProcessEngine())) as SchemaSetup;
  const xmllint = (await prepareSchema(settings, locate, new XmllintEngine())) as SchemaSetup;
  assert.ok(!('unavailable' in inProcess) && !('unavailable' in xmllint));
  const dir = path.join(__dirname, 'fixtures', 'schema');
  const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  let findings = 0;
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const [a, b] = [await checkText(text, inProcess), await checkText(text, xmllint)];
    assert.deepEqual(a, b, f);
    findings += a.findings.length;
  }
  assert.ok(findings >= 15, `${findings} findings over ${files.length} files`);
});
