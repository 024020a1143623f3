/**
 * libxml2's RelaxNG validator inside the server's process (libxml2-wasm),
 * with libvirt's grammar compiled once and kept. An `xmllint` run compiles
 * the grammar again each time (about 40 ms of CPU for 12.8's before the
 * first byte of the document), and a keystroke costs several runs (the
 * document, then one per tree level to place the fault, localize.ts); here
 * a keystroke costs the validations alone.
 *
 * Its verdict is xmllint's: the same library, and test/schema-engines.test.ts
 * holds both to the same verdict, line, element and message over every
 * domain of the corpus and the repository.
 *
 * It runs on the event loop, so two kinds of document go to the fallback
 * engine (the system xmllint, or xmllint-wasm in a worker thread):
 * - documents above LARGE_DOCUMENT, whose validation would hold the server
 *   for tens of milliseconds (a 2 MB domain takes 0.4 s);
 * - documents libxml2 reads only with namespace errors (an undeclared
 *   prefix): xmllint reports those and validates on, libxml2-wasm refuses
 *   to return the document.
 * The same happens for everything when the WebAssembly module cannot load.
 */
import type { EngineResult, RawSchemaError, SchemaEngine, SchemaSet } from './engine';
import { asUtf8Document, docName, SchemaEngineError, SchemaSetsByDir, wrapperGrammar } from './engine';
import { detailsOf, Libxml2, type Libxml2Detail } from './libxml2Wasm';

/** Documents longer than this (characters) are validated by the fallback engine. */
export const LARGE_DOCUMENT = 256 * 1024;
/** Compiled start-pattern grammars kept (each holds a copy of libvirt's grammar, about 2 MB). */
export const MAX_COMPILED_STARTS = 8;
/** Grammars (schema sets) kept compiled: the one in use and the one before it. */
const MAX_SETS = 2;
/** Work done before the event loop gets a turn, in a run of many documents. */
const SLICE_MS = 8;

type Validator = ReturnType<Libxml2['compile']>;

interface CompiledSet {
  /** URL of the grammar's main file among the registered files. */
  readonly url: string;
  /** Unregisters the files (libxml2 reads them only while compiling). */
  readonly removeFiles: () => void;
  readonly main: Validator;
  /** Start pattern → its compiled wrapper grammar, least recently used first. */
  readonly starts: Map<string, Validator>;
}

export interface InProcessEngineOptions {
  /** Where large documents and namespace-broken ones go; without one they are validated here all the same. */
  readonly fallback?: SchemaEngine;
  /** Loads libxml2 (tests replace it). */
  readonly load?: () => Promise<Libxml2>;
  readonly log?: (message: string) => void;
}

export class InProcessEngine implements SchemaEngine {
  readonly name = 'libxml2-wasm' as const;
  private lib: Promise<Libxml2 | undefined> | undefined;
  /** Why libxml2 could not be loaded, once that is known. */
  private loadError: string | undefined;
  private readonly sets = new Map<SchemaSet, CompiledSet>();
  private readonly byDir = new SchemaSetsByDir();
  /** Documents sent to the fallback engine, by reason (tests and measurements read it). */
  readonly fellBack = { large: 0, namespace: 0, unavailable: 0 };

  constructor(private readonly options: InProcessEngineOptions = {}) {}

