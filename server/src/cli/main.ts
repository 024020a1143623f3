/**
 * `libvirt-domain-xml`: the command-line face of the language service.
 *   check [options] FILE|DIR|GLOB... | -
 *   check [options] --connect URI --all-domains | --domain NAME...
 *   native --connect URI FILE
 *   host  [--sysfs-root DIR] [--output FILE]
 * Exit status: 0 no errors, 1 errors (or too many warnings), 2 usage or I/O trouble.
 *
 * This file wires the pieces together: files.ts finds the files, hostMap.ts
 * picks each file's host, check.ts / workers.ts check them, thresholds.ts
 * filters and decides the exit status, format.ts / sarif.ts write the report;
 * connection.ts reads a libvirt connection's domains, native.ts runs `native`.
 * The bundle is also its own worker script (see the end of this file).
 */
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostTopology } from '../host/types';
import { readSysfsHost } from '../host/sysfs';
import { loadSnapshot, serializeTopology } from '../host/snapshot';
import { normalizeVersion } from '../domain/versions';
import { parseArgs, single, UsageError, type OptionSpec, type ParsedArgs } from './args';
import { formatJson, formatText, summary, type FileResult } from './format';
import { expandInputs } from './files';
import { loadHostMap, matchHostMap, type HostMap } from './hostMap';
import { Checker, type CheckJob, type CheckOutcome, type CheckSetup } from './check';
import { checkInWorkers, isCheckWorker, runWorker, workersAvailable } from './workers';
import { applySeverity, parseMaxFindings, parseMaxWarnings, parseSeverity, verdict } from './thresholds';
import { formatSarif, type SarifOptions } from './sarif';
import { parseRulesDoc, rulesMarkdown } from './rulesDoc';
import { schemaStatus } from './schema';
import { endQuietlyOnClosedPipe } from './closedPipe';
import { DOMAIN_SCHEMA, hasDomainSchema } from '../schema/locate';
import { VirshError } from '../libvirt/virsh';
import { connectOptions, isLocalUri, readConnectionDomains, type ConnectOptions } from './connection';
import { nativeCommand } from './native';

const VERSION = '0.1.0';
const TOOL_NAME = 'libvirt-domain-xml';

/**
 * A worker thread costs a start-up (loading the bundle, warming the JIT) of
 * roughly what 150-300 small files take to check; with fewer files per
 * thread than this, fewer threads finish sooner (docs/performance-cli.md).
 */
const MIN_FILES_PER_WORKER = 200;
const MAX_DEFAULT_JOBS = 8;

const SPECS: Record<string, OptionSpec> = {
  check: {
    valued: [
      '--sysfs-root',
      '--host',
      '--host-map',
      '--format',
      '--output',
      '--severity',
      '--max-warnings',
      '--jobs',
      '--schema',
      '--stdin-filename',
      '--libvirt-version',
      '--connect',
      '--domain',
      '--timeout',
      '--max-findings',
    ],
    flags: ['--quiet', '--skip-non-domain', '--all-domains'],
  },
  native: { valued: ['--connect', '--format', '--output', '--timeout'], flags: ['--quiet'] },
  host: { valued: ['--sysfs-root', '--output'], flags: [] },
};

