/**
 * The bound on findings per file (issue: a 20 MB damaged file once gave
 * 703,113 findings, a 476 MB SARIF report and 3.5 GB of memory). A file
 * keeps its first `limit` findings in document order, and one last
 * `findings-capped` entry says how many more there were. Collection itself
 * is bounded: at most twice the limit is held before the surplus (the
 * findings furthest down the document) is counted and dropped.
 */
import type { Finding } from './types';
import { finding } from './report';

export { DEFAULT_MAX_FINDINGS } from './settings';
export const CAPPED_CODE = 'findings-capped' as const;

/** A finding and the order it was reported in, so that ties on position keep that order. */
interface Seen {
  finding: Finding;
  seq: number;
}

const byPosition = (a: Seen, b: Seen) => a.finding.start - b.finding.start || a.seq - b.seq;

/** Keeps the first `limit` findings in document order, whatever order they arrive in; 0 keeps all. */
export class BoundedFindings {
  private seen: Seen[] = [];
  private seq = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  add(finding: Finding): void {
    this.seen.push({ finding, seq: this.seq++ });
    if (this.limit > 0 && this.seen.length >= 2 * this.limit) this.trim();
  }

  addAll(findings: readonly Finding[]): void {
    for (const f of findings) this.add(f);
  }

  /** How many findings were counted and dropped so far. */
  get omitted(): number {
    return this.dropped;
  }

  /** The kept findings in the order they were reported (document order is the caller's to make). */
  kept(): Finding[] {
    if (this.limit > 0 && this.seen.length > this.limit) this.trim();
    return [...this.seen].sort((a, b) => a.seq - b.seq).map((s) => s.finding);
  }

  private trim(): void {
    this.seen.sort(byPosition);
    this.dropped += this.seen.length - this.limit;
    this.seen.length = this.limit;
  }
}

/**
 * At most `limit` findings (0: no limit) in document order, and when some
 * were left out, one information entry after the last one kept that says
 * how many. `omitted` counts findings already dropped before (by the rules'
 * own bounded collection), and earlier capped entries are folded in.
 */
export function capFindings(findings: readonly Finding[], limit: number, omitted = 0): Finding[] {
  let more = omitted;
  const bounded = new BoundedFindings(limit);
  for (const f of findings) {
    if (f.code === CAPPED_CODE) more += Number(f.data?.omitted ?? 0);
    else bounded.add(f);
  }
  const kept = bounded.kept();
  more += bounded.omitted;
  if (more === 0) return kept;
  const end = kept.reduce((m, f) => Math.max(m, f.end), 0);
  return [
    ...kept,
    finding(
      CAPPED_CODE,
      { start: end, end },
      `…and ${more} more finding${more === 1 ? '' : 's'} in this file, not shown: at most ${limit} are reported per file ` +
        '(setting libvirtDomainXml.maxFindingsPerFile, CLI --max-findings). Fix the first ones and check again.',
      { data: { omitted: more, limit } },
    ),
  ];
}
