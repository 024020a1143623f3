/**
 * The differential suite's engine: every input before libvirt 12.8 (the
 * referee) and before us (the same findings the CLI reports, target release
 * 12.8.0, no host topology: libvirt has none either), each pair of verdicts
 * sorted into one outcome, and the agreement table of docs/fidelity.md.
 *
 * Outcomes:
 *  - libvirt accepts: `agree` (we flag nothing), `beyond libvirt` (we flag
 *    only rules docs/rules.md lists as checks libvirt cannot make), `false alarm`
 *    (any other error or warning);
 *  - libvirt rejects for a reason of the domain: `caught` (an error of ours;
 *    for a mutation, on an element at fault), `caught elsewhere` (errors, none
 *    on the elements at fault), `warned only`, `missed`;
 *  - `host`: libvirt refused for a reason of the referee machine, or the domain
 *    is not for its QEMU driver; says nothing either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { Checker } from '../../server/src/cli/check';
import { schemaStatus } from '../../server/src/cli/schema';
import { LineIndex } from '../../server/src/xml/lineIndex';
import { REPO, corpusInputs, derivedInputs, repositoryInputs, type Input } from './inputs';
import { mutate, type Mutation } from './mutations';
import type { Referee, RefereeVerdict } from './referee';

export const TARGET_RELEASE = '12.8.0';

export type Outcome = 'agree' | 'beyond libvirt' | 'false alarm' | 'caught' | 'caught elsewhere' | 'warned only' | 'missed' | 'host';
export const OUTCOMES: readonly Outcome[] = ['agree', 'beyond libvirt', 'false alarm', 'caught', 'caught elsewhere', 'warned only', 'missed', 'host'];

export interface OurFinding {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  start: number;
  end: number;
}

export interface Row {
  input: Input;
  libvirt: RefereeVerdict;
  ours: OurFinding[];
  outcome: Outcome;
}

/**
 * The codes of the rules libvirt cannot see (host topology, kernel and QEMU
 * start-time rules), read from docs/rules.md's "Beyond libvirt" table, the
 * one place they are listed with their reasons.
 */
