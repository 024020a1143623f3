/**
 * `check --connect URI`: the domains a libvirt connection holds, read
 * through virsh, as the checker's inputs. Each domain is its persistent
 * definition (`virsh dumpxml --inactive`, what the next start uses) and is
 * reported under its name; names are sorted as file paths are, so the
 * output order does not depend on libvirt's listing or on timing.
 */
import { VirshConnection, VirshError } from '../libvirt/virsh';
import { UsageError, single, type ParsedArgs } from './args';

/** virsh runs at once while reading definitions: enough to hide a remote round trip, few enough for a small host. */
const READ_CONCURRENCY = 4;

export interface ConnectOptions {
  uri: string;
  /** 'all' for --all-domains, else the names given with --domain (deduplicated). */
  wanted: 'all' | string[];
  timeoutMs: number;
}

/** The --connect options, or undefined when the run checks files; usage errors for combinations that make no sense. */
export function connectOptions(args: ParsedArgs): ConnectOptions | undefined {
  const uri = single(args, '--connect');
  const all = args.flags.has('--all-domains');
  const names = args.options.get('--domain') ?? [];
  const timeout = single(args, '--timeout');
  if (uri === undefined) {
    if (all || names.length) throw new UsageError('--all-domains and --domain need --connect URI');
    return undefined;
  }
  if (!uri.trim()) throw new UsageError('--connect needs a libvirt URI such as qemu:///system');
  if (args.positionals.length) throw new UsageError(`check --connect reads the domains from libvirt and takes no FILE ('${args.positionals[0]}')`);
  if (all && names.length) throw new UsageError('give --all-domains or --domain NAME, not both');
  if (!all && !names.length) throw new UsageError('check --connect needs --all-domains or --domain NAME');
  if (single(args, '--stdin-filename') !== undefined) throw new UsageError('--stdin-filename is for standard input, not --connect');
  return { uri, wanted: all ? 'all' : [...new Set(names)], timeoutMs: parseTimeout(timeout) };
}

/** --timeout SECONDS for each virsh run (default 10). */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 3600) throw new UsageError(`--timeout needs seconds from 0.1 to 3600, not '${value}'`);
  return Math.round(n * 1000);
}

/**
 * True when the URI names this machine: no host part (qemu:///system,
 * test:///default, qemu+unix:///system?socket=...) or localhost.
 */
export function isLocalUri(uri: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri.trim());
  if (!m) return true;
  const host = m[1]
    .replace(/^[^@]*@/, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export interface ConnectionDomains {
  domains: { name: string; text: string }[];
  /** Domains asked for that could not be read (not defined there, or virsh failed on them). */
  problems: string[];
  /** The daemon's libvirt release, when virsh says. */
  release: string | undefined;
}

/** Code-unit order, as files are sorted (files.ts). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads the domains of the connection. A connection that cannot be used
 * (virsh missing, refused, credentials, timeout) throws its VirshError: no
 * domain could be read. A single domain that cannot be read is a problem of
 * its own and the others are still read.
 */
export async function readConnectionDomains(options: ConnectOptions, program?: string): Promise<ConnectionDomains> {
  const conn = new VirshConnection(options.uri, { timeoutMs: options.timeoutMs, program });
  // Listing first: it is what tells a connection problem apart from a missing domain.
  const defined = await conn.domainNames();
  const release = await conn.daemonVersion().catch((e: unknown) => {
    // Without the release the run goes on without version checks; a connection that broke meanwhile ends it.
    if (e instanceof VirshError && (e.kind === 'failed' || e.kind === 'unsupported')) return undefined;
    throw e;
  });
  const problems: string[] = [];
  let names: string[];
  if (options.wanted === 'all') names = [...defined];
  else {
    const known = new Set(defined);
    names = options.wanted.filter((n) => {
      if (known.has(n)) return true;
      problems.push(`no domain named '${n}' on ${options.uri}`);
      return false;
    });
  }
  names.sort(byName);
  const texts: (string | undefined)[] = new Array(names.length);
  let next = 0;
  const reader = async () => {
    while (next < names.length) {
      const i = next++;
      try {
        texts[i] = await conn.dumpXml(names[i]);
      } catch (e) {
        if (!(e instanceof VirshError) || e.kind === 'refused' || e.kind === 'auth' || e.kind === 'missing') throw e;
        // Undefined between the listing and now, or one definition virsh cannot print: say so, read the rest.
        problems.push(e.message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, reader));
  const domains = names.flatMap((name, i) => (texts[i] === undefined ? [] : [{ name, text: texts[i] as string }]));
  return { domains, problems, release };
}
