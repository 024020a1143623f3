/**
 * Finds the RelaxNG grammar to work with, as an ordered list of candidate
 * directories: the caller uses the first one that loads, and says why it
 * passed over the others.
 *
 * Order:
 * 1. an explicit directory (setting `libvirtDomainXml.schema.directory`, CLI `--schema DIR`);
 * 2. the installed libvirt's schemas (/usr/share/libvirt/schemas, else
 *    <prefix of the `virsh` on PATH>/share/libvirt/schemas) when their release
 *    is at least the target release: the local verdict is then exactly what
 *    `virt-xml-validate` says;
 * 3. the schemas of the newest libvirt shipped with the extension
 *    (libvirt-schemas/, fetched at build time by scripts/fetch-schemas.sh), so
 *    a laptop without libvirt, or with an old one, still validates and completes
 *    against the release the domains are written for;
 * 4. the installed schemas that are older than the target, as a last resort.
 *
 * Nothing is executed here: `virsh` is only looked up by walking the PATH
 * directories. The release of installed schemas is read from the name of the
 * installed library (libvirt.so.0.MAJOR*1000+MINOR.MICRO) under the same
 * prefix; the shipped ones carry a RELEASE file.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { compareVersions, versionFromLibraryName } from '../domain/versions';

export const DEFAULT_SCHEMA_DIR = '/usr/share/libvirt/schemas';
/** The grammar libvirt validates domain XML with. */
export const DOMAIN_SCHEMA = 'domain.rng';
/** Folder of the shipped schemas, at the root of the extension and of the npm package. */
export const SHIPPED_SCHEMA_FOLDER = 'libvirt-schemas';

export type SchemaDirSource = 'setting' | 'default' | 'virsh' | 'shipped';

export interface SchemaLocation {
  readonly dir: string;
  readonly source: SchemaDirSource;
  /** libvirt version of the schemas, e.g. "9.0.0", when it can be told. */
  readonly libvirtVersion: string | undefined;
}

export interface SchemaCandidates {
  /** Directories holding a domain.rng, best first. */
  readonly candidates: readonly SchemaLocation[];
  /** Places looked at, for the "no schemas found" message. */
  readonly searched: readonly string[];
  /** Why a source was passed over (an explicit directory without domain.rng). */
  readonly notes: readonly string[];
}

export interface LocateOptions {
  /** Explicit directory from the setting or the CLI; empty means automatic. */
  readonly directory?: string;
  /** The libvirt release the domains are written for; installed schemas older than it come after the shipped ones. */
  readonly targetVersion?: string;
  /** PATH to search for virsh; defaults to process.env.PATH. */
  readonly pathEnv?: string;
  /** Replaces /usr/share/libvirt/schemas (tests). */
  readonly defaultDir?: string;
  /** Replaces the shipped schema folder (tests); null: none shipped. */
  readonly shippedDir?: string | null;
}

export function hasDomainSchema(dir: string): boolean {
  try {
    accessSync(path.join(dir, DOMAIN_SCHEMA), constants.R_OK);
    return statSync(path.join(dir, DOMAIN_SCHEMA)).isFile();
  } catch {
    return false;
  }
}

/** Words for a source, for hovers, the status item and notes ("libvirt 12.8.0, shipped with the extension"). */
export function describeLocation(l: SchemaLocation): string {
  const release = l.libvirtVersion ? `libvirt ${l.libvirtVersion}` : 'libvirt (release unknown)';
  const where = l.source === 'shipped' ? 'shipped with the extension' : l.source === 'setting' ? `from ${l.dir} (schema directory setting)` : `installed in ${l.dir}`;
  return `${release}, ${where}`;
}

