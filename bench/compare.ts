/**
 * Compares two benchmark results (bench/results.json written by
 * `npm run bench`): each figure's change, and which changes are regressions
 * beyond the noise of this kind of figure.
 *
 *   node --import tsx bench/compare.ts OLD.json [NEW.json]   # NEW defaults to bench/results.json
 *   npm run bench -- --compare[=OLD.json]                     # a new run against the recorded one
 *
 * Exit status 1 when a regression is found, 0 otherwise (also when timings
 * could not be compared: that is said, not failed).
 *
 * Only like is compared with like. Timings are compared only when both runs
 * were made on the same kind of machine (cores, CPU model, platform, Node
 * major release), in the same mode (full or --quick), and neither run saw a
 * load average above its number of cores (someone else's work then inflates
 * every figure). Memory is compared on the same platform and Node major
 * release; bundle sizes always.
 *
 * A timing regresses when BOTH its median and its fastest run grew by more
 * than the kind's relative threshold, and the median grew by more than the
 * kind's floor. The thresholds come from two full runs recorded on a quiet
 * machine (load average 1.4 and 1.6 on 2 cores) over identical parsing and
 * rule code (commits c647300 and ad2a934, bench/results.json at fa758bd and
 * 981c406): between them, in-process medians moved by up to 1.9× (50 KB
 * full analysis 1.06 → 1.97 ms), fastest runs by up to 1.8× (5 KB symbols),
 * but no figure moved by more than 1.5× in both at once except that 0.02 ms
 * one; figures dominated by a fixed wait (the 120 ms typing delay) moved by
 * at most 3 %, the cold start by 11 %, the sysfs read (file system) by 1.7×,
 * resident memory at rest by up to 21 % (500 KB, where the collector
 * happened to stand), and right after a burst of edits at 5 MB by 2.4×
 * (174–420 MB, docs/performance.md). See docs/performance.md, "Comparing runs".
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** How a figure behaves between two runs of the same code, and so what change counts. */
export type FigureKind = 'cpu' | 'wait' | 'process' | 'io' | 'memory' | 'memory-peak' | 'size' | 'count';

export interface Noise {
  /** Relative growth beyond which a change may be real (0.5 = +50 %). */
  readonly relative: number;
  /** Absolute growth (ms, MB or bytes) below which a change is noise whatever its ratio. */
  readonly floor: number;
  readonly why: string;
}

export const NOISE: Readonly<Record<FigureKind, Noise>> = {
  cpu: {
    relative: 0.5,
    floor: 0.05,
    why: 'in-process work and request round trips: medians moved up to 1.9× between quiet runs of the same code, fastest runs up to 1.8×, never both beyond 1.5× above 0.05 ms',
  },
  wait: { relative: 0.25, floor: 5, why: 'figures that include a fixed wait (typing delay, schema pause): moved at most 3 % (fastest runs: 3 %) between quiet runs' },
  process: { relative: 0.25, floor: 10, why: 'a process started per sample (cold start, xmllint, a fresh grammar load): the cold start moved 10–11 % between quiet runs' },
  io: { relative: 1, floor: 10, why: 'file-system reads: the sysfs read moved 1.5–1.7× between quiet runs' },
  memory: { relative: 0.25, floor: 5, why: 'resident memory at rest depends on where the garbage collector stands: up to 21 % between quiet runs' },
  'memory-peak': { relative: 1.5, floor: 20, why: 'memory right after a burst of edits, or at its peak: 174 to 420 MB (×2.4) across runs of the same code at 5 MB' },
  size: { relative: 0.05, floor: 0, why: 'bundle bytes are exact: any growth over 5 % is code added, worth a look' },
  count: { relative: 0, floor: 0, why: 'counts are exact: a change is reported, not judged' },
};

/** One comparable figure of a run: where it sits in results.json, its kind and its value(s). */
export interface Figure {
  readonly key: string;
  readonly kind: FigureKind;
  readonly median: number;
  /** The fastest run, for timings. */
  readonly min?: number;
  readonly unit: string;
}

