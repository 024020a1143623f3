/**
 * What happens to an open document between a keystroke and the Problems
 * panel, independent of the LSP transport:
 *  1. our rules run after a short typing pause (at once on open and save) on
 *     one parse per version, and their diagnostics are published at once;
 *  2. libvirt's schema verdict follows, off that path, and is merged in when
 *     it arrives for a version that is still current;
 *  3. files above the live-analysis limit are analysed on open and save only.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { DIAGNOSTIC_SOURCE, type LanguageService, type ParsedDocument, type Verdict } from '../languageService';
import { DiagnosticScheduler } from './diagnosticScheduler';
import type { StartupGate } from './startupGate';
import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from './settings';
import { editorExpectation, type DomainExpectation } from '../rules/input';

/** Largest document the strict (xmldom) check and the schema validation run on in the editor. */
export const STRICT_CHECK_MAX_SIZE = 2 * 1024 * 1024;

/** From this size on, an analysis lets waiting requests in between its steps (a step then takes milliseconds). */
export const YIELD_ABOVE_SIZE = 256 * 1024;

/**
 * Lets the event loop read and answer what arrived meanwhile. A timer, not
 * setImmediate: the LSP connection dispatches each message it reads with
 * setImmediate, and a continuation queued with setImmediate before the read
 * would run ahead of it.
 */
function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface AnalysedDocument {
  readonly uri: string;
  readonly version: number;
  /** The editor's language for it (libvirt-xml or xml): says how sure we are that a domain is meant. */
  readonly languageId?: string;
  getText(): string;
}

export interface DocumentAnalysisOptions<D extends AnalysedDocument> {
  service: LanguageService;
  current(uri: string): D | undefined;
  publish(uri: string, version: number, diagnostics: Diagnostic[]): void;
  /** Called on each analysis, so that host knowledge can refresh while the user works. */
  onActivity?(): void;
  /** Analyses wait until it is open: the initial host read (startupGate.ts). */
  gate?: Pick<StartupGate, 'isOpen' | 'wait'>;
  log(message: string): void;
  settings?: Partial<SessionSettings>;
  typingDelayMs?: number;
  schemaDelayMs?: number;
}

export class DocumentAnalysis<D extends AnalysedDocument> {
  private readonly parsed = new Map<string, ParsedDocument>();
  private readonly scheduler: DiagnosticScheduler<D>;
  private sessionSettings: SessionSettings;

  constructor(private readonly o: DocumentAnalysisOptions<D>) {
    this.sessionSettings = { ...DEFAULT_SESSION_SETTINGS, ...o.settings };
    this.scheduler = new DiagnosticScheduler<D>({
      delayMs: o.typingDelayMs ?? 120,
      current: o.current,
      analyse: (doc, strict, typing) => this.analyse(doc, strict, typing),
      publish: o.publish,
      log: o.log,
    });
  }

  /**
   * One parse per document version, shared by every request on that version.
   * A new version is parsed from the last one (only the edited region is
   * scanned again), which uses the last one up: it is dropped here at once.
   */
  parsedOf(doc: D): ParsedDocument {
    const cached = this.parsed.get(doc.uri);
    if (cached && cached.version === doc.version) return cached;
    this.parsed.delete(doc.uri);
    const p = this.o.service.parse(doc.getText(), doc.uri, doc.version, cached);
    this.parsed.set(doc.uri, p);
    return p;
  }

  /**
   * The parsed document for a request, or undefined for a huge file that
   * changed since its last analysis: re-parsing it per request would stall
   * the server while the user types.
   */
  forRequest(doc: D): ParsedDocument | undefined {
    const cached = this.parsed.get(doc.uri);
    if (doc.getText().length > this.sessionSettings.maxLiveAnalysisSize && cached?.version !== doc.version) return undefined;
    return this.parsedOf(doc);
  }

  get settings(): SessionSettings {
    return this.sessionSettings;
  }
  configure(next: Partial<SessionSettings>): void {
    this.sessionSettings = { ...this.sessionSettings, ...next };
  }

  opened(doc: D): void {
    this.scheduler.schedule(doc, { strict: true, immediate: true });
  }
  changed(doc: D): void {
    this.scheduler.schedule(doc, { strict: false });
  }
  saved(doc: D): void {
    this.scheduler.schedule(doc, { strict: true, immediate: true });
  }

  closed(uri: string): void {
    this.parsed.delete(uri);
    this.scheduler.forget(uri);
    this.o.service.forget(uri);
  }

  /** Everything must be looked at again: the host, the settings or the schema changed. */
  revalidateAll(docs: readonly D[]): void {
    this.parsed.clear();
    this.scheduler.revalidateAll(docs);
  }

