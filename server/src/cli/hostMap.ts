/**
 * The host map: which host topology each domain file is checked against, so
 * one run covers a fleet whose host classes differ (one class per snapshot).
 *
 *   { "hosts": [ { "files": "fleet/gb200/**\/*.xml", "snapshot": "hosts/gb200.json" }, … ],
 *     "default": "hosts/x.json" }
 *
 * `files` is a glob or a list of globs, matched against the file's path
 * relative to the map's directory; snapshot paths are relative to the map's
 * directory too, so the map can live in the repository next to the domains.
 * The first entry whose glob matches wins. Loading is strict (unknown keys
 * are reported, since a misspelt "host" would otherwise silently check the
 * whole fleet against the wrong machine) and never throws: the caller shows
 * the message and exits 2.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { globToRegExp } from './glob';

export interface HostMapEntry {
  /** The globs as written, for messages. */
  globs: string[];
  matchers: RegExp[];
  /** Absolute path of the snapshot. */
  snapshot: string;
}

export interface HostMap {
  /** The map file as given. */
  file: string;
  /** Absolute directory that relative paths in the map start from. */
  dir: string;
  entries: HostMapEntry[];
  /** Absolute path of the snapshot for files no entry matches. */
  default?: string;
}

class Invalid extends Error {}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function nonEmptyString(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Invalid(`${where} must be a non-empty string, not ${describe(v)}`);
  return v;
}

export function parseHostMap(text: string, file: string, cwd: string = process.cwd()): { map?: HostMap; error?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `Host map ${file} is not valid JSON: ${(e as Error).message}` };
  }
  const dir = path.dirname(path.resolve(cwd, file));
  try {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Invalid(`the top level must be an object, not ${describe(data)}`);
    const o = data as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (key !== 'hosts' && key !== 'default' && key !== '$comment') throw new Invalid(`unknown key "${key}" at the top level (expected "hosts" and optionally "default")`);
    }
    if (o.hosts === undefined) throw new Invalid('"hosts" is missing (expected a list of { "files", "snapshot" })');
    if (!Array.isArray(o.hosts)) throw new Invalid(`"hosts" must be a list, not ${describe(o.hosts)}`);
    const entries = o.hosts.map((h, i): HostMapEntry => {
      const where = `hosts[${i}]`;
      if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new Invalid(`${where} must be an object, not ${describe(h)}`);
      const e = h as Record<string, unknown>;
      for (const key of Object.keys(e)) {
        if (key !== 'files' && key !== 'snapshot' && key !== '$comment') throw new Invalid(`unknown key "${key}" in ${where} (expected "files" and "snapshot")`);
      }
      if (e.files === undefined) throw new Invalid(`${where}.files is missing (expected a glob or a list of globs)`);
      const globs = Array.isArray(e.files) ? e.files.map((g, j) => nonEmptyString(g, `${where}.files[${j}]`)) : [nonEmptyString(e.files, `${where}.files`)];
      if (globs.length === 0) throw new Invalid(`${where}.files is an empty list`);
      if (e.snapshot === undefined) throw new Invalid(`${where}.snapshot is missing (expected the path of a host snapshot)`);
      const snapshot = path.resolve(dir, nonEmptyString(e.snapshot, `${where}.snapshot`));
      return { globs, matchers: globs.map(globToRegExp), snapshot };
    });
    const map: HostMap = { file, dir, entries };
    if (o.default !== undefined) map.default = path.resolve(dir, nonEmptyString(o.default, '"default"'));
    return { map };
  } catch (e) {
    if (e instanceof Invalid) return { error: `Host map ${file} is not usable: ${e.message}.` };
    return { error: `Host map ${file} is not usable: ${(e as Error).message}` };
  }
}

export async function loadHostMap(file: string, cwd: string = process.cwd()): Promise<{ map?: HostMap; error?: string }> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: `Host map ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read: ${code ?? (e as Error).message}`}.` };
  }
  return parseHostMap(text, file, cwd);
}

/** The snapshot of the first entry whose glob matches the file (absolute path); undefined when none does. */
export function matchHostMap(map: HostMap, fileAbs: string): string | undefined {
  const rel = path.relative(map.dir, fileAbs).split(path.sep).join('/');
  const candidates = [rel, fileAbs.split(path.sep).join('/')];
  for (const e of map.entries) {
    if (e.matchers.some((m) => candidates.some((c) => m.test(c)))) return e.snapshot;
  }
  return undefined;
}
