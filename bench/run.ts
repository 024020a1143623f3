/**
 * `npm run bench`: how fast the checks are, in the editor's terms (an edit
 * until its diagnostics, a completion, a hover, a quick fix, a cold start)
 * and next to floors and peers measured in the same run on the same text
 * (a bare xmldom parse; xmllint, with the libvirt RELAX NG schema when it is
 * installed). Writes bench/results.json and the tables in docs/performance.md.
 *
 * In-process figures run the language service bundled by esbuild exactly as
 * the server is, not through tsx: tsx keeps function names with a helper
 * call on every closure creation, which made the parser look 40 % slower
 * than the code that ships.
 *
 * Options: --quick (fewer runs, no 5 MB over LSP: a smoke run, writes
 * nothing unless --json is given), --no-lsp, --no-write (print only),
 * --sizes=5k,50k (a subset), --json=FILE (write the results there instead of
 * bench/results.json), --compare[=FILE] (compare with FILE, by default the
 * bench/results.json recorded before this run: bench/compare.ts; exit 1 on a
 * regression), --cold (the cold-start figures alone, writes nothing unless
 * --json is given).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { CodeActionRequest, CompletionRequest, DidChangeTextDocumentNotification, HoverRequest } from 'vscode-languageserver-protocol/node';
import type { Diagnostic } from 'vscode-languageserver-types';
import { generateDomain, generateHost, type GeneratedDomain } from './generate';
import { startClient, type TestClient } from '../test/lspClient';
import { SERVER_NODE_FLAGS } from '../client/src/serverFlags';
import { compareResults, formatComparison, type BenchResults } from './compare';
import type { HostTopology } from '../server/src/host/types';
import { GRAMMAR_STATUS_NOTIFICATION, type GrammarStatus } from '../server/src/protocol';
import type { LanguageService } from '../server/src/languageService';

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, '.bench');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
/** Only the cold starts (and the host fixture they read): a quick look at the start-up figure. */
const COLD_ONLY = args.has('--cold');
const jsonArg = process.argv.find((a) => a.startsWith('--json='))?.slice(7);
const compareArg = process.argv.find((a) => a === '--compare' || a.startsWith('--compare='));
const sizeArg = process.argv.find((a) => a.startsWith('--sizes='));

const SIZES: { label: string; bytes: number; runs: number; lspRuns: number }[] = [
  { label: '5 KB', bytes: 5 * 1024, runs: 400, lspRuns: 15 },
  { label: '50 KB', bytes: 50 * 1024, runs: 300, lspRuns: 15 },
  { label: '500 KB', bytes: 500 * 1024, runs: 40, lspRuns: 8 },
  { label: '5 MB', bytes: 5 * 1024 * 1024, runs: 12, lspRuns: 5 },
  // --sizes=50k or --sizes=50kb: the label without its space, with or without the B.
].filter(
  (s) =>
    !sizeArg ||
    sizeArg
      .slice(8)
      .split(',')
      .some((x) => [s.label.replace(' ', '').toLowerCase(), s.label.replace(' ', '').toLowerCase().replace(/b$/, '')].includes(x.trim().toLowerCase())),
);

// ---------------------------------------------------------------- statistics

interface Stat {
  median: number;
  p95: number;
  min: number;
  runs: number;
}

function stat(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { median: round(at(0.5)), p95: round(at(0.95)), min: round(s[0]), runs: s.length };
}

function round(x: number): number {
  return x >= 100 ? Math.round(x) : x >= 1 ? Math.round(x * 100) / 100 : Math.round(x * 1000) / 1000;
}

function timeSync(runs: number, fn: (i: number) => void, warmup = Math.min(20, Math.ceil(runs / 5))): Stat {
  for (let i = 0; i < warmup; i++) fn(i);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn(i);
    t.push(performance.now() - t0);
  }
  return stat(t);
}

