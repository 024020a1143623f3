/**
 * The benchmark comparison (bench/compare.ts) as a pure function: two
 * results in, a verdict per figure out. No timing happens here: the figures
 * are written into the inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, figuresOf, timingMismatch, type BenchMachine, type BenchResults } from '../bench/compare';

const QUIET: BenchMachine = { cpus: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', platform: 'linux x64', loadBefore: 0.9, loadAfter: 1.1, loadMax: 1.3, mode: 'full' };

/** A results.json with one in-process size, one LSP size, a cold start and a bundle. */
function run(
  o: { edit?: [number, number]; completion?: [number, number]; publish?: [number, number]; rested?: number; bytes?: number; burst?: number; machine?: Partial<BenchMachine> } = {},
): BenchResults {
  const st = ([median, min]: [number, number]) => ({ median, p95: median * 2, min, runs: 100 });
  return {
    machine: { ...QUIET, ...o.machine },
    bundle: { bytes: o.bytes ?? 500_000, gzip: 140_000 },
    inProcess: [
      { label: '50 KB', editToDiagnostics: st(o.edit ?? [0.35, 0.29]), completionHostdevSource: { ...st(o.completion ?? [0.04, 0.035]), items: 301 }, ratioToXmldom: 0.3 },
    ],
    lsp: [{ label: '50 KB', editToPublish: st(o.publish ?? [123, 121]), publishesForBurst: o.burst ?? 1, restedRssMB: o.rested ?? 87, burstGapMs: 7 }],
    coldStart: { firstDiagnostics: st([205, 199]), idleRssMB: st([77, 76]) },
    targets: [{ what: 'x', met: true }],
  };
}

const verdictOf = (before: BenchResults, after: BenchResults, key: string) => compareResults(before, after).rows.find((r) => r.key === key)?.verdict;

test('figures: stats, memory, sizes and counts are found by their place; targets, ratios and the bench pacing are left out', () => {
  const f = figuresOf(run());
  assert.deepEqual([...f.keys()].sort(), [
    'bundle › bytes',
    'bundle › gzip',
    'coldStart › firstDiagnostics',
    'coldStart › idleRssMB',
    'inProcess › 50 KB › completionHostdevSource',
    'inProcess › 50 KB › completionHostdevSource › items',
    'inProcess › 50 KB › editToDiagnostics',
    'lsp › 50 KB › editToPublish',
    'lsp › 50 KB › publishesForBurst',
    'lsp › 50 KB › restedRssMB',
  ]);
  assert.equal(f.get('inProcess › 50 KB › editToDiagnostics')?.kind, 'cpu');
  assert.equal(f.get('lsp › 50 KB › editToPublish')?.kind, 'wait');
  assert.equal(f.get('coldStart › firstDiagnostics')?.kind, 'process');
  assert.equal(f.get('coldStart › idleRssMB')?.kind, 'memory');
  assert.equal(f.get('bundle › bytes')?.kind, 'size');
  assert.equal(f.get('lsp › 50 KB › publishesForBurst')?.kind, 'count');
});

test('the same run compared with itself: no regression, everything the same', () => {
  const c = compareResults(run(), run());
  assert.equal(c.timingsNotCompared, undefined);
  assert.deepEqual(c.regressions, []);
  assert.ok(
    c.rows.every((r) => r.verdict === 'same'),
    JSON.stringify(c.rows.filter((r) => r.verdict !== 'same')),
  );
});

test('an in-process time that doubles, median and fastest run, is a regression', () => {
  assert.equal(verdictOf(run(), run({ edit: [0.7, 0.6] }), 'inProcess › 50 KB › editToDiagnostics'), 'regression');
});

test('an in-process median that grows 1.8× while the fastest run stays is noise (seen between quiet runs of the same code)', () => {
  const c = compareResults(run(), run({ edit: [0.63, 0.3] }));
  const row = c.rows.find((r) => r.key === 'inProcess › 50 KB › editToDiagnostics');
  assert.equal(row?.verdict, 'same');
  assert.match(row?.note ?? '', /fastest run only ×1\.03: noise/);
});

