/**
 * Schema validation for the server and the CLI: the verdict of libvirt's own
 * RelaxNG grammar (what `virt-xml-validate` says), as findings on exact text.
 *
 * It runs beside the rule families, never in their way: callers publish our
 * own diagnostics first and merge these when they arrive. A run for an older
 * version of a document is cancelled as soon as a newer one is asked for; the
 * grammar is read and indexed once per directory; engine runs are done one at
 * a time so that a burst of edits in several files cannot pile up processes.
 * When no schemas are found, one information finding says so, once, on the
 * first document asked about; everything else keeps working.
 */
import { firstElement, parseXml } from '../xml/parser';
import type { XmlElement } from '../xml/nodes';
import type { Finding } from '../rules/types';
import { describeLocation, type LocateOptions, type SchemaLocation } from './locate';
import type { LoadedSchema } from './rng';
import { chooseGrammar, forgetLoadedGrammars, GrammarSource, type GrammarChoice } from './grammarSource';
import type { SchemaEngine, SchemaSet } from './engine';
import { createEngine, type EngineChoice } from './engines';
import { CoalescingEngine, type CoalescingOptions } from './coalesce';
import { MemoizingEngine } from './engineMemo';
import { localize, PatternsOf } from './localize';
import { passedOverFinding, renderIssues, rootSpan, SCHEMA_INVALID, SCHEMA_NEWER_LIBVIRT, unavailableFinding, type Blank } from './messages';
import { finding } from '../rules/report';

export interface SchemaSettings {
  /** `libvirtDomainXml.schema.enable`. */
  readonly enable: boolean;
  /** `libvirtDomainXml.schema.directory`; empty: find the installed schemas. */
  readonly directory: string;
  /** The libvirt release the domains are written for; installed schemas older than it give way to the shipped ones. */
  readonly targetVersion?: string;
  /** Which libxml2 to run; 'auto' prefers the system xmllint. */
  readonly engine: EngineChoice;
}

export const DEFAULT_SCHEMA_SETTINGS: SchemaSettings = { enable: true, directory: '', targetVersion: undefined, engine: 'auto' };

/** Everything needed to validate, built once per settings. */
export interface SchemaSetup {
  readonly location: SchemaLocation;
  readonly loaded: LoadedSchema;
  readonly set: SchemaSet;
  readonly engine: SchemaEngine;
  /** Sources passed over on the way to this one (a broken schema directory, ...). */
  readonly notes: readonly string[];
}

export type SchemaStatus =
  | {
      readonly available: true;
      readonly dir: string;
      readonly libvirtVersion: string | undefined;
      readonly engine: string;
      /** "libvirt 12.8.0, shipped with the extension". */
      readonly grammar: string;
      readonly notes: readonly string[];
    }
  | { readonly available: false; readonly reason: string };

/** How a document fared: the findings and the verdict they add up to. */
export interface SchemaCheck {
  readonly findings: Finding[];
  /** 'newer-syntax': the local schema rejects only syntax that a later libvirt accepts. */
  readonly verdict: 'valid' | 'invalid' | 'newer-syntax' | 'skipped';
}

export interface SchemaValidatorOptions {
  readonly settings?: Partial<SchemaSettings>;
  readonly log?: (message: string) => void;
  /** Where to look (tests point it elsewhere). */
  readonly locate?: Omit<LocateOptions, 'directory'>;
  /** Use this engine instead of choosing one (tests). */
  readonly engine?: SchemaEngine;
  /** How an engine is made for a choice (tests count and inspect them); `createEngine` otherwise. */
  readonly createEngine?: (choice: EngineChoice, log: (message: string) => void) => SchemaEngine | undefined;
  /** The grammar source shared with completion and hover; one of its own otherwise. */
  readonly grammar?: GrammarSource;
}

/** Builds the setup for a settings value (one-shot callers: measurements, tests), or says why there is none. */
export async function prepareSchema(
  settings: SchemaSettings,
  locate: Omit<LocateOptions, 'directory' | 'targetVersion'> = {},
  engine?: SchemaEngine,
): Promise<SchemaSetup | { unavailable: string }> {
  return setupFor(await chooseGrammar({ ...locate, directory: settings.directory, targetVersion: settings.targetVersion }), settings, engine);
}

/** Builds the setup for a grammar choice, or says why there is none. */
export function setupFor(choice: GrammarChoice, settings: SchemaSettings, engine?: SchemaEngine): SchemaSetup | { unavailable: string } {
  const g = choice.grammar;
  if (!g) return { unavailable: choice.unavailable ?? 'no libvirt schema.' };
  const chosen = engine ?? createEngine(settings.engine);
  if (!chosen) return { unavailable: `libvirt schemas are in ${g.location.dir}, but neither the xmllint program nor the xmllint-wasm package is available to validate with.` };
  const set: SchemaSet = { dir: g.loaded.dir, main: g.loaded.main, files: new Map(g.loaded.files.map((f) => [f.name, f.text])) };
  return { location: g.location, loaded: g.loaded, set, engine: chosen, notes: choice.notes };
}

