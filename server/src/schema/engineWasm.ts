/**
 * libxml2's RelaxNG validator compiled to WebAssembly (xmllint-wasm), for
 * machines that have libvirt's schemas but no `xmllint`. It has no file
 * system of its own: the grammar and every file it includes are handed over
 * with each run, read once per directory and kept. Each run starts a worker
 * thread, so it never blocks the server's event loop; it cannot be stopped
 * half-way, so a cancelled run is finished and then thrown away.
 */
import {
  asUtf8Document,
  docName,
  parseXmllintOutput,
  SchemaEngineError,
  SchemaSetsByDir,
  wrapperGrammar,
  type EngineResult,
  type RawSchemaError,
  type SchemaEngine,
  type SchemaSet,
} from './engine';

interface WasmFile {
  readonly fileName: string;
  readonly contents: string;
}
interface WasmResult {
  readonly valid: boolean;
  readonly rawOutput: string;
}
interface WasmModule {
  validateXML(options: {
    xml: WasmFile[];
    schema: WasmFile[];
    preload: WasmFile[];
    extension: 'relaxng';
    initialMemoryPages?: number;
    maxMemoryPages?: number;
  }): Promise<WasmResult>;
  memoryPages: { MiB: number; GiB: number };
}

let wasmModule: WasmModule | undefined;
/** Loaded on first use: a server that never validates never pays for it. */
function wasm(): WasmModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use; an import would load it with the server
  wasmModule ??= require('xmllint-wasm') as WasmModule;
  return wasmModule;
}

/** True when the xmllint-wasm package can be loaded here. */
export function wasmAvailable(): boolean {
  try {
    wasm();
    return true;
  } catch {
    return false;
  }
}

const WRAPPER = '__start.rng';

export class WasmEngine implements SchemaEngine {
  readonly name = 'xmllint-wasm' as const;
  private readonly sets = new SchemaSetsByDir();

  describe(): Promise<string> {
    return Promise.resolve('xmllint-wasm, libxml2 in a worker thread, the grammar compiled for each check');
  }

  async validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]> {
    const [r] = await this.validateMany([xmlText], await this.schemaSet(schemaDir), undefined, signal);
    return [...r.errors];
  }

  /** The files of `<dir>/domain.rng`, read once per directory. */
  schemaSet(dir: string): Promise<SchemaSet> {
    return this.sets.get(dir);
  }

  async validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    if (texts.length === 0) return [];
    signal?.throwIfAborted();
    const names = texts.map((_, i) => docName(i));
    const xml = texts.map((t, i) => ({ fileName: names[i], contents: asUtf8Document(t) }));
    const all = [...schema.files].map(([fileName, contents]) => ({ fileName, contents }));
    const mainFile = all.find((f) => f.fileName === schema.main);
    if (!mainFile) throw new SchemaEngineError(`${schema.main} was not read from ${schema.dir}`);
    const schemaFile = start === undefined ? mainFile : { fileName: WRAPPER, contents: wrapperGrammar(schema.main, start) };
    const preload = all.filter((f) => f !== schemaFile);
    const m = wasm();
    let output: string;
    try {
      const r = await m.validateXML({ xml, schema: [schemaFile], preload, extension: 'relaxng', maxMemoryPages: m.memoryPages.GiB });
      output = r.rawOutput;
    } catch (e) {
      // Exit status 1 is a document that is not well-formed: its messages are still the answer.
      const err = e as Error & { code?: number };
      if (err.code !== 1)
        throw new SchemaEngineError(
          `xmllint-wasm failed: ${String(err.message ?? err)
            .trim()
            .split('\n')
            .slice(-3)
            .join(' | ')}`,
        );
      output = err.message;
    }
    signal?.throwIfAborted();
    return parseXmllintOutput(output, names);
  }
}
