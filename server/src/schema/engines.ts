/**
 * Picks the schema engine. By default libxml2 runs inside the process
 * (engineInProcess.ts), with libvirt's grammar compiled once: a keystroke's
 * validations then cost milliseconds instead of xmllint runs that compile
 * the grammar again each time. What it hands on (large documents, an
 * undeclared namespace prefix) goes to the system `xmllint` when it is on
 * PATH, the program `virt-xml-validate` runs, else to xmllint-wasm. Both of
 * those can still be chosen on their own (tests, measurements).
 */
import type { SchemaEngine } from './engine';
import { systemXmllintAvailable, XmllintEngine } from './engineXmllint';
import { WasmEngine, wasmAvailable } from './engineWasm';
import { InProcessEngine } from './engineInProcess';

export type EngineChoice = 'auto' | 'in-process' | 'xmllint' | 'wasm';

/** The engine for `choice`, or undefined when none can run here. */
export function createEngine(choice: EngineChoice = 'auto', pathEnv = process.env.PATH ?? '', log?: (message: string) => void): SchemaEngine | undefined {
  if (choice === 'xmllint') return new XmllintEngine();
  if (choice === 'wasm') return wasmAvailable() ? new WasmEngine() : undefined;
  const fallback = systemXmllintAvailable(pathEnv) ? new XmllintEngine() : wasmAvailable() ? new WasmEngine() : undefined;
  if (choice === 'in-process') return new InProcessEngine({ log });
  return new InProcessEngine({ fallback, log });
}
