/**
 * Shared test helpers: build a language service over an optional host
 * topology, place the cursor where the text says `|`, and reduce results to
 * plain values that `deepEqual` can compare.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getLanguageService, type LanguageService, type ParsedDocument } from '../server/src/languageService';
import type { HostTopology } from '../server/src/host/types';
import { parseSnapshot } from '../server/src/host/snapshot';
import type { ServiceSettings } from '../server/src/service/settings';
import type { Finding, RuleFamily } from '../server/src/rules/types';

export const CURSOR = '|';

/** Removes the single `|` marker and returns the text and its offset. */
export function withCursor(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf(CURSOR);
  if (offset < 0 || marked.indexOf(CURSOR, offset + 1) >= 0) throw new Error('test text must contain exactly one | cursor');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

export function loadHost(name: string): HostTopology {
  const file = path.join(__dirname, 'fixtures', 'hosts', `${name}.json`);
  const r = parseSnapshot(readFileSync(file, 'utf8'), file);
  if (!r.topology) throw new Error(r.error);
  return r.topology;
}

export function service(opts: { host?: HostTopology; settings?: Partial<ServiceSettings>; rules?: readonly RuleFamily[] } = {}): LanguageService {
  return getLanguageService({
    host: { topology: () => opts.host },
    settings: opts.settings,
    rules: opts.rules,
    log: (m) => { throw new Error(`unexpected log: ${m}`); },
  });
}

export function parse(text: string, ls: LanguageService = service()): ParsedDocument {
  return ls.parse(text, 'file:///test/domain.xml', 1);
}

/** Findings as `code @ covered text` strings, the compact form most rule tests compare. */
export function findingsOf(text: string, opts: Parameters<typeof service>[0] = {}): string[] {
  const ls = service(opts);
  return ls.findings(parse(text, ls)).map((f) => `${f.code} @ ${text.slice(f.start, f.end)}`);
}

export function findingList(text: string, opts: Parameters<typeof service>[0] = {}): Finding[] {
  const ls = service(opts);
  return ls.findings(parse(text, ls));
}

/** A minimal aarch64 virt domain around the given `<devices>` content and extra domain-level XML. */
export function armDomain(devices: string, extra = ''): string {
  return `<domain type='kvm'>
  <name>t</name>
  <memory unit='GiB'>8</memory>
  <os>
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
