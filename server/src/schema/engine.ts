/**
 * What a schema engine is: libxml2's RelaxNG validator behind one interface,
 * whether it runs in the process (libxml2-wasm), as the system `xmllint` or
 * as xmllint-wasm. The last two print the same text, so reading that text
 * into RawSchemaError lives here, once.
 */

import * as path from 'node:path';
import { loadSchema } from './rng';

/** One libxml2 message, as printed by xmllint. */
export interface RawSchemaError {
  /** 1-based line libxml2 gives (the line where the start tag of the node ends); undefined when it gives none. */
  readonly line: number | undefined;
  /** The element libxml2 was looking at ("element devices: ..."). */
  readonly element: string | undefined;
  /** The message after "Relax-NG validity error : ". */
  readonly message: string;
  /** A well-formedness error of the input rather than a schema error. */
  readonly parserError?: boolean;
}

export interface EngineResult {
  readonly valid: boolean;
  readonly errors: readonly RawSchemaError[];
  /** libxml2 could not read the input as XML (the well-formedness checks report it). */
  readonly notWellFormed?: boolean;
}

export interface SchemaSet {
  /** Absolute schema directory. */
  readonly dir: string;
  /** The grammar file, relative to dir (domain.rng). */
  readonly main: string;
  /** Every file the grammar pulls in, relative name → text (the wasm engine has no file system). */
  readonly files: ReadonlyMap<string, string>;
}

export interface SchemaEngine {
  readonly name: 'xmllint' | 'xmllint-wasm' | 'libxml2-wasm';
  /** Validates one document against `<dir>/domain.rng`. */
  validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]>;
  /**
   * Validates several documents in one run, each against the grammar or, when
   * `start` is given, against the grammar with its start replaced by `start`
   * (RelaxNG pattern text), which is how one element is checked on its own.
   */
  validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]>;
  /** Starts loading what the first validation needs (libxml2's module), so that it overlaps the caller's reading of the grammar. */
  prepare?(): void;
  /** Frees what the engine holds (compiled grammars); it is not asked again. */
  dispose?(): void;
  /** How this engine validates, in a few words for the user (a fallback says why), once it knows. */
  describe?(): Promise<string>;
}

/**
 * The files of `<dir>/domain.rng`, read once per directory, for engines that
 * are handed a directory (`validate`) and validate whole sets.
 */
export class SchemaSetsByDir {
  private readonly sets = new Map<string, Promise<SchemaSet>>();

  get(dir: string): Promise<SchemaSet> {
    const key = path.resolve(dir);
    let p = this.sets.get(key);
    if (!p) {
      p = loadSchema(key).then((s) => ({ dir: key, main: s.main, files: new Map(s.files.map((f) => [f.name, f.text])) }));
      p.catch(() => this.sets.delete(key));
      this.sets.set(key, p);
    }
    return p;
  }
}

/** Raised when the engine itself fails (missing program, schema that does not compile, timeout). */
export class SchemaEngineError extends Error {}

export const RNG_NS = 'http://relaxng.org/ns/structure/1.0';

/** A grammar that includes the real one and overrides its start. */
export function wrapperGrammar(includeHref: string, start: string): string {
  const href = includeHref.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<?xml version="1.0"?>\n<grammar xmlns="${RNG_NS}"><include href="${href}"><start>${start}</start></include></grammar>\n`;
}

/** File name used for the i-th document of a run; plain so that it cannot look like an option. */
export function docName(i: number): string {
  return `doc${i}.xml`;
}

const LOCATED = /^(.*?):(\d+): (?:element ([^:]+): )?(Relax-NG validity error|parser error|validity error|namespace error|parser warning|validity warning)\s*:\s*(.*)$/;
const UNLOCATED = /^(Relax-NG validity error|Relax-NG parser error)\s*:\s*(.*)$/;

/**
 * Splits xmllint's stderr into per-document results. xmllint handles the
 * files in order: messages with a location name their file, and each
 * validated file ends with "<name> validates" or "<name> fails to validate"
 * (a file that is not well-formed gets no such line). A message without a
 * location belongs to the next file named, so it waits for that line.
 */
export function parseXmllintOutput(stderr: string, names: readonly string[]): EngineResult[] {
  const results = new Map<string, { valid: boolean | undefined; errors: RawSchemaError[]; notWellFormed: boolean }>();
  for (const n of names) results.set(n, { valid: undefined, errors: [], notWellFormed: false });
  let pending: RawSchemaError[] = [];
  const claim = (name: string) => {
    const r = results.get(name)!;
    r.errors.push(...pending);
    pending = [];
    return r;
  };
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line) continue;
    const summary = /^(.*) (validates|fails to validate|validation generated an internal error)$/.exec(line);
    if (summary && results.has(summary[1])) {
      claim(summary[1]).valid = summary[2] === 'validates';
      continue;
    }
    const m = LOCATED.exec(line);
    if (m && results.has(m[1])) {
      const r = claim(m[1]);
      // A namespace error is not fatal: libxml2 goes on validating, and the message is worth showing.
      const parserError = m[4] === 'parser error';
      if (parserError) r.notWellFormed = true;
      if (m[4].endsWith('warning')) continue;
      r.errors.push({ line: Number(m[2]), element: m[3], message: m[5].trim(), ...(parserError ? { parserError } : {}) });
      continue;
    }
    const u = UNLOCATED.exec(line);
    if (u) pending.push({ line: undefined, element: undefined, message: u[2].trim() });
    // Anything else is a context line of a parser error (the source line and a caret): not a message.
  }
  // Messages after the last file line (not seen in practice) go to the last file.
  if (pending.length && names.length) claim(names[names.length - 1]);
  return names.map((n) => {
    const r = results.get(n)!;
    const valid = r.valid ?? (r.errors.length === 0 && !r.notWellFormed);
    return { valid: valid && !r.notWellFormed, errors: r.errors, ...(r.notWellFormed ? { notWellFormed: true } : {}) };
  });
}

/**
 * xmllint reads bytes as the prolog's declared encoding; we always hand it
 * UTF-8, so a different declaration is replaced (on the same line, so line
 * numbers are kept).
 */
export function asUtf8Document(text: string): string {
  const m = /^(\uFEFF?<\?xml[^>]*?encoding\s*=\s*)(["'])([^"']*)\2/.exec(text);
  if (!m || /^utf-?8$/i.test(m[3])) return text.replace(/^\uFEFF/, '');
  return (m[1] + m[2] + 'UTF-8' + m[2] + text.slice(m[0].length)).replace(/^\uFEFF/, '');
}