/**
 * Validates one text. When the only faults are syntax a later libvirt knows,
 * that syntax is blanked out and the text validated again, so that a real
 * error behind it is still found (libxml2 stops at the first fault of an
 * element).
 */
export async function checkText(text: string, setup: SchemaSetup, signal?: AbortSignal): Promise<SchemaCheck> {
  const first = parseXml(text);
  const root = first.roots[0];
  if (!root || root.name !== 'domain' || first.problems.length) return { findings: [], verdict: 'skipped' };
  const findings: Finding[] = [];
  let current = text;
  let doc = first;
  for (let pass = 0; pass < 4; pass++) {
    const [r] = await setup.engine.validateMany([current], setup.set, undefined, signal);
    if (!r || r.notWellFormed) return { findings, verdict: findings.length ? 'newer-syntax' : 'skipped' };
    if (r.valid) return { findings, verdict: findings.length ? 'newer-syntax' : 'valid' };
    const issues = await localize(doc, r.errors, { engine: setup.engine, schema: setup.set, model: setup.loaded.model, signal });
    const rendered = renderIssues(issues, { pats: new PatternsOf(setup.loaded.model), model: setup.loaded.model, schemaVersion: setup.location.libvirtVersion });
    if (!rendered.findings.length) {
      findings.push(
        fallbackFinding(
          doc.roots[0],
          r.errors.map((e) => e.message),
        ),
      );
      return { findings, verdict: 'invalid' };
    }
    findings.push(...rendered.findings);
    if (rendered.findings.some((f) => f.code === SCHEMA_INVALID) || !rendered.blanks.length) {
      return { findings, verdict: findings.some((f) => f.code === SCHEMA_INVALID) ? 'invalid' : 'newer-syntax' };
    }
    current = blank(current, rendered.blanks);
    doc = parseXml(current);
  }
  return { findings, verdict: findings.some((f) => f.code === SCHEMA_INVALID) ? 'invalid' : 'newer-syntax' };
}

/** One document's schema check in a batch, or why it could not be done. */
export type BatchCheck = { readonly check: SchemaCheck } | { readonly error: unknown };

/**
 * Checks the texts side by side, each exactly as `checkText` checks it
 * alone, with engine runs that ask the same question shared between them
 * (coalesce.ts): a batch of valid documents costs one libxml2 run. Results
 * in text order; a document whose check fails does not take the others
 * with it.
 */
export async function checkTexts(texts: readonly string[], setup: SchemaSetup, opts: CoalescingOptions = {}): Promise<BatchCheck[]> {
  const shared: SchemaSetup = { ...setup, engine: new CoalescingEngine(setup.engine, opts) };
  const settled = await Promise.allSettled(texts.map((t) => checkText(t, shared)));
  return settled.map((s) => (s.status === 'fulfilled' ? { check: s.value } : { error: s.reason }));
}

