/**
 * `native --connect URI FILE`: libvirt's own verdict on a domain file and
 * the QEMU command line it would run (libvirt/native.ts does the asking).
 * Exit status 0 when libvirt accepts the domain, 1 when it refuses it (its
 * message is a diagnostic on the element it names, in every format), 2 when
 * libvirt could not be asked (usage, unreadable file, virsh or connection).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { nativeCommandLine, interfacesNote } from '../libvirt/native';
import { argumentLine, commandLineText, type QemuArgument } from '../libvirt/qemuArgv';
import { VirshConnection, VirshError } from '../libvirt/virsh';
import { single, UsageError, type ParsedArgs } from './args';
import { parseTimeout } from './connection';
import { formatText, toJsonFindings, type FileResult } from './format';
import { formatSarif } from './sarif';
import { parseRulesDoc, rulesMarkdown } from './rulesDoc';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<Uint8Array | string>;
}

function argumentJson(a: QemuArgument): Record<string, unknown> {
  return { argument: argumentLine(a), words: a.words, ...(a.part ? { part: a.part } : {}) };
}

export async function nativeCommand(args: ParsedArgs, io: Io, tool: { toolName: string; version: string }): Promise<number> {
  const uri = single(args, '--connect');
  if (uri === undefined || !uri.trim()) throw new UsageError('native needs --connect URI (a read-write connection, such as qemu:///system)');
  const format = single(args, '--format') ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`unknown format '${format}' (text, json or sarif)`);
  const output = single(args, '--output');
  const timeoutMs = parseTimeout(single(args, '--timeout'));
  if (args.positionals.length !== 1) throw new UsageError('native needs exactly one FILE (or - for standard input)');
  const file = args.positionals[0];

  let text: string;
  try {
    const raw = file === '-' ? await io.readStdin() : await readFile(file);
    text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  } catch (e) {
    io.stderr(`libvirt-domain-xml: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  const name = file === '-' ? '<stdin>' : file;

  let result;
  try {
    result = await nativeCommandLine(new VirshConnection(uri, { timeoutMs }), text, name);
  } catch (e) {
    if (e instanceof VirshError) {
      io.stderr(`libvirt-domain-xml: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const notes = result.interfacesLeftOut ? [interfacesNote(result.interfacesLeftOut)] : [];
  if (format === 'text' && !args.flags.has('--quiet')) for (const n of notes) io.stderr(`libvirt-domain-xml: note: ${n}\n`);

  const findings: FileResult[] = [{ file: name, diagnostics: result.accepted ? [] : [result.diagnostic] }];
  const shown = result.accepted ? [...result.parts, ...result.rest] : [];
  let report: string;
  if (format === 'json') {
    report =
      JSON.stringify(
        {
          file: name,
          connection: uri,
          accepted: result.accepted,
          arguments: shown.map(argumentJson),
          findings: toJsonFindings(findings),
          notes,
        },
        null,
        2,
      ) + '\n';
  } else if (format === 'sarif') {
    report = formatSarif(findings, parseRulesDoc(rulesMarkdown() ?? ''), {
      toolName: tool.toolName,
      version: tool.version,
      cwd: process.cwd(),
      notifications: notes.map((t) => ({ level: 'note' as const, text: t })),
      executionSuccessful: true,
      properties: { connection: uri, accepted: result.accepted, ...(result.accepted ? { commandLine: shown.map(argumentLine) } : {}) },
    });
  } else if (result.accepted) {
    report = commandLineText(result.parts, result.rest);
  } else {
    report = formatText(findings);
  }

  if (output) {
    try {
      await writeFile(output, report);
    } catch (e) {
      io.stderr(`libvirt-domain-xml: cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
  } else {
    io.stdout(report);
  }
  if (!result.accepted && format === 'text' && !args.flags.has('--quiet')) io.stderr(`libvirt on ${uri} refuses ${name}\n`);
  return result.accepted ? 0 : 1;
}