const HELP = `Usage: libvirt-domain-xml <command> [options]

Commands:
  check [options] FILE|DIR|GLOB... | -
                                Check libvirt domain XML. A directory is searched for *.xml
                                files whose root element is <domain> (others are skipped
                                and counted); a quoted glob (*, **, ?, [..], {a,b}) is
                                expanded the same way; '-' reads standard input (virsh
                                dumpxml). A named file or standard input that is empty,
                                binary or not a <domain> is an error.
      --sysfs-root DIR          Read the host topology from this sysfs tree (default /sys)
      --host SNAPSHOT.json      Use a host topology snapshot instead of sysfs
      --host-map MAP.json       Pick a snapshot per file: {"hosts": [{"files": GLOB,
                                "snapshot": FILE}, ...], "default": FILE}, paths relative to
                                the map; files no entry matches use --host, --sysfs-root,
                                the map's "default", or /sys, in that order
      --format text|json|sarif  Output format (default text); sarif is SARIF 2.1.0
      --output FILE             Write the report to FILE instead of standard output
      --severity LEVEL          Report only findings of this severity or worse:
                                error, warning, information or hint (default hint: all)
      --max-warnings N          Exit 1 when more than N warnings are reported
      --max-findings N          Report at most N findings per file, then one saying how many
                                more there are (default 1000; 0: no limit)
      --jobs N                  Check on up to N worker threads (default: CPUs, at most ${MAX_DEFAULT_JOBS});
                                1 checks on the main thread, as do runs of ${MIN_FILES_PER_WORKER} files or fewer
      --schema auto|off|DIR     Validate against libvirt's RelaxNG schemas too: auto finds
                                the installed ones (default), DIR names a directory with
                                domain.rng
      --libvirt-version X.Y.Z   Warn about XML newer than this libvirt release
      --stdin-filename NAME     Name standard input in reports and for --host-map
      --skip-non-domain         Skip (and count) named files that are not domains, as a
                                directory walk does, instead of reporting them (for
                                hooks that name every *.xml, such as pre-commit's)
      --quiet                   Print no summary line or notes on standard error
  check [options] --connect URI --all-domains | --domain NAME...
                                Check the domains a libvirt connection holds (read with virsh:
                                list --all, dumpxml --inactive), each reported under its name.
                                Host checks use --host, --sysfs-root or --host-map (its globs
                                match domain names); without them, /sys on a local connection
                                and none on a remote one. The libvirt release defaults to the
                                daemon's (virsh version --daemon)
      --connect URI             qemu:///system, qemu+ssh://root@host/system, test:///default...
      --all-domains             Every domain defined on the connection
      --domain NAME             This domain (repeatable)
      --timeout SECONDS         Time limit of each virsh run (default 10)
  native --connect URI [--format text|json|sarif] [--output FILE] [--timeout SECONDS] FILE
                                Print the QEMU command line libvirt would build for FILE
                                (virsh domxml-to-native; defines and starts nothing; needs a
                                read-write connection), one option per line, the vSMMU,
                                expander and VFIO parts first. <interface> elements are left
                                out of what libvirt sees (it would create tap devices). When
                                libvirt refuses the domain, its message is reported on the
                                element it names and the exit status is 1
  host [options]                Print the host topology as a JSON snapshot
      --sysfs-root DIR          Read from this sysfs tree (default /sys)
      --output FILE             Write the snapshot to FILE instead of standard output

Reports are ordered by file path. Exit status: 0 no errors, 1 errors found (or more
warnings than --max-warnings), 2 usage or I/O problem (a directory without *.xml files
and a glob that matches nothing are usage problems too).
`;

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Standard input as bytes (decoded like a file's), or as text. */
  readStdin: () => Promise<Uint8Array | string>;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  },
};

/** A problem that ends the run with exit status 2 after its message; not a usage error (no "--help" hint). */
class RunError extends Error {}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const args = parseArgs(argv, SPECS);
    if (args.command === 'usage') {
      io.stderr(HELP);
      return 2;
    }
    if (args.command === 'help' || args.flags.has('--help')) {
      io.stdout(HELP);
      return 0;
    }
    if (args.command === 'version') {
      io.stdout(VERSION + '\n');
      return 0;
    }
    if (args.command === 'host') return await hostCommand(args, io);
    if (args.command === 'native') return await nativeCommand(args, io, { toolName: TOOL_NAME, version: VERSION });
    return await checkCommand(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`libvirt-domain-xml: ${e.message}\nTry 'libvirt-domain-xml --help'.\n`);
      return 2;
    }
    io.stderr(`libvirt-domain-xml: ${(e as Error)?.message ?? e}\n`);
    return 2;
  }
}

/** A positive whole number of threads; the default follows the machine. */
function parseJobs(value: string | undefined): number {
  if (value === undefined) return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_JOBS));
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > 64) {
    throw new UsageError(`--jobs needs a whole number from 1 to 64, not '${value}'`);
  }
  return Number(value);
}

function parseFormat(value: string | undefined): 'text' | 'json' | 'sarif' {
  const format = value ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`unknown format '${format}' (text, json or sarif)`);
  return format;
}

/**
 * The host topologies of a run, each read once however many files (or map
 * entries, or options) name it; jobs refer to them by index.
 */
class Hosts {
  /** undefined: a sysfs root that is no sysfs tree, said once on standard error; the checks then know no host. */
  readonly topologies: (HostTopology | undefined)[] = [];
  private readonly bySnapshot = new Map<string, number>();
  private fallbackIndex: number | undefined;

  constructor(
    private readonly args: ParsedArgs,
    private readonly cwd: string,
    private readonly note: (text: string) => void,
  ) {}

