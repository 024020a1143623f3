/**
 * The entry point editors start (`node dist/server.js --stdio`, or over node
 * IPC from the VS Code client): runs the language server's bundle
 * (dist/languageServer.js, built from server.ts) with a V8 code cache, see
 * codeCache.ts. The cache folder is LDX_CODE_CACHE_DIR (the VS Code client
 * passes its global storage), else the user's cache folder.
 */
import * as path from 'node:path';
import { codeCacheDir, runWithCodeCache, type LoadedBundle } from './codeCache';

/**
 * When the cache is written after a start that had none, at the latest: once
 * the first diagnostics (0.3–0.5 s after the start) are out, so that the
 * functions they ran are in it, compiled.
 */
const SAVE_AFTER_MS = 1500;

function save(loaded: LoadedBundle): void {
  const r = loaded.save();
  // Said once per start on stderr (the editor's log of the server), never to the user: the server runs on without.
  if ('failed' in r) process.stderr.write(`The code cache was not written (${r.failed}); starts stay slower.\n`);
}

/**
 * V8 takes a cache only under the flags it was made with, and the server
 * changes one at run time (--liftoff-only, when it loads libxml2 for the
 * schema: schema/libxml2Wasm.ts). A cache made after that would be refused at
 * every start, so it is written before the first such change.
 */
function saveBeforeFlagChanges(loaded: LoadedBundle): void {
  // The module object itself (an import would be a read-only binding), which the bundle's calls go through.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require('node:v8') as typeof import('node:v8');
  const setFlags = v8.setFlagsFromString;
  v8.setFlagsFromString = (flags: string) => {
    save(loaded);
    setFlags(flags);
  };
}

const loaded = runWithCodeCache(path.join(__dirname, 'languageServer.js'), codeCacheDir());
if (loaded.outcome === 'absent' || loaded.outcome === 'damaged' || loaded.outcome === 'rejected') {
  // The bundle calls v8.setFlagsFromString through the module object (esbuild's CommonJS output), so this is seen.
  saveBeforeFlagChanges(loaded);
  setTimeout(() => save(loaded), SAVE_AFTER_MS).unref();
}