export type Verdict = 'regression' | 'improvement' | 'same' | 'changed' | 'new' | 'gone' | 'not compared';

export interface Row {
  readonly key: string;
  readonly kind: FigureKind;
  readonly before?: number;
  readonly after?: number;
  /** after ÷ before of the medians. */
  readonly ratio?: number;
  readonly unit: string;
  readonly verdict: Verdict;
  readonly note?: string;
}

export interface Comparison {
  /** Why timings were not compared; undefined when they were. */
  readonly timingsNotCompared?: string;
  readonly memoryNotCompared?: string;
  readonly rows: readonly Row[];
  readonly regressions: readonly Row[];
}

/** The parts of a results.json this module reads (older files lack some; every field is optional). */
export interface BenchMachine {
  cpus?: number;
  cpuModel?: string;
  node?: string;
  platform?: string;
  commit?: string;
  date?: string;
  loadBefore?: number;
  loadAfter?: number;
  loadMax?: number;
  mode?: 'full' | 'quick';
}
export interface BenchResults {
  machine?: BenchMachine;
  [section: string]: unknown;
}

// Figures left out: the machine, the targets (they repeat figures), ratios (derived from two medians)
// and the benchmark's own pacing (the largest gap between its sends).
const SKIP = new Set(['machine', 'targets', 'ratioToXmldom', 'burstGapMs']);
const WAIT_FIGURES = new Set(['editToPublish', 'hoverAfterEdit', 'schemaEditToPublish']);
const PROCESS_FIGURES = new Set(['xmllintParse', 'xmllintRelaxng', 'firstDiagnostics', 'firstSchemaDiagnostics', 'grammarLoaded', 'firstLoad', 'schemaKeystroke']);

function isStat(x: unknown): x is { median: number; p95: number; min?: number } {
  return typeof x === 'object' && x !== null && typeof (x as { median?: unknown }).median === 'number' && typeof (x as { p95?: unknown }).p95 === 'number';
}

function kindOf(pathKeys: readonly string[], leaf: string, isStatistic: boolean): FigureKind {
  // Memory may be a single reading or a statistic over runs (idle RSS over cold starts).
  if (leaf === 'rssMB' || leaf === 'peakRssMB') return 'memory-peak';
  if (/MB$/.test(leaf)) return 'memory';
  if (isStatistic) {
    if (WAIT_FIGURES.has(leaf)) return 'wait';
    if (PROCESS_FIGURES.has(leaf) || pathKeys[0] === 'coldStart') return 'process';
    if (pathKeys[0] === 'host') return 'io';
    return 'cpu';
  }
  if (pathKeys[0] === 'bundle') return 'size';
  return 'count';
}

/** Every figure of a results.json, keyed by its place ("inProcess › 50 KB › editToDiagnostics"). */
export function figuresOf(results: BenchResults): Map<string, Figure> {
  const out = new Map<string, Figure>();
  const visit = (x: unknown, keys: string[]) => {
    const leaf = keys[keys.length - 1];
    if (keys.length && SKIP.has(leaf)) return;
    if (isStat(x)) {
      const kind = kindOf(keys, leaf, true);
      const unit = kind.startsWith('memory') ? 'MB' : 'ms';
      out.set(keys.join(' › '), { key: keys.join(' › '), kind, median: x.median, ...(typeof x.min === 'number' ? { min: x.min } : {}), unit });
      // A Stat may carry counts beside it (items, incremental): those are figures of their own.
      for (const [k, v] of Object.entries(x)) if (!['median', 'p95', 'min', 'runs'].includes(k)) visit(v, [...keys, k]);
      return;
    }
    if (typeof x === 'number' && keys.length) {
      const kind = kindOf(keys, leaf, false);
      out.set(keys.join(' › '), { key: keys.join(' › '), kind, median: x, unit: kind.startsWith('memory') ? 'MB' : kind === 'size' ? 'bytes' : '' });
      return;
    }
    if (typeof x === 'boolean' && keys.length) {
      out.set(keys.join(' › '), { key: keys.join(' › '), kind: 'count', median: x ? 1 : 0, unit: '' });
      return;
    }
    if (Array.isArray(x)) {
      x.forEach((v, i) => visit(v, [...keys, typeof (v as { label?: unknown })?.label === 'string' ? (v as { label: string }).label : String(i)]));
      return;
    }
    if (typeof x === 'object' && x !== null) for (const [k, v] of Object.entries(x)) visit(v, [...keys, k]);
  };
  for (const [k, v] of Object.entries(results)) if (k !== 'machine') visit(v, [k]);
  return out;
}

