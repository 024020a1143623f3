/**
 * Finds the RelaxNG schemas of the libvirt installed where the server runs,
 * so that we validate against exactly what `virt-xml-validate` would use
 * instead of shipping a copy that would drift from the local libvirt.
 *
 * Order: an explicit directory (setting or CLI) > /usr/share/libvirt/schemas
 * > <prefix of the `virsh` found on PATH>/share/libvirt/schemas. Nothing is
 * executed here: `virsh` is only looked up by walking the PATH directories.
 * The libvirt version of the schemas is read from the name of the installed
 * library (libvirt.so.0.MAJOR*1000+MINOR.MICRO), which sits under the same
 * prefix; when that is not found the version stays unknown.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { compareVersions, versionFromLibraryName } from '../domain/versions';

export const DEFAULT_SCHEMA_DIR = '/usr/share/libvirt/schemas';
/** The grammar libvirt validates domain XML with. */
export const DOMAIN_SCHEMA = 'domain.rng';

export type SchemaDirSource = 'setting' | 'default' | 'virsh';

export interface SchemaLocation {
  readonly dir: string;
  readonly source: SchemaDirSource;
  /** libvirt version of the schemas, e.g. "9.0.0", when it can be told. */
  readonly libvirtVersion: string | undefined;
}

export interface SchemaNotFound {
  readonly dir: undefined;
  /** The places looked at, for the "no schemas found" message. */
  readonly searched: readonly string[];
  /** Set when an explicit directory was given but holds no domain.rng. */
  readonly explicitMissing?: string;
}

export interface LocateOptions {
  /** Explicit directory from the setting or the CLI; empty means automatic. */
  readonly directory?: string;
  /** PATH to search for virsh; defaults to process.env.PATH. */
  readonly pathEnv?: string;
  /** Replaces /usr/share/libvirt/schemas (tests). */
  readonly defaultDir?: string;
}

export function hasDomainSchema(dir: string): boolean {
  try {
    accessSync(path.join(dir, DOMAIN_SCHEMA), constants.R_OK);
    return statSync(path.join(dir, DOMAIN_SCHEMA)).isFile();
  } catch {
    return false;
  }
}

export function locateSchemas(opts: LocateOptions = {}): SchemaLocation | SchemaNotFound {
  const searched: string[] = [];
  const explicit = opts.directory?.trim();
  if (explicit) {
    const dir = path.resolve(explicit);
    if (hasDomainSchema(dir)) return { dir, source: 'setting', libvirtVersion: libvirtVersionNear(dir) };
    // An explicit choice that fails is reported as such rather than silently replaced.
    return { dir: undefined, searched: [dir], explicitMissing: dir };
  }
  const def = opts.defaultDir ?? DEFAULT_SCHEMA_DIR;
  searched.push(def);
  if (hasDomainSchema(def)) return { dir: def, source: 'default', libvirtVersion: libvirtVersionNear(def) };
  const virsh = findOnPath('virsh', opts.pathEnv ?? process.env.PATH ?? '');
  if (virsh) {
    const dir = path.join(path.dirname(path.dirname(virsh)), 'share', 'libvirt', 'schemas');
    if (!searched.includes(dir)) {
      searched.push(dir);
      if (hasDomainSchema(dir)) return { dir, source: 'virsh', libvirtVersion: libvirtVersionNear(dir) };
    }
  }
  return { dir: undefined, searched };
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
    try { names = readdirSync(d); } catch { continue; }
    for (const n of names) {
      const v = versionFromLibraryName(n);
      if (v && (!best || compareVersions(v, best) > 0)) best = v;
    }
  }
  return best;
}
