/**
 * Settings that change what the rules and features report. Host location
 * settings live with the host provider, editor pacing with the session.
 */
export interface RuleSettings {
  /** The libvirt version the domains target, e.g. "11.10.0"; undefined: no version checks. */
  libvirtVersion?: string;
  /**
   * Bus numbers a new expander keeps free beyond its root ports, so devices
   * added later fit without renumbering busNr (the guest's ABI).
   */
  spareBusNumbers?: number;
}

/** Spare bus numbers per new expander unless configured: room for two more root ports. */
export const DEFAULT_SPARE_BUS_NUMBERS = 2;

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  libvirtVersion: undefined,
  spareBusNumbers: DEFAULT_SPARE_BUS_NUMBERS,
};