/** The highest load average a run reported, or undefined when it reported none. */
export function loadOf(m: BenchMachine | undefined): number | undefined {
  const loads = [m?.loadBefore, m?.loadAfter, m?.loadMax].filter((x): x is number => typeof x === 'number');
  return loads.length ? Math.max(...loads) : undefined;
}

const major = (node: string | undefined) => /^v?(\d+)/.exec(node ?? '')?.[1];

/** Why the timings of two runs cannot be compared, or undefined when they can. */
export function timingMismatch(a: BenchMachine | undefined, b: BenchMachine | undefined): string | undefined {
  if (!a || !b) return 'a run does not say which machine it ran on';
  if (a.cpus !== b.cpus || a.cpuModel !== b.cpuModel) return `different machines (${a.cpus} × ${a.cpuModel} and ${b.cpus} × ${b.cpuModel})`;
  if (a.platform !== b.platform) return `different platforms (${a.platform} and ${b.platform})`;
  if (major(a.node) !== major(b.node)) return `different Node releases (${a.node} and ${b.node})`;
  if ((a.mode ?? 'full') !== (b.mode ?? 'full')) return `a ${a.mode ?? 'full'} run and a ${b.mode ?? 'full'} run (different numbers of runs)`;
  for (const [which, m] of [
    ['the earlier', a],
    ['this', b],
  ] as const) {
    const load = loadOf(m);
    if (load === undefined) return `${which} run recorded no load average`;
    if (m.cpus !== undefined && load > m.cpus) return `${which} run saw a load average of ${load} on ${m.cpus} cores: other work inflated its timings`;
  }
  return undefined;
}

function memoryMismatch(a: BenchMachine | undefined, b: BenchMachine | undefined): string | undefined {
  if (!a || !b) return 'a run does not say which machine it ran on';
  if (a.platform !== b.platform || major(a.node) !== major(b.node)) return `different platforms or Node releases (${a.platform} ${a.node}, ${b.platform} ${b.node})`;
  return undefined;
}

/** The verdict on one figure present in both runs. */
export function judge(before: Figure, after: Figure): { verdict: Verdict; note?: string } {
  const noise = NOISE[after.kind];
  if (after.kind === 'count') return before.median === after.median ? { verdict: 'same' } : { verdict: 'changed' };
  const grew = (a: number, b: number) => b > a * (1 + noise.relative);
  const shrank = (a: number, b: number) => b * (1 + noise.relative) < a;
  const delta = after.median - before.median;
  // Timings need the fastest run to agree; memory and sizes have one value.
  const minsKnown = before.min !== undefined && after.min !== undefined;
  if (grew(before.median, after.median) && delta > noise.floor) {
    if (minsKnown && !grew(before.min!, after.min!))
      return { verdict: 'same', note: `median ×${ratio(before.median, after.median)} but the fastest run only ×${ratio(before.min!, after.min!)}: noise` };
    return { verdict: 'regression' };
  }
  if (shrank(before.median, after.median) && -delta > noise.floor && (!minsKnown || shrank(before.min!, after.min!))) return { verdict: 'improvement' };
  return { verdict: 'same' };
}

function ratio(a: number, b: number): number {
  return a === 0 ? (b === 0 ? 1 : Infinity) : Math.round((b / a) * 100) / 100;
}

