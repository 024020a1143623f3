/**
 * `--severity` and `--max-warnings`, as linters have them: the first decides
 * which findings are printed and counted at all, the second makes too many
 * warnings fail the run. Exit status stays 0 (clean), 1 (errors, or more
 * warnings than allowed), 2 (usage or I/O trouble).
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { UsageError } from './args';
import type { FileResult, Severity } from './format';

const RANK: Record<Severity, number> = { error: 1, warning: 2, information: 3, hint: 4 };

/** The LSP severity number at and above which findings are kept (1 = errors only … 4 = everything). */
export function parseSeverity(value: string | undefined): number {
  if (value === undefined) return RANK.hint;
  const rank = RANK[value as Severity];
  if (rank === undefined) throw new UsageError(`unknown severity '${value}' (error, warning, information or hint)`);
  return rank;
}

/** A non-negative whole number, or undefined when not given (no limit). */
export function parseMaxWarnings(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--max-warnings needs a whole number of 0 or more, not '${value}'`);
  return Number(value.trim());
}

/** `--max-findings N`: findings reported per file before one "and N more" entry; 0 means no limit. */
export function parseMaxFindings(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--max-findings needs a whole number of 0 or more (0: no limit), not '${value}'`);
  return Number(value.trim());
}

/** A diagnostic without a severity counts as an error, as LSP clients read it. */
const severityOf = (d: Diagnostic): number => d.severity ?? 1;

export function applySeverity(results: readonly FileResult[], minimum: number): FileResult[] {
  return results.map((r) => ({ ...r, diagnostics: r.diagnostics.filter((d) => severityOf(d) <= minimum) }));
}

export interface Verdict {
  exitCode: 0 | 1 | 2;
  /** Why the run failed on warnings, for standard error. */
  tooManyWarnings?: string;
}

export function verdict(counts: { errors: number; warnings: number }, maxWarnings: number | undefined, ioTrouble: boolean): Verdict {
  const tooMany = maxWarnings !== undefined && counts.warnings > maxWarnings;
  const out: Verdict = { exitCode: ioTrouble ? 2 : counts.errors > 0 || tooMany ? 1 : 0 };
  if (tooMany) out.tooManyWarnings = `${counts.warnings} warning${counts.warnings === 1 ? '' : 's'} found, more than --max-warnings ${maxWarnings} allows`;
  return out;
}
