/**
 * The language service: pure functions from a parsed document (and the host
 * topology) to LSP results. The LSP server and the CLI are thin layers over
 * this facade, so both report exactly the same thing.
 *
 * A document version is parsed once (`parse`) and the result is handed to
 * every feature.
 */
import type {
  CodeAction, CompletionList, Diagnostic, DocumentSymbol, Hover, Location, Position, Range, WorkspaceEdit,
} from 'vscode-languageserver-types';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-types';
import { strictWellFormedness } from './xml/wellFormed';
import { parseDocument, type ParsedDocument } from './domain/document';
import type { HostTopology } from './host/types';
import { RULE_FAMILIES, runRules } from './rules/index';
import { inputFindings, type DomainExpectation } from './rules/input';
import type { DecodingProblem } from './xml/decode';
import type { Finding, RuleFamily } from './rules/types';
import { DEFAULT_RULE_SETTINGS, type RuleSettings } from './rules/settings';
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
}

export interface LanguageService {
  /**
   * Parses one version. With `previous` (the parse of an earlier version of
   * the same document) only the region the edit touched is scanned again;
   * `previous` is then used up and must not be read any more.
   */
  parse(text: string, uri?: string, version?: number, previous?: ParsedDocument): ParsedDocument;
  /** Findings in offsets, as the rules produced them (the CLI and tests use these). */
  findings(doc: ParsedDocument): Finding[];
  validate(doc: ParsedDocument): Diagnostic[];
  /**
   * What the document is, before what it says (rules/input.ts): empty, not
   * text, not UTF-8, or rooted in something else than `<domain>`, as loud as
   * `expect` asks. `decoding` is what reading its bytes found, for a face that
   * reads bytes (the CLI); editors hand over decoded text.
   */
  inputCheck(doc: ParsedDocument, expect: DomainExpectation, decoding?: DecodingProblem): Diagnostic[];
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

  const ctxOf = (doc: ParsedDocument): FeatureContext => ({
    doc, host: hostOf(), settings, log, grammar: options.grammar?.current(), grammarPending: options.grammar?.pending?.() ?? false,
  });

  const findings = (doc: ParsedDocument): Finding[] => {
    if (!doc.isDomain) return [];
    return runRules(families, { model: doc.domain, host: hostOf(), settings }, log);
  };

  return {
    get settings() { return settings; },
    configure(next) { settings = { ...settings, ...next }; },

    parse: parseDocument,

    findings,

    validate(doc) {
      return findings(doc).map((f) => toDiagnostic(doc, f));
    },

    inputCheck(doc, expect, decoding) {
      return inputFindings(doc.xml, expect, decoding).map((f) => toDiagnostic(doc, f));
    },

    strictCheck(doc) {
      if (!doc.isDomain || doc.xml.problems.length > 0) return [];
      const err = strictWellFormedness(doc.text);
      if (!err) return [];
      const start = doc.lines.offsetAt({ line: err.line, character: err.character });
      const end = Math.min(doc.text.length, start + 1);
      return [toDiagnostic(doc, { code: 'xml-not-well-formed', severity: 'error', start, end, message: `Not well-formed XML: ${err.message}.` })];
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
    references: (doc, position, includeDeclaration) =>
      doc.isDomain ? references(ctxOf(doc), doc.lines.offsetAt(position), includeDeclaration) : [],
    prepareRename: (doc, position) => (doc.isDomain ? prepareRename(ctxOf(doc), doc.lines.offsetAt(position)) : null),
    rename: (doc, position, newName) => (doc.isDomain ? rename(ctxOf(doc), doc.lines.offsetAt(position), newName) : null),
  };
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
