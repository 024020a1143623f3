/**
 * Talking to libvirt through `virsh`, which every libvirt host has and which
 * reaches local and remote daemons alike (qemu:///system, qemu+ssh://host/system).
 * Used by the command line (check --connect, native) and by the language
 * server's libvirt requests (requests.ts), which the VS Code extension's
 * Libvirt Domains view and libvirt: file system send.
 *
 * virsh is always started with an argument array, never through a shell, so a
 * domain name with spaces, quotes or non-ASCII characters reaches libvirt as
 * it is. It can never hang us: standard input is closed (a prompt for a user
 * name or password reads end-of-file), it runs in a session of its own (so
 * ssh has no terminal to ask on), output that looks like a prompt ends it at
 * once, and every run has a time limit after which its whole process group is
 * killed. Whatever goes wrong becomes one VirshError whose message says what
 * happened and what to do.
 */
import { spawn } from 'node:child_process';
import { withPrivateFile } from './privateFile';

/** How long one virsh run may take unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** What went wrong, for callers that react differently (the view shows a note, the CLI exits 2). */
export type VirshFailure =
  | 'missing' // no virsh on PATH
  | 'refused' // the daemon cannot be reached
  | 'auth' // the connection wants credentials we cannot give
  | 'timeout'
  | 'read-only' // the connection is read-only and the command needs read-write
  | 'not-found' // no such domain
  | 'rejected' // libvirt refused the domain XML (define, domxml-to-native)
  | 'unsupported' // the connection's driver does not do this (test:///default has no domxml-to-native)
  | 'failed'; // anything else virsh reported

export class VirshError extends Error {
  constructor(
    readonly kind: VirshFailure,
    message: string,
    /** virsh's own words, "error: " prefixes removed; empty when it said nothing. */
    readonly detail = '',
  ) {
    super(message);
    this.name = 'VirshError';
  }
}

export interface VirshOptions {
  /** Time limit of each run in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** The program to run; tests point it elsewhere. Never taken from workspace settings. */
  program?: string;
}

export interface RunOptions {
  /** Ask for a read-only connection (`virsh --readonly`): enough to list and read, and no credentials on most hosts. */
  readOnly: boolean;
  /** What the run is for, in messages ("listing the domains"). */
  purpose: string;
  /** Text to put in place of a temporary file's path in libvirt's messages. */
  rename?: { from: string; to: string };
}

/** The states `virsh list` prints, as libvirt spells them. */
export type DomainState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'no state' | string;

export interface DomainEntry {
  name: string;
  state: DomainState;
}

/**
 * Output that means virsh (or ssh under it) waits for someone to type:
 * libvirt's own credential prompts and ssh's password and host-key questions.
 */
const PROMPT = /Please enter your (authentication name|password)|'s password:|password for .*:|Are you sure you want to continue connecting/i;

const AUTH =
  /authentication (failed|required|unavailable|cancelled)|auth(entication)? credentials|Permission denied \((publickey|password)|Host key verification failed|polkit|access denied|not authorized/i;
const READ_ONLY = /read only access prevents|read-only connection|readonly connection/i;
const UNREACHABLE =
  /failed to connect to the hypervisor|Failed to connect socket|Connection refused|Cannot recv data|unable to connect|Name or service not known|Could not resolve|No route to host|Network is unreachable|no connection driver available|End of file while reading data/i;
const NOT_FOUND = /Domain not found|failed to get domain/i;
const UNSUPPORTED = /not supported by the connection driver|this function is not supported/i;

/** Output beyond this is not a domain or a command line: stop reading rather than fill memory. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/** Only the libvirt part of an `error: ...` line, lines joined; repeated lines once. */
export function cleanVirshMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*error:\s*/i, '').trim())
    .filter(Boolean);
  return [...new Set(lines)].join(': ');
}