export function locateSchemas(opts: LocateOptions = {}): SchemaCandidates {
  const searched: string[] = [];
  const notes: string[] = [];
  const candidates: SchemaLocation[] = [];
  const explicit = opts.directory?.trim();
  if (explicit) {
    const dir = path.resolve(explicit);
    searched.push(dir);
    if (hasDomainSchema(dir)) candidates.push({ dir, source: 'setting', libvirtVersion: releaseOf(dir) });
    else notes.push(`the schema directory given, ${dir}, holds no readable domain.rng`);
  }
  const installed = installedSchemas(opts, searched);
  const target = opts.targetVersion;
  const recentEnough = installed && (!target || (installed.libvirtVersion !== undefined && compareVersions(installed.libvirtVersion, target) >= 0));
  if (installed && recentEnough) candidates.push(installed);
  const shipped = opts.shippedDir === undefined ? shippedSchemaDir() : (opts.shippedDir ?? undefined);
  if (shipped && hasDomainSchema(shipped)) candidates.push({ dir: shipped, source: 'shipped', libvirtVersion: shippedRelease(shipped) });
  if (installed && !recentEnough) candidates.push(installed);
  return { candidates, searched, notes };
}

function installedSchemas(opts: LocateOptions, searched: string[]): SchemaLocation | undefined {
  const def = opts.defaultDir ?? DEFAULT_SCHEMA_DIR;
  searched.push(def);
  if (hasDomainSchema(def)) return { dir: def, source: 'default', libvirtVersion: libvirtVersionNear(def) };
  const virsh = findOnPath('virsh', opts.pathEnv ?? process.env.PATH ?? '');
  if (!virsh) return undefined;
  const dir = path.join(path.dirname(path.dirname(virsh)), 'share', 'libvirt', 'schemas');
  if (searched.includes(dir)) return undefined;
  searched.push(dir);
  return hasDomainSchema(dir) ? { dir, source: 'virsh', libvirtVersion: libvirtVersionNear(dir) } : undefined;
}

/**
 * The shipped schema folder: next to dist/ in the extension and the npm
 * package (the bundles run from dist/), at the repository root when run from
 * source (server/src/schema/). Undefined when the build could not fetch it.
 */
export function shippedSchemaDir(): string | undefined {
  for (const up of [['..'], ['..', '..', '..']]) {
    const dir = path.resolve(__dirname, ...up, SHIPPED_SCHEMA_FOLDER);
    if (existsSync(path.join(dir, DOMAIN_SCHEMA))) return dir;
  }
  return undefined;
}

/** The release in a shipped folder's RELEASE file. */
function shippedRelease(dir: string): string | undefined {
  try {
    const v = readFileSync(path.join(dir, 'RELEASE'), 'utf8').trim();
    return /^\d+\.\d+\.\d+$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Release of the schemas in any directory: its RELEASE file, else the library installed under its prefix. */
function releaseOf(dir: string): string | undefined {
  return shippedRelease(dir) ?? libvirtVersionNear(dir);
}

/** The first executable file called `name` in the PATH directories (symlinks resolved to their target's prefix). */
export function findOnPath(name: string, pathEnv: string): string | undefined {
  for (const d of pathEnv.split(path.delimiter)) {
    if (!d || !path.isAbsolute(d)) continue; // a relative PATH entry would depend on the current directory
    const candidate = path.join(d, name);
    try {
      const st = statSync(candidate);
      if (!st.isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The libvirt version installed under the prefix of a schema directory
 * (<prefix>/share/libvirt/schemas), from the library file name. libvirt names
 * its library libvirt.so.0.<major*1000+minor>.<micro> on every distribution.
 */
export function libvirtVersionNear(schemaDir: string): string | undefined {
  const prefix = path.dirname(path.dirname(path.dirname(path.resolve(schemaDir))));
  const libDirs = [path.join(prefix, 'lib64'), path.join(prefix, 'lib')];
  try {
    for (const e of readdirSync(path.join(prefix, 'lib'))) {
      // Debian's multiarch directories, e.g. lib/x86_64-linux-gnu, lib/aarch64-linux-gnu.
      if (/-linux-gnu/.test(e)) libDirs.push(path.join(prefix, 'lib', e));
    }
  } catch {
    // no lib directory
  }
  let best: string | undefined;
  for (const d of libDirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      const v = versionFromLibraryName(n);
      if (v && (!best || compareVersions(v, best) > 0)) best = v;
    }
  }
  return best;
}