async function timeAsync(runs: number, fn: (i: number) => Promise<void>, warmup = 2): Promise<Stat> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    t.push(performance.now() - t0);
  }
  return stat(t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The highest 1-minute load average seen at any step of the run (the machine is shared). */
let loadMax = 0;

function log(msg: string): void {
  const load = os.loadavg()[0];
  loadMax = Math.max(loadMax, load);
  process.stderr.write(`${msg} [load ${load.toFixed(2)}]\n`);
}

// ---------------------------------------------------------------- the code under test, as shipped

type Service = typeof import('../server/src/languageService');
interface Bundle {
  getLanguageService: Service['getLanguageService'];
  parseXml: typeof import('../server/src/xml/parser').parseXml;
  reparseOutcome: typeof import('./reparseOutcome').reparseOutcome;
  readDomain: typeof import('../server/src/domain/model').readDomain;
  LineIndex: typeof import('../server/src/xml/lineIndex').LineIndex;
  readSysfsTopology: typeof import('../server/src/host/sysfs').readSysfsTopology;
  serializeTopology: typeof import('../server/src/host/snapshot').serializeTopology;
  DOMParser: typeof import('@xmldom/xmldom').DOMParser;
  loadSchema: typeof import('../server/src/schema/rng').loadSchema;
  chooseGrammar: typeof import('../server/src/schema/grammarSource').chooseGrammar;
  GrammarSource: typeof import('../server/src/schema/grammarSource').GrammarSource;
  SchemaValidator: typeof import('../server/src/schema/validator').SchemaValidator;
}

async function loadBundle(): Promise<Bundle> {
  const outfile = path.join(WORK, 'service.cjs');
  await build({
    stdin: {
      contents: [
        "export { getLanguageService } from './server/src/languageService';",
        "export { parseXml } from './server/src/xml/parser';",
        "export { reparseOutcome } from './bench/reparseOutcome';",
        "export { readDomain } from './server/src/domain/model';",
        "export { LineIndex } from './server/src/xml/lineIndex';",
        "export { readSysfsTopology } from './server/src/host/sysfs';",
        "export { serializeTopology } from './server/src/host/snapshot';",
        "export { DOMParser } from '@xmldom/xmldom';",
        "export { loadSchema } from './server/src/schema/rng';",
        "export { chooseGrammar, GrammarSource } from './server/src/schema/grammarSource';",
        "export { SchemaValidator } from './server/src/schema/validator';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'bench-entry.ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is written at run time, so it is required by its path
  return require(outfile) as Bundle;
}

/** Bytes of the release build of the server (minified, as `npm run build:release` makes it), built aside so dist/ is left alone. */
async function releaseServerSize(): Promise<{ bytes: number; gzip: number }> {
  const r = await build({
    entryPoints: [path.join(ROOT, 'server/src/server.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const code = r.outputFiles[0].contents;
  return { bytes: code.length, gzip: gzipSync(code).length };
}

// ---------------------------------------------------------------- peers

const SCHEMA_CANDIDATES = [process.env.LIBVIRT_SCHEMA_DIR, '/usr/share/libvirt/schemas'].filter((x): x is string => !!x);

function findSchema(): string | undefined {
  for (const dir of SCHEMA_CANDIDATES) {
    const f = path.join(dir, 'domain.rng');
    if (existsSync(f)) return f;
  }
  return undefined;
}

function hasXmllint(): boolean {
  return spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Wall time of one xmllint process (start-up included, as a user or CI script pays it). */
function xmllintTimes(file: string, extra: string[], runs: number): Stat | undefined {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('xmllint', ['--noout', ...extra, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    t.push(performance.now() - t0);
    if (r.error) return undefined;
  }
  return stat(t);
}

// ---------------------------------------------------------------- in-process

interface InProcess {
  label: string;
  chars: number;
  elements: number;
  diagnostics: number;
  editToDiagnostics: Stat;
  /** How the edits were re-parsed: counts of 'incremental' and 'full'. */
  reparse: Record<string, number>;
  /** The same analysis without a previous version: what opening the document (or an edit that needs a full re-parse) costs. */
  fullAnalysis: Stat;
  /** Each keystroke of a new element typed on a new line, before its end tag exists, and how many re-parses were incremental. */
  typingElement: Stat & { incremental: number };
  parse: Stat;
  validate: Stat;
  parseXmlOnly: Stat;
  readDomainOnly: Stat;
  xmldom: Stat;
  strictCheck: Stat;
  completionHostdevSource: Stat & { items: number };
  completionPciBus: Stat & { items: number };
  hover: Stat & { found: boolean };
  quickFix: Stat & { actions: number; diagnostics: number };
  symbols: Stat;
  xmllintParse?: Stat;
  xmllintRelaxng?: Stat & { valid: boolean };
  ratioToXmldom: number;
}

/**
 * A new device typed character by character on a new line among the devices
 * (as after pressing Enter: the line is indented already), its start tag
 * left open as it is until the end tag is typed; each version parsed from
 * the last and checked. The text itself is left as it was.
 */
function typeElement(ls: LanguageService, text: string, near: number, outcome: () => string): Stat & { incremental: number } {
  const typed = "<memballoon model='virtio'>";
  // A device's line near the edit point (devices are indented by four spaces), or the first one.
  const devices = text.indexOf('<devices>');
  const before = text.lastIndexOf('\n    <', near);
  const lineStart = (before > devices ? before : text.indexOf('\n    <', devices)) + 1;
  const base = `${text.slice(0, lineStart)}    \n${text.slice(lineStart)}`;
  const at = lineStart + 4;
  let last = ls.parse(base, 'file:///bench/typing.xml', 1);
  let incremental = 0;
  const samples: number[] = [];
  for (let k = 1; k <= typed.length; k++) {
    const next = base.slice(0, at) + typed.slice(0, k) + base.slice(at);
    const t0 = performance.now();
    last = ls.parse(next, 'file:///bench/typing.xml', k + 1, last);
    ls.validate(last);
    samples.push(performance.now() - t0);
    if (outcome() === 'incremental') incremental++;
  }
  return { ...stat(samples), incremental };
}

/**
 * The keystroke of the edit loops: a digit typed before the digit at `at`,
 * then erased again, in turn. Each changes the length by one, so everything
 * after it moves, as when someone types.
 */
function keystroke(text: string, at: number, k: number): { text: string; erased: boolean } {
  const erased = k % 2 === 1;
  return { text: erased ? text.slice(0, at) + text.slice(at + 1) : `${text.slice(0, at)}7${text.slice(at)}`, erased };
}

function inProcess(b: Bundle, host: HostTopology, g: GeneratedDomain, size: (typeof SIZES)[number], schema: string | undefined, xmllint: boolean): InProcess {
  const ls = b.getLanguageService({ host: { topology: () => host }, log: (m) => log(`service log: ${m}`) });
  const runs = QUICK ? Math.max(3, Math.ceil(size.runs / 10)) : size.runs;
  const uri = 'file:///bench/domain.xml';
  let text = g.text;
  let version = 1;
  let diagnostics = 0;
  const parseT: number[] = [];
  const validateT: number[] = [];
  // The edit loop: one character is typed or erased, then the new version is parsed from the last one and checked, as the server does.
  let last = ls.parse(text, uri, version);
  let keys = 0;
  const reparse: Record<string, number> = {};
  const edit = timeSync(runs, () => {
    text = keystroke(text, g.marks.editOffset, keys++).text;
    const t0 = performance.now();
    const doc = ls.parse(text, uri, ++version, last);
    const t1 = performance.now();
    diagnostics = ls.validate(doc).length;
    const t2 = performance.now();
    parseT.push(t1 - t0);
    validateT.push(t2 - t1);
    reparse[b.reparseOutcome()] = (reparse[b.reparseOutcome()] ?? 0) + 1;
    last = doc;
  });
  // Back to the generated text, so that the marks after the edit point are right again.
  if (keys % 2 === 1) text = keystroke(text, g.marks.editOffset, keys++).text;
  const fullAnalysis = timeSync(Math.max(3, Math.ceil(runs / 2)), () => {
    ls.validate(ls.parse(text, uri, ++version));
  });
  const typingElement = typeElement(ls, text, g.marks.editOffset, b.reparseOutcome);
  const parseXmlOnly = timeSync(runs, () => {
    b.parseXml(text);
  });
  const xml = b.parseXml(text);
  const readDomainOnly = timeSync(runs, () => {
    b.readDomain(xml);
  });
  const xmldom = timeSync(runs, () => {
    new b.DOMParser({ onError: () => undefined }).parseFromString(text, 'text/xml');
  });
  const doc = ls.parse(text, uri, ++version);
  const strictCheck = timeSync(Math.max(3, Math.ceil(runs / 4)), () => {
    ls.strictCheck(doc);
  });

  const reqRuns = QUICK ? 50 : 500;
  const at = (offset: number) => doc.lines.positionAt(offset);
  let items = 0;
  const cHost = timeSync(reqRuns, () => {
    items = ls.complete(doc, at(g.marks.hostdevSourceAddress)).items.length;
  });
  const hostItems = items;
  const cBus = timeSync(reqRuns, () => {
    items = ls.complete(doc, at(g.marks.pciBusValue)).items.length;
  });
  let found = false;
  const hover = timeSync(reqRuns, () => {
    found = ls.hover(doc, at(g.marks.hoverAttr)) !== null;
  });
  const all = ls.validate(doc);
  const fixRange = doc.lines.range(g.marks.fixStart, g.marks.fixEnd);
  const onLine = all.filter((d: Diagnostic) => d.range.start.line <= fixRange.start.line && d.range.end.line >= fixRange.start.line);
  let actions = 0;
  const quickFix = timeSync(reqRuns, () => {
    actions = ls.codeActions(doc, fixRange, onLine).length;
  });
  const symbols = timeSync(Math.max(5, Math.ceil(runs / 2)), () => {
    ls.symbols(doc);
  });

  let xmllintParse: Stat | undefined;
  let xmllintRelaxng: (Stat & { valid: boolean }) | undefined;
  if (xmllint) {
    const file = path.join(WORK, `domain-${size.label.replace(' ', '')}.xml`);
    writeFileSync(file, text);
    const n = QUICK ? 2 : size.bytes > 1e6 ? 3 : 7;
    xmllintParse = xmllintTimes(file, [], n);
    if (schema) {
      const r = xmllintTimes(file, ['--relaxng', schema], n);
      const valid = spawnSync('xmllint', ['--noout', '--relaxng', schema, file], { encoding: 'utf8', maxBuffer: 64 << 20 }).status === 0;
      if (r) xmllintRelaxng = { ...r, valid };
    }
  }
  return {
    label: size.label,
    chars: text.length,
    elements: g.counts.elements,
    diagnostics,
    editToDiagnostics: edit,
    reparse,
    fullAnalysis,
    typingElement,
    parse: stat(parseT),
    validate: stat(validateT),
    parseXmlOnly,
    readDomainOnly,
    xmldom,
    strictCheck,
    completionHostdevSource: { ...cHost, items: hostItems },
    completionPciBus: { ...cBus, items },
    hover: { ...hover, found },
    quickFix: { ...quickFix, actions, diagnostics: onLine.length },
    symbols,
    xmllintParse,
    xmllintRelaxng,
    ratioToXmldom: round(fullAnalysis.median / xmldom.median),
  };
}

// ---------------------------------------------------------------- grammar

/** The schemas shipped with the extension (scripts/fetch-schemas.sh, run by the build). */
const SHIPPED_SCHEMAS = path.join(ROOT, 'libvirt-schemas');

/** The release of the shipped grammar: the target release of the LSP sessions and schema figures, so that they use it. */
function shippedRelease(): string | undefined {
  try {
    return readFileSync(path.join(SHIPPED_SCHEMAS, 'RELEASE'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

interface GrammarFigures {
  release: string;
  /** The first load in a fresh Node process, as the server pays it once: files read, parsed, indexed (one sample per process). */
  firstLoad: Stat;
  /** Later loads of the same directory without the cache (what a settings change to another directory costs). */
  reload: Stat;
  /** Heap after loading it, less heap before (MB). */
  heapMB: number;
  /** Completion at every kind of position of the 50 KB domain (element names, attribute names, values, text). */
  completion: Stat & { positions: number };
  /** The same with 5000 sibling disks in <devices> (bad input: thousands of siblings). */
  completionManySiblings: Stat;
  /**
   * A keystroke in the 50 KB domain until its schema findings are merged in,
   * in process, without the typing delay and the schema pause: re-parse,
   * rules, libvirt's schema run (libxml2 and the narrowing of its messages).
   */
  schemaKeystroke?: Stat & { engine: string; findings: number; codes: string[] };
}

/** The grammar's first load, each in a new Node process started with the server's flags. */
function firstGrammarLoads(runs: number): Stat | undefined {
  const bundle = path.join(WORK, 'service.cjs');
  const opts = JSON.stringify({ shippedDir: SHIPPED_SCHEMAS, defaultDir: path.join(SHIPPED_SCHEMAS, 'none'), pathEnv: '' });
  const script = `const b = require(${JSON.stringify(bundle)}); const t0 = performance.now();
b.chooseGrammar(${opts}).then((c) => process.stdout.write(JSON.stringify({ ms: performance.now() - t0, ok: !!c.grammar })));`;
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', script], { encoding: 'utf8' });
    const got = r.status === 0 ? (JSON.parse(r.stdout) as { ms: number; ok: boolean }) : undefined;
    if (!got?.ok) {
      log(`grammar: a fresh load failed (${r.stderr.trim().split('\n').at(-1) ?? r.status})`);
      return undefined;
    }
    t.push(got.ms);
  }
  return stat(t);
}

/** Keystroke → schema findings on a domain, in process (see GrammarFigures.schemaKeystroke). */
async function schemaKeystroke(b: Bundle, host: HostTopology, g: GeneratedDomain, release: string, runs: number): Promise<GrammarFigures['schemaKeystroke']> {
  const grammar = new b.GrammarSource({ shippedDir: SHIPPED_SCHEMAS });
  grammar.configure({ targetVersion: release });
  const schema = new b.SchemaValidator({ grammar, settings: { targetVersion: release }, log: (m) => log(`schema: ${m}`) });
  const status = await schema.status();
  if (!status.available) {
    log(`schema keystroke: not measured (${status.reason})`);
    return undefined;
  }
  const ls = b.getLanguageService({ host: { topology: () => host }, schema, grammar: { current: () => grammar.current?.grammar } });
  const uri = 'file:///bench/schema.xml';
  let text = g.text;
  let version = 1;
  let last = ls.parse(text, uri, version);
  // Each keystroke types one more digit (into a <serial>): every version is new, as when someone types.
  // Typing and erasing in turn would hand libxml2 the same two texts again and again, which the
  // session remembers (schema/engineMemo.ts), and measure a cache.
  let typed = 0;
  let findings: string[] = [];
  const s = await timeAsync(
    runs,
    async () => {
      text = `${text.slice(0, g.marks.editOffset)}${typed++ % 10}${text.slice(g.marks.editOffset)}`;
      last = ls.parse(text, uri, ++version, last);
      const verdict = ls.verdict(last, { strict: false });
      const got = await ls.schemaFindings(last, { delayMs: 0 });
      if (got === 'superseded') throw new Error('schema run superseded in the benchmark: nothing else asks');
      verdict.withSchema(got);
      findings = got.map((f) => f.code);
    },
    1,
  );
  return { ...s, engine: status.engine, findings: findings.length, codes: [...new Set(findings)] };
}

/** Grammar load and grammar completion figures, with the schemas the extension ships. */
async function grammarFigures(b: Bundle, host: HostTopology, g: GeneratedDomain): Promise<GrammarFigures | undefined> {
  const dir = SHIPPED_SCHEMAS;
  if (!existsSync(path.join(dir, 'domain.rng'))) {
    log('grammar: libvirt-schemas/ is missing (npm run build fetches it): grammar figures not measured');
    return undefined;
  }
  const firstLoad = firstGrammarLoads(QUICK ? 3 : 10);
  if (!firstLoad) return undefined;
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const choice = await b.chooseGrammar({ shippedDir: dir, defaultDir: path.join(dir, 'none'), pathEnv: '' });
  const grammar = choice.grammar;
  if (!grammar) return undefined;
  (globalThis as { gc?: () => void }).gc?.();
  const heapMB = round((process.memoryUsage().heapUsed - heap0) / 1e6);
  const reload = await timeAsync(
    QUICK ? 2 : 5,
    async () => {
      await b.loadSchema(dir);
    },
    1,
  );
  const ls = b.getLanguageService({ host: { topology: () => host }, grammar: { current: () => grammar } });
  const positionsOf = (text: string): number[] => {
    const out: number[] = [];
    const visit = (el: import('../server/src/xml/nodes').XmlElement) => {
      out.push(el.nameStart + 1);
      for (const a of el.attributes) {
        out.push(a.nameStart);
        if (a.valueStart >= 0) out.push(a.valueStart);
      }
      if (el.startTagClosed && !el.children.length && el.endTagStart > el.startTagEnd) out.push(el.startTagEnd);
      el.children.forEach(visit);
    };
    b.parseXml(text).roots.forEach(visit);
    return out;
  };
  const doc = ls.parse(g.text, 'file:///bench/grammar.xml', 1);
  const positions = positionsOf(g.text);
  const step = Math.max(1, Math.floor(positions.length / 600));
  const picked = positions.filter((_, i) => i % step === 0);
  const completion = timeSync(
    picked.length,
    (i) => {
      ls.complete(doc, doc.lines.positionAt(picked[i % picked.length]));
    },
    0,
  );
  // Thousands of siblings: 5000 disks, completion of a new device among them.
  const disks = Array.from({ length: 5000 }, (_, i) => `    <disk type='file' device='disk'><source file='/v/${i}.qcow2'/><target dev='vd${i}' bus='virtio'/></disk>`).join('\n');
  const big = `<domain type='kvm'>\n  <name>many</name>\n  <devices>\n${disks}\n    <\n  </devices>\n</domain>\n`;
  const bigDoc = ls.parse(big, 'file:///bench/siblings.xml', 1);
  const lt = big.lastIndexOf('<\n') + 1;
  const completionManySiblings = timeSync(QUICK ? 10 : 50, () => {
    ls.complete(bigDoc, bigDoc.lines.positionAt(lt));
  });
  const release = grammar.location.libvirtVersion;
  log('grammar: schema findings after a keystroke');
  const schemaK = release ? await schemaKeystroke(b, host, g, release, QUICK ? 4 : 30) : undefined;
  return {
    release: grammar.description,
    firstLoad,
    reload,
    heapMB,
    completion: { ...completion, positions: picked.length },
    completionManySiblings,
    schemaKeystroke: schemaK,
  };
}

// ---------------------------------------------------------------- over LSP

interface OverLsp {
  label: string;
  editToPublish: Stat;
  completion: Stat;
  hover: Stat;
  quickFix: Stat;
  /** A hover sent right after an edit: the server parses the new version for it. */
  hoverAfterEdit: Stat;
  /** A hover sent while the debounced analysis of an edit is running. */
  hoverDuringAnalysis: Stat;
  /** A keystroke until the diagnostics with libvirt's schema findings are published (typing delay and schema pause included). */
  schemaEditToPublish?: Stat;
  /** Of that, from the rules' diagnostics to the schema's (the schema pause included). */
  schemaAfterRules?: Stat;
  /** Analyses published for a burst of 20 edits 5 ms apart (1 = stale work skipped). */
  publishesForBurst: number;
  /** The largest gap between two sends of that burst. */
  burstGapMs: number;
  rssMB: number;
  /** RSS 3 s after the last edit, when the server has had its pause to collect garbage. */
  restedRssMB: number;
  peakRssMB: number;
}

function rssOf(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
    return { rss: round(kb('VmRSS') / 1024), hwm: round(kb('VmHWM') / 1024) };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

function positionIn(text: string, offset: number): { line: number; character: number } {
  // Bench documents use \n line ends only, so this is the LSP position.
  let line = 0,
    lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

/**
 * Whether published diagnostics carry libvirt's schema verdict (schema-invalid, schema-newer-libvirt), or only
 * the note that no grammar could be used (schema-unavailable: then there is no schema figure to measure).
 */
function schemaSpoke(p: { diagnostics: Diagnostic[] }): 'verdict' | 'unavailable' | undefined {
  const codes = p.diagnostics.map((d) => d.code);
  if (codes.some((c) => typeof c === 'string' && c.startsWith('schema-') && c !== 'schema-unavailable')) return 'verdict';
  return codes.includes('schema-unavailable') ? 'unavailable' : undefined;
}

function hasSchemaFindings(p: { diagnostics: Diagnostic[] }): boolean {
  return schemaSpoke(p) !== undefined;
}

/** Rejects when `p` takes longer than `ms`: a figure that never comes must not hang the benchmark. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** What every LSP session of the benchmark is started with: the generated host, and the shipped grammar's release as target. */
type SessionSettings = { host: { sysfsRoot: string }; libvirtVersion?: string };

async function overLsp(settings: SessionSettings, g: GeneratedDomain, size: (typeof SIZES)[number]): Promise<OverLsp> {
  const client = await startClient({ initializationOptions: settings });
  try {
    const uri = `file:///bench/${size.label.replace(' ', '')}.xml`;
    let text = g.text;
    let version = 1;
    await client.open(uri, text, version);
    await client.diagnostics(uri, version);
    const pos = {
      edit: positionIn(text, g.marks.editOffset),
      source: positionIn(text, g.marks.hostdevSourceAddress),
      hover: positionIn(text, g.marks.hoverAttr),
      fixStart: positionIn(text, g.marks.fixStart),
      fixEnd: positionIn(text, g.marks.fixEnd),
    };
    let keys = 0;
    const change = (v: number) => {
      const k = keystroke(text, g.marks.editOffset, keys++);
      text = k.text;
      const end = { line: pos.edit.line, character: pos.edit.character + (k.erased ? 1 : 0) };
      return client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: pos.edit, end }, text: k.erased ? '' : '7' }],
      });
    };
    /** Requests at positions after the edit point are sent with the generated text in place. */
    const settle = async () => {
      if (keys % 2 === 0) return;
      await change(++version);
      await client.diagnostics(uri, version);
    };
    const runs = QUICK ? 3 : size.lspRuns;
    const editToPublish = await timeAsync(runs, async () => {
      const v = ++version;
      await change(v);
      await client.diagnostics(uri, v);
    });
    await settle();
    // Schema findings after a keystroke: the size the target is set for, and below (each run waits out the schema
    // pause). Each keystroke types one more digit, so that every version is new (see schemaKeystroke); they are
    // erased in one change afterwards.
    let schemaEditToPublish: Stat | undefined, schemaAfterRules: Stat | undefined;
    if (size.bytes <= 64 * 1024) {
      const after: number[] = [];
      let typed = 0;
      let noGrammar = false;
      schemaEditToPublish = await timeAsync(
        QUICK ? 2 : 8,
        async (i) => {
          const v = ++version;
          const digit = String(typed++ % 10);
          text = `${text.slice(0, g.marks.editOffset)}${digit}${text.slice(g.marks.editOffset)}`;
          await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
            textDocument: { uri, version: v },
            contentChanges: [{ range: { start: pos.edit, end: pos.edit }, text: digit }],
          });
          await client.diagnostics(uri, v);
          const t = performance.now();
          const p = await within(client.diagnostics(uri, v, hasSchemaFindings), 30_000, `schema findings for version ${v}`);
          if (schemaSpoke(p) === 'unavailable') noGrammar = true;
          if (i >= 0) after.push(performance.now() - t);
        },
        1,
      );
      schemaAfterRules = stat(after);
      if (noGrammar) {
        log(`LSP ${size.label}: the server had no usable grammar (schema-unavailable): no schema figure`);
        schemaEditToPublish = schemaAfterRules = undefined;
      }
      text = g.text;
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: ++version },
        contentChanges: [{ range: { start: pos.edit, end: { line: pos.edit.line, character: pos.edit.character + typed } }, text: '' }],
      });
      await client.diagnostics(uri, version);
    }
    const td = { uri };
    const reqRuns = QUICK ? 10 : size.bytes > 1e6 ? 30 : 100;
    const completion = await timeAsync(reqRuns, async () => {
      await client.connection.sendRequest(CompletionRequest.type, { textDocument: td, position: pos.source });
    });
    const hover = await timeAsync(reqRuns, async () => {
      await client.connection.sendRequest(HoverRequest.type, { textDocument: td, position: pos.hover });
    });
    const last = client.published.filter((p) => p.uri === uri).at(-1)?.diagnostics ?? [];
    const quickFix = await timeAsync(reqRuns, async () => {
      await client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: td,
        range: { start: pos.fixStart, end: pos.fixEnd },
        context: { diagnostics: last.filter((d) => d.range.start.line === pos.fixStart.line) },
      });
    });
    const hoverAfterEdit = await timeAsync(
      runs,
      async () => {
        const v = ++version;
        void change(v);
        await client.connection.sendRequest(HoverRequest.type, { textDocument: td, position: pos.hover });
        await client.diagnostics(uri, v);
      },
      1,
    );
    // The analysis starts when the 120 ms debounce fires; a request sent just after that waits for it.
    const waits: number[] = [];
    for (let i = 0; i < runs; i++) {
      const v = ++version;
      await change(v);
      await sleep(125);
      const t0 = performance.now();
      await client.connection.sendRequest(HoverRequest.type, { textDocument: td, position: pos.hover });
      waits.push(performance.now() - t0);
      await client.diagnostics(uri, v);
    }
    const burstFirst = version + 1;
    // The largest gap between two sends: a pause of the benchmark itself (its own garbage collection) longer than
    // the 120 ms debounce is a real pause in typing to the server, which then rightly analyses in the middle.
    let burstGap = 0;
    let sentAt = performance.now();
    for (let k = 0; k < 20; k++) {
      await change(++version);
      const now = performance.now();
      if (k > 0) burstGap = Math.max(burstGap, now - sentAt);
      sentAt = now;
      await sleep(5);
    }
    await client.diagnostics(uri, version);
    await sleep(50);
    const publishesForBurst = client.published.filter((p) => p.uri === uri && (p.version ?? 0) >= burstFirst).length;
    const mem = rssOf(client.child.pid!);
    // The server collects garbage once analyses of a large document pause (2 s): the steady state with the file open.
    await sleep(3000);
    const rested = rssOf(client.child.pid!);
    return {
      label: size.label,
      editToPublish,
      completion,
      hover,
      quickFix,
      hoverAfterEdit,
      hoverDuringAnalysis: stat(waits),
      schemaEditToPublish,
      schemaAfterRules,
      publishesForBurst,
      burstGapMs: round(burstGap),
      rssMB: mem.rss,
      peakRssMB: mem.hwm,
      restedRssMB: rested.rss,
    };
  } finally {
    await client.stop();
  }
}

interface ColdStart {
  /**
   * Process start → the first diagnostics (our rules) of a 50 KB domain opened at once. The server's code
   * cache (server/src/boot/) is in place: the first start of the run, not counted, writes it if needed.
   */
  firstDiagnostics: Stat;
  /** The same with the code cache off (LDX_CODE_CACHE_DIR=off): a server's very first start. */
  firstDiagnosticsNoCache: Stat;
  /** Process start → the first diagnostics that carry libvirt's schema findings. */
  firstSchemaDiagnostics?: Stat;
  /** Process start → the grammar loaded (its status notification). */
  grammarLoaded?: Stat;
  /** Resident memory 1 s after all that: the server idle with the grammar loaded and the document open. */
  idleRssMB: Stat;
  /** Which grammar the server chose (its status text). */
  grammar?: string;
  /** How the server said it validated (its grammar status): libxml2 in process, or the fallback and why. */
  schemaEngine?: string;
}

/** Cold starts of the server: each a new process, from spawn to the diagnostics of a document opened at once. */
async function coldStart(settings: SessionSettings, text: string, runs: number): Promise<ColdStart> {
  const first: number[] = [],
    schema: number[] = [],
    grammarAt: number[] = [],
    rss: number[] = [];
  let grammar: string | undefined;
  let schemaEngine: string | undefined;
  let noGrammar = false;
  const uri = 'file:///bench/cold.xml';
  for (let i = -1; i < runs; i++) {
    const t0 = performance.now();
    const client: TestClient = await startClient({ initializationOptions: settings });
    try {
      let loaded: number | undefined;
      client.connection.onNotification(GRAMMAR_STATUS_NOTIFICATION, (p: GrammarStatus) => {
        loaded ??= performance.now();
        grammar = p.text;
        schemaEngine ??= p.validation;
      });
      await client.open(uri, text, 1);
      await client.diagnostics(uri, 1);
      const t1 = performance.now();
      const p = await within(client.diagnostics(uri, 1, hasSchemaFindings), 30_000, 'schema findings at cold start');
      const t2 = performance.now();
      if (schemaSpoke(p) === 'unavailable') noGrammar = true;
      for (let w = 0; loaded === undefined && w < 300; w++) await sleep(10);
      await sleep(1000);
      if (i < 0) continue; // the first start warms the file cache
      first.push(t1 - t0);
      schema.push(t2 - t0);
      if (loaded !== undefined) grammarAt.push(loaded - t0);
      rss.push(rssOf(client.child.pid!).rss);
    } finally {
      await client.stop();
    }
  }
  if (noGrammar) log('cold start: the server had no usable grammar (schema-unavailable): no schema figure');
  else log(`cold start: ${schemaEngine ?? 'the server did not say how it validates'}`);
  const uncached: number[] = [];
  for (let i = 0; i < Math.ceil(runs / 2); i++) {
    const t0 = performance.now();
    const client = await startClient({ initializationOptions: settings, env: { ...process.env, LDX_CODE_CACHE_DIR: 'off' } });
    try {
      await client.open(uri, text, 1);
      await client.diagnostics(uri, 1);
      uncached.push(performance.now() - t0);
    } finally {
      await client.stop();
    }
  }
  return {
    firstDiagnostics: stat(first),
    firstDiagnosticsNoCache: stat(uncached),
    firstSchemaDiagnostics: noGrammar ? undefined : stat(schema),
    grammarLoaded: grammarAt.length ? stat(grammarAt) : undefined,
    idleRssMB: stat(rss),
    grammar,
    schemaEngine,
  };
}

// ---------------------------------------------------------------- host

async function hostRead(b: Bundle, host: HostTopology): Promise<{ sysfsRoot: string; read: Stat; devices: number; iommus: number }> {
  const mod = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'make-host-fixtures.mjs')).href)) as {
    buildHost(dir: string, h: unknown): void;
  };
  const sysfsRoot = path.join(WORK, 'sysfs', 'grace-bench');
  // The fixture builder's host description, from the generated topology.
  const iommus = host.iommus.map((i) => ({ name: i.name, dir: `/devices/platform/${i.platformDevice}/iommu`, numa: i.numaNode }));
  const devices = host.pciDevices.map((d) => ({
    bdf: d.bdf,
    vendor: d.vendorId,
    device: d.deviceId,
    class: d.classCode,
    numa: d.numaNode ?? -1,
    iommu: d.iommu,
    group: d.iommuGroup,
    driver: d.driver,
  }));
  mod.buildHost(sysfsRoot, { iommus, devices });
  let got: HostTopology | undefined;
  const read = await timeAsync(QUICK ? 3 : 15, async () => {
    got = await b.readSysfsTopology(sysfsRoot, { pciIdsPaths: [] });
  });
  return { sysfsRoot, read, devices: got?.pciDevices.length ?? 0, iommus: got?.iommus.length ?? 0 };
}

