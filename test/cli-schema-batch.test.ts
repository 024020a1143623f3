/**
 * `check --schema` in batches: documents checked together share libxml2
 * runs (the grammar is compiled once per run, not once per file), and each
 * still gets exactly the findings it gets when checked alone.
 *
 * The first part needs nothing installed: how the coalescing engine joins,
 * splits and retries requests, with a scripted engine. The second part runs
 * libxml2 on test/fixtures/schema/*.xml against the installed libvirt
 * schemas and compares batch against one file at a time: the validator's
 * findings, the CLI's JSON report, and worker threads against the main
 * thread. Without the schemas it is skipped (scripts/install-test-deps.sh
 * installs them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SchemaEngineError, type EngineResult, type SchemaEngine, type SchemaSet } from '../server/src/schema/engine';
import { CoalescingEngine } from '../server/src/schema/coalesce';
import { createEngine } from '../server/src/schema/engines';
import { DEFAULT_SCHEMA_DIR, hasDomainSchema } from '../server/src/schema/locate';
import { SchemaValidator } from '../server/src/schema/validator';
import { runCliIn as run } from './cliRun';
import { Checker, SCHEMA_BATCH, type CheckJob, type CheckSetup } from '../server/src/cli/check';
import { checkInWorkers, workersAvailable } from '../server/src/cli/workers';

const FIXTURES = path.join(__dirname, 'fixtures', 'schema');
const FIXTURE_HOST = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');
const HAVE_SCHEMAS = hasDomainSchema(DEFAULT_SCHEMA_DIR);
const SKIP_SCHEMAS = `${path.join(DEFAULT_SCHEMA_DIR, 'domain.rng')} is absent, so libvirt's grammar cannot be run: scripts/install-test-deps.sh installs it`;
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.xml'))
  .sort();

// ---------------------------------------------------------------- coalescing, scripted

const SET: SchemaSet = { dir: '/schemas', main: 'domain.rng', files: new Map() };

/** Answers each text on its own: valid unless it contains "bad"; a run containing "boom" fails as a whole. It records its runs. */
class RecordingEngine implements SchemaEngine {
  readonly name = 'xmllint' as const;
  readonly runs: { texts: string[]; start: string | undefined }[] = [];
  validate(): Promise<never> {
    throw new Error('not used');
  }
  async validateMany(texts: readonly string[], _schema: SchemaSet, start?: string): Promise<EngineResult[]> {
    this.runs.push({ texts: [...texts], start });
    if (texts.includes('boom')) throw new SchemaEngineError('xmllint took longer than 20000 ms and was stopped');
    return texts.map((t) => (t.includes('bad') ? { valid: false, errors: [{ line: 1, element: 'domain', message: `rejects ${t}` }] } : { valid: true, errors: [] }));
  }
}

const ok: EngineResult = { valid: true, errors: [] };
const rejected = (t: string): EngineResult => ({ valid: false, errors: [{ line: 1, element: 'domain', message: `rejects ${t}` }] });

/** What a request ended with: its results, or the error's message. */
async function outcome(p: Promise<EngineResult[]>): Promise<EngineResult[] | string> {
  try {
    return await p;
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  }
}

describe('coalescing engine (scripted engine)', () => {
  test('requests made together with the same start share one run; another start runs next; answers go back to their callers', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner);
    const got = await Promise.all([e.validateMany(['a1', 'bad2'], SET), e.validateMany(['x'], SET, '<ref name="disk"/>'), e.validateMany(['a3'], SET)]);
    assert.deepEqual(inner.runs, [
      { texts: ['a1', 'bad2', 'a3'], start: undefined },
      { texts: ['x'], start: '<ref name="disk"/>' },
    ]);
    assert.deepEqual(got, [[ok, rejected('bad2')], [ok], [ok]]);
    assert.equal(e.runs, 2);
  });

  test('a text asked about several times in a joined run is validated once, and every asker gets its answer', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner);
    const got = await Promise.all([e.validateMany(['a', 'bad-b'], SET), e.validateMany(['bad-b', 'c', 'a'], SET)]);
    assert.deepEqual(
      inner.runs.map((r) => r.texts),
      [['a', 'bad-b', 'c']],
    );
    assert.deepEqual(got, [
      [ok, rejected('bad-b')],
      [rejected('bad-b'), ok, ok],
    ]);
  });

  test('a run takes at most maxTexts documents; one larger request still runs, on its own', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner, { maxTexts: 2 });
    const got = await Promise.all([e.validateMany(['p', 'q', 'r'], SET), e.validateMany(['s'], SET), e.validateMany(['t'], SET), e.validateMany(['bad-u'], SET)]);
    assert.deepEqual(
      inner.runs.map((r) => r.texts),
      [['p', 'q', 'r'], ['s', 't'], ['bad-u']],
    );
    assert.deepEqual(got, [[ok, ok, ok], [ok], [ok], [rejected('bad-u')]]);
  });

  test('a request made after a run started waits for the next run', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner);
    const first = e.validateMany(['a'], SET).then(() => e.validateMany(['c'], SET));
    const second = e.validateMany(['b'], SET);
    assert.deepEqual(await Promise.all([first, second]), [[ok], [ok]]);
    assert.deepEqual(
      inner.runs.map((r) => r.texts),
      [['a', 'b'], ['c']],
    );
  });

  test('when the joined run fails, each request runs alone, and only the one that fails alone reports a failure', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner);
    const got = await Promise.all([outcome(e.validateMany(['a'], SET)), outcome(e.validateMany(['boom'], SET)), outcome(e.validateMany(['bad-c'], SET))]);
    assert.deepEqual(
      inner.runs.map((r) => r.texts),
      [['a', 'boom', 'bad-c'], ['a'], ['boom'], ['bad-c']],
    );
    assert.deepEqual(got, [[ok], 'failed: xmllint took longer than 20000 ms and was stopped', [rejected('bad-c')]]);
  });

  test('a cancelled request gets no run; no texts, no run', async () => {
    const inner = new RecordingEngine();
    const e = new CoalescingEngine(inner);
    const controller = new AbortController();
    controller.abort(new Error('closed'));
    const got = await Promise.all([outcome(e.validateMany(['a'], SET, undefined, controller.signal)), outcome(e.validateMany([], SET))]);
    assert.deepEqual([got, inner.runs.length], [['failed: closed', []], 0]);
  });
});

