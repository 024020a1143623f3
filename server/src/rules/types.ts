/**
 * The contract between rule families and the language service. Rules speak
 * in document offsets; the service turns findings into LSP diagnostics.
 */
import type { DomainModel } from '../domain/model';
import type { HostTopology } from '../host/types';
import type { RuleSettings } from './settings';
import type { DataOf, RuleCode, Severity } from './codes';

export type { RuleCode, Severity } from './codes';

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

interface FindingOf<C extends RuleCode> {
  /** Stable code from the registry (rules/codes.ts), documented in docs/rules.md. */
  code: C;
  severity: Severity;
  start: number;
  end: number;
  message: string;
  related?: RelatedSpan[];
  relatedHost?: RelatedHost[];
  /** Marks text that is deprecated or unnecessary, for the editor's rendering. */
  tags?: ('deprecated' | 'unnecessary')[];
  /** Machine-readable facts a quick fix needs (JSON-serialisable), of the type the registry gives the code. */
  data?: DataOf<C>;
}

/** A finding: one of the registry's codes, with the data of that code (make one with rules/report.ts). */
export type Finding<C extends RuleCode = RuleCode> = { [K in C]: FindingOf<K> }[C];

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