/** Replaces the ranges by spaces, keeping line breaks, so every offset and line stays where it was. */
export function blank(text: string, ranges: readonly Blank[]): string {
  const chars = text.split('');
  for (const r of ranges) for (let i = Math.max(0, r.start); i < Math.min(text.length, r.end); i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = ' ';
  return chars.join('');
}

function fallbackFinding(root: XmlElement | undefined, messages: string[]): Finding {
  return finding(SCHEMA_INVALID, rootSpan(root), `The libvirt schema rejects this document: ${messages.join('; ') || 'libxml2 gave no reason'}.`);
}

interface Pending {
  readonly version: number;
  readonly controller: AbortController;
}

export class SchemaValidator {
  private settings: SchemaSettings;
  private setup: Promise<SchemaSetup | { unavailable: string }> | undefined;
  private readonly latest = new Map<string, Pending>();
  private readonly lastResult = new Map<string, { text: string; findings: Finding[] }>();
  /** The document that carries the one "no schemas" message of this session. */
  private unavailableShownOn: string | undefined;
  /** Engine runs go one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: (message: string) => void;
  /** Where the grammar comes from (shared with completion and hover when the caller passes one). */
  readonly grammar: GrammarSource;
  private setupFrom: GrammarChoice | undefined;
  /**
   * The engine made for the engine setting, kept across grammar changes: an
   * in-process engine holds compiled grammars (the one in use and the one
   * before), which a new engine per setup would leave behind in libxml2's memory.
   */
  private made: { readonly choice: EngineChoice; readonly engine: SchemaEngine | undefined } | undefined;

  constructor(private readonly options: SchemaValidatorOptions = {}) {
    this.settings = { ...DEFAULT_SCHEMA_SETTINGS, ...options.settings };
    this.log = options.log ?? (() => undefined);
    this.grammar = options.grammar ?? new GrammarSource(options.locate);
    this.grammar.configure({ directory: this.settings.directory, targetVersion: this.settings.targetVersion });
  }

  /** New settings; a changed directory, target release or engine is looked up again on the next run. */
  configure(next: Partial<SchemaSettings>): void {
    const merged = { ...this.settings, ...next };
    const changed =
      merged.directory !== this.settings.directory ||
      merged.engine !== this.settings.engine ||
      merged.enable !== this.settings.enable ||
      merged.targetVersion !== this.settings.targetVersion;
    this.settings = merged;
    this.grammar.configure({ directory: merged.directory, targetVersion: merged.targetVersion });
    if (changed) this.forgetSetup();
  }

  /** Looks for the schemas again on the next run (after libvirt was installed or upgraded), and for xmllint. */
  refresh(): void {
    forgetLoadedGrammars();
    this.grammar.reset();
    this.dropEngine();
    this.forgetSetup();
  }

  /** The engine for the engine setting: the one made before while that setting stands. */
  private engineFor(choice: EngineChoice): SchemaEngine | undefined {
    if (this.options.engine) return this.options.engine;
    if (this.made?.choice !== choice) {
      this.dropEngine();
      this.made = { choice, engine: (this.options.createEngine ?? ((c, log) => createEngine(c, undefined, log)))(choice, this.log) };
    }
    return this.made.engine;
  }

  private dropEngine(): void {
    this.made?.engine?.dispose?.();
    this.made = undefined;
  }

  private forgetSetup(): void {
    this.setup = undefined;
    this.setupFrom = undefined;
    this.lastResult.clear();
    this.unavailableShownOn = undefined;
  }

  get enabled(): boolean {
    return this.settings.enable;
  }

  /**
   * How documents are checked against libvirt's schema, in one sentence for
   * the user (the status item's tooltip): the engine, a fallback and why, or
   * why there is no validation.
   */
  async validationStatus(): Promise<string> {
    if (!this.settings.enable) return 'Schema validation is switched off (libvirtDomainXml.schema.enable).';
    const s = await this.ensureSetup();
    if ('unavailable' in s) return `No schema validation: ${s.unavailable}`;
    return `Schema validation: ${(await s.engine.describe?.()) ?? s.engine.name}.`;
  }

  /** Which schemas and engine are in use, or why there are none. */
  async status(): Promise<SchemaStatus> {
    const s = await this.ensureSetup();
    if ('unavailable' in s) return { available: false, reason: s.unavailable };
    return {
      available: true,
      dir: s.location.dir,
      libvirtVersion: s.location.libvirtVersion,
      engine: s.engine.name,
      grammar: describeLocation(s.location),
      notes: s.notes,
    };
  }

  /**
   * Schema findings for this version of the document, or 'superseded' when a
   * newer version was asked for before this one finished (its findings would
   * be stale). `delayMs` waits first, so that calls made while typing collapse
   * into one run after the pause.
   */
  async validate(uri: string, version: number, text: string, opts: { delayMs?: number } = {}): Promise<Finding[] | 'superseded'> {
    this.latest.get(uri)?.controller.abort();
    const mine: Pending = { version, controller: new AbortController() };
    this.latest.set(uri, mine);
    const stale = () => this.latest.get(uri) !== mine;
    if (!this.settings.enable) return this.finish(uri, mine, []);
    if (opts.delayMs && opts.delayMs > 0) {
      await new Promise((r) => setTimeout(r, opts.delayMs));
      if (stale()) return 'superseded';
    }
    const setup = await this.ensureSetup();
    if (stale()) return 'superseded';
    if ('unavailable' in setup) return this.finish(uri, mine, this.unavailableFindings(uri, text, setup.unavailable));
    const cached = this.lastResult.get(uri);
    if (cached && cached.text === text) return this.finish(uri, mine, cached.findings);
    const run = this.queue.then(async () => {
      if (stale()) return 'superseded' as const;
      return [...this.passedOverFindings(uri, text, setup), ...(await checkText(text, setup, mine.controller.signal)).findings];
    });
    this.queue = run.catch(() => undefined);
    try {
      const findings = await run;
      if (findings === 'superseded' || stale()) return 'superseded';
      this.lastResult.set(uri, { text, findings });
      return this.finish(uri, mine, findings);
    } catch (e) {
      if (stale() || (e as Error)?.name === 'AbortError') return 'superseded';
      this.log(`schema validation of ${uri} failed: ${(e as Error)?.message ?? e}`);
      return this.finish(uri, mine, []);
    }
  }

  /**
   * Schema findings of many documents at once, for one-shot callers (the
   * CLI): the same findings `validate` gives each of them, at a fraction of
   * the engine runs (see checkTexts). Nothing is kept and nothing can be
   * cancelled, so there is nothing to `forget` afterwards. A document whose
   * check failed gets the reason instead, for the caller to report.
   */
  async validateBatch(docs: readonly { uri: string; text: string }[], opts: CoalescingOptions = {}): Promise<({ findings: Finding[] } | { failed: string })[]> {
    if (!this.settings.enable || docs.length === 0) return docs.map(() => ({ findings: [] }));
    const setup = await this.ensureSetup();
    if ('unavailable' in setup) return docs.map((d) => ({ findings: this.unavailableFindings(d.uri, d.text, setup.unavailable) }));
    const run = this.queue.then(() =>
      checkTexts(
        docs.map((d) => d.text),
        setup,
        opts,
      ),
    );
    this.queue = run.catch(() => undefined);
    const checks = await run;
    return checks.map((c) => ('check' in c ? { findings: c.check.findings } : { failed: String((c.error as Error)?.message ?? c.error) }));
  }

  /** The one "no schemas" finding: on the first domain document asked about, nowhere else. */
  private unavailableFindings(uri: string, text: string, reason: string): Finding[] {
    // Only the root is needed: reading the whole of a multi-megabyte file for it stalled the server.
    const root = firstElement(text);
    if (root?.name !== 'domain') return [];
    this.unavailableShownOn ??= uri;
    return this.unavailableShownOn === uri ? [unavailableFinding(root, reason)] : [];
  }

  /** The one note about sources passed over (a broken schema directory): on the first domain document, nowhere else. */
  private passedOverFindings(uri: string, text: string, setup: SchemaSetup): Finding[] {
    if (!setup.notes.length) return [];
    const root = firstElement(text);
    if (root?.name !== 'domain') return [];
    this.unavailableShownOn ??= uri;
    return this.unavailableShownOn === uri ? [passedOverFinding(root, setup.notes, describeLocation(setup.location))] : [];
  }

  /** Stops work for a closed document. */
  forget(uri: string): void {
    this.latest.get(uri)?.controller.abort();
    this.latest.delete(uri);
    this.lastResult.delete(uri);
  }

  private finish(uri: string, mine: Pending, findings: Finding[]): Finding[] | 'superseded' {
    if (this.latest.get(uri) !== mine) return 'superseded';
    this.latest.delete(uri);
    return findings;
  }

  private ensureSetup(): Promise<SchemaSetup | { unavailable: string }> {
    // The grammar source may have chosen again (settings shared with completion changed).
    if (this.setup && this.setupFrom && this.grammar.current && this.grammar.current !== this.setupFrom) this.forgetSetup();
    if (!this.setup) {
      const settings = this.settings;
      // The engine does not depend on the grammar chosen: libxml2's module loads while the grammar is read.
      const engine = this.engineFor(settings.engine);
      engine?.prepare?.();
      this.setup = this.grammar
        .load()
        .then((choice) => {
          this.setupFrom = choice;
          const s = setupFor(choice, settings, engine);
          if ('unavailable' in s) {
            this.log(`schema validation off: ${s.unavailable}`);
            return s;
          }
          for (const n of s.notes) this.log(`schema: ${n}; passed over`);
          this.log(`schema validation: ${describeLocation(s.location)} (${s.location.dir}), engine ${s.engine.name}`);
          // An editor session asks libxml2 mostly the same questions from one keystroke to the next (engineMemo.ts).
          return { ...s, engine: new MemoizingEngine(s.engine) };
        })
        .catch((e: unknown) => ({ unavailable: `the schemas could not be prepared (${(e as Error)?.message ?? e}).` }));
    }
    return this.setup;
  }
}

/**
 * The rule findings plus the schema findings, without saying one thing twice:
 * a schema-newer-libvirt warning on text that the version family already
 * flags (version-too-new, when libvirtDomainXml.libvirtVersion is set) is
 * dropped, since both say "a later libvirt is needed".
 */
export function mergeFindings(rules: readonly Finding[], schema: readonly Finding[]): Finding[] {
  const versionFlagged = rules.filter((f) => f.code === 'version-too-new');
  const overlaps = (a: Finding, b: Finding) => a.start < b.end && b.start < a.end;
  return [...rules, ...schema.filter((f) => f.code !== SCHEMA_NEWER_LIBVIRT || !versionFlagged.some((v) => overlaps(v, f)))];
}

export { SCHEMA_INVALID, SCHEMA_NEWER_LIBVIRT };
