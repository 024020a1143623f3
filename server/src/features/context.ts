/**
 * What every feature receives: the parsed document (parsed once per version),
 * the host topology if known, the settings, and libvirt's grammar once loaded.
 */
import type { ParsedDocument } from '../domain/document';
import type { HostTopology } from '../host/types';
import type { RuleSettings } from '../rules/settings';
import type { Finding } from '../rules/types';
import type { Grammar } from '../schema/grammarSource';

export interface FeatureContext {
  readonly doc: ParsedDocument;
  readonly host: HostTopology | undefined;
  readonly settings: RuleSettings;
  readonly log: (message: string) => void;
  /** libvirt's grammar, once loaded (features work without it, from the catalog alone). */
  readonly grammar?: Grammar;
  /** True while the grammar is still being chosen and loaded (completion says its list is incomplete). */
  readonly grammarPending?: boolean;
  /**
   * The rules' findings for another text of this document (the same rule
   * families, host and settings as its verdict), so that a fix can show that
   * its edit adds no error. Absent where no language service runs the rules.
   */
  readonly recheck?: (text: string) => readonly Finding[];
}