/** Classifies virsh's complaint; `purpose` and `uri` make the message stand on its own. */
export function classifyFailure(detail: string, uri: string, purpose: string): VirshError {
  if (READ_ONLY.test(detail)) {
    return new VirshError('read-only', `${purpose} needs a read-write connection to ${uri}, and this one is read-only: ${detail}`, detail);
  }
  if (AUTH.test(detail)) {
    return new VirshError(
      'auth',
      `${uri} asks for credentials that cannot be typed here (${detail}). Set up key-based ssh, a polkit rule or group membership so that 'virsh -c ${uri}' works without a prompt.`,
      detail,
    );
  }
  if (UNSUPPORTED.test(detail)) return new VirshError('unsupported', `${purpose}: the driver of ${uri} cannot do this (${detail})`, detail);
  if (NOT_FOUND.test(detail)) return new VirshError('not-found', `${purpose}: ${detail}`, detail);
  if (UNREACHABLE.test(detail)) return new VirshError('refused', `cannot connect to ${uri}: ${detail}`, detail);
  return new VirshError('failed', `${purpose} on ${uri} failed: ${detail || 'virsh gave no reason'}`, detail);
}

/**
 * One virsh run. Resolves with standard output when virsh exits 0; rejects
 * with a VirshError otherwise. The caller's arguments come after the
 * connection options, as separate array elements.
 */
export function runVirsh(uri: string, args: readonly string[], run: RunOptions, options: VirshOptions = {}): Promise<string> {
  const program = options.program ?? 'virsh';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const argv = [...(run.readOnly ? ['--readonly'] : []), '--connect', uri, ...args];
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, argv, {
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own session: no controlling terminal for ssh to prompt on, and one process group to kill.
        detached: true,
        // English messages (we read them), UTF-8 output (C would print non-ASCII names as \xff).
        env: { ...process.env, LC_ALL: 'C.UTF-8', LANGUAGE: '', SSH_ASKPASS_REQUIRE: 'never' },
      });
    } catch (e) {
      reject(spawnFailure(e as NodeJS.ErrnoException, program));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const fail = (e: VirshError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop();
      reject(e);
    };
    const timer = setTimeout(() => {
      fail(new VirshError('timeout', `${run.purpose} on ${uri}: virsh gave no answer within ${formatSeconds(timeoutMs)} and was stopped.`));
    }, timeoutMs);
    const watch = (chunks: Buffer[]) => (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        fail(new VirshError('failed', `${run.purpose} on ${uri}: virsh printed more than ${MAX_OUTPUT / 1024 / 1024} MB; stopped.`));
        return;
      }
      const tail = chunk.toString('utf8');
      if (PROMPT.test(tail)) {
        fail(
          new VirshError(
            'auth',
            `${uri} asks for credentials that cannot be typed here (${tail.trim()}). Set up key-based ssh, a polkit rule or group membership so that 'virsh -c ${uri}' works without a prompt.`,
            tail.trim(),
          ),
        );
      }
    };
    child.stdout?.on('data', watch(out));
    child.stderr?.on('data', watch(err));
    child.on('error', (e: NodeJS.ErrnoException) => fail(spawnFailure(e, program)));
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) {
        resolve(stdout);
        return;
      }
      let detail = cleanVirshMessage(Buffer.concat(err).toString('utf8'));
      if (run.rename) detail = detail.split(run.rename.from).join(run.rename.to);
      if (!detail && signal) detail = `virsh was ended by ${signal}`;
      reject(classifyFailure(detail, uri, run.purpose));
    });
  });
}