// ---------------------------------------------------------------- report

interface Target {
  what: string;
  /** "≤ 2 ms". */
  goal: string;
  unit: string;
  /** The figure judged (a median where the figure has runs), and its 95th percentile. */
  median?: number;
  p95?: number;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
}

/** "0.35 ms (p95 1.58)", or "not measured". */
function measured(t: Target): string {
  if (t.median === undefined) return 'not measured';
  return `${t.median}${t.unit ? ` ${t.unit}` : ''}${t.p95 !== undefined ? ` (p95 ${t.p95})` : ''}`;
}

function targets(r: Results): Target[] {
  const ip = (label: string) => r.inProcess.find((x) => x.label === label);
  const lsp = (label: string) => r.lsp.find((x) => x.label === label);
  const out: Target[] = [];
  const add = (what: string, goal: string, value: Stat | number | undefined, limit: number, unit = 'ms') => {
    const v = typeof value === 'number' ? { median: value, p95: undefined } : value;
    const ok = v !== undefined && !Number.isNaN(v.median);
    out.push({ what, goal, unit, ...(ok ? { median: v.median, ...(v.p95 !== undefined ? { p95: v.p95 } : {}) } : {}), met: ok ? v.median <= limit : undefined });
  };
  const k50 = ip('50 KB'),
    m5 = ip('5 MB');
  add('50 KB: edit → diagnostics computed (median)', '≤ 2 ms', k50?.editToDiagnostics, 2);
  add('50 KB: completion at a hostdev source address (median)', '≤ 1 ms', k50?.completionHostdevSource, 1);
  add('50 KB: completion at pciBus (median)', '≤ 1 ms', k50?.completionPciBus, 1);
  add('50 KB: hover (median)', '≤ 1 ms', k50?.hover, 1);
  add('5 MB: edit → diagnostics computed (median)', '≤ 150 ms', m5?.editToDiagnostics, 150);
  for (const x of r.inProcess) add(`${x.label}: full analysis ÷ bare xmldom parse`, '≤ 2×', x.ratioToXmldom, 2, '×');
  const l5 = lsp('5 MB');
  add('5 MB over LSP: hover sent while analysis runs (median wait)', '≤ 50 ms (not queued behind analysis)', l5?.hoverDuringAnalysis, 50);
  add('5 MB over LSP: analyses published for a burst of 20 edits', '1 (stale work dropped)', l5?.publishesForBurst, 1, '');
  add('Cold start → first diagnostics, 50 KB, grammar in use (median)', '≤ 300 ms', r.coldStart?.firstDiagnostics, 300);
  add("Cold start → first diagnostics with libvirt's schema findings, 50 KB (median)", '≤ 300 ms', r.coldStart?.firstSchemaDiagnostics, 300);
  add('Idle server RSS with the grammar loaded, 50 KB open (median)', '≤ 100 MB', r.coldStart?.idleRssMB, 100, 'MB');
  add("Grammar load: libvirt's RelaxNG read and compiled, first in a new process (median)", '≤ 200 ms', r.grammar?.firstLoad, 200);
  add('50 KB: keystroke → schema diagnostics computed, without the typing delay and schema pause (median)', '≤ 100 ms', r.grammar?.schemaKeystroke, 100);
  add('50 KB: completion from the grammar, anywhere (median)', '≤ 2 ms', r.grammar?.completion, 2);
  add('5000 sibling disks: completion of a new device (median)', '≤ 2 ms', r.grammar?.completionManySiblings, 2);
  add('Release server bundle', '≤ 1 MB', round(r.bundle.bytes / 1e6), 1, 'MB');
  add('Server RSS with the 5 MB document open, 3 s after the last edit', '≤ 80 MB', l5?.restedRssMB, 80, 'MB');
  add('Server RSS with the 5 MB document open, right after a burst of edits', '≤ 80 MB', l5?.rssMB, 80, 'MB');
  return out;
}

