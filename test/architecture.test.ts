/**
 * The invariants of ARCHITECTURE.md, read from the sources' imports:
 *  - the layers of server/src, lowest first, and imports only go down;
 *  - xml/, host/ and protocol.ts import nothing of the project;
 *  - rules/ and features/ never import the session or the faces;
 *  - the client imports only the protocol module of the server;
 *  - no import cycle between files;
 *  - one verdict path: only the language service merges findings, and the
 *    faces ask it for the verdict instead of assembling one.
 * The layer table is server/layers.json, which the linter
 * (eslint.config.mjs) reads too, so that an upward import is marked in the
 * editor; the last test checks that it is. A new folder under server/src
 * must be given its layer there and in ARCHITECTURE.md: the test names it
 * until it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const SERVER = path.join(root, 'server', 'src');
const CLIENT = path.join(root, 'client', 'src');

/** Rank of each part of server/src (a file may import its own part and lower ranks only), shared with eslint.config.mjs. */
const TABLE = JSON.parse(readFileSync(path.join(root, 'server', 'layers.json'), 'utf8')) as {
  layers: Record<string, number>;
  clientMayImport: string[];
};
const LAYERS: Readonly<Record<string, number>> = TABLE.layers;
/** Parts that import nothing of the project outside themselves: the lowest layer. */
const LEAVES = Object.keys(LAYERS).filter((p) => LAYERS[p] === 0);

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
  assert.deepEqual(
    parts.filter((p) => !(p in LAYERS)),
    [],
    'give the new part a layer in test/architecture.test.ts and ARCHITECTURE.md',
  );
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
    LEAVES.includes(partOf(file)) ? targets.filter((t) => partOf(t) !== partOf(file)).map((t) => `${rel(file)} -> ${rel(t)}`) : [],
  );
  assert.deepEqual(bad, []);
});

test('rules/ and features/ never import the session or the faces', () => {
  const above = new Set(['languageService.ts', 'session', 'server.ts', 'cli', 'client']);
  const bad = [...graph].flatMap(([file, targets]) =>
    ['rules', 'features'].includes(partOf(file)) ? targets.filter((t) => above.has(partOf(t))).map((t) => `${rel(file)} -> ${rel(t)}`) : [],
  );
  assert.deepEqual(bad, []);
});

/**
 * The client reaches the server through LSP requests; of the server's code
 * only what server/layers.json names (the message names and shapes) may
 * enter the client bundle.
 */
const CLIENT_MAY_IMPORT = (t: string) => TABLE.clientMayImport.includes(partOf(t));

test("the client imports only the server's protocol module", () => {
  const bad = [...graph].flatMap(([file, targets]) =>
    partOf(file) === 'client' ? targets.filter((t) => partOf(t) !== 'client' && !CLIENT_MAY_IMPORT(t)).map((t) => `${rel(file)} -> ${rel(t)}`) : [],
  );
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
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(rel(w));
      } while (w !== v);
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

test('the linter marks an import that runs up a layer, or out of the client, where it is written', async () => {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, text: string) => {
    const [r] = await eslint.lintText(text, { filePath: path.join(root, file) });
    return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${m.line}: ${m.message}`);
  };
  // Each line: the file, what it imports, and whether the linter must object.
  const cases: [string, string, boolean][] = [
    ['server/src/rules/x.ts', '../session/settings', true],
    ['server/src/rules/x.ts', '../languageService', true],
    ['server/src/rules/x.ts', '../schema/messages', true],
    ['server/src/rules/x.ts', '../domain/model', false],
    ['server/src/rules/x.ts', './spans', false],
    ['server/src/features/fixes/x.ts', '../../session/settings', true],
    ['server/src/features/fixes/x.ts', '../../rules/settings', false],
    ['server/src/features/fixes/x.ts', '../edits', false],
    ['server/src/xml/x.ts', '../domain/model', true],
    ['server/src/host/x.ts', '../xml/parser', true],
    ['server/src/domain/x.ts', '../xml/parser', false],
    ['server/src/domain/x.ts', '../libvirt/virsh', true],
    ['server/src/languageService.ts', './session/settings', true],
    ['server/src/languageService.ts', './features/hover', false],
    ['server/src/schema/x.ts', '../../client/src/status', true],
    ['client/src/x.ts', '../../server/src/protocol', false],
    ['client/src/x.ts', '../../server/src/languageService', true],
    ['client/src/x.ts', './status', false],
  ];
  const wrong: string[] = [];
  for (const [file, spec, objects] of cases) {
    const found = await lint(file, `import { x } from '${spec}';\nexport const y = x;\n`);
    if (found.length > 0 !== objects) wrong.push(`${file} importing ${spec}: ${objects ? 'not marked' : `marked (${found.join('; ')})`}`);
  }
  assert.deepEqual(wrong, []);
  // The message says which layers are involved.
  assert.deepEqual(await lint('server/src/rules/x.ts', "import type { S } from '../session/settings';\nexport type T = S;\n"), [
    "1: '../session/settings' import is restricted from being used by a pattern. rules (layer 2) may not import session (layer 6): imports only go down the layers (ARCHITECTURE.md).",
  ]);
});