  /** True when the command line names a host (--host or --sysfs-root). */
  given(): boolean {
    return single(this.args, '--host') !== undefined || single(this.args, '--sysfs-root') !== undefined;
  }

  /** Index of a snapshot, loading it on first use; `context` prefixes the message when it cannot be used. */
  async snapshot(file: string, context = ''): Promise<number> {
    const key = path.resolve(this.cwd, file);
    const known = this.bySnapshot.get(key);
    if (known !== undefined) return known;
    const r = await loadSnapshot(file);
    if (!r.topology) throw new RunError(context ? `${context}: ${r.error}` : r.error);
    const index = this.topologies.push(r.topology) - 1;
    this.bySnapshot.set(key, index);
    return index;
  }

  /** The host for files no map entry claims: --host, else --sysfs-root, else the map's default, else /sys. */
  async fallback(map: HostMap | undefined): Promise<number> {
    if (this.fallbackIndex !== undefined) return this.fallbackIndex;
    const snapshot = single(this.args, '--host');
    const sysfsRoot = single(this.args, '--sysfs-root');
    if (snapshot) this.fallbackIndex = await this.snapshot(snapshot);
    else if (!sysfsRoot && map?.default) this.fallbackIndex = await this.snapshot(map.default, `host map ${map.file}, "default"`);
    else {
      const r = await readSysfsHost(sysfsRoot ?? '/sys');
      // Not a run-ending mistake (the XML-only checks still hold), but never to be taken for a host without IOMMUs.
      if (r.error) this.note(`${r.error} Host-dependent checks are off.`);
      this.fallbackIndex = this.topologies.push(r.topology) - 1;
    }
    return this.fallbackIndex;
  }

  /** A host nothing is known about (a remote connection without --host): the checks that need one stay silent. */
  unknown(): number {
    return this.topologies.push(undefined) - 1;
  }
}