test('a tiny time that doubles by less than 0.05 ms is below the floor', () => {
  assert.equal(verdictOf(run(), run({ completion: [0.08, 0.07] }), 'inProcess › 50 KB › completionHostdevSource'), 'same');
});

test('an edit → publish that grows by 40 ms over its 120 ms typing delay is a regression; by 4 ms it is not', () => {
  assert.equal(verdictOf(run(), run({ publish: [163, 160] }), 'lsp › 50 KB › editToPublish'), 'regression');
  assert.equal(verdictOf(run(), run({ publish: [127, 125] }), 'lsp › 50 KB › editToPublish'), 'same');
});

test('times that halve are improvements', () => {
  assert.equal(verdictOf(run(), run({ edit: [0.15, 0.12] }), 'inProcess › 50 KB › editToDiagnostics'), 'improvement');
});

test('resident memory: +30 % is a regression, +20 % is noise', () => {
  assert.equal(verdictOf(run(), run({ rested: 113 }), 'lsp › 50 KB › restedRssMB'), 'regression');
  assert.equal(verdictOf(run(), run({ rested: 104 }), 'lsp › 50 KB › restedRssMB'), 'same');
});

test('bundle growth over 5 % is a regression even on a busy machine; counts are reported as changed, not judged', () => {
  const c = compareResults(run(), run({ bytes: 530_000, burst: 2, machine: { loadMax: 12 } }));
  assert.equal(c.rows.find((r) => r.key === 'bundle › bytes')?.verdict, 'regression');
  assert.equal(c.rows.find((r) => r.key === 'lsp › 50 KB › publishesForBurst')?.verdict, 'changed');
});

test('timings of a run under load are not compared, even when they doubled', () => {
  const c = compareResults(run(), run({ edit: [0.7, 0.6], machine: { loadMax: 11.5 } }));
  assert.match(c.timingsNotCompared ?? '', /load average of 11\.5 on 2 cores/);
  assert.equal(c.rows.find((r) => r.key === 'inProcess › 50 KB › editToDiagnostics')?.verdict, 'not compared');
  assert.deepEqual(c.regressions, []);
});

test('only like with like: another machine, another Node major, a quick run against a full one, an old file without a load average', () => {
  assert.match(timingMismatch(QUIET, { ...QUIET, cpus: 8 }) ?? '', /different machines/);
  assert.match(timingMismatch(QUIET, { ...QUIET, node: 'v22.1.0' }) ?? '', /different Node releases/);
  assert.equal(timingMismatch(QUIET, { ...QUIET, node: 'v20.19.0' }), undefined);
  assert.match(timingMismatch(QUIET, { ...QUIET, mode: 'quick' }) ?? '', /a full run and a quick run/);
  assert.match(timingMismatch({ ...QUIET, loadBefore: undefined, loadAfter: undefined, loadMax: undefined }, QUIET) ?? '', /recorded no load average/);
  // Files written before the mode was recorded are full runs.
  assert.equal(timingMismatch({ ...QUIET, mode: undefined }, QUIET), undefined);
});

test('figures measured only in one of the runs are new or gone', () => {
  const before = run();
  const after = run();
  (after.coldStart as Record<string, unknown>).firstSchemaDiagnostics = { median: 700, p95: 900, min: 650, runs: 10 };
  delete (after.lsp as Record<string, unknown>[])[0].restedRssMB;
  const c = compareResults(before, after);
  assert.equal(c.rows.find((r) => r.key === 'coldStart › firstSchemaDiagnostics')?.verdict, 'new');
  assert.equal(c.rows.find((r) => r.key === 'lsp › 50 KB › restedRssMB')?.verdict, 'gone');
});
