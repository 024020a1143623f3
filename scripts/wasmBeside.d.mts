// Types of wasmBeside.mjs for the tests that import it.
import type { Plugin } from 'esbuild';

export function wasmBeside(options: { filter: RegExp; wasmName: string }): Plugin;
export function extractInlineWasm(source: string, wasmName: string, where?: string): { bytes: Uint8Array; contents: string };
