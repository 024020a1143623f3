/**
 * Decides when a document is analysed: after a short pause in typing
 * (debounced per document), at once on open and save, and never for a
 * version that a newer one has replaced by the time the timer fires.
 */
import type { Diagnostic } from 'vscode-languageserver-types';

export interface VersionedDocument {
  readonly uri: string;
  readonly version: number;
}

export interface SchedulerOptions<D extends VersionedDocument> {
  delayMs: number;
  /** The latest version of a document, or undefined once it is closed. */
  current(uri: string): D | undefined;
  /**
   * The diagnostics of a version. A large document's analysis may come back
   * later (it lets requests in between its steps) or as undefined when a newer
   * version replaced the document meanwhile. `typing`: the run follows a
   * pause in typing, rather than an open, a save or a change of settings or
   * host (which are run at once).
   */
  analyse(doc: D, strict: boolean, typing: boolean): Diagnostic[] | Promise<Diagnostic[] | undefined>;
  publish(uri: string, version: number, diagnostics: Diagnostic[]): void;
  log(message: string): void;
}

interface Pending {
  timer: ReturnType<typeof setTimeout>;
  strict: boolean;
  immediate: boolean;
  version: number;
}

export class DiagnosticScheduler<D extends VersionedDocument> {
  private readonly pending = new Map<string, Pending>();
  /** Runs performed, for tests and the benchmark. */
  runs = 0;

  constructor(private readonly options: SchedulerOptions<D>) {}

  schedule(doc: D, opts: { strict: boolean; immediate?: boolean }): void {
    const previous = this.pending.get(doc.uri);
    // A strict run asked for earlier still happens, even if typing supersedes it.
    const strict = opts.strict || !!previous?.strict;
    // An immediate run already pending for this very version is not postponed:
    // opening a document also reports a content change, which must not delay the first diagnostics.
    if (previous && previous.immediate && previous.version === doc.version) {
      previous.strict = strict;
      return;
    }
    if (previous) clearTimeout(previous.timer);
    const immediate = !!opts.immediate;
    const timer = setTimeout(() => this.run(doc.uri), immediate ? 0 : this.options.delayMs);
    this.pending.set(doc.uri, { timer, strict, immediate, version: doc.version });
  }

  revalidateAll(docs: readonly D[]): void {
    for (const d of docs) this.schedule(d, { strict: false, immediate: true });
  }

  forget(uri: string): void {
    const p = this.pending.get(uri);
    if (p) clearTimeout(p.timer);
    this.pending.delete(uri);
  }

  private run(uri: string): void {
    const p = this.pending.get(uri);
    this.pending.delete(uri);
    const doc = this.options.current(uri);
    if (!doc || !p) return;
    const failed = (e: unknown) => this.options.log(`analysis of ${uri} failed: ${(e as Error)?.stack ?? e}`);
    try {
      this.runs++;
      const result = this.options.analyse(doc, p.strict, !p.immediate);
      if (Array.isArray(result)) this.publishIfCurrent(doc, result);
      else result.then((diagnostics) => diagnostics && this.publishIfCurrent(doc, diagnostics), failed);
    } catch (e) {
      failed(e);
    }
  }

  /** Diagnostics of a version that a newer one replaced while it was analysed are dropped. */
  private publishIfCurrent(doc: D, diagnostics: Diagnostic[]): void {
    const now = this.options.current(doc.uri);
    if (!now || now.version !== doc.version) return;
    this.options.publish(doc.uri, doc.version, diagnostics);
  }
}
