// An esbuild plugin that takes the WebAssembly a module carries inline (an
// Emscripten SINGLE_FILE build: the binary as one template literal of
// Latin-1 characters, turned into bytes at load time) out into a .wasm file
// beside the bundle, read from there instead.
//
// Why: libxml2-wasm carries its 819 KB of WebAssembly that way. Node then
// reads a 1.4 MB module as UTF-8, V8 parses it, and the string is converted
// byte by byte before the WebAssembly is compiled: about 110 ms to import the
// module on the development machine, against about 55 ms with the binary in a
// file of its own. Those milliseconds sit between a cold start's first
// diagnostics and its first schema findings (docs/performance.md).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `filter`: the module holding the inline binary; `wasmName`: the file written
 * into the output's directory. The build fails when the module does not hold
 * exactly one such binary (a new release of the package changed its shape).
 */
export function wasmBeside({ filter, wasmName }) {
  return {
    name: 'wasm-beside',
    setup(build) {
      build.onLoad({ filter }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const { bytes, contents } = extractInlineWasm(source, wasmName, args.path);
        const outDir = path.dirname(build.initialOptions.outfile);
        mkdirSync(outDir, { recursive: true });
        writeFileSync(path.join(outDir, wasmName), bytes);
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * The binary of the one call `decode('\0asm…')` in `source` (a string or
 * template literal, its characters raw or escaped), and the source reading it
 * from `wasmName` instead.
 */
export function extractInlineWasm(source, wasmName, where = 'the module') {
  const call = /([A-Za-z_$][\w$]*)\((['"`])(?:\\0|\0)asm/g;
  const found = [...source.matchAll(call)];
  if (found.length !== 1) throw new Error(`${where}: expected one inline WebAssembly binary, found ${found.length}; scripts/wasmBeside.mjs needs updating for this release`);
  const [, callee, quote] = found[0];
  const start = found[0].index;
  const open = start + callee.length + 1;
  let end = open + 1;
  for (; end < source.length && source[end] !== quote; end++) {
    if (source[end] === '\\') end++;
    else if (quote === '`' && source[end] === '$' && source[end + 1] === '{') throw new Error(`${where}: the inline WebAssembly literal has a substitution`);
  }
  if (source[end + 1] !== ')') throw new Error(`${where}: the inline WebAssembly literal is not a call's only argument`);
  // The literal is evaluated, not re-implemented: escapes mean exactly what they mean to the module's own loader.
  const text = new Function(`return ${source.slice(open, end + 1)};`)();
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new Error(`${where}: the inline WebAssembly literal holds a character above U+00FF`);
    bytes[i] = c;
  }
  if (!WebAssembly.validate(bytes)) throw new Error(`${where}: the inline binary is not valid WebAssembly`);
  const read = `__wasmBesideRead(new URL(${JSON.stringify(`./${wasmName}`)}, import.meta.url))`;
  const contents = `import { readFileSync as __wasmBesideRead } from 'node:fs';\n${source.slice(0, start)}${read}${source.slice(end + 2)}`;
  return { bytes, contents };
}