/** Each figure of `after` against `before`. Pure: no files, no clock. */
export function compareResults(before: BenchResults, after: BenchResults): Comparison {
  const timingsNotCompared = timingMismatch(before.machine, after.machine);
  const memoryNotCompared = memoryMismatch(before.machine, after.machine);
  const a = figuresOf(before),
    b = figuresOf(after);
  const rows: Row[] = [];
  for (const [key, f] of b) {
    const old = a.get(key);
    if (!old) {
      rows.push({ key, kind: f.kind, after: f.median, unit: f.unit, verdict: 'new' });
      continue;
    }
    const base = { key, kind: f.kind, before: old.median, after: f.median, ratio: ratio(old.median, f.median), unit: f.unit };
    const blocked = f.kind.startsWith('memory') ? memoryNotCompared : f.kind === 'size' || f.kind === 'count' ? undefined : timingsNotCompared;
    if (blocked) {
      rows.push({ ...base, verdict: 'not compared' });
      continue;
    }
    rows.push({ ...base, ...judge(old, f) });
  }
  for (const [key, f] of a) if (!b.has(key)) rows.push({ key, kind: f.kind, before: f.median, unit: f.unit, verdict: 'gone' });
  return { timingsNotCompared, memoryNotCompared, rows, regressions: rows.filter((r) => r.verdict === 'regression') };
}

/** The comparison as text: the conditions, then regressions, improvements and changes; `all` lists the unchanged too. */
export function formatComparison(c: Comparison, before: BenchResults, after: BenchResults, all = false): string {
  const L: string[] = [];
  const who = (m: BenchMachine | undefined) => `${m?.commit ?? '?'} (${m?.date ?? '?'}, ${m?.mode ?? 'full'}, load average ${loadOf(m) ?? '?'} on ${m?.cpus ?? '?'} cores)`;
  L.push(`Comparing ${who(after.machine)} with ${who(before.machine)}.`);
  if (c.timingsNotCompared) L.push(`Timings not compared: ${c.timingsNotCompared}.`);
  if (c.memoryNotCompared) L.push(`Memory not compared: ${c.memoryNotCompared}.`);
  const fmt = (r: Row) => {
    const change =
      r.before !== undefined && r.after !== undefined
        ? `${r.before} → ${r.after} ${r.unit}`.trim() + (r.ratio !== undefined && r.kind !== 'count' ? ` (×${r.ratio})` : '')
        : r.after !== undefined
          ? `${r.after} ${r.unit}`.trim()
          : `${r.before} ${r.unit}`.trim();
    return `  ${r.verdict.toUpperCase().padEnd(12)} ${r.key}: ${change}${r.note ? ` — ${r.note}` : ''}`;
  };
  const order: Verdict[] = ['regression', 'improvement', 'changed', 'new', 'gone', ...(all ? (['same', 'not compared'] as Verdict[]) : [])];
  for (const v of order) for (const r of c.rows) if (r.verdict === v) L.push(fmt(r));
  const counts = new Map<Verdict, number>();
  for (const r of c.rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  L.push(
    `${c.regressions.length ? `${c.regressions.length} REGRESSION${c.regressions.length > 1 ? 'S' : ''}` : 'No regression'} beyond the noise thresholds (${[...counts].map(([v, n]) => `${n} ${v}`).join(', ')}).`,
  );
  return L.join('\n');
}

function main(argv: string[]): number {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length < 1 || files.length > 2 || argv.includes('--help')) {
    process.stderr.write(
      'usage: node --import tsx bench/compare.ts OLD.json [NEW.json] [--all]\n  NEW defaults to bench/results.json; exit 1 when a figure regressed beyond its noise threshold.\n',
    );
    return argv.includes('--help') ? 0 : 2;
  }
  const read = (f: string): BenchResults => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as BenchResults;
    } catch (e) {
      throw new Error(`cannot read benchmark results ${f}: ${(e as Error).message}`);
    }
  };
  const before = read(files[0]);
  const after = read(files[1] ?? path.join(__dirname, 'results.json'));
  const c = compareResults(before, after);
  process.stdout.write(`${formatComparison(c, before, after, argv.includes('--all'))}\n`);
  return c.regressions.length ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