  async validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]> {
    const [r] = await this.validateMany([xmlText], await this.byDir.get(schemaDir), undefined, signal);
    return [...r.errors];
  }

  async validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    if (texts.length === 0) return [];
    signal?.throwIfAborted();
    const lib = await this.library();
    if (!lib) {
      this.fellBack.unavailable += texts.length;
      return this.fallback().validateMany(texts, schema, start, signal);
    }
    const validator = this.validatorFor(lib, schema, start);
    const results: (EngineResult | undefined)[] = new Array(texts.length);
    const deferred: number[] = [];
    let sliceStart = performance.now();
    for (let i = 0; i < texts.length; i++) {
      if (texts[i].length > LARGE_DOCUMENT && this.options.fallback) {
        this.fellBack.large++;
        deferred.push(i);
        continue;
      }
      const r = validateOne(lib, validator, asUtf8Document(texts[i]), docName(i));
      if (r === 'namespace' && this.options.fallback) {
        this.fellBack.namespace++;
        deferred.push(i);
        continue;
      }
      results[i] = r === 'namespace' ? namespaceOnly(lib, texts[i], docName(i)) : r;
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
    if (deferred.length) {
      const other = await this.fallback().validateMany(
        deferred.map((i) => texts[i]),
        schema,
        start,
        signal,
      );
      deferred.forEach((i, k) => (results[i] = other[k]));
    }
    signal?.throwIfAborted();
    return results as EngineResult[];
  }

  prepare(): void {
    void this.library();
  }

  async describe(): Promise<string> {
    const lib = await this.library();
    const other = this.options.fallback;
    if (lib) return `libxml2 in the language server${other ? ` (${other.name} for documents over ${LARGE_DOCUMENT / 1024} KB)` : ''}`;
    const why = `libxml2 could not be loaded in the language server: ${this.loadError}`;
    return other ? `${other.name} (${why})` : `none (${why})`;
  }

  dispose(): void {
    for (const [schema, compiled] of [...this.sets]) this.drop(schema, compiled);
  }

  private drop(schema: SchemaSet, compiled: CompiledSet): void {
    this.sets.delete(schema);
    compiled.main.dispose();
    for (const v of compiled.starts.values()) v.dispose();
    compiled.removeFiles();
  }

  private fallback(): SchemaEngine {
    if (!this.options.fallback) throw new SchemaEngineError('libxml2-wasm could not be loaded and there is no other engine');
    return this.options.fallback;
  }

  /** libxml2, or undefined (said once) when it cannot load here. */
  private library(): Promise<Libxml2 | undefined> {
    this.lib ??= (this.options.load ?? Libxml2.load)().catch((e: unknown) => {
      this.loadError = String((e as Error)?.message ?? e);
      this.options.log?.(`schema: libxml2-wasm could not be loaded (${this.loadError}); validating with ${this.options.fallback?.name ?? 'nothing'}`);
      return undefined;
    });
    return this.lib;
  }

  /** The compiled grammar for a schema set and start pattern, compiled on first use. */
  private validatorFor(lib: Libxml2, schema: SchemaSet, start: string | undefined): Validator {
    let set = this.sets.get(schema);
    if (!set) {
      const mainText = schema.files.get(schema.main);
      if (mainText === undefined) throw new SchemaEngineError(`${schema.main} was not read from ${schema.dir}`);
      const { url, remove } = lib.addSchemaFiles(schema.files, schema.main);
      let main: Validator;
      try {
        main = compile(lib, mainText, url);
      } catch (e) {
        remove();
        throw e;
      }
      set = { url, removeFiles: remove, main, starts: new Map() };
      this.sets.set(schema, set);
      // A new set comes with new settings; the one before the last is not asked about again.
      for (const [old, compiled] of this.sets) if (this.sets.size > MAX_SETS && old !== schema) this.drop(old, compiled);
    }
    if (start === undefined) return set.main;
    const known = set.starts.get(start);
    if (known) {
      set.starts.delete(start);
      set.starts.set(start, known);
      return known;
    }
    const made = compile(lib, wrapperGrammar(set.url, start), set.url.replace(/[^/]*$/, '__start.rng'));
    set.starts.set(start, made);
    if (set.starts.size > MAX_COMPILED_STARTS) {
      const [oldest, v] = set.starts.entries().next().value as [string, Validator];
      set.starts.delete(oldest);
      v.dispose();
    }
    return made;
  }
}

function compile(lib: Libxml2, text: string, url: string): Validator {
  try {
    return lib.compile(text, url);
  } catch (e) {
    const messages = (detailsOf(e) ?? [])
      .filter((d) => d.level >= 2)
      .map((d) => d.message.trim())
      .slice(0, 3);
    throw new SchemaEngineError(`libxml2 could not compile the grammar: ${messages.join('; ') || (e as Error)?.message || e}`);
  }
}

/** One document's result, or 'namespace' when libxml2 read it only with namespace errors. */
function validateOne(lib: Libxml2, validator: Validator, text: string, url: string): EngineResult | 'namespace' {
  const parsed = lib.parse(text, url);
  if ('parseErrors' in parsed) {
    const errors = parsed.parseErrors.filter((d) => d.level >= 2);
    if (errors.length && errors.every(isNamespaceError)) return 'namespace';
    return { valid: false, notWellFormed: true, errors: errors.map((d) => ({ ...toRaw(d), parserError: true })) };
  }
  try {
    validator.validate(parsed.doc);
    return { valid: true, errors: [] };
  } catch (e) {
    const details = detailsOf(e);
    if (!details) throw e;
    return { valid: false, errors: details.filter((d) => d.level >= 2).map(toRaw) };
  } finally {
    parsed.doc.dispose();
  }
}

/** Without a fallback: the namespace errors themselves, as xmllint prints them before validating on. */
function namespaceOnly(lib: Libxml2, text: string, url: string): EngineResult {
  const parsed = lib.parse(text, url);
  if ('doc' in parsed) {
    parsed.doc.dispose();
    return { valid: true, errors: [] };
  }
  return { valid: false, errors: parsed.parseErrors.filter((d) => d.level >= 2).map(toRaw) };
}

function isNamespaceError(d: Libxml2Detail): boolean {
  return /^Namespace (default )?prefix \S+ (on \S+ )?is not defined|^xmlns(:\S+)?: /.test(d.message);
}

/**
 * libxml2's message as xmllint prints it: a line and an element when the
 * message has a place (xmllint prints neither for "Extra element devices in
 * interleave"), the element by its name without prefix.
 */
export function toRaw(d: Libxml2Detail): RawSchemaError {
  const located = d.line > 0;
  return { line: located ? d.line : undefined, element: located ? elementOf(d.xpath) : undefined, message: d.message.trim() };
}

/** "/domain/devices/disk[2]" → "disk"; "/domain/*[name()='x:y']" → "y"; "qemu:arg" → "arg". */
export function elementOf(xpath: string | undefined): string | undefined {
  if (!xpath) return undefined;
  const last = xpath.slice(xpath.lastIndexOf('/') + 1);
  const named = /^\*\[name\(\)='([^']+)'\]/.exec(last);
  const name = named ? named[1] : last.replace(/\[.*$/, '');
  if (!name || name === '*' || name.startsWith('@') || name.includes('(')) return undefined;
  return name.slice(name.indexOf(':') + 1);
}