interface Results {
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    memoryGB: number;
    date: string;
    commit?: string;
    /** 1-minute load average before the run, after it, and the highest seen at any step. */
    loadBefore: number;
    loadAfter?: number;
    loadMax?: number;
    mode: 'full' | 'quick';
  };
  host: { devices: number; iommus: number; readSysfs: Stat; sysfsDevicesRead: number };
  bundle: { bytes: number; gzip: number };
  peers: { xmllint: boolean; schema: string | undefined };
  inProcess: InProcess[];
  lsp: OverLsp[];
  coldStart?: ColdStart;
  grammar?: GrammarFigures;
  targets: Target[];
}

const ms = (s: Stat | undefined) => (s ? `${s.median} / ${s.p95}` : '—');

function markdown(r: Results): string {
  const L: string[] = [];
  const m = r.machine;
  const busy = Math.max(m.loadBefore, m.loadAfter ?? 0, m.loadMax ?? 0) > m.cpus;
  L.push(
    `Measured ${m.date} on ${m.cpus} cores (${m.cpuModel}), ${m.memoryGB} GB, Node ${m.node}, ${m.platform}${m.commit ? `, commit ${m.commit}` : ''}; load average ${m.loadBefore} before and ${m.loadAfter ?? '?'} after the run, at most ${m.loadMax ?? '?'} during it${busy ? ' (**the machine was busy with other work: figures are inflated and noisy**)' : ''}.`,
  );
  L.push('Times in milliseconds as **median / p95** over the runs given; ratios use medians. In-process figures run the bundled service, as shipped.');
  L.push('');
  L.push('### In process (language service)');
  L.push('');
  const cols = r.inProcess.map((x) => x.label);
  L.push(`| figure | ${cols.join(' | ')} |`);
  L.push(`|---|${cols.map(() => '---:').join('|')}|`);
  const row = (name: string, f: (x: InProcess) => string) => L.push(`| ${name} | ${r.inProcess.map(f).join(' | ')} |`);
  row('document size (UTF-16 units) / elements', (x) => `${x.chars.toLocaleString('en')} / ${x.elements.toLocaleString('en')}`);
  row('runs', (x) => String(x.editToDiagnostics.runs));
  row('**edit → diagnostics** (a digit typed or erased; re-parse from the last version + model + rules)', (x) => `**${ms(x.editToDiagnostics)}**`);
  row('  of which re-parse + model + line index', (x) => ms(x.parse));
  row('  of which rules → diagnostics', (x) => ms(x.validate));
  row('  re-parses that were incremental', (x) => `${x.reparse.incremental ?? 0} of ${Object.values(x.reparse).reduce((a, b) => a + b, 0)}`);
  row('**full analysis** (open, or an edit that needs a full parse)', (x) => `**${ms(x.fullAnalysis)}**`);
  row('typing a new element, each keystroke → diagnostics (incremental re-parses)', (x) => `${ms(x.typingElement)} (${x.typingElement.incremental} of ${x.typingElement.runs})`);
  row('tolerant XML scan alone', (x) => ms(x.parseXmlOnly));
  row('domain model alone', (x) => ms(x.readDomainOnly));
  row('diagnostics reported', (x) => String(x.diagnostics));
  row('floor: bare xmldom parse', (x) => ms(x.xmldom));
  row('**full analysis ÷ xmldom**', (x) => `**${x.ratioToXmldom}×**`);
  row('strict check (xmldom, on open/save)', (x) => ms(x.strictCheck));
  row('peer: `xmllint --noout` (process)', (x) => (x.xmllintParse ? `${ms(x.xmllintParse)} (${round(x.fullAnalysis.median / x.xmllintParse.median)}×)` : 'not installed'));
  row('peer: `xmllint --relaxng domain.rng` (process)', (x) =>
    x.xmllintRelaxng ? `${ms(x.xmllintRelaxng)} (${round(x.fullAnalysis.median / x.xmllintRelaxng.median)}×)` : 'not installed',
  );
  row('completion in a hostdev source address (items)', (x) => `${ms(x.completionHostdevSource)} (${x.completionHostdevSource.items})`);
  row('completion at `pciBus` (items)', (x) => `${ms(x.completionPciBus)} (${x.completionPciBus.items})`);
  row('hover on `accel` (answered)', (x) => `${ms(x.hover)} (${x.hover.found ? 'yes' : 'null'})`);
  row('quick fixes for `ssidSize` (actions)', (x) => `${ms(x.quickFix)} (${x.quickFix.actions})`);
  row('document symbols', (x) => ms(x.symbols));
  L.push('');
  if (r.lsp.length) {
    L.push('### Over LSP (`node dist/server.js --stdio`, incremental sync)');
    L.push('');
    const lc = r.lsp.map((x) => x.label);
    L.push(`| figure | ${lc.join(' | ')} |`);
    L.push(`|---|${lc.map(() => '---:').join('|')}|`);
    const lrow = (name: string, f: (x: OverLsp) => string) => L.push(`| ${name} | ${r.lsp.map(f).join(' | ')} |`);
    lrow('one-character edit → diagnostics published (includes the 120 ms debounce)', (x) => ms(x.editToPublish));
    lrow('completion round trip', (x) => ms(x.completion));
    lrow('hover round trip', (x) => ms(x.hover));
    lrow('code action round trip', (x) => ms(x.quickFix));
    lrow('hover sent with the edit (server parses the new version first)', (x) => ms(x.hoverAfterEdit));
    lrow('hover sent while the analysis runs (wait)', (x) => ms(x.hoverDuringAnalysis));
    lrow('analyses published for 20 edits 5 ms apart (largest gap between sends, ms)', (x) => `${x.publishesForBurst} (${x.burstGapMs})`);
    lrow('server RSS right after the edits / peak RSS (MB)', (x) => `${x.rssMB} / ${x.peakRssMB}`);
    lrow('server RSS 3 s after the last edit (MB)', (x) => String(x.restedRssMB));
    lrow('one-character edit → schema findings published (120 ms typing delay + 500 ms schema pause included)', (x) => (x.schemaEditToPublish ? ms(x.schemaEditToPublish) : '—'));
    lrow("  of which from the rules' diagnostics to the schema's (the 500 ms pause included)", (x) => (x.schemaAfterRules ? ms(x.schemaAfterRules) : '—'));
    L.push('');
  }
  L.push('### Start-up, host, size');
  L.push('');
  L.push('| figure | value |');
  L.push('|---|---:|');
  if (r.coldStart) {
    const c = r.coldStart;
    L.push(`| cold start → first diagnostics (spawn, initialize, open 50 KB; ${c.grammar ?? 'no grammar'}) | ${ms(c.firstDiagnostics)} ms |`);
    L.push(`| the same, the server's first start (no code cache yet) | ${ms(c.firstDiagnosticsNoCache)} ms |`);
    L.push(`| cold start → first diagnostics with libvirt's schema findings | ${ms(c.firstSchemaDiagnostics)} ms |`);
    L.push(`| cold start → grammar loaded (status notification) | ${ms(c.grammarLoaded)} ms |`);
    if (c.schemaEngine) L.push(`| how the server validates (its grammar status) | ${c.schemaEngine} |`);
    L.push(`| idle server RSS, grammar loaded, 1 s after the schema findings (MB) | ${ms(c.idleRssMB)} |`);
  }
  L.push(`| host topology read from sysfs (${r.host.iommus} SMMUs, ${r.host.devices} devices; read back ${r.host.sysfsDevicesRead}) | ${ms(r.host.readSysfs)} ms |`);
  L.push(`| release server bundle (minified) / gzip | ${(r.bundle.bytes / 1024).toFixed(0)} KiB / ${(r.bundle.gzip / 1024).toFixed(0)} KiB |`);
  L.push('');
  if (r.grammar) {
    const gr = r.grammar;
    L.push(`### libvirt's grammar (${gr.release})`);
    L.push('');
    L.push('| figure | value |');
    L.push('|---|---:|');
    L.push(`| first load, each in a new process (read, parse, index domain.rng and its includes) | ${ms(gr.firstLoad)} ms |`);
    L.push(`| later loads of the same directory, uncached | ${ms(gr.reload)} ms |`);
    L.push(`| heap held by the loaded grammar | ${gr.heapMB} MB |`);
    L.push(`| completion anywhere in the 50 KB domain (${gr.completion.positions} positions: element names, attribute names and values, text) | ${ms(gr.completion)} ms |`);
    L.push(`| completion of a new device among 5000 sibling disks | ${ms(gr.completionManySiblings)} ms |`);
    const k = gr.schemaKeystroke;
    L.push(
      `| 50 KB: keystroke → schema findings merged (re-parse, rules, ${k ? `${k.engine} runs and narrowing; ${k.findings} finding(s): ${k.codes.join(', ')}` : 'not measured'}) | ${ms(k)} ms |`,
    );
    L.push('');
  }
  L.push('### Targets');
  L.push('');
  L.push('| target | goal | median | p95 | |');
  L.push('|---|---|---:|---:|---|');
  for (const t of r.targets) {
    const value = t.median === undefined ? 'not measured' : `${t.median}${t.unit ? ` ${t.unit}` : ''}`;
    L.push(`| ${t.what} | ${t.goal} | ${value} | ${t.p95 ?? ''} | ${t.met === undefined ? '—' : t.met ? 'PASS' : '**MISS**'} |`);
  }
  return L.join('\n');
}

