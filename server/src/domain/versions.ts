/**
 * libvirt release numbers: how they are read and ordered. The one place that
 * parses or compares a version, so settings, the CLI, the catalog, the schema
 * and the rules agree on what "11.10" means.
 */

/** Accepts "11.10.0", "v11.10", "11" and rejects anything else; the answer is always MAJOR.MINOR.MICRO. */
export function normalizeVersion(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(v);
  if (!m) return undefined;
  return `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`;
}

/** Compares dotted versions; NaN parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * The release of a libvirt library file: libvirt names it
 * libvirt.so.0.<major*1000+minor>.<micro> on every distribution.
 */
export function versionFromLibraryName(fileName: string): string | undefined {
  const m = /^libvirt\.so\.0\.(\d+)\.(\d+)$/.exec(fileName);
  if (!m) return undefined;
  const n = Number(m[1]);
  return `${Math.floor(n / 1000)}.${n % 1000}.${Number(m[2])}`;
}
