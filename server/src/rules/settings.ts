/**
 * Settings that change what the rules and features report. Host location
 * settings live with the host provider, editor pacing with the session.
 */
export interface RuleSettings {
  /** The libvirt version the domains target, e.g. "11.10.0"; undefined: no version checks. */
  libvirtVersion?: string;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  libvirtVersion: undefined,
};
