/**
 * Checking one file: the same code runs on the main thread (one job, or
 * standard input) and inside each worker thread, so the output cannot depend
 * on how the work was split.
 *
 * Everything a job needs crosses the thread boundary as plain data (host
 * topologies, settings, the schema mode); each thread builds its own
 * language services from it, one per host.
 *
 * Files are checked in batches: our own rules run file by file (under a
 * millisecond each), then the schema verdicts of the whole batch come from
 * shared libxml2 runs, since compiling libvirt's grammar costs far more than
 * validating one file against it (docs/performance-cli.md).
 */
import { readFileSync } from 'node:fs';
import { decodeXmlBytes, type Decoded } from '../xml/decode';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, type LanguageService, type ParsedDocument, type Verdict } from '../languageService';
import type { HostTopology } from '../host/types';
import type { RuleSettings } from '../rules/settings';
import type { Finding } from '../rules/types';
import { schemaValidatorFor, setSchemaLog, type SchemaMode } from './schema';

/** What every thread is given once. */
export interface CheckSetup {
  /** Host topologies, referred to by index from jobs; undefined: no topology known. */
  hosts: (HostTopology | undefined)[];
  settings: Partial<RuleSettings>;
  /** Schema mode to validate with; undefined: no schema validation on this run. */
  schema?: SchemaMode;
}

export interface CheckJob {
  /** Position in the final, sorted output. */
  index: number;
  /** The name shown in output (and the document's uri). */
  name: string;
  /** Absolute path to read; absent when `input` is given (standard input). */
  abs?: string;
  /** The input itself: bytes as read (decoded here, like a file's), or text already decoded (tests). */
  input?: Uint8Array | string;
  /** Index into CheckSetup.hosts. */
  host: number;
  /**
   * Found by a walk or a glob: skipped (and counted) when the root element is
   * not <domain>. A file named on the command line, or standard input, must be
   * a domain: anything else is an error (rules/input.ts).
   */
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

/**
 * Files per schema batch. The libxml2 runs of a batch each compile the
 * grammar once for all its files, so the larger the batch, the smaller each
 * file's share: on the generated fleet of docs/performance-cli.md, about
 * 16 ms of CPU per file with 64, 11 with 100, 9 with 128. A batch is held in
 * memory as text, which is small.
 */
export const SCHEMA_BATCH = 100;

/** A file that passed our own rules and waits for its schema verdict. */
interface Checked {
  job: CheckJob;
  doc: ParsedDocument;
  verdict: Verdict;
  logs: string[];
}

export class Checker {
  private readonly services = new Map<number, LanguageService>();
  private logs: string[] = [];

  constructor(private readonly setup: CheckSetup) {}

  private service(host: number): LanguageService {
    let s = this.services.get(host);
    if (!s) {
      const topology = this.setup.hosts[host];
      const schema = this.setup.schema === undefined ? undefined : schemaValidatorFor(this.setup.schema, this.setup.settings.libvirtVersion);
      s = getLanguageService({ host: { topology: () => topology }, settings: this.setup.settings, schema, log: (m) => this.logs.push(m) });
      this.services.set(host, s);
    }
    return s;
  }

  async check(job: CheckJob): Promise<CheckOutcome> {
    return (await this.checkMany([job]))[0];
  }

  /** Checks the jobs in order, in schema batches; one outcome per job, in job order. */
  async checkMany(jobs: readonly CheckJob[]): Promise<CheckOutcome[]> {
    const out: CheckOutcome[] = [];
    for (let i = 0; i < jobs.length; i += SCHEMA_BATCH) out.push(...(await this.checkBatch(jobs.slice(i, i + SCHEMA_BATCH))));
    return out;
  }

  private async checkBatch(jobs: readonly CheckJob[]): Promise<CheckOutcome[]> {
    const outcomes: CheckOutcome[] = new Array(jobs.length);
    const waiting: { at: number; checked: Checked }[] = [];
    jobs.forEach((job, at) => {
      const r = this.ownChecks(job);
      if ('outcome' in r) outcomes[at] = r.outcome;
      else waiting.push({ at, checked: r });
    });
    const schema = await this.schemaResults(waiting.map((w) => w.checked));
    waiting.forEach(({ at, checked }, k) => {
      const { job, verdict, logs } = checked;
      logs.push(...schema[k].logs);
      outcomes[at] = { index: job.index, status: 'checked', diagnostics: verdict.withSchema(schema[k].findings), logs };
    });
    return outcomes;
  }

  /** Reading, parsing and our own rules; a file that needs no schema verdict is done here. */
  private ownChecks(job: CheckJob): { outcome: CheckOutcome } | Checked {
    this.logs = [];
    let decoded: Decoded;
    if (typeof job.input === 'string') decoded = { text: job.input };
    else {
      try {
        // Synchronous on purpose: a domain file is small, and per file the promise API measured several times slower.
        decoded = decodeXmlBytes(job.input ?? readFileSync(job.abs ?? job.name));
      } catch (e) {
        const error = `cannot read ${job.name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        return { outcome: { index: job.index, status: 'unreadable', diagnostics: [], error, logs: [] } };
      }
    }
    try {
      const service = this.service(job.host);
      const doc = service.parse(decoded.text, job.name);
      const domain = hasDomainRoot(doc);
      if (job.discovered && !domain) return { outcome: { index: job.index, status: 'skipped', diagnostics: [], logs: [] } };
      // Not a domain (or nothing at all): the input finding says so, and the domain rules have nothing to say.
      if (!domain) return { outcome: { index: job.index, status: 'checked', diagnostics: service.inputCheck(doc, 'required', decoded.problem), logs: this.logs } };
      return { job, doc, verdict: service.verdict(doc, { strict: true, expect: 'required', decoding: decoded.problem }), logs: this.logs };
    } catch (e) {
      // A bug of ours on one file must not cost the report for all the others.
      const error = `checking ${job.name} failed: ${(e as Error)?.stack ?? e}`;
      return { outcome: { index: job.index, status: 'failed', diagnostics: [], error, logs: this.logs } };
    }
  }

  /**
   * Schema findings for the files, in their order: none for those that are
   * not domains, or when schemas are off. The batch goes through one
   * language service: the schema verdict does not depend on the host.
   */
  private async schemaResults(files: readonly Checked[]): Promise<{ findings: Finding[]; logs: string[] }[]> {
    const results = files.map(() => ({ findings: [] as Finding[], logs: [] as string[] }));
    if (this.setup.schema === undefined || !files.length) return results;
    const domains = files.flatMap((f, i) => (hasDomainRoot(f.doc) ? [i] : []));
    if (!domains.length) return results;
    // Anything the validator says that is not about one document goes with the first of the batch.
    setSchemaLog((m) => results[domains[0]].logs.push(m));
    try {
      const got = await this.service(files[0].job.host).schemaFindingsOfMany(domains.map((i) => files[i].doc));
      domains.forEach((i, k) => {
        const r = got[k];
        if ('failed' in r) results[i].logs.push(`schema validation of ${files[i].doc.uri} failed: ${r.failed}`);
        else results[i].findings = r.findings;
      });
    } catch (e) {
      for (const i of domains) results[i].logs.push(`schema validation of ${files[i].doc.uri} failed and was skipped: ${(e as Error)?.message ?? e}`);
    }
    return results;
  }
}

/** A discovered file is checked only when its first element is <domain> (a file without any element is not). */
export function hasDomainRoot(doc: ParsedDocument): boolean {
  return doc.xml.roots[0]?.name === 'domain';
}
