/**
 * Picks the schema engine. The system `xmllint` is the default when it is on
 * PATH: it is what `virt-xml-validate` runs (same libxml2, same verdict) and,
 * being native, it is several times faster than the WebAssembly build (see
 * docs/schema.md for the figures). xmllint-wasm is the fallback, so that a
 * machine with libvirt's schemas but without libxml2-utils still validates.
 */
import type { SchemaEngine } from './engine';
import { systemXmllintAvailable, XmllintEngine } from './engineXmllint';
import { WasmEngine, wasmAvailable } from './engineWasm';

export type EngineChoice = 'auto' | 'xmllint' | 'wasm';

/** The engine for `choice`, or undefined when none can run here. */
export function createEngine(choice: EngineChoice = 'auto', pathEnv = process.env.PATH ?? ''): SchemaEngine | undefined {
  if (choice === 'xmllint') return new XmllintEngine();
  if (choice === 'wasm') return wasmAvailable() ? new WasmEngine() : undefined;
  if (systemXmllintAvailable(pathEnv)) return new XmllintEngine();
  return wasmAvailable() ? new WasmEngine() : undefined;
}
