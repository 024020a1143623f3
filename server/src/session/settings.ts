/**
 * Settings of the editor session: how it paces analyses. What the rules
 * report is set in rules/settings.ts.
 */
export interface SessionSettings {
  /** Documents larger than this (in characters) are analysed on open and save only, not while typing. */
  maxLiveAnalysisSize: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  maxLiveAnalysisSize: 10 * 1024 * 1024,
};
