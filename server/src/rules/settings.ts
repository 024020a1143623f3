/**
 * Settings that change what the rules and features report. Host location
 * settings live with the host provider, editor pacing with the session.
 */
/** Findings reported per file unless configured (rules/cap.ts). */
export const DEFAULT_MAX_FINDINGS = 1000;

export interface RuleSettings {
  /** The libvirt version the domains target, e.g. "11.10.0"; undefined: no version checks. */
  libvirtVersion?: string;
  /**
   * Bus numbers a new expander keeps free beyond its root ports, so devices
   * added later fit without renumbering busNr (the guest's ABI).
   */
  spareBusNumbers?: number;
  /** At most this many findings per file, then one "and N more" entry; 0: no limit. */
  maxFindings?: number;
}

/** Spare bus numbers per new expander unless configured: room for two more root ports. */
export const DEFAULT_SPARE_BUS_NUMBERS = 2;

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  libvirtVersion: undefined,
  spareBusNumbers: DEFAULT_SPARE_BUS_NUMBERS,
  maxFindings: DEFAULT_MAX_FINDINGS,
};
