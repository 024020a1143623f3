/**
 * What every feature receives: the parsed document (parsed once per version),
 * the host topology if known, and the settings.
 */
import type { ParsedDocument } from '../domain/document';
import type { HostTopology } from '../host/types';
import type { RuleSettings } from '../rules/settings';

export interface FeatureContext {
  readonly doc: ParsedDocument;
  readonly host: HostTopology | undefined;
  readonly settings: RuleSettings;
  readonly log: (message: string) => void;
}
