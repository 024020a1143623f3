/**
 * The contract between rule families and the language service. Rules speak
 * in document offsets; the service turns findings into LSP diagnostics.
 */
import type { DomainModel } from '../domain/model';
import type { HostTopology } from '../host/types';
import type { RuleSettings } from './settings';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface RelatedSpan {
  start: number;
  end: number;
  message: string;
}

/** A place outside the document, such as a host SMMU in sysfs or a snapshot file. */
export interface RelatedHost {
  /** File-system path (a sysfs path under the configured root, or a snapshot file). */
  path: string;
  message: string;
}

export interface Finding {
  /** Stable code, documented in docs/rules.md. */
  code: string;
  severity: Severity;
  start: number;
  end: number;
  message: string;
  related?: RelatedSpan[];
  relatedHost?: RelatedHost[];
  /** Marks text that is deprecated or unnecessary, for the editor's rendering. */
  tags?: ('deprecated' | 'unnecessary')[];
  /** Machine-readable facts a quick fix needs (JSON-serialisable). */
  data?: Record<string, unknown>;
}

export interface RuleContext {
  readonly model: DomainModel;
  /** The host topology, or undefined when none is known (rules that need it stay silent). */
  readonly host: HostTopology | undefined;
  /** True while the host is being read: rules must not say "no host" yet (optional: false). */
  readonly hostReading?: boolean;
  readonly settings: RuleSettings;
  report(finding: Finding): void;
}

export interface RuleFamily {
  /** Family name, used in logs when a rule fails. */
  readonly name: string;
  run(ctx: RuleContext): void;
}
