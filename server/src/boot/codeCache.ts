/**
 * Runs the language server's bundle with a V8 code cache: the bytecode V8
 * compiled for it in an earlier start, kept in a file. Without it, every
 * start parses the whole 1.3 MB bundle and compiles each function it calls
 * again, which was a third of the time from spawn to the first diagnostics.
 * (Node 22's module.enableCompileCache does this; the project runs on Node 20.)
 *
 * The cache must never stop the server from starting:
 *  - one file per bundle content, Node/V8 version, architecture and V8 flags,
 *    so that two Nodes sharing a folder (VS Code's and the system's) do not
 *    overwrite each other's cache at every start;
 *  - our own header (magic, length, SHA-1 of the data): V8 checks versions
 *    and flags, but a damaged cache with the right header made V8 abort the
 *    process when it read it, so nothing reaches V8 that was not written whole;
 *  - a cache V8 rejects, or a damaged one, is replaced by a fresh one;
 *  - written to a temporary file and renamed, so a reader never sees half a
 *    file, whichever of two servers writes last;
 *  - any file-system failure leaves the start as it would be without a cache.
 */
import { createHash } from 'node:crypto';
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { lendImport } from '../schema/loaderImport';

/** Starts every cache file: the format, then the data's length (uint32 LE) and SHA-1. */
const MAGIC = Buffer.from('LDX-V8-CODE-CACHE-1\n', 'latin1');
const HEADER_SIZE = MAGIC.length + 4 + 20;
/** Caches of other bundles or Nodes kept in the folder besides the current one (the newest ones). */
const KEEP_OTHERS = 3;
const CACHE_FILE_RE = /^server-[0-9a-f]{20}\.v8cache$/;

/** What happened to the cache at this start. */
export type CacheOutcome =
  /** V8 took the cache: no parse, no compile of the functions it holds. */
  | 'used'
  /** There was none yet (first start, new bundle or Node). */
  | 'absent'
  /** The file was damaged (our header did not match): not given to V8. */
  | 'damaged'
  /** V8 refused it (another V8 build or flags wrote it under the same name). */
  | 'rejected'
  /** No cache folder: caching is off. */
  | 'off';

export interface LoadedBundle {
  outcome: CacheOutcome;
  /** What the bundle put in module.exports. */
  exports: unknown;
  /** The cache file of this bundle and Node, when caching is on. */
  file?: string;
  /**
   * Writes the cache when the start did not use one: after the server has
   * worked a while, so it holds the functions a start needs, compiled.
   * Never throws; says what it did.
   */
  save(): SaveResult;
}

export type SaveResult = { written: string } | { skipped: 'used' | 'off' | 'already saved' } | { failed: string };

/** The folder for the cache: LDX_CODE_CACHE_DIR (empty or "off": no cache), else the user's cache folder. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const set = env.LDX_CODE_CACHE_DIR;
  if (set !== undefined) return set === '' || set === 'off' ? undefined : path.resolve(set);
  try {
    const home = os.homedir();
    if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'libvirt-domain-xml', 'Cache');
    if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'libvirt-domain-xml');
    const xdg = env.XDG_CACHE_HOME;
    return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'libvirt-domain-xml');
  } catch {
    return undefined; // no home directory: no cache
  }
}

/** The cache file's name: what V8 checks (its version, the flags) and what it does not (the bundle's content). */
export function cacheFileName(bundle: Buffer, execArgv: readonly string[] = process.execArgv): string {
  const h = createHash('sha1');
  h.update(`${process.version}\0${process.versions.v8}\0${process.arch}\0${execArgv.join('\0')}\0`);
  h.update(bundle);
  return `server-${h.digest('hex').slice(0, 20)}.v8cache`;
}

/** The cached data in `file`, or why there is none to use. */
export function readCacheFile(file: string): Buffer | 'absent' | 'damaged' {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch {
    return 'absent';
  }
  if (raw.length < HEADER_SIZE || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return 'damaged';
  const length = raw.readUInt32LE(MAGIC.length);
  const data = raw.subarray(HEADER_SIZE);
  if (data.length !== length) return 'damaged';
  const sum = raw.subarray(MAGIC.length + 4, HEADER_SIZE);
  return createHash('sha1').update(data).digest().equals(sum) ? data : 'damaged';
}

/** Writes `data` as `file` with our header, through a temporary file renamed into place. */
export function writeCacheFile(file: string, data: Buffer): void {
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header);
  header.writeUInt32LE(data.length, MAGIC.length);
  createHash('sha1')
    .update(data)
    .digest()
    .copy(header, MAGIC.length + 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([header, data]));
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Removes the caches of other bundles and Nodes but the newest few: each rebuild or update leaves one behind. */
function pruneOthers(dir: string, keep: string): void {
  const others = fs
    .readdirSync(dir)
    .filter((f) => CACHE_FILE_RE.test(f) && f !== keep)
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of others.slice(KEEP_OTHERS)) fs.rmSync(path.join(dir, f), { force: true });
}

/**
 * Runs the CommonJS bundle `file` as Node's loader would (module, exports,
 * require, __filename, __dirname), compiled with the cache from `cacheDir`
 * when there is a good one. The bundle's import() goes through this module's
 * (schema/loaderImport.ts says why).
 */
export function runWithCodeCache(file: string, cacheDir: string | undefined): LoadedBundle {
  lendImport((specifier) => import(specifier));
  const bytes = fs.readFileSync(file);
  // An ASCII bundle (esbuild escapes the rest) read as latin1: the same string, built faster, one byte per character.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const cacheFile = cacheDir ? path.join(cacheDir, cacheFileName(bytes)) : undefined;
  const cached = cacheFile ? readCacheFile(cacheFile) : 'absent';
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: typeof cached === 'string' ? undefined : cached,
  });
  const outcome: CacheOutcome = !cacheFile ? 'off' : typeof cached === 'string' ? cached : script.cachedDataRejected ? 'rejected' : 'used';
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  let saved = false;
  return {
    outcome,
    exports: mod.exports,
    file: cacheFile,
    save(): SaveResult {
      if (!cacheFile) return { skipped: 'off' };
      if (outcome === 'used') return { skipped: 'used' };
      if (saved) return { skipped: 'already saved' };
      saved = true;
      try {
        writeCacheFile(cacheFile, script.createCachedData());
        pruneOthers(path.dirname(cacheFile), path.basename(cacheFile));
        return { written: cacheFile };
      } catch (e) {
        return { failed: `${cacheFile}: ${(e as Error)?.message ?? e}` };
      }
    },
  };
}