function spawnFailure(e: NodeJS.ErrnoException, program: string): VirshError {
  if (e.code === 'ENOENT') {
    return new VirshError('missing', `${program} was not found on PATH: install libvirt's client tools (Debian and Ubuntu: libvirt-clients; Fedora: libvirt-client).`);
  }
  return new VirshError('failed', `cannot run ${program}: ${e.code ?? e.message}`);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * Reads `virsh list --all` (its table, headers left out by --quiet). Names
 * come from the `--name` list, since a name may contain the spaces that also
 * separate the table's columns: each row is matched against the longest known
 * name it starts with, and the state is what follows.
 */
export function parseDomainTable(table: string, names: readonly string[]): DomainEntry[] {
  const byLength = [...names].sort((a, b) => b.length - a.length);
  const state = new Map<string, string>();
  for (const line of table.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const rest = m[2];
    const name = byLength.find((n) => rest.startsWith(n) && (rest.length === n.length || /\s/.test(rest[n.length])));
    if (name !== undefined && !state.has(name)) state.set(name, rest.slice(name.length).trim() || 'no state');
  }
  return names.map((name) => ({ name, state: state.get(name) ?? 'no state' }));
}

/** One name per line, as `virsh list --name` prints them; the blank line at the end is not a name. */
export function parseNameList(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

/** "Running against daemon: 12.8.0" in `virsh version --daemon`. */
export function parseDaemonVersion(text: string): string | undefined {
  return /Running against daemon:\s*(\d+\.\d+\.\d+)/.exec(text)?.[1];
}

/** A connection, local or remote, and what the product asks of it. */
export class VirshConnection {
  constructor(
    readonly uri: string,
    private readonly options: VirshOptions = {},
  ) {}

  run(args: readonly string[], run: RunOptions): Promise<string> {
    return runVirsh(this.uri, args, run, this.options);
  }

  /** Names of every domain defined (or running) on the connection, in libvirt's order. */
  async domainNames(): Promise<string[]> {
    return parseNameList(await this.run(['list', '--all', '--name'], { readOnly: true, purpose: 'listing the domains' }));
  }

  /** Every domain with its state. */
  async domains(): Promise<DomainEntry[]> {
    const names = await this.domainNames();
    if (!names.length) return [];
    const table = await this.run(['--quiet', 'list', '--all'], { readOnly: true, purpose: 'reading the domain states' });
    return parseDomainTable(table, names);
  }

  /** The domain's persistent definition (what the next start uses), as `virsh dumpxml --inactive`. */
  dumpXml(name: string): Promise<string> {
    return this.run(['dumpxml', '--inactive', '--domain', name], { readOnly: true, purpose: `reading domain '${name}'` });
  }

  /** The libvirt release of the daemon (not of the local client), or undefined when virsh does not say. */
  async daemonVersion(): Promise<string | undefined> {
    return parseDaemonVersion(await this.run(['version', '--daemon'], { readOnly: true, purpose: "asking the daemon's version" }));
  }

  /**
   * The QEMU command line libvirt would build for this XML (`virsh
   * domxml-to-native qemu-argv`): libvirt parses and validates the domain and
   * defines nothing. Needs a read-write connection. `label` names the XML in
   * libvirt's messages instead of the temporary copy's path.
   */
  toNative(xml: string, label: string): Promise<string> {
    return withPrivateFile(xml, (file) =>
      this.refusable(['domxml-to-native', '--format', 'qemu-argv', '--xml', file], {
        readOnly: false,
        purpose: 'asking libvirt for the QEMU command line',
        rename: { from: file, to: label },
      }),
    );
  }

  /**
   * Defines (or redefines) the domain from this XML, validated against
   * libvirt's schema first (`virsh define --validate`). Starts nothing.
   */
  async define(xml: string, label: string): Promise<void> {
    await withPrivateFile(xml, (file) =>
      this.refusable(['define', '--file', file, '--validate'], { readOnly: false, purpose: `defining ${label}`, rename: { from: file, to: label } }),
    );
  }

  /** A run whose failure, when it is not about the connection, is libvirt refusing the XML. */
  private async refusable(args: readonly string[], run: RunOptions): Promise<string> {
    try {
      return await this.run(args, run);
    } catch (e) {
      if (e instanceof VirshError && (e.kind === 'failed' || e.kind === 'not-found') && e.detail) {
        throw new VirshError('rejected', `libvirt refused the domain: ${e.detail}`, e.detail);
      }
      throw e;
    }
  }
}
