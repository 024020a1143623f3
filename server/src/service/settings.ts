/**
 * Settings that change what the language service reports. Host location
 * settings live with the host provider; these are the ones rules read.
 */
export interface ServiceSettings {
  /** The libvirt version the domains target, e.g. "11.10.0"; undefined: no version checks. */
  libvirtVersion?: string;
  /** Documents larger than this (in characters) are analysed on open and save only, not while typing. */
  maxLiveAnalysisSize: number;
}

export const DEFAULT_SETTINGS: ServiceSettings = {
  libvirtVersion: undefined,
  maxLiveAnalysisSize: 10 * 1024 * 1024,
};

/** Accepts "11.10.0", "v11.10", "11" and rejects anything else. */
export function normalizeVersion(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(v);
  if (!m) return undefined;
  return `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`;
}
