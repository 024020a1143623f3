/**
 * `libvirt-domain-xml`: the command-line face of the language service.
 *   check [--sysfs-root DIR | --host SNAPSHOT.json] [--format text|json] FILE...|-
 *   host  [--sysfs-root DIR] [--output FILE]
 * Exit status: 0 no errors, 1 errors found, 2 usage or I/O trouble.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { getLanguageService } from '../languageService';
import type { HostTopology } from '../host/types';
import { readSysfsTopology } from '../host/sysfs';
import { loadSnapshot, serializeTopology } from '../host/snapshot';
import { parseArgs, single, UsageError, type OptionSpec } from './args';
import { formatJson, formatText, summary, type FileResult } from './format';

const VERSION = '0.1.0';

const SPECS: Record<string, OptionSpec> = {
  check: { valued: ['--sysfs-root', '--host', '--format'], flags: ['--quiet'] },
  host: { valued: ['--sysfs-root', '--output'], flags: [] },
};

const HELP = `Usage: libvirt-domain-xml <command> [options]

Commands:
  check [options] FILE... | -   Check libvirt domain XML files ('-' reads standard input)
      --sysfs-root DIR          Read the host topology from this sysfs tree (default /sys)
      --host SNAPSHOT.json      Use a host topology snapshot instead of sysfs
      --format text|json        Output format (default text)
      --quiet                   Print no summary line on standard error
  host [options]                Print the host topology as a JSON snapshot
      --sysfs-root DIR          Read from this sysfs tree (default /sys)
      --output FILE             Write the snapshot to FILE instead of standard output

Exit status: 0 no errors, 1 errors found, 2 usage or I/O problem.
`;

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<string>;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const args = parseArgs(argv, SPECS);
    if (args.command === 'help' || args.flags.has('--help')) { io.stdout(HELP); return 0; }
    if (args.command === 'version') { io.stdout(VERSION + '\n'); return 0; }
    if (args.command === 'host') return await hostCommand(args, io);
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

async function loadHost(args: ReturnType<typeof parseArgs>, io: Io): Promise<HostTopology | undefined | 'failed'> {
  const snapshot = single(args, '--host');
  const sysfsRoot = single(args, '--sysfs-root');
  if (snapshot && sysfsRoot) throw new UsageError('give --host or --sysfs-root, not both');
  if (snapshot) {
    const r = await loadSnapshot(snapshot);
    if (!r.topology) { io.stderr(`libvirt-domain-xml: ${r.error}\n`); return 'failed'; }
    return r.topology;
  }
  return readSysfsTopology(sysfsRoot ?? '/sys');
}

async function checkCommand(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const format = single(args, '--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format '${format}' (text or json)`);
  if (args.positionals.length === 0) throw new UsageError('check needs at least one FILE (or - for standard input)');
  const host = await loadHost(args, io);
  if (host === 'failed') return 2;
  const service = getLanguageService({ host: { topology: () => host }, log: (m) => io.stderr(m + '\n') });
  const results: FileResult[] = [];
  let ioTrouble = false;
  for (const file of args.positionals) {
    let text: string;
    try {
      text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
    } catch (e) {
      io.stderr(`libvirt-domain-xml: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      ioTrouble = true;
      continue;
    }
    const doc = service.parse(text, file === '-' ? 'stdin' : file);
    const diagnostics = [...service.validate(doc), ...service.strictCheck(doc)];
    diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    results.push({ file: file === '-' ? '<stdin>' : file, diagnostics });
  }
  io.stdout(format === 'json' ? formatJson(results) : formatText(results));
  const s = summary(results);
  if (format === 'text' && !args.flags.has('--quiet')) {
    io.stderr(`${s.files} file${s.files === 1 ? '' : 's'} checked: ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}\n`);
  }
  if (ioTrouble) return 2;
  return s.errors > 0 ? 1 : 0;
}

async function hostCommand(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const root = single(args, '--sysfs-root') ?? '/sys';
  const output = single(args, '--output');
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const topology = await readSysfsTopology(root);
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

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
