/**
 * The invariants of ARCHITECTURE.md, read from the sources' imports:
 *  - the layers of server/src, lowest first, and imports only go down;
 *  - xml/, host/ and protocol.ts import nothing of the project;
 *  - rules/ and features/ never import the session or the faces;
 *  - the client imports only the protocol module of the server, and (a
 *    debt, see ARCHITECTURE.md) the virsh access of server/src/libvirt/;
 *  - no import cycle between files;
 *  - one verdict path: only the language service merges findings, and the
 *    faces ask it for the verdict instead of assembling one.
 * A new folder under server/src must be given its layer here and in
 * ARCHITECTURE.md: the test names it until it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const SERVER = path.join(root, 'server', 'src');
const CLIENT = path.join(root, 'client', 'src');

/** Rank of each part of server/src: a file may import its own part and lower ranks only. */
const LAYERS: Readonly<Record<string, number>> = {
  xml: 0, host: 0, 'protocol.ts': 0,
  domain: 1, libvirt: 1,
  rules: 2,
  schema: 3,
  features: 4,
  'languageService.ts': 5,
  session: 6,
  'server.ts': 7, cli: 7,
};
/** Parts that import nothing of the project outside themselves. */
const LEAVES = ['xml', 'host', 'protocol.ts'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The project files a file imports (relative specifiers resolved to .ts files). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec);
    const target = [base, `${base}.ts`, path.join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
    assert.ok(target, `${rel(file)} imports ${spec}, which is no file`);
    out.push(target);
  }
  return out;
}

const rel = (f: string) => path.relative(root, f);
/** The part of server/src a file belongs to ('client' for the client). */
function partOf(file: string): string {
  if (file.startsWith(CLIENT + path.sep)) return 'client';
  const r = path.relative(SERVER, file);
  assert.ok(!r.startsWith('..'), `${rel(file)} is outside server/src and client/src`);
  return r.split(path.sep)[0];
}

const files = [...tsFiles(SERVER), ...tsFiles(CLIENT)];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('every part of server/src has a layer', () => {
  const parts = [...new Set(files.map(partOf))].filter((p) => p !== 'client').sort();
  assert.deepEqual(parts.filter((p) => !(p in LAYERS)), [], 'give the new part a layer in test/architecture.test.ts and ARCHITECTURE.md');
});

test('imports only go down the layers', () => {
  const up: string[] = [];
  for (const [file, targets] of graph) {
    const from = partOf(file);
    if (from === 'client') continue;
    for (const t of targets) {
      const to = partOf(t);
      if (to === from) continue;
      if (to === 'client' || LAYERS[to] >= LAYERS[from]) up.push(`${rel(file)} -> ${rel(t)}`);
    }
  }
  assert.deepEqual(up, []);
});

test('xml/, host/ and protocol.ts import nothing of the project', () => {
  const bad = [...graph].flatMap(([file, targets]) =>
    LEAVES.includes(partOf(file)) ? targets.filter((t) => partOf(t) !== partOf(file)).map((t) => `${rel(file)} -> ${rel(t)}`) : []);
  assert.deepEqual(bad, []);
});

test('rules/ and features/ never import the session or the faces', () => {
  const above = new Set(['languageService.ts', 'session', 'server.ts', 'cli', 'client']);
  const bad = [...graph].flatMap(([file, targets]) =>
    ['rules', 'features'].includes(partOf(file)) ? targets.filter((t) => above.has(partOf(t))).map((t) => `${rel(file)} -> ${rel(t)}`) : []);
  assert.deepEqual(bad, []);
});

/**
 * The client's own libvirt view runs virsh itself through server/src/libvirt/
 * (a debt: it should ask the server); nothing else of the server may enter
 * the client bundle.
 */
const CLIENT_MAY_IMPORT = (t: string) => t === path.join(SERVER, 'protocol.ts') || partOf(t) === 'libvirt';

test('the client imports only the server\'s protocol module (and its virsh access)', () => {
  const bad = [...graph].flatMap(([file, targets]) =>
    partOf(file) === 'client' ? targets.filter((t) => partOf(t) !== 'client' && !CLIENT_MAY_IMPORT(t)).map((t) => `${rel(file)} -> ${rel(t)}`) : []);
  assert.deepEqual(bad, []);
});

test('no import cycle between files', () => {
  // Tarjan's strongly connected components; any component of more than one file is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(rel(w)); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('one verdict path: only the language service merges findings; the faces ask it for the verdict', () => {
  const merging = files.filter((f) => /\bmergeFindings\s*\(/.test(readFileSync(f, 'utf8')) && !f.endsWith(path.join('schema', 'validator.ts')));
  assert.deepEqual(merging.map(rel), ['server/src/languageService.ts']);
  const faces = files.filter((f) => ['session', 'cli'].includes(partOf(f)));
  const assembling = faces.filter((f) => /\.(validate|strictCheck|findings)\(|\btoDiagnostic\(/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(assembling.map(rel), []);
  for (const face of ['server/src/session/documentAnalysis.ts', 'server/src/cli/check.ts']) {
    assert.match(readFileSync(path.join(root, face), 'utf8'), /\.verdict\(/, `${face} does not ask the language service for the verdict`);
  }
});