// ---------------------------------------------------------------- libvirt's grammar: batch against alone

/** Counts the engine runs of the engine `auto` picks. */
class CountingEngine implements SchemaEngine {
  readonly name: SchemaEngine['name'];
  runs = 0;
  constructor(private readonly inner: SchemaEngine) {
    this.name = inner.name;
  }
  validate(text: string, dir: string, signal?: AbortSignal) {
    return this.inner.validate(text, dir, signal);
  }
  validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal) {
    this.runs++;
    return this.inner.validateMany(texts, schema, start, signal);
  }
}

function countingValidator(): { validator: SchemaValidator; engine: CountingEngine } {
  const inner = createEngine('auto');
  if (!inner) throw new Error('no schema engine here (neither xmllint nor xmllint-wasm)');
  const engine = new CountingEngine(inner);
  return { validator: new SchemaValidator({ settings: { directory: DEFAULT_SCHEMA_DIR }, engine }), engine };
}

describe('libvirt schemas: a batch gives each file what it gets alone', () => {
  test('validator: the findings of every fixture, in one batch and one at a time', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    const docs = fixtureFiles.map((f) => ({ uri: `file:///${f}`, text: readFileSync(path.join(FIXTURES, f), 'utf8') }));
    const alone = countingValidator();
    const one: unknown[] = [];
    for (const d of docs) one.push({ findings: await alone.validator.validate(d.uri, 1, d.text) });
    const batch = countingValidator();
    const together = await batch.validator.validateBatch(docs);
    assert.deepEqual(together, one);
    // The batch needs fewer runs than the files do alone: they share them.
    assert.ok(batch.engine.runs < alone.engine.runs / 2, `${batch.engine.runs} runs in a batch, ${alone.engine.runs} one at a time`);
  });

  test('validator: a batch of valid documents costs one libxml2 run', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    const valid = fixtureFiles.filter((f) => f.startsWith('valid-'));
    const { validator, engine } = countingValidator();
    const got = await validator.validateBatch(valid.map((f) => ({ uri: f, text: readFileSync(path.join(FIXTURES, f), 'utf8') })));
    assert.deepEqual([got, engine.runs], [valid.map(() => ({ findings: [] })), 1]);
  });

  test('CLI: the JSON report of all fixtures at once equals the reports of each file checked alone', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    const base = ['check', '--schema', 'auto', '--host', FIXTURE_HOST, '--jobs', '1', '--format', 'json'];
    const together = await run(FIXTURES, [...base, ...fixtureFiles]);
    const alone: unknown[] = [];
    let worst = 0;
    for (const f of fixtureFiles) {
      const r = await run(FIXTURES, [...base, f]);
      assert.equal(r.err, '', f);
      alone.push(...(JSON.parse(r.out) as unknown[]));
      worst = Math.max(worst, r.code);
    }
    assert.deepEqual({ code: together.code, err: together.err, findings: JSON.parse(together.out) as unknown }, { code: worst, err: '', findings: alone });
    // The fixtures carry schema findings of both kinds, so the comparison above compared them.
    const codes = new Set((alone as { code: string }[]).map((f) => f.code));
    assert.deepEqual([codes.has('schema-invalid'), codes.has('schema-newer-libvirt')], [true, true]);
  });

  test('worker threads: the same outcomes, in job order, as the main thread, across several batches', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    if (!workersAvailable()) return t.skip('worker threads cannot be started from here (tsx not found)');
    // Enough copies of the fixtures to fill more than one batch, so batch edges fall mid-list.
    const n = fixtureFiles.length;
    const copies = Array.from({ length: Math.floor(SCHEMA_BATCH / n) + 1 }, (_, i) => `copy${i}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-schema-batch-'));
    try {
      const jobs: CheckJob[] = [];
      for (const copy of copies) {
        mkdirSync(path.join(dir, copy));
        for (const f of fixtureFiles) {
          copyFileSync(path.join(FIXTURES, f), path.join(dir, copy, f));
          jobs.push({ index: jobs.length, name: `${copy}/${f}`, abs: path.join(dir, copy, f), host: 0, discovered: true });
        }
      }
      assert.ok(jobs.length > SCHEMA_BATCH);
      const setup: CheckSetup = { hosts: [undefined], settings: {}, schema: 'auto' };
      const here = await new Checker(setup).checkMany(jobs);
      const there = await checkInWorkers(jobs, setup, 2);
      assert.deepEqual(there, here);
      // Every copy of a file got the same findings, whichever batch it fell in
      // (related places name their own copy's file: that part is set aside).
      const diagnostics = (copy: number) => JSON.parse(JSON.stringify(here.slice(copy * n, (copy + 1) * n).map((o) => o.diagnostics)).replaceAll(`"copy${copy}/`, '"copy/'));
      for (let c = 1; c < copies.length; c++) assert.deepEqual(diagnostics(c), diagnostics(0), copies[c]);
      assert.deepEqual(
        here.map((o) => [o.index, o.status]),
        jobs.map((j) => [j.index, 'checked']),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
