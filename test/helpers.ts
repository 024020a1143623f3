/**
 * Shared test helpers: build a language service over an optional host
 * topology, place the cursor where the text says `|`, and reduce results to
 * plain values that `deepEqual` can compare.
 */
import { after, before, mock } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Location, Position, Range } from 'vscode-languageserver-types';
import { getLanguageService, type LanguageService, type ParsedDocument } from '../server/src/languageService';
import type { HostTopology } from '../server/src/host/types';
import { parseSnapshot } from '../server/src/host/snapshot';
import type { RuleSettings } from '../server/src/rules/settings';
import type { Finding, RuleFamily } from '../server/src/rules/types';
import { chooseGrammar, type Grammar } from '../server/src/schema/grammarSource';

export const CURSOR = '|';
/** The URI every test document is parsed under (edits and locations name it). */
export const DOC_URI = 'file:///test/domain.xml';

/** Removes the single `|` marker and returns the text and its offset. */
export function withCursor(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf(CURSOR);
  if (offset < 0 || marked.indexOf(CURSOR, offset + 1) >= 0) throw new Error('test text must contain exactly one | cursor');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

// ---- host fixtures ------------------------------------------------------------------------

/** pci.ids excerpt the sysfs reader names devices from. */
export const PCI_IDS = path.join(__dirname, 'fixtures', 'pci.ids');

/** Path of the snapshot test/fixtures/hosts/<name>.json. */
export function hostSnapshotPath(name: string): string {
  return path.join(__dirname, 'fixtures', 'hosts', `${name}.json`);
}

/** Parses a host snapshot file; a broken fixture fails the test file at once. */
export function loadHostFile(file: string): HostTopology {
  const r = parseSnapshot(readFileSync(file, 'utf8'), file);
  if (!r.topology) throw new Error(r.error);
  return r.topology;
}

export function loadHost(name: string): HostTopology {
  return loadHostFile(hostSnapshotPath(name));
}

/** Builds fixture sysfs trees (all of them, or the named hosts) into `dir` with the script the repository ships. */
export function buildSysfsFixtures(dir: string, ...hosts: string[]): void {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'make-host-fixtures.mjs'), dir, ...hosts]);
}

/**
 * A temporary directory for the calling test file: made (and handed to
 * `setup`) before its tests run, removed after them. Returns its path; call
 * it inside tests, not at load time, when the directory does not exist yet.
 */
export function useTempDir(prefix: string, setup?: (dir: string) => void): () => string {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    setup?.(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

// ---- the language service -----------------------------------------------------------------

export interface ServiceOptions {
  host?: HostTopology;
  settings?: Partial<RuleSettings>;
  rules?: readonly RuleFamily[];
  grammar?: Grammar;
}

export function service(opts: ServiceOptions = {}): LanguageService {
  return getLanguageService({
    host: { topology: () => opts.host },
    grammar: opts.grammar ? { current: () => opts.grammar } : undefined,
    settings: opts.settings,
    rules: opts.rules,
    log: (m) => {
      throw new Error(`unexpected log: ${m}`);
    },
  });
}

export function parse(text: string, ls: LanguageService = service()): ParsedDocument {
  return ls.parse(text, DOC_URI, 1);
}

/**
 * The common start of a feature test: a service over `opts`, the document of
 * `marked` without its `|`, and the cursor as an offset and an LSP position.
 */
export function atCursor(marked: string, opts: ServiceOptions = {}): { text: string; offset: number; ls: LanguageService; doc: ParsedDocument; position: Position } {
  const { text, offset } = withCursor(marked);
  const ls = service(opts);
  const doc = parse(text, ls);
  return { text, offset, ls, doc, position: doc.lines.positionAt(offset) };
}

/** Findings as `code @ covered text` strings, the compact form most rule tests compare. */
export function findingsOf(text: string, opts: ServiceOptions = {}): string[] {
  const ls = service(opts);
  return ls.findings(parse(text, ls)).map((f) => `${f.code} @ ${text.slice(f.start, f.end)}`);
}

export function findingList(text: string, opts: ServiceOptions = {}): Finding[] {
  const ls = service(opts);
  return ls.findings(parse(text, ls));
}

// ---- expected positions -------------------------------------------------------------------

/** The LSP range of `inner` inside the `nth` occurrence of `needle` (which must occur at least nth+1 times). */
export function rangeOf(text: string, needle: string, inner: string, nth = 0): Range {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`needle not found: ${needle}`);
  }
  const start = at + needle.indexOf(inner);
  return parse(text).lines.range(start, start + inner.length);
}

/** rangeOf as a location in the test document. */
export function locationOf(text: string, needle: string, inner: string, nth = 0): Location {
  return { uri: DOC_URI, range: rangeOf(text, needle, inner, nth) };
}

// ---- documents ----------------------------------------------------------------------------

/** A minimal aarch64 virt domain (UEFI, ACPI, 8 vCPUs in two NUMA cells), as libvirt accepts it, around the given `<devices>` content and extra domain-level XML. */
export function armDomain(devices: string, extra = ''): string {
  return `<domain type='kvm'>
  <name>t</name>
  <memory unit='GiB'>8</memory>
  <vcpu placement='static'>8</vcpu>
  <os firmware='efi'>
    <type arch='aarch64' machine='virt'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu mode='host-passthrough'>
    <numa>
      <cell id='0' cpus='0-3' memory='4' unit='GiB'/>
      <cell id='1' cpus='4-7' memory='4' unit='GiB'/>
    </numa>
  </cpu>${extra}
  <devices>
${devices}
  </devices>
</domain>
`;
}

/** Runs `body` on a fake clock, so that nothing here depends on timing. */
export function onFakeClock(body: () => void): void {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    body();
  } finally {
    mock.timers.reset();
  }
}

// ---- libvirt's grammar ------------------------------------------------------------------------

/** The schemas scripts/fetch-schemas.sh puts beside the sources (what the extension ships). */
export const SHIPPED_SCHEMAS = path.join(__dirname, '..', 'libvirt-schemas');
export const SKIP_NO_SHIPPED_SCHEMAS = 'libvirt 12.8 schemas not fetched (run bash scripts/fetch-schemas.sh; needs apt-get and network)';

/** libvirt 12.8's grammar as shipped, or undefined when the build could not fetch it. */
export async function shippedGrammar(): Promise<Grammar | undefined> {
  const c = await chooseGrammar({ shippedDir: SHIPPED_SCHEMAS, defaultDir: path.join(SHIPPED_SCHEMAS, 'none'), pathEnv: '' });
  return c.notes.length ? undefined : c.grammar;
}
