/**
 * Joining the engine runs of documents checked side by side (the CLI's
 * batches, see checkTexts in validator.ts).
 *
 * Most of the cost of an engine run is libxml2 compiling libvirt's grammar
 * (well over 100 ms), not validating the documents handed to it, and one
 * run can validate any number of documents. So the documents of a batch are
 * checked side by side, each by the very same `checkText` the editor uses,
 * through an engine that holds their requests back for a moment and joins
 * those that ask the same question (same grammar, same start pattern) into
 * one run. Every document still gets the answer it would have got alone:
 * libxml2 validates each file of a run on its own, and the results are
 * handed back per document; only the number of grammar compilations drops.
 */
import type { EngineResult, RawSchemaError, SchemaEngine, SchemaSet } from './engine';

export interface CoalescingOptions {
  /** Requested documents per engine run at most (a command line and a temporary directory have limits). */
  readonly maxTexts?: number;
  /** Characters per engine run at most, beyond which a group is split (one oversized request still runs alone). */
  readonly maxChars?: number;
}

/** Same limit as localize.ts uses for one level of one document. */
export const DEFAULT_MAX_TEXTS = 1000;
export const DEFAULT_MAX_CHARS = 32 * 1024 * 1024;

interface Request {
  readonly texts: readonly string[];
  readonly schema: SchemaSet;
  readonly start: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (r: EngineResult[]) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * A SchemaEngine that joins requests made at about the same time into one
 * run of the engine it wraps. Requests wait until every caller that can go
 * on has asked (the next turn of the event loop), then the oldest request
 * and all others with the same grammar and start pattern run together. Runs
 * go one at a time, as in the editor, so a batch never starts more than one
 * libxml2 process at once.
 */
export class CoalescingEngine implements SchemaEngine {
  readonly name: SchemaEngine['name'];
  /** Engine runs made so far (for tests and measurements). */
  runs = 0;
  private pending: Request[] = [];
  private pumping = false;
  private readonly maxTexts: number;
  private readonly maxChars: number;

  constructor(
    private readonly inner: SchemaEngine,
    opts: CoalescingOptions = {},
  ) {
    this.name = inner.name;
    this.maxTexts = Math.max(1, opts.maxTexts ?? DEFAULT_MAX_TEXTS);
    this.maxChars = Math.max(1, opts.maxChars ?? DEFAULT_MAX_CHARS);
  }

  validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]> {
    return this.inner.validate(xmlText, schemaDir, signal);
  }

  validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<EngineResult[]>((resolve, reject) => {
      this.pending.push({ texts, schema, start, signal, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void (async () => {
      try {
        while (this.pending.length) {
          // Callers go on in promise jobs, which all run before this: whoever can ask has asked.
          await new Promise<void>((r) => setImmediate(r));
          await this.runGroup(this.takeGroup());
        }
      } finally {
        this.pumping = false;
      }
    })();
  }

  /** The oldest request and the later ones asking the same question, within the run's limits. */
  private takeGroup(): Request[] {
    const first = this.pending[0];
    const group: Request[] = [];
    const rest: Request[] = [];
    let texts = 0,
      chars = 0;
    for (const r of this.pending) {
      const size = r.texts.reduce((n, t) => n + t.length, 0);
      const fits = group.length === 0 || (texts + r.texts.length <= this.maxTexts && chars + size <= this.maxChars);
      if (r.schema === first.schema && r.start === first.start && fits) {
        group.push(r);
        texts += r.texts.length;
        chars += size;
      } else {
        rest.push(r);
      }
    }
    this.pending = rest;
    return group;
  }

  private async runGroup(group: readonly Request[]): Promise<void> {
    const live = group.filter((r) => {
      if (!r.signal?.aborted) return true;
      r.reject(r.signal.reason);
      return false;
    });
    if (live.length === 0) return;
    if (live.length === 1) {
      await this.runAlone(live[0]);
      return;
    }
    // Documents of one template share most of their parts, and localize.ts validates
    // parts on their own: a text asked about twice in a run is validated once. Its
    // answer cannot differ, since libxml2 sees nothing but the text, grammar and start.
    const unique = new Map<string, number>();
    for (const r of live) for (const t of r.texts) if (!unique.has(t)) unique.set(t, unique.size);
    let answers: EngineResult[];
    try {
      this.runs++;
      answers = await this.inner.validateMany([...unique.keys()], live[0].schema, live[0].start);
    } catch {
      // The engine failed on the joined run (a timeout, say): each request runs on its own,
      // so that only the document that really fails reports a failure, in its own words.
      for (const r of live) await this.runAlone(r);
      return;
    }
    for (const r of live) {
      const mine = r.texts.map((t) => answers[unique.get(t)!]);
      if (r.signal?.aborted) r.reject(r.signal.reason);
      else if (mine.some((a) => a === undefined)) r.reject(new Error(`the schema engine answered for ${answers.length} of the ${unique.size} documents of a run`));
      else r.resolve(mine);
    }
  }

  private async runAlone(r: Request): Promise<void> {
    try {
      this.runs++;
      r.resolve(await this.inner.validateMany(r.texts, r.schema, r.start, r.signal));
    } catch (e) {
      r.reject(e);
    }
  }
}
