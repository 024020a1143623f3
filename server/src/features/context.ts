/**
 * What every feature receives: the parsed document (parsed once per version),
 * the host topology if known, and the settings.
 */
import type { ParsedDocument } from '../languageService';
import type { HostTopology } from '../host/types';
import type { ServiceSettings } from '../service/settings';

export interface FeatureContext {
  readonly doc: ParsedDocument;
  readonly host: HostTopology | undefined;
  readonly settings: ServiceSettings;
  readonly log: (message: string) => void;
}
