/**
 * The domains the differential suite puts before libvirt and before us:
 * the files the repository holds (examples, test fixtures), the peer corpus
 * of virt-install output beside the repository, and every document our
 * quick fixes and the topology generator make from those.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { CodeAction, TextEdit } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from '../../server/src/languageService';
import { parseSnapshot } from '../../server/src/host/snapshot';
import type { HostTopology } from '../../server/src/host/types';
import { GENERATE_TOPOLOGY_KIND } from '../../server/src/protocol';

export const REPO = resolve(dirname(__filename), '../..');
/** The peer corpus, as CI lays it out: `../shared` beside the repository. */
export const VIRT_INSTALL_CORPUS = resolve(REPO, '../shared/corpus/virt-install');

export interface Input {
  /** Unique, stable name for reports: a path relative to the repository, or a derived name. */
  name: string;
  text: string;
  /** Where it comes from: 'example', 'fixture', 'virt-install', 'quick fix', 'topology generator', 'mutation'. */
  origin: string;
}

/** Directories of the repository whose `.xml` files are inputs, with their origin. */
const REPO_DIRS: readonly [string, string][] = [
  ['examples', 'example'],
  ['test/corpus', 'fixture'],
  ['test/fixtures/fixes', 'fixture'],
  ['test/fixtures/schema', 'fixture'],
  ['test/regressions', 'fixture'],
  // Domains written for the differential suite alone (kept out of test/corpus,
  // whose file list seeds the robustness test's edit stream).
  ['test/fixtures/referee', 'fixture'],
];

function xmlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => join(dir, f));
}

const isDomain = (text: string) => /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<domain[\s>]/.test(text);

/** The repository's own domain files. */
export function repositoryInputs(): Input[] {
  return REPO_DIRS.flatMap(([dir, origin]) =>
    xmlFiles(join(REPO, dir))
      .map((f) => ({ name: relative(REPO, f), text: readFileSync(f, 'utf8'), origin }))
      .filter((i) => isDomain(i.text)),
  );
}

/** The virt-install corpus, or the reason it is absent. */
export function corpusInputs(): { inputs: Input[]; skipped?: string } {
  if (!existsSync(VIRT_INSTALL_CORPUS)) return { inputs: [], skipped: '../shared/corpus/virt-install not found beside the repository' };
  const inputs = xmlFiles(VIRT_INSTALL_CORPUS).map((f) => ({
    name: `virt-install/${f.slice(VIRT_INSTALL_CORPUS.length + 1)}`,
    text: readFileSync(f, 'utf8'),
    origin: 'virt-install',
  }));
  return { inputs };
}

function loadHost(file: string): HostTopology {
  const r = parseSnapshot(readFileSync(file, 'utf8'), file);
  if (!r.topology) throw new Error(`${file}: ${r.error}`);
  return r.topology;
}

/**
 * The host a file's fixes are computed against: the fixes fixtures have their
 * own, everything else uses the examples' Grace host.
 */
function hostFileFor(name: string): string {
  return name.startsWith('test/fixtures/fixes/') ? join(REPO, 'test/fixtures/fixes/host.json') : join(REPO, 'examples/hosts/grace-3smmu.json');
}

function editsOf(action: CodeAction, uri: string): TextEdit[] | undefined {
  const edit = action.edit;
  if (!edit) return undefined;
  if (edit.changes?.[uri]) return edit.changes[uri];
  for (const c of edit.documentChanges ?? []) {
    if ('textDocument' in c && c.textDocument.uri === uri) return c.edits.filter((e): e is TextEdit => 'range' in e);
  }
  return undefined;
}

/**
 * Every document a quick fix or the topology generator produces from the
 * inputs: each fixable diagnostic's actions, applied one at a time, and the
 * generator's whole-layout action, through the language service as an
 * editor would ask for them. Duplicates (and results equal to their input)
 * are dropped.
 */
export function derivedInputs(bases: readonly Input[]): Input[] {
  const services = new Map<string, ReturnType<typeof getLanguageService>>();
  const serviceFor = (file: string) => {
    let s = services.get(file);
    if (!s) {
      const topology = loadHost(file);
      s = getLanguageService({ host: { topology: () => topology } });
      services.set(file, s);
    }
    return s;
  };
  const seen = new Set(bases.map((b) => b.text));
  const out: Input[] = [];
  for (const base of bases) {
    const ls = serviceFor(hostFileFor(base.name));
    const uri = `file:///derived/${base.name}`;
    const doc = ls.parse(base.text, uri);
    const start = { line: 0, character: 0 };
    const fixes = ls.validate(doc).flatMap((d) => ls.codeActions(doc, d.range, [d], ['quickfix']));
    const generated = ls.codeActions(doc, { start, end: start }, [], [GENERATE_TOPOLOGY_KIND]);
    for (const [origin, actions] of [
      ['quick fix', fixes],
      ['topology generator', generated],
    ] as const) {
      for (const a of actions) {
        const edits = editsOf(a, uri);
        if (!edits?.length) continue;
        const text = TextDocument.applyEdits(TextDocument.create(uri, 'xml', 1, base.text), edits);
        if (seen.has(text)) continue;
        seen.add(text);
        out.push({ name: `${base.name} + ${a.title}`, text, origin });
      }
    }
  }
  return out;
}
