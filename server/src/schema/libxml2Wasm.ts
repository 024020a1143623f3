/**
 * libxml2 compiled to WebAssembly (the `libxml2-wasm` package), loaded into
 * the server's own process: what this project uses of it, behind a small
 * typed surface.
 *
 * The package is an ES module that awaits its WebAssembly at load time, so
 * it cannot be bundled into the CommonJS server and CLI: the build writes it
 * to `dist/libxml2.mjs` (scripts/build.mjs) and it is imported from there;
 * run from the sources (tests, tsx), it is imported from node_modules.
 *
 * libxml2 reads the grammar's includes through an input provider: each
 * schema set's files are registered under a URL of their own
 * (`libvirt-schema:/N/domain.rng`), so relative includes resolve among them
 * and nothing is read from the file system during a compile.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { importModule as importThroughLoader } from './loaderImport';

/** One libxml2 message (libxml2-wasm's ErrorDetail). */
export interface Libxml2Detail {
  readonly message: string;
  /** 1 warning, 2 error, 3 fatal. */
  readonly level: number;
  /** 0 when libxml2 gives no line. */
  readonly line: number;
  readonly file?: string;
  /** The path of the node the message is about ("/domain/devices/disk[2]"). */
  readonly xpath?: string;
}

interface Disposable {
  dispose(): void;
}
type Libxml2Document = Disposable;
interface Libxml2Validator extends Disposable {
  validate(doc: Libxml2Document): void;
}
interface BufferProvider {
  addBuffer(name: string, buf: Uint8Array): void;
  removeBuffer(name: string): void;
}
interface Libxml2Module {
  XmlDocument: { fromString(source: string, options?: { url?: string }): Libxml2Document };
  RelaxNGValidator: { fromDoc(doc: Libxml2Document): Libxml2Validator };
  XmlBufferInputProvider: new (data: Record<string, Uint8Array>) => BufferProvider;
  xmlRegisterInputProvider(provider: unknown): boolean;
}

/** Thrown by libxml2-wasm for a document it cannot read or a validation that fails: carries libxml2's messages. */
export function detailsOf(e: unknown): Libxml2Detail[] | undefined {
  const d = (e as { details?: unknown })?.details;
  return Array.isArray(d) ? (d as Libxml2Detail[]) : undefined;
}

/** A document read by libxml2, or the messages that say why it could not be. */
export type ParsedDocument = { readonly doc: Libxml2Document } | { readonly parseErrors: readonly Libxml2Detail[] };

/** libxml2, loaded; one per process. */
export class Libxml2 {
  private readonly provider: BufferProvider;
  private sets = 0;

  private constructor(private readonly lib: Libxml2Module) {
    this.provider = new lib.XmlBufferInputProvider({});
    if (!lib.xmlRegisterInputProvider(this.provider)) throw new Error('libxml2-wasm refused the in-memory input provider');
  }

  /** Registers a grammar's files; returns the URL its main file is read from, and how to take them back. */
  addSchemaFiles(files: ReadonlyMap<string, string>, main: string): { url: string; remove: () => void } {
    const base = `libvirt-schema:/${++this.sets}/`;
    for (const [name, text] of files) this.provider.addBuffer(base + name, Buffer.from(text, 'utf8'));
    return { url: base + main, remove: () => [...files.keys()].forEach((name) => this.provider.removeBuffer(base + name)) };
  }

  /** Compiles a RelaxNG grammar given as text, whose includes resolve against `url`. Throws with libxml2's messages. */
  compile(grammarText: string, url: string): Libxml2Validator {
    const doc = this.lib.XmlDocument.fromString(grammarText, { url });
    try {
      return this.lib.RelaxNGValidator.fromDoc(doc);
    } finally {
      // libxml2 keeps its own copy of the grammar document.
      doc.dispose();
    }
  }

  /** Reads a document (UTF-8 text); the caller disposes it. */
  parse(text: string, url: string): ParsedDocument {
    try {
      return { doc: this.lib.XmlDocument.fromString(text, { url }) };
    } catch (e) {
      const details = detailsOf(e);
      if (!details) throw e;
      return { parseErrors: details };
    }
  }

  private static loading: Promise<Libxml2> | undefined;

  /** Loads the WebAssembly module once per process; rejects when it cannot run here. */
  static load(): Promise<Libxml2> {
    Libxml2.loading ??= importModule().then((m) => new Libxml2(m));
    return Libxml2.loading;
  }
}

/** The build's copy beside the bundle when there is one, else the package. */
function importModule(): Promise<Libxml2Module> {
  // V8 compiles WebAssembly with its baseline compiler (Liftoff), then again
  // with its optimizing one for what runs often. Liftoff alone keeps the
  // server 14 MB smaller with libvirt's grammar compiled and makes the first
  // compile and validation 3-5 times faster (no optimizing pass while the
  // first schema findings are awaited); a validation of a 50 KB domain takes
  // 17 ms instead of 10 (docs/schema.md). The flag only concerns WebAssembly
  // compiled from now on, which is libxml2 (here, and xmllint-wasm for what this engine hands on).
  setFlagsFromString('--liftoff-only');
  const bundled = path.join(__dirname, 'libxml2.mjs');
  const specifier = existsSync(bundled) ? pathToFileURL(bundled).href : 'libxml2-wasm';
  return importThroughLoader(specifier) as Promise<Libxml2Module>;
}
