/**
 * The language service: pure functions from a parsed document (and the host
 * topology) to LSP results. The LSP server and the CLI are thin layers over
 * this facade, so both report exactly the same thing.
 *
 * A document version is parsed once (`parse`) and the result is handed to
 * every feature.
 *
 * One verdict path: whatever shows findings (the editor session, the CLI, a
 * check against a running libvirt) asks `verdict` for them, so rules, strict
 * well-formedness, libvirt's schema, their merging and order are decided here
 * once. Libvirt's schema verdict comes later than our own (it runs xmllint),
 * so a verdict is first given without it and completed by `withSchema`.
 */
import type { CodeAction, CompletionList, Diagnostic, DocumentSymbol, Hover, Location, Position, Range, WorkspaceEdit } from 'vscode-languageserver-types';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-types';
import { strictWellFormedness } from './xml/wellFormed';
import { parseDocument, type ParsedDocument } from './domain/document';
import type { HostTopology } from './host/types';
import { RULE_FAMILIES, runRules } from './rules/index';
import { inputFindings, type DomainExpectation } from './rules/input';
import type { DecodingProblem } from './xml/decode';
import { mergeFindings, type SchemaValidator } from './schema/validator';
import type { Finding, RuleFamily } from './rules/types';
import { DEFAULT_RULE_SETTINGS, type RuleSettings } from './rules/settings';
import { capFindings, DEFAULT_MAX_FINDINGS } from './rules/cap';
import { finding } from './rules/report';
import { complete } from './features/completion';
import { hover } from './features/hover';
import { codeActions } from './features/codeActions';
import { documentSymbols } from './features/symbols';
import { definition } from './features/definition';
import { references } from './features/references';
import { prepareRename, rename } from './features/rename';
import type { FeatureContext } from './features/context';
import type { Grammar } from './schema/grammarSource';

export type { ParsedDocument };

export interface HostAccess {
  /** The current host topology, or undefined when none is known. */
  topology(): HostTopology | undefined;
  /** Where the topology came from, for messages ("sysfs /sys", "snapshot x.json"). */
  describe?(): string;
  /** True while a read is under way: without a topology yet, that is not "no host". */
  reading?(): boolean;
}

export interface GrammarAccess {
  /** libvirt's grammar if it is loaded; undefined while it loads or when there is none. */
  current(): Grammar | undefined;
  /** True until the grammar has been chosen and loaded (or found missing). */
  pending?(): boolean;
  /** Asks for it to be loaded (completion asked before it was there). */
  load?(): void;
}

export interface LanguageServiceOptions {
  host?: HostAccess;
  /** libvirt's grammar, for completion and hover of the whole domain. */
  grammar?: GrammarAccess;
  settings?: Partial<RuleSettings>;
  /** Where rule failures are logged. */
  log?: (message: string) => void;
  /** Rule families to run; all by default (tests narrow it). */
  rules?: readonly RuleFamily[];
  /** libvirt's RelaxNG validation; without it the verdict has no schema part. */
  schema?: SchemaValidator;
}

export interface VerdictOptions {
  /**
   * Run the strict (xmldom) well-formedness check too: slower, for open and save. 'deferred': not yet, so
   * that the rest of the verdict can be shown first; `strictLater` runs it.
   */
  strict?: boolean | 'deferred';
  /** How much the face expects a domain (rules/input.ts); without it, what the input is goes unsaid. */
  expect?: DomainExpectation;
  /** What reading the bytes found, for a face that reads bytes (the CLI). */
  decoding?: DecodingProblem;
}

/** A document's verdict, first without libvirt's schema and then with it. */
export interface Verdict {
  /** Our rules (and the strict well-formedness check when asked for): what is known at once. */
  readonly diagnostics: Diagnostic[];
  /** The whole verdict once the schema's findings for the same text are known. */
  withSchema(schema: readonly Finding[]): Diagnostic[];
  /**
   * Runs the strict check of a verdict asked for with strict 'deferred' (once): the whole verdict with its
   * finding (and the schema's, when they were merged in already), or undefined when it finds nothing and what
   * was shown stands. Later `withSchema` verdicts include it.
   */
  strictLater(): Diagnostic[] | undefined;
}

/** The schema verdict of one document in a batch, or why it failed. */
export type SchemaOutcome = { findings: Finding[] } | { failed: string };