  private analyse(doc: D, strict: boolean, typing: boolean): Diagnostic[] | Promise<Diagnostic[] | undefined> {
    const { gate } = this.o;
    if (gate && !gate.isOpen) {
      // The version opened before the host was read is analysed once it is; a newer one has its own run.
      return gate.wait().then(() => (this.o.current(doc.uri)?.version === doc.version ? this.analyse(doc, strict, typing) : undefined));
    }
    const limit = this.sessionSettings.maxLiveAnalysisSize;
    const size = doc.getText().length;
    if (size > limit && !strict) return [livePausedDiagnostic(size, limit)];
    const p = this.parsedOf(doc);
    this.o.onActivity?.();
    const expect = editorExpectation(doc.uri, doc.languageId);
    if (size < YIELD_ABOVE_SIZE) return this.check(p, strict, typing, expect);
    // Between the parse and the rules, requests that arrived meanwhile are answered (from this very
    // parse), and an edit that arrived makes the rest of this analysis moot.
    return yieldToRequests().then(() => {
      const now = this.o.current(doc.uri);
      if (now?.version === doc.version) return this.check(p, strict, typing, expect);
      // The strict check asked for by an open or a save moves on to the newer version.
      if (now && strict) this.scheduler.schedule(now, { strict: true });
      return undefined;
    });
  }

  private check(p: ParsedDocument, strict: boolean, typing: boolean, expect: DomainExpectation): Diagnostic[] {
    const { service } = this.o;
    const limit = this.sessionSettings.maxLiveAnalysisSize;
    const size = p.text.length;
    // Two checks read the whole document again and are for files up to STRICT_CHECK_MAX_SIZE; above it
    // the tolerant scanner's findings stand alone (the CLI checks larger files). The strict parser builds
    // a full DOM (about 2 s and hundreds of MB at 5 MB), and schema validation runs xmllint and our parser
    // several times when newer syntax has to be blanked out (13 s for a 5 MB domain, requests waiting).
    const wholeDocumentChecks = size <= Math.min(limit, STRICT_CHECK_MAX_SIZE);
    // A generic XML file stays silent; a libvirt-xml one whose root is almost <domain> is told so (expect).
    // The strict check (xmldom, tens of milliseconds at 50 KB) runs after these diagnostics are published: on
    // a well-formed file, nearly always, it finds nothing and they stand; otherwise its finding follows.
    const verdict = service.verdict(p, { strict: strict && wholeDocumentChecks ? 'deferred' : false, expect });
    if (strict && wholeDocumentChecks) setTimeout(() => this.afterPublish(p, verdict, typing), 0);
    else if (p.isDomain && wholeDocumentChecks) void this.runSchema(p, verdict, typing);
    return verdict.diagnostics;
  }

  /** The rest of an open's or a save's analysis: the strict check, then libvirt's schema. */
  private afterPublish(p: ParsedDocument, verdict: Verdict, typing: boolean): void {
    const now = this.o.current(p.uri);
    if (now?.version !== p.version) {
      // Typing came in meanwhile: the strict check moves on to the newer version.
      if (now) this.scheduler.schedule(now, { strict: true });
      return;
    }
    try {
      const withStrict = verdict.strictLater();
      if (withStrict) this.o.publish(p.uri, p.version, withStrict);
    } catch (e) {
      this.o.log(`the strict check of ${p.uri} failed: ${(e as Error)?.stack ?? e}`);
    }
    if (p.isDomain) void this.runSchema(p, verdict, typing);
  }

  /** Publishes the whole verdict when libvirt's schema has spoken on a version that is still current. */
  private async runSchema(p: ParsedDocument, verdict: Verdict, typing: boolean): Promise<void> {
    try {
      // Only typing waits for the longer pause. A run after a change of settings or host (revalidateAll)
      // replaces the open's run, which it cancels: were it to wait, the first schema findings of a session
      // would come half a second late (the host and the local libvirt release are read just after open).
      const schema = await this.o.service.schemaFindings(p, { delayMs: typing ? (this.o.schemaDelayMs ?? 500) : 0 });
      if (schema === 'superseded' || schema.length === 0) return;
      const now = this.o.current(p.uri);
      if (!now || now.version !== p.version) return;
      this.o.publish(p.uri, p.version, verdict.withSchema(schema));
    } catch (e) {
      this.o.log(`schema validation of ${p.uri} failed: ${(e as Error)?.stack ?? e}`);
    }
  }
}

function livePausedDiagnostic(size: number, limit: number): Diagnostic {
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    code: 'live-analysis-paused',
    message: `Live analysis is paused for this ${mb(size)} MB file (limit ${mb(limit)} MB, setting libvirtDomainXml.maxLiveAnalysisSizeMB): it is checked again when you save.`,
  };
}
