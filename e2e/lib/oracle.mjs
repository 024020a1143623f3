/**
 * What the editor should show, computed without the editor: the built CLI for
 * diagnostics, and the language service itself (loaded from source through
 * tsx) for completion lists, hovers, the text a quick fix produces and the
 * rows of the vSMMU Topology view (the client's own tree builder, which
 * has no editor imports, over the server's topology answer). The e2e
 * steps compare the screen with these, so they test the path from the
 * language service through LSP and the VS Code client to the workbench, not
 * the rules again (the unit tests do that).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let modules;
/**
 * The libvirt release the e2e sessions target (run.mjs sets it as libvirtDomainXml.libvirtVersion): the
 * oracle must use the same one, or it would pick another grammar and other version findings than the editor.
 */
export const E2E_LIBVIRT_VERSION = '12.8.0';
/** The server's TypeScript modules, loaded once (tsx is a devDependency of the repository). */
async function server() {
  if (!modules) {
    const { tsImport } = await import(pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'api', 'index.mjs')).href);
    const load = (rel) => tsImport(pathToFileURL(path.join(REPO, 'server', 'src', rel)).href, import.meta.url);
    const [ls, sysfs, topology, tree, grammarSource] = await Promise.all([
      load('languageService.ts'),
      load('host/sysfs.ts'),
      load('features/topologyView.ts'),
      tsImport(pathToFileURL(path.join(REPO, 'client', 'src', 'topologyTree.ts')).href, import.meta.url),
      load('schema/grammarSource.ts'),
    ]);
    // The grammar the extension's server chooses with default settings: the schemas shipped in the
    // .vsix come from this repository's libvirt-schemas/, else the installed ones.
    const grammar = (await grammarSource.chooseGrammar({ targetVersion: E2E_LIBVIRT_VERSION })).grammar;
    modules = { ls, sysfs, topology, tree, grammar };
  }
  return modules;
}

/**
 * The CLI's findings for `file` against the sysfs tree `root` (LSP ranges, zero-based). Schema validation is
 * off, as in the editor sessions, unless `schema`: then libvirt's grammar shipped beside the sources judges too.
 */
export function cliFindings(file, root, { schema = false } = {}) {
  const schemaArgs = ['--schema', schema ? path.join(REPO, 'libvirt-schemas') : 'off'];
  const r = spawnSync(
    process.execPath,
    [path.join(REPO, 'dist', 'cli.js'), 'check', '--sysfs-root', root, '--libvirt-version', E2E_LIBVIRT_VERSION, ...schemaArgs, '--format', 'json', '--quiet', file],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status === 2 || !r.stdout.trim()) throw new Error(`CLI check failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The same findings as the Problems panel prints them: "code @ Ln L, Col C" (1-based), sorted. */
export function cliProblems(file, root) {
  return cliFindings(file, root)
    .map((d) => `${d.code} @ Ln ${d.range.start.line + 1}, Col ${d.range.start.character + 1}`)
    .sort(byPosition);
}

/** Orders "code @ Ln L, Col C" strings by line, column, then code. */
export function byPosition(a, b) {
  const pa = /Ln (\d+), Col (\d+)/.exec(a);
  const pb = /Ln (\d+), Col (\d+)/.exec(b);
  return Number(pa[1]) - Number(pb[1]) || Number(pa[2]) - Number(pb[2]) || a.localeCompare(b);
}

/**
 * The document text after applying the quick fix whose title starts with
 * `titlePrefix`, offered for the first diagnostic with `code`.
 */
export async function textAfterFix(text, root, code, titlePrefix) {
  const { service, doc } = await serviceFor(text, root);
  const uri = doc.uri;
  const diag = service.validate(doc).find((d) => d.code === code);
  if (!diag) throw new Error(`the language service reports no ${code}`);
  const action = service.codeActions(doc, diag.range, [diag]).find((a) => a.title.startsWith(titlePrefix));
  if (!action?.edit) throw new Error(`the language service offers no fix starting "${titlePrefix}" for ${code}`);
  const edits = action.edit.changes?.[uri] ?? (action.edit.documentChanges ?? []).flatMap((c) => c.edits ?? []);
  // Apply from the end so that earlier offsets stay valid (LSP edits do not overlap).
  const withOffsets = edits
    .map((e) => ({ start: doc.lines.offsetAt(e.range.start), end: doc.lines.offsetAt(e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of withOffsets) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return { title: action.title, text: out };
}

/** A language service over the sysfs tree `root`, and a parsed document of `text`. */
async function serviceFor(text, root) {
  const { ls, sysfs, grammar } = await server();
  const host = await sysfs.readSysfsTopology(root);
  const service = ls.getLanguageService({ host: { topology: () => host }, grammar: { current: () => grammar }, settings: { libvirtVersion: E2E_LIBVIRT_VERSION } });
  return { service, host, doc: service.parse(text, 'file:///e2e/domain.xml', 1) };
}

/**
 * The completion labels at a 1-based line and column, in the order an editor
 * shows them before any filtering: by sortText, then label.
 */
export async function completionLabels(text, line, column, root) {
  const { service, doc } = await serviceFor(text, root);
  const items = service.complete(doc, { line: line - 1, character: column - 1 }).items;
  return items
    .map((i) => ({ label: typeof i.label === 'string' ? i.label : i.label.label, sort: i.sortText ?? (typeof i.label === 'string' ? i.label : i.label.label) }))
    .sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : a.label.localeCompare(b.label)))
    .map((i) => i.label);
}

/** The hover's markdown at a 1-based line and column, or undefined. */
export async function hoverMarkdown(text, line, column, root) {
  const { service, doc } = await serviceFor(text, root);
  const h = service.hover(doc, { line: line - 1, character: column - 1 });
  if (!h) return undefined;
  const c = h.contents;
  return typeof c === 'string' ? c : Array.isArray(c) ? c.map((x) => (typeof x === 'string' ? x : x.value)).join('\n\n') : c.value;
}

/**
 * Markdown as the hover renders it to text, whitespace collapsed: emphasis,
 * code spans and link targets dropped. Enough for the server's hovers, which
 * use only those.
 */
export function markdownAsText(md) {
  return md
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*\*|`/g, '')
    .replace(/(^|\s)_([^_]+)_(?=[\s.,;:]|$)/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The vSMMU Topology view as first shown for `text`: every node whose
 * parents start expanded, depth first, as { label, description, level }
 * (level 1 at the top), and the message shown above the tree, if any.
 */
export async function topologyRows(text, root) {
  const { topology, tree } = await server();
  const { service, host, doc } = await serviceFor(text, root);
  const built = tree.buildTopologyTree(topology.topologyView(doc, host, service.findings(doc)));
  const rows = [];
  const walk = (nodes, level) => {
    for (const n of nodes) {
      rows.push({ label: n.label, description: n.description ?? '', level });
      if (n.expanded && n.children.length) walk(n.children, level + 1);
    }
  };
  walk(built.nodes, 1);
  return { rows, message: built.message, description: built.description };
}