export interface LanguageService {
  /**
   * Parses one version. With `previous` (the parse of an earlier version of
   * the same document) only the region the edit touched is scanned again;
   * `previous` is then used up and must not be read any more.
   */
  parse(text: string, uri?: string, version?: number, previous?: ParsedDocument): ParsedDocument;
  /** Findings in offsets, as the rules produced them (tests and the topology view use these). */
  findings(doc: ParsedDocument): Finding[];
  /** The rules' findings as diagnostics (no schema, no strict check). */
  validate(doc: ParsedDocument): Diagnostic[];
  /**
   * What the document is, before what it says (rules/input.ts): empty, not
   * text, not UTF-8, or rooted in something else than `<domain>`, as loud as
   * `expect` asks. `decoding` is what reading its bytes found, for a face that
   * reads bytes (the CLI); editors hand over decoded text.
   */
  inputCheck(doc: ParsedDocument, expect: DomainExpectation, decoding?: DecodingProblem): Diagnostic[];
  /**
   * The verdict every face shows: what the input is (with `expect`), the
   * rules' findings, the strict well-formedness check when `strict`, then
   * (withSchema) libvirt's schema findings merged in, in document order.
   */
  verdict(doc: ParsedDocument, opts?: VerdictOptions): Verdict;
  /**
   * libvirt's schema findings for this version of a document (the editor:
   * a newer version of the same uri cancels this one, answering 'superseded').
   */
  schemaFindings(doc: ParsedDocument, opts?: { delayMs?: number }): Promise<Finding[] | 'superseded'>;
  /** The schema findings of many documents, sharing libxml2 runs (the CLI); one outcome per document. */
  schemaFindingsOfMany(docs: readonly ParsedDocument[]): Promise<SchemaOutcome[]>;
  /** Stops schema work for a closed document. */
  forget(uri: string): void;
  /**
   * The strict well-formedness verdict (xmldom's first error), for when the
   * tolerant scanner saw nothing wrong. Slower: run it on open and save, not per keystroke.
   */
  strictCheck(doc: ParsedDocument): Diagnostic[];
  complete(doc: ParsedDocument, position: Position): CompletionList;
  hover(doc: ParsedDocument, position: Position): Hover | null;
  codeActions(doc: ParsedDocument, range: Range, diagnostics: readonly Diagnostic[], only?: readonly string[]): CodeAction[];
  symbols(doc: ParsedDocument): DocumentSymbol[];
  definition(doc: ParsedDocument, position: Position): Location[];
  references(doc: ParsedDocument, position: Position, includeDeclaration: boolean): Location[];
  prepareRename(doc: ParsedDocument, position: Position): { range: Range; placeholder: string } | null;
  rename(doc: ParsedDocument, position: Position, newName: string): WorkspaceEdit | null;
  configure(settings: Partial<RuleSettings>): void;
  readonly settings: RuleSettings;
}