export function beyondLibvirtCodes(rulesMd = readFileSync(join(REPO, 'docs/rules.md'), 'utf8')): Map<string, string> {
  const start = rulesMd.search(/^## Beyond libvirt/m);
  if (start < 0) return new Map();
  const rest = rulesMd.slice(start + 3);
  const section = rest.slice(0, rest.search(/^## /m) >>> 0);
  const codes = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m)
      codes.set(
        m[1],
        m[2]
          .split('|')
          .map((c) => c.trim())
          .filter(Boolean)
          .join(' — '),
      );
  }
  return codes;
}

/** The schema our side validates with: the CLI's `auto` (the installed libvirt's), or none. */
export async function ourSchema(): Promise<{ mode?: string; describe: string }> {
  const s = await schemaStatus('auto', TARGET_RELEASE);
  return s.available
    ? {
        mode: 'auto',
        describe: `libvirt ${s.libvirtVersion ?? '(version unknown)'} schemas${s.dir.startsWith(REPO + '/') ? ` in ${s.dir.slice(REPO.length + 1)}/` : ''} (${s.engine})`,
      }
    : { describe: `no schema validation (${s.reason})` };
}

/**
 * Our errors and warnings for each input, as `libvirt-domain-xml check
 * --libvirt-version 12.8.0` reports them: the CLI's checker, which asks the
 * language service's one `verdict` (rules, strict check, libvirt's schema).
 */
export async function ourVerdicts(inputs: readonly Input[], schemaMode: string | undefined): Promise<OurFinding[][]> {
  const checker = new Checker({ hosts: [undefined], settings: { libvirtVersion: TARGET_RELEASE }, schema: schemaMode });
  const outcomes = await checker.checkMany(inputs.map((input, index) => ({ index, name: input.name, input: input.text, host: 0, discovered: false })));
  return outcomes.map((o, i) => {
    if (o.status !== 'checked') throw new Error(`our check of ${inputs[i].name} ended '${o.status}': ${o.error}`);
    const lines = new LineIndex(inputs[i].text);
    return o.diagnostics
      .filter((d) => d.severity === 1 || d.severity === 2)
      .map((d: Diagnostic) => ({
        code: String(d.code),
        severity: d.severity === 1 ? ('error' as const) : ('warning' as const),
        message: typeof d.message === 'string' ? d.message : d.message.value,
        start: lines.offsetAt(d.range.start),
        end: lines.offsetAt(d.range.end),
      }));
  });
}

const isMutation = (i: Input): i is Mutation => 'faults' in i;

export function classify(input: Input, libvirt: RefereeVerdict, ours: readonly OurFinding[], beyond: ReadonlyMap<string, string>): Outcome {
  if (libvirt.hostReason) return 'host';
  if (libvirt.accepted) {
    if (!ours.length) return 'agree';
    return ours.every((f) => beyond.has(f.code)) ? 'beyond libvirt' : 'false alarm';
  }
  const errors = ours.filter((f) => f.severity === 'error');
  if (!errors.length) return ours.length ? 'warned only' : 'missed';
  if (!isMutation(input)) return 'caught';
  const onFault = errors.some((e) => input.faults.some((f) => e.start < f.end && f.start < e.end + (e.start === e.end ? 1 : 0)));
  return onFault ? 'caught' : 'caught elsewhere';
}

/** Both verdicts and the outcome for every input. */
export async function compare(referee: Referee, inputs: readonly Input[], schemaMode: string | undefined): Promise<Row[]> {
  const beyond = beyondLibvirtCodes();
  const [libvirt, ours] = await Promise.all([referee.verdicts(inputs), ourVerdicts(inputs, schemaMode)]);
  return inputs.map((input, i) => ({ input, libvirt: libvirt[i], ours: ours[i], outcome: classify(input, libvirt[i], ours[i], beyond) }));
}

export interface Figures {
  accepted: number;
  acceptedFlagged: number;
  rejected: number;
  rejectedCaught: number;
  /** Caught / rejected, 0..1 (1 when nothing was rejected). */
  caughtShare: number;
  host: number;
}

export function figures(rows: readonly Row[]): Figures {
  const count = (...o: Outcome[]) => rows.filter((r) => o.includes(r.outcome)).length;
  const rejected = count('caught', 'caught elsewhere', 'warned only', 'missed');
  const caught = count('caught');
  return {
    accepted: count('agree', 'beyond libvirt', 'false alarm'),
    acceptedFlagged: count('false alarm'),
    rejected,
    rejectedCaught: caught,
    caughtShare: rejected ? caught / rejected : 1,
    host: count('host'),
  };
}

// ---------------------------------------------------------------------------
// The table

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const clip = (s: string, n = 160) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const codes = (fs: readonly OurFinding[]) => [...new Set(fs.map((f) => `${f.code}${f.severity === 'warning' ? ' (w)' : ''}`))].join(', ');

function libvirtSays(v: RefereeVerdict): string {
  const parts: string[] = [];
  if (!v.driver.ok) parts.push(v.driver.error ?? 'refused');
  if (!v.schema.valid) parts.push(`schema: ${v.schema.messages.find((m) => !/failed to validate content/.test(m)) ?? v.schema.messages[0] ?? 'invalid'}`);
  return parts.join('; ');
}

export interface TableContext {
  versions: string;
  schema: string;
  seed: number;
  perKind: number;
  corpusSkipped?: string;
  elapsedSeconds?: number;
}

/** docs/fidelity.md's text. */
export function renderTable(rows: readonly Row[], ctx: TableContext, beyond = beyondLibvirtCodes()): string {
  const origins = [...new Set(rows.map((r) => r.input.origin))];
  const f = figures(rows);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const out: string[] = [];
  out.push('# Fidelity: our verdict against libvirt 12.8');
  out.push('');
  out.push('<!-- Generated by `npm run fidelity` (scripts/fidelity.ts); do not edit by hand. -->');
  out.push('');
  out.push(`Every domain below went to libvirt (${ctx.versions}, the referee of docs/referee.md: its 12.8 schema and`);
  out.push("`virsh domxml-to-native qemu-argv`, the QEMU driver's whole validation) and to our checker (the CLI's findings,");
  out.push(`target release ${TARGET_RELEASE}, no host topology; schema: ${ctx.schema}).`);
  out.push(
    `Inputs: the examples, the test fixtures, ${ctx.corpusSkipped ? `(virt-install corpus skipped: ${ctx.corpusSkipped})` : 'the virt-install corpus (`../shared/corpus/virt-install`)'},`,
  );
  out.push(`every document our quick fixes and topology generator make from them, and broken variants of the domains`);
  out.push(`libvirt accepts (seed ${ctx.seed}, up to ${ctx.perKind} per kind; test/referee/mutations.ts).`);
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('| target | now |');
  out.push('|---|---|');
  out.push(`| 0 of libvirt's accepted domains flagged with an error or warning (beyond-libvirt rules excepted) | ${f.acceptedFlagged} of ${f.accepted} |`);
  out.push(`| ≥ 90 % of libvirt's host-independent rejections caught by an error on the element at fault | ${f.rejectedCaught} of ${f.rejected} (${pct(f.caughtShare)}) |`);
  out.push('');
  out.push('## Outcomes');
  out.push('');
  out.push(`| outcome | ${origins.join(' | ')} | all |`);
  out.push(`|---|${origins.map(() => '---:').join('|')}|---:|`);
  for (const o of OUTCOMES) {
    const n = (origin?: string) => rows.filter((r) => r.outcome === o && (!origin || r.input.origin === origin)).length;
    out.push(`| ${o} | ${origins.map((g) => n(g)).join(' | ')} | ${n()} |`);
  }
  out.push(`| **all** | ${origins.map((g) => rows.filter((r) => r.input.origin === g).length).join(' | ')} | ${rows.length} |`);
  out.push('');
  out.push('- **agree**: libvirt accepts and we flag nothing (information notes aside).');
  out.push(
    '- **beyond libvirt**: libvirt accepts, and we flag only rules libvirt cannot check (docs/rules.md, "Beyond libvirt"): the domain fails later, at start or in the guest.',
  );
  out.push('- **false alarm**: libvirt accepts and we raise another error or warning.');
  out.push('- **caught**: libvirt rejects and we raise an error (for a broken variant: on an element it broke).');
  out.push('- **caught elsewhere**, **warned only**, **missed**: libvirt rejects; our errors are on other elements, we only warn, or we say nothing.');
  out.push(
    '- **host**: libvirt refused for a reason of the referee machine (no emulator or firmware for the architecture, a capability this QEMU build lacks), or the domain is for another driver (`lxc`, `xen`, `test`…).',
  );
  out.push('');

  const section = (title: string, intro: string, list: readonly Row[], cols: string[], cells: (r: Row) => string[]) => {
    out.push(`## ${title} (${list.length})`);
    out.push('');
    out.push(intro);
    out.push('');
    if (!list.length) {
      out.push('None.');
      out.push('');
      return;
    }
    out.push(`| ${cols.join(' | ')} |`);
    out.push(`|${cols.map(() => '---').join('|')}|`);
    for (const r of list)
      out.push(
        `| ${cells(r)
          .map((c) => esc(c))
          .join(' | ')} |`,
      );
    out.push('');
  };
  const change = (r: Row) => (isMutation(r.input) ? r.input.change : '');
  const by = (o: Outcome) => rows.filter((r) => r.outcome === o);

  section(
    'False alarms',
    'libvirt accepts these; we raise an error or warning it does not justify. The reason is our finding.',
    by('false alarm'),
    ['domain', 'ours', 'our message'],
    (r) => [r.input.name, codes(r.ours.filter((x) => !beyond.has(x.code))), clip(r.ours.find((x) => !beyond.has(x.code))?.message ?? '')],
  );
  section(
    'Missed',
    "libvirt rejects these for a reason of the domain and we say nothing. The reason is libvirt's message.",
    by('missed'),
    ['domain', 'change', 'libvirt says'],
    (r) => [r.input.name, change(r), clip(libvirtSays(r.libvirt), 220)],
  );
  section('Warned only', 'libvirt rejects these; we only warn.', by('warned only'), ['domain', 'change', 'libvirt says', 'ours'], (r) => [
    r.input.name,
    change(r),
    clip(libvirtSays(r.libvirt)),
    codes(r.ours),
  ]);
  section(
    'Caught elsewhere',
    'libvirt rejects these; our errors sit on other elements than the one the variant broke.',
    by('caught elsewhere'),
    ['domain', 'change', 'libvirt says', 'ours'],
    (r) => [r.input.name, change(r), clip(libvirtSays(r.libvirt)), codes(r.ours)],
  );
  section(
    'Beyond libvirt',
    'libvirt accepts these; we flag rules it cannot check, each listed with its reason in docs/rules.md.',
    by('beyond libvirt'),
    ['domain', 'change', 'ours'],
    (r) => [r.input.name, change(r), codes(r.ours)],
  );

  const hostReasons = new Map<string, number>();
  for (const r of by('host')) hostReasons.set(r.libvirt.hostReason!, (hostReasons.get(r.libvirt.hostReason!) ?? 0) + 1);
  out.push(`## Not judged here (${by('host').length})`);
  out.push('');
  out.push('| reason | domains |');
  out.push('|---|---:|');
  for (const [reason, n] of [...hostReasons].sort((a, b) => b[1] - a[1])) out.push(`| ${esc(reason)} | ${n} |`);
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The whole run

/** The seed and size of the broken-variant set; docs/fidelity.md is made with these. */
export const SEED = 20261207;
export const PER_KIND = 12;

/**
 * Everything against both: the repository's domains, the corpus, what our
 * fixes make of them; then broken variants of those libvirt accepts.
 */
export async function runDifferential(referee: Referee, opts: { seed?: number; perKind?: number } = {}): Promise<{ rows: Row[]; ctx: TableContext }> {
  const started = Date.now();
  const seed = opts.seed ?? SEED;
  const perKind = opts.perKind ?? PER_KIND;
  const schema = await ourSchema();
  const corpus = corpusInputs();
  const files = [...repositoryInputs(), ...corpus.inputs];
  const bases = [...files, ...derivedInputs(files)];
  const baseRows = await compare(referee, bases, schema.mode);
  const accepted = baseRows.filter((r) => r.libvirt.accepted && !r.libvirt.hostReason).map((r) => r.input);
  const mutationRows = await compare(referee, mutate(accepted, seed, perKind), schema.mode);
  const versions = /Running against daemon: (\S+)/.exec(referee.version());
  const qemu = /Running hypervisor: QEMU (\S+)/.exec(referee.version());
  return {
    rows: [...baseRows, ...mutationRows],
    ctx: {
      versions: `libvirt ${versions?.[1] ?? '?'}, QEMU ${qemu?.[1] ?? '?'}`,
      schema: schema.describe,
      seed,
      perKind,
      corpusSkipped: corpus.skipped,
      elapsedSeconds: (Date.now() - started) / 1000,
    },
  };
}