async function checkCommand(args: ParsedArgs, io: Io): Promise<number> {
  const cwd = process.cwd();
  const format = parseFormat(single(args, '--format'));
  const output = single(args, '--output');
  const minimum = parseSeverity(single(args, '--severity'));
  const maxWarnings = parseMaxWarnings(single(args, '--max-warnings'));
  const maxFindings = parseMaxFindings(single(args, '--max-findings'));
  const jobs = parseJobs(single(args, '--jobs'));
  const schemaArg = single(args, '--schema') ?? 'auto';
  const schemaMode = schemaArg === 'auto' || schemaArg === 'off' ? schemaArg : path.resolve(cwd, schemaArg);
  const stdinName = single(args, '--stdin-filename') ?? '<stdin>';
  const versionArg = single(args, '--libvirt-version');
  const libvirtVersion = versionArg === undefined ? undefined : normalizeVersion(versionArg);
  if (versionArg !== undefined && !libvirtVersion) throw new UsageError(`--libvirt-version needs a version like 11.10.0, not '${versionArg}'`);
  const connect = connectOptions(args);
  if (!connect && args.positionals.length === 0) throw new UsageError('check needs at least one FILE (or - for standard input)');
  if (args.positionals.filter((p) => p === '-').length > 1) throw new UsageError("standard input ('-') can be read once");
  if (single(args, '--host') && single(args, '--sysfs-root')) throw new UsageError('give --host or --sysfs-root, not both');

  try {
    // Everything that can make the run pointless is checked before any file is read.
    const notifications: { level: 'error' | 'note'; text: string }[] = [];
    const problem = (text: string) => {
      notifications.push({ level: 'error', text });
      io.stderr(`libvirt-domain-xml: ${text}\n`);
    };
    const note = (text: string) => {
      notifications.push({ level: 'note', text });
      if (!args.flags.has('--quiet')) io.stderr(`libvirt-domain-xml: note: ${text}\n`);
    };
    const hosts = new Hosts(args, cwd, note);
    const mapFile = single(args, '--host-map');
    let map: HostMap | undefined;
    if (mapFile) {
      const r = await loadHostMap(mapFile, cwd);
      if (!r.map) throw new RunError(r.error);
      map = r.map;
      // Every snapshot the map names is loaded now, so a broken entry fails the run even when no file matched it today.
      for (const [i, e] of map.entries.entries()) await hosts.snapshot(e.snapshot, `host map ${map.file}, hosts[${i}].snapshot`);
      if (map.default) await hosts.snapshot(map.default, `host map ${map.file}, "default"`);
    }
    if (single(args, '--host')) await hosts.fallback(map);

    const inputs = connect ? await connectionInputs(connect, map, hosts, problem, note) : await fileInputs(args, cwd, stdinName, map, hosts, problem, io);
    let ioTrouble = inputs.problems > 0;
    const checkJobs = inputs.jobs;
    const targetVersion = libvirtVersion ?? inputs.release;

    const setup: CheckSetup = {
      hosts: hosts.topologies,
      settings: { ...(targetVersion ? { libvirtVersion: targetVersion } : {}), ...(maxFindings !== undefined ? { maxFindings } : {}) },
    };
    if (schemaMode !== 'off' && checkJobs.length > 0) {
      const status = await schemaStatus(schemaMode, targetVersion);
      if (status.available && status.notes.length && schemaMode !== 'auto') {
        // An explicit directory that cannot be used is a mistake in the command, not something to note and carry on past.
        throw new RunError(`--schema ${schemaArg}: ${status.notes.join('; ')}.`);
      }
      if (status.available) {
        setup.schema = schemaMode;
        if (status.notes.length) note(`schema source passed over: ${status.notes.join('; ')}; using ${status.grammar}.`);
      } else if (schemaMode !== 'auto') {
        // An explicit directory that cannot be used is a mistake in the command, not something to note and carry on past.
        const why = hasDomainSchema(schemaMode) ? status.reason : `no ${DOMAIN_SCHEMA} there.`;
        throw new RunError(`--schema ${schemaArg}: ${why}`);
      } else note(`schema validation is off: ${status.reason}`);
    }

    const outcomes = await runChecks(checkJobs, setup, jobs);

    const results: FileResult[] = [];
    let skipped = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      for (const m of o.logs) io.stderr(`libvirt-domain-xml: ${m}\n`);
      if (o.status === 'unreadable' || o.status === 'failed') {
        ioTrouble = true;
        notifications.push({ level: 'error', text: o.error ?? `cannot read ${checkJobs[i].name}` });
        io.stderr(`libvirt-domain-xml: ${o.error}\n`);
        continue;
      }
      if (o.status === 'skipped') {
        skipped++;
        continue;
      }
      results.push({ file: checkJobs[i].name, diagnostics: o.diagnostics });
    }

    const shown = applySeverity(results, minimum);
    const sarif: SarifOptions = { toolName: TOOL_NAME, version: VERSION, cwd, notifications, executionSuccessful: !ioTrouble };
    if (connect) {
      sarif.artifacts = 'names';
      sarif.properties = { connection: connect.uri, ...(inputs.release ? { libvirtRelease: inputs.release } : {}) };
    }
    await emit(render(format, shown, sarif), output, io);

    const s = summary(shown);
    const v = verdict(s, maxWarnings, ioTrouble);
    const skippedText = `${skipped} file${skipped === 1 ? '' : 's'} without a <domain> root skipped`;
    if (format === 'text' && !args.flags.has('--quiet')) {
      const skippedNote = skipped ? `; ${skippedText}` : '';
      const what = connect
        ? `${s.files} domain${s.files === 1 ? '' : 's'} on ${connect.uri}${inputs.release ? ` (libvirt ${inputs.release})` : ''} checked`
        : `${s.files} file${s.files === 1 ? '' : 's'} checked`;
      io.stderr(`${what}: ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}${skippedNote}\n`);
    } else if (skipped && !args.flags.has('--quiet')) {
      // JSON and SARIF have no summary line; what a walk left out is still said.
      io.stderr(`libvirt-domain-xml: note: ${skippedText}\n`);
    }
    if (v.tooManyWarnings) io.stderr(`libvirt-domain-xml: ${v.tooManyWarnings}\n`);
    return v.exitCode;
  } catch (e) {
    if (e instanceof RunError || e instanceof VirshError) {
      io.stderr(`libvirt-domain-xml: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

interface Inputs {
  /** In output order, each with its host. */
  jobs: CheckJob[];
  /** How many inputs could not be read (reported already); any makes the exit status 2. */
  problems: number;
  /** The connection's libvirt release (check --connect). */
  release?: string;
}

/** Files, directories, globs and standard input: standard input first, then files by path; each file's host from the map, else the fallback. */
async function fileInputs(args: ParsedArgs, cwd: string, stdinName: string, map: HostMap | undefined, hosts: Hosts, problem: (t: string) => void, io: Io): Promise<Inputs> {
  const expansion = await expandInputs(args.positionals, cwd);
  for (const p of expansion.problems) problem(p);
  const entries: { job: Omit<CheckJob, 'host'>; snapshot: string | undefined }[] = [];
  const snapshotOf = (abs: string) => (map ? matchHostMap(map, abs) : undefined);
  if (expansion.stdin) {
    const input = await io.readStdin();
    entries.push({ job: { index: 0, name: stdinName, input, discovered: false }, snapshot: snapshotOf(path.resolve(cwd, stdinName)) });
  }
  for (const f of expansion.files) {
    const discovered = f.discovered || args.flags.has('--skip-non-domain');
    entries.push({ job: { index: entries.length, name: f.path, abs: f.abs, discovered }, snapshot: snapshotOf(f.abs) });
  }
  const jobs: CheckJob[] = [];
  for (const { job, snapshot } of entries) {
    jobs.push({ ...job, host: snapshot === undefined ? await hosts.fallback(map) : await hosts.snapshot(snapshot) });
  }
  return { jobs, problems: expansion.problems.length };
}

/**
 * The domains of a libvirt connection, by name. Host: a map entry whose glob
 * matches the name, else --host or --sysfs-root, else this machine's sysfs
 * when the connection is local; a remote connection without any is checked
 * without a host, and the run says so.
 */
async function connectionInputs(connect: ConnectOptions, map: HostMap | undefined, hosts: Hosts, problem: (t: string) => void, note: (t: string) => void): Promise<Inputs> {
  const read = await readConnectionDomains(connect);
  for (const p of read.problems) problem(p);
  // A map without "default" leaves unmatched domains to --host or --sysfs-root; this machine's /sys only speaks for a local connection.
  const hostGiven = hosts.given() || map?.default !== undefined;
  let unknownHost: number | undefined;
  const jobs: CheckJob[] = [];
  for (const d of read.domains) {
    const snapshot = map ? matchHostMap(map, path.join(map.dir, d.name)) : undefined;
    let host: number;
    if (snapshot !== undefined) host = await hosts.snapshot(snapshot);
    else if (hostGiven || isLocalUri(connect.uri)) host = await hosts.fallback(map);
    else host = unknownHost ??= hosts.unknown();
    jobs.push({ index: jobs.length, name: d.name, input: d.text, discovered: false, host });
  }
  if (unknownHost !== undefined) {
    note(
      `${connect.uri} is another machine and no host topology was given: the checks that need the host's SMMUs and PCI devices are off. Take a snapshot there (libvirt-domain-xml host --output FILE) and pass it with --host FILE.`,
    );
  }
  return { jobs, problems: read.problems.length, release: read.release };
}