export const DIAGNOSTIC_SOURCE = 'libvirt-domain-xml';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function getLanguageService(options: LanguageServiceOptions = {}): LanguageService {
  let settings: RuleSettings = { ...DEFAULT_RULE_SETTINGS, ...options.settings };
  const log = options.log ?? (() => undefined);
  const families = options.rules ?? RULE_FAMILIES;
  const hostOf = () => options.host?.topology();

  const findings = (doc: ParsedDocument): Finding[] => {
    if (!doc.isDomain) return [];
    return runRules(families, { model: doc.domain, host: hostOf(), hostReading: options.host?.reading?.() ?? false, settings }, log);
  };

  const ctxOf = (doc: ParsedDocument): FeatureContext => ({
    doc,
    host: hostOf(),
    settings,
    log,
    grammar: options.grammar?.current(),
    grammarPending: options.grammar?.pending?.() ?? false,
    recheck: (text) => findings(parseDocument(text, doc.uri)),
  });

  const strictCheck = (doc: ParsedDocument): Diagnostic[] => {
    if (!doc.isDomain || doc.xml.problems.length > 0) return [];
    const err = strictWellFormedness(doc.text);
    if (!err) return [];
    const start = doc.lines.offsetAt({ line: err.line, character: err.character });
    const end = Math.min(doc.text.length, start + 1);
    return [toDiagnostic(doc, finding('xml-not-well-formed', { start, end }, `Not well-formed XML: ${err.message}.`))];
  };

  return {
    get settings() {
      return settings;
    },
    configure(next) {
      settings = { ...settings, ...next };
    },

    parse: parseDocument,

    findings,

    validate(doc) {
      return findings(doc).map((f) => toDiagnostic(doc, f));
    },

    verdict(doc, opts = {}) {
      const input = opts.expect ? inputFindings(doc.xml, opts.expect, opts.decoding) : [];
      const own = findings(doc);
      let strict = opts.strict === true ? strictCheck(doc) : [];
      let strictPending = opts.strict === 'deferred';
      /** Our findings with the schema's, once they are merged in. */
      let merged: readonly Finding[] = own;
      // The per-file bound holds for the whole verdict, schema findings included.
      const limit = settings.maxFindings ?? DEFAULT_MAX_FINDINGS;
      const assemble = (all: readonly Finding[]) => inDocumentOrder([...capFindings([...input, ...all], limit).map((f) => toDiagnostic(doc, f)), ...strict]);
      return {
        diagnostics: assemble(own),
        withSchema: (schema) => assemble((merged = mergeFindings(own, schema))),
        strictLater: () => {
          if (!strictPending) return undefined;
          strictPending = false;
          strict = strictCheck(doc);
          return strict.length > 0 ? assemble(merged) : undefined;
        },
      };
    },

    async schemaFindings(doc, opts = {}) {
      if (!options.schema || !doc.isDomain) return [];
      return options.schema.validate(doc.uri, doc.version, doc.text, opts);
    },

    async schemaFindingsOfMany(docs) {
      const out: SchemaOutcome[] = docs.map(() => ({ findings: [] }));
      const domains = docs.flatMap((d, i) => (d.isDomain ? [i] : []));
      if (!options.schema || !domains.length) return out;
      const got = await options.schema.validateBatch(domains.map((i) => ({ uri: docs[i].uri, text: docs[i].text })));
      domains.forEach((i, k) => {
        out[i] = got[k];
      });
      return out;
    },

    forget(uri) {
      options.schema?.forget(uri);
    },

    strictCheck,

    inputCheck(doc, expect, decoding) {
      return inputFindings(doc.xml, expect, decoding).map((f) => toDiagnostic(doc, f));
    },

    complete: (doc, position) => {
      if (!doc.isDomain) return { isIncomplete: false, items: [] };
      const ctx = ctxOf(doc);
      if (ctx.grammarPending) options.grammar?.load?.();
      return complete(ctx, doc.lines.offsetAt(position));
    },
    hover: (doc, position) => {
      if (!doc.isDomain) return null;
      const ctx = ctxOf(doc);
      if (ctx.grammarPending) options.grammar?.load?.();
      return hover(ctx, doc.lines.offsetAt(position));
    },
    codeActions: (doc, range, diagnostics, only) =>
      doc.isDomain ? codeActions(ctxOf(doc), doc.lines.offsetAt(range.start), doc.lines.offsetAt(range.end), diagnostics, only) : [],
    symbols: (doc) => (doc.isDomain ? documentSymbols(ctxOf(doc)) : []),
    definition: (doc, position) => (doc.isDomain ? definition(ctxOf(doc), doc.lines.offsetAt(position)) : []),
    references: (doc, position, includeDeclaration) => (doc.isDomain ? references(ctxOf(doc), doc.lines.offsetAt(position), includeDeclaration) : []),
    prepareRename: (doc, position) => (doc.isDomain ? prepareRename(ctxOf(doc), doc.lines.offsetAt(position)) : null),
    rename: (doc, position, newName) => (doc.isDomain ? rename(ctxOf(doc), doc.lines.offsetAt(position), newName) : null),
  };
}

/** Sorted by start position; Array.prototype.sort is stable, so findings at one place keep their order. */
function inDocumentOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

export function toDiagnostic(doc: ParsedDocument, f: Finding): Diagnostic {
  const d: Diagnostic = {
    range: doc.lines.range(f.start, f.end),
    severity: SEVERITY[f.severity],
    code: f.code,
    source: DIAGNOSTIC_SOURCE,
    message: f.message,
  };
  const related = [
    ...(f.related ?? []).map((r) => ({ location: { uri: doc.uri, range: doc.lines.range(r.start, r.end) }, message: r.message })),
    ...(f.relatedHost ?? []).map((r) => ({
      location: { uri: pathToFileUri(r.path), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      message: r.message,
    })),
  ];
  if (related.length) d.relatedInformation = related;
  if (f.tags?.length) d.tags = f.tags.map((t) => (t === 'deprecated' ? DiagnosticTag.Deprecated : DiagnosticTag.Unnecessary));
  if (f.data) d.data = f.data;
  return d;
}

export function pathToFileUri(path: string): string {
  return 'file://' + path.split('/').map(encodeURIComponent).join('/');
}
