/**
 * Checking one file: the same code runs on the main thread (one job, or
 * standard input) and inside each worker thread, so the output cannot depend
 * on how the work was split.
 *
 * Everything a job needs crosses the thread boundary as plain data (host
 * topologies, settings, the schema mode); each thread builds its own
 * language services from it, one per host.
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, type LanguageService, type ParsedDocument } from '../languageService';
import type { HostTopology } from '../host/types';
import type { ServiceSettings } from '../service/settings';
import { createSchemaCheck, setSchemaLog, type SchemaCheck, type SchemaMode } from './schema';

/** What every thread is given once. */
export interface CheckSetup {
  /** Host topologies, referred to by index from jobs; undefined: no topology known. */
  hosts: (HostTopology | undefined)[];
  settings: Partial<ServiceSettings>;
  /** Schema mode to validate with; undefined: no schema validation on this run. */
  schema?: SchemaMode;
}

export interface CheckJob {
  /** Position in the final, sorted output. */
  index: number;
  /** The name shown in output (and the document's uri). */
  name: string;
  /** Absolute path to read; absent when `text` is given (standard input). */
  abs?: string;
  text?: string;
  /** Index into CheckSetup.hosts. */
  host: number;
  /** Found by a walk or a glob: skip quietly when the root element is not <domain>. */
  discovered: boolean;
}

export interface CheckOutcome {
  index: number;
  status: 'checked' | 'skipped' | 'unreadable' | 'failed';
  diagnostics: Diagnostic[];
  /** Why the file could not be read or checked (status 'unreadable' or 'failed'). */
  error?: string;
  /** Messages from the language service (a rule family that failed), for standard error. */
  logs: string[];
}

export class Checker {
  private readonly services = new Map<number, LanguageService>();
  private logs: string[] = [];
  private schema: SchemaCheck | undefined;

  constructor(private readonly setup: CheckSetup) {}

  private service(host: number): LanguageService {
    let s = this.services.get(host);
    if (!s) {
      const topology = this.setup.hosts[host];
      s = getLanguageService({ host: { topology: () => topology }, settings: this.setup.settings, log: (m) => this.logs.push(m) });
      this.services.set(host, s);
    }
    return s;
  }

  async check(job: CheckJob): Promise<CheckOutcome> {
    this.logs = [];
    let text = job.text;
    if (text === undefined) {
      try {
        // Synchronous on purpose: a domain file is small, and per file the promise API measured several times slower.
        text = readFileSync(job.abs ?? job.name, 'utf8');
      } catch (e) {
        const error = `cannot read ${job.name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        return { index: job.index, status: 'unreadable', diagnostics: [], error, logs: [] };
      }
    }
    try {
      const service = this.service(job.host);
      const doc = service.parse(text, job.name);
      if (job.discovered && !hasDomainRoot(doc)) return { index: job.index, status: 'skipped', diagnostics: [], logs: [] };
      const diagnostics = [...service.validate(doc), ...service.strictCheck(doc), ...(await this.schemaDiagnostics(doc))];
      // Array.prototype.sort is stable: findings at the same place keep the rules' order.
      diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
      return { index: job.index, status: 'checked', diagnostics, logs: this.logs };
    } catch (e) {
      // A bug of ours on one file must not cost the report for all the others.
      const error = `checking ${job.name} failed: ${(e as Error)?.stack ?? e}`;
      return { index: job.index, status: 'failed', diagnostics: [], error, logs: this.logs };
    }
  }

  private async schemaDiagnostics(doc: ParsedDocument): Promise<Diagnostic[]> {
    if (this.setup.schema === undefined || !doc.isDomain) return [];
    this.schema ??= createSchemaCheck(this.setup.schema);
    setSchemaLog((m) => this.logs.push(m));
    try {
      return await this.schema(doc);
    } catch (e) {
      this.logs.push(`schema validation of ${doc.uri} failed and was skipped: ${(e as Error)?.message ?? e}`);
      return [];
    }
  }
}

/** A discovered file is checked only when its first element is <domain> (a file without any element is not). */
export function hasDomainRoot(doc: ParsedDocument): boolean {
  return doc.xml.roots[0]?.name === 'domain';
}