function render(format: 'text' | 'json' | 'sarif', results: readonly FileResult[], sarif: SarifOptions): string {
  if (format === 'json') return formatJson(results);
  if (format === 'sarif') return formatSarif(results, parseRulesDoc(rulesMarkdown() ?? ''), sarif);
  return formatText(results);
}

/** The report goes to --output when given, else to standard output; nowhere else. */
async function emit(report: string, output: string | undefined, io: Io): Promise<void> {
  if (!output) {
    io.stdout(report);
    return;
  }
  try {
    await writeFile(output, report);
  } catch (e) {
    throw new RunError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** On worker threads when there are enough files to pay for them, else here; outcomes in job order either way. */
async function runChecks(jobs: readonly CheckJob[], setup: CheckSetup, threads: number): Promise<CheckOutcome[]> {
  const files = jobs.length;
  const count = Math.min(threads, Math.ceil(files / MIN_FILES_PER_WORKER));
  if (count > 1 && workersAvailable()) return checkInWorkers(jobs, setup, count);
  return new Checker(setup).checkMany(jobs);
}

async function hostCommand(args: ParsedArgs, io: Io): Promise<number> {
  const root = single(args, '--sysfs-root') ?? '/sys';
  const output = single(args, '--output');
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const r = await readSysfsHost(root);
  // A snapshot of nothing would later read as a host without IOMMUs: refuse to write one.
  if (!r.topology) throw new RunError(r.error);
  const topology = r.topology;
  const json = serializeTopology(topology);
  if (output) {
    await writeFile(output, json);
    io.stderr(`wrote ${output}: ${topology.iommus.length} IOMMUs, ${topology.pciDevices.length} PCI devices\n`);
  } else {
    io.stdout(json);
  }
  for (const n of topology.notes) io.stderr(`note: ${n}\n`);
  return 0;
}

// The bundle is both the command and its worker script: a thread started by
// workers.ts runs the checker loop instead of the command line.
if (isCheckWorker()) {
  runWorker();
} else if (require.main === module) {
  endQuietlyOnClosedPipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
