/**
 * The entry point editors start (`node dist/server.js --stdio`, or over node
 * IPC from the VS Code client): runs the language server's bundle
 * (dist/languageServer.js, built from server.ts) with a V8 code cache, see
 * codeCache.ts. The cache folder is LDX_CODE_CACHE_DIR (the VS Code client
 * passes its global storage), else the user's cache folder.
 */
import * as path from 'node:path';
import { codeCacheDir, runWithCodeCache } from './codeCache';

/**
 * When the cache is written after a start that had none: once the first
 * diagnostics (about 0.3–0.5 s after the start) and the grammar load are
 * behind, so that the functions they ran are in it, compiled.
 */
const SAVE_AFTER_MS = 1500;

const loaded = runWithCodeCache(path.join(__dirname, 'languageServer.js'), codeCacheDir());
if (loaded.outcome === 'absent' || loaded.outcome === 'damaged' || loaded.outcome === 'rejected') {
  setTimeout(() => {
    const r = loaded.save();
    // Said once per start on stderr (the editor's log of the server), never to the user: the server runs on without.
    if ('failed' in r) process.stderr.write(`The code cache was not written (${r.failed}); starts stay slower.\n`);
  }, SAVE_AFTER_MS).unref();
}