function writeDocs(md: string): void {
  const file = path.join(ROOT, 'docs', 'performance.md');
  const BEGIN = '<!-- BEGIN bench-results -->',
    END = '<!-- END bench-results -->';
  const block = `${BEGIN}\n${md}\n${END}`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : `# Performance\n\n${BEGIN}\n${END}\n`;
  const a = doc.indexOf(BEGIN),
    z = doc.indexOf(END);
  doc = a !== -1 && z > a ? doc.slice(0, a) + block + doc.slice(z + END.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  if (!existsSync(path.join(ROOT, 'dist', 'server.js')) && !args.has('--no-lsp')) throw new Error('dist/server.js is missing: run `npm run build` first (npm run bench does).');
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString().slice(0, 10),
    commit: commit.status === 0 ? commit.stdout.trim() : undefined,
    loadBefore: round(os.loadavg()[0]),
    mode: QUICK ? 'quick' : 'full',
  } as Results['machine'];
  log(`bench: ${machine.cpus} cores, Node ${machine.node}${QUICK ? ' (quick)' : ''}`);

  const b = await loadBundle();
  const host = generateHost({ smmus: 16, devices: 300, seed: 7 });
  const hr = await hostRead(b, host);
  log(`host: read ${hr.devices} devices / ${hr.iommus} IOMMUs from sysfs in ${hr.read.median} ms`);
  const bundle = await releaseServerSize();
  const schema = findSchema();
  const xmllint = hasXmllint();
  log(`peers: xmllint ${xmllint ? 'yes' : 'no'}, libvirt schema ${schema ? 'yes' : 'no'}`);

  const docs = new Map(SIZES.map((s) => [s.label, generateDomain({ targetBytes: s.bytes, host, seed: 11 })]));
  const inproc: InProcess[] = [];
  for (const s of COLD_ONLY ? [] : SIZES) {
    log(`in process: ${s.label}`);
    inproc.push(inProcess(b, host, docs.get(s.label)!, s, schema, xmllint));
  }

  if (!COLD_ONLY) log('grammar: load and completion');
  const grammar = COLD_ONLY ? undefined : await grammarFigures(b, host, docs.get('50 KB') ?? generateDomain({ targetBytes: 50 * 1024, host, seed: 11 }));

  const lsp: OverLsp[] = [];
  let cold: Results['coldStart'];
  if (!args.has('--no-lsp')) {
    const k50 = docs.get('50 KB') ?? generateDomain({ targetBytes: 50 * 1024, host, seed: 11 });
    // The shipped grammar's release as the target: the server then uses the shipped grammar (unless an installed
    // libvirt is at least as new), as on a laptop editing for a newer host, whatever this machine has installed.
    const release = shippedRelease();
    const settings: SessionSettings = { host: { sysfsRoot: hr.sysfsRoot }, ...(release ? { libvirtVersion: release } : {}) };
    log(`LSP: cold start (target release ${release ?? 'none: no shipped grammar'})`);
    cold = await coldStart(settings, k50.text, QUICK ? 2 : 10);
    for (const s of COLD_ONLY ? [] : SIZES) {
      if (QUICK && s.bytes > 1e6) continue;
      log(`LSP: ${s.label}`);
      lsp.push(await overLsp(settings, docs.get(s.label)!, s));
    }
  }

  log('done');
  machine.loadAfter = round(os.loadavg()[0]);
  machine.loadMax = round(loadMax);
  const results: Results = {
    machine,
    host: { devices: host.pciDevices.length, iommus: host.iommus.length, readSysfs: hr.read, sysfsDevicesRead: hr.devices },
    bundle,
    peers: { xmllint, schema: schema ? path.basename(schema) : undefined },
    inProcess: inproc,
    lsp,
    coldStart: cold,
    grammar,
    targets: [],
  };
  results.targets = targets(results);
  const md = markdown(results);
  console.log(md);
  console.log('');
  for (const t of results.targets) console.log(`${t.met === undefined ? '----' : t.met ? 'PASS' : 'MISS'}  ${t.what}: ${measured(t)} (target ${t.goal})`);

  // The comparison reads the recorded results before this run replaces them.
  const recorded = path.join(ROOT, 'bench', 'results.json');
  const compareWith = compareArg ? (compareArg.includes('=') ? compareArg.slice(compareArg.indexOf('=') + 1) : recorded) : undefined;
  const before = compareWith ? readResults(compareWith) : undefined;
  if (jsonArg) {
    writeFileSync(jsonArg, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${jsonArg}`);
  } else if (!args.has('--no-write') && !QUICK && !COLD_ONLY) {
    writeFileSync(recorded, `${JSON.stringify(results, null, 2)}\n`);
    writeDocs(md);
    log('wrote bench/results.json and docs/performance.md');
  }
  if (before) {
    const c = compareResults(before, results as unknown as BenchResults);
    console.log('');
    console.log(formatComparison(c, before, results as unknown as BenchResults));
    if (c.regressions.length) process.exitCode = 1;
  }
}

function readResults(file: string): BenchResults {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  } catch (e) {
    throw new Error(`--compare: cannot read ${file}: ${(e as Error).message}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
