/**
 * libvirt 12.8 on what the quick fixes and the topology generator make of
 * the fix fixtures (test/fixtures/fixes/*.xml, against their host.json):
 *
 * - every fix offered for a finding, applied alone, and the generator: its
 *   document is accepted by the 12.8 schema and QEMU driver, or refused only
 *   for what its input was already refused for (fixtures carry several
 *   faults, and one fix mends one);
 * - every fixture with all its fixes applied in turn (a user pressing the
 *   first quick fix until none is left): accepted, unless its input holds a
 *   fault no fix is for (listed below, with why).
 *
 * The referee machine has no KVM, VFIO or host NUMA nodes 0/1: the copy the
 * driver sees is rewritten for that (rewriteForReferee, listed in each
 * verdict), and a document refused only for its `<numatune>` host nodes is
 * judged again without it. A refusal here is a bug in the fix. Run by
 * `npm run test:all`; skips with the reason where the referee cannot run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { describeVerdict, Referee, type RefereeVerdict } from './referee';
import { derivedInputs, REPO, type Input } from './inputs';
import { getLanguageService } from '../../server/src/languageService';
import { parseSnapshot } from '../../server/src/host/snapshot';

const DIR = 'test/fixtures/fixes';
const URI = 'file:///referee/fixes.xml';

/**
 * Fixtures whose fault no fix mends, so that even with every fix applied
 * libvirt refuses them: the reason, to be seen in the verdict.
 */
const UNFIXABLE: Readonly<Record<string, RegExp>> = {
  // Half-typed attributes (`ssidSize` with no value yet, an unclosed element): not XML at all.
  'half-typed.xml': /Specification mandates value for attribute/,
  'half-typed-proposal.xml': /Opening and ending tag mismatch/,
};

function fixtures(): Input[] {
  return readdirSync(join(REPO, DIR))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => ({ name: `${DIR}/${f}`, text: readFileSync(join(REPO, DIR, f), 'utf8'), origin: 'fixture' }));
}

function service() {
  const file = join(REPO, DIR, 'host.json');
  const r = parseSnapshot(readFileSync(file, 'utf8'), file);
  if (!r.topology) throw new Error(r.error);
  const topology = r.topology;
  return getLanguageService({ host: { topology: () => topology } });
}

/**
 * A fixture with its fixes applied one after the other: each round takes
 * the first quick fix offered for the first finding that has one (the
 * preferred fix of that finding when one is marked), then the generator if
 * it still offers a layout. Stops when nothing is offered; 40 rounds at most.
 */
function allFixed(ls: ReturnType<typeof service>, input: Input): { text: string; steps: string[] } {
  let text = input.text;
  const steps: string[] = [];
  for (let round = 0; round < 40; round++) {
    const doc = ls.parse(text, URI, round + 1);
    let action;
    for (const d of ls.validate(doc)) {
      const actions = ls.codeActions(doc, d.range, [d], ['quickfix']);
      action = actions.find((a) => a.isPreferred) ?? actions[0];
      if (action) break;
    }
    action ??= ls.codeActions(doc, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source'])[0];
    const edits = action?.edit?.changes?.[URI];
    if (!action || !edits?.length) break;
    const next = TextDocument.applyEdits(TextDocument.create(URI, 'xml', 1, text), edits);
    if (next === text) break;
    text = next;
    steps.push(action.title);
  }
  return { text, steps };
}

/** A refusal's words without line numbers, which differ between a document and its fixed copy. */
const reason = (s: string): string =>
  s
    .replace(/^\d+: /, '')
    .replace(/\bline \d+/g, 'line N')
    .replace(/\bat line N:/, '')
    .trim();

/** What libvirt holds against a document (schema and driver), line numbers left out. */
function refusals(v: RefereeVerdict): Set<string> {
  const out = new Set<string>();
  if (!v.schema.valid) for (const m of v.schema.messages) out.add(`schema: ${reason(m)}`);
  if (!v.driver.ok && !v.hostReason) out.add(`driver: ${reason(v.driver.error ?? '')}`);
  return out;
}

/** Drops `<numatune>`: it names host nodes the referee machine does not have. */
const withoutNumatune = (text: string): string => text.replace(/[ \t]*<numatune>[\s\S]*?<\/numatune>\r?\n?/, '');
const NUMATUNE_ONLY = /NUMA node \d+ is unavailable/;

describe('libvirt 12.8 on the documents the quick fixes and the generator make', () => {
  let referee: Referee | undefined;
  let skip: string | undefined;
  const bases = fixtures();
  const verdicts = new Map<string, RefereeVerdict>();
  let derived: Input[] = [];
  let chains: { base: Input; text: string; steps: string[] }[] = [];

  /** Verdicts for all documents in one batch, the ones refused for <numatune> alone judged again without it. */
  async function judge(inputs: readonly Input[]): Promise<void> {
    const first = await referee!.verdicts(inputs);
    const again = inputs.filter((_, i) => NUMATUNE_ONLY.test(first[i].driver.error ?? ''));
    const second = await referee!.verdicts(again.map((i) => ({ name: i.name, text: withoutNumatune(i.text) })));
    inputs.forEach((input, i) => verdicts.set(input.name, first[i]));
    again.forEach((input, i) => {
      const v = verdicts.get(input.name)!;
      // The schema sees the document as written; the driver's verdict is that of the copy without <numatune>.
      verdicts.set(input.name, {
        ...second[i],
        schema: v.schema,
        accepted: v.schema.valid && second[i].driver.ok,
        rewrites: [...second[i].rewrites, '<numatune> left out for the driver'],
      });
    });
  }

  before(async () => {
    const opened = Referee.open();
    if ('skip' in opened) {
      skip = opened.skip;
      return;
    }
    referee = opened.referee;
    derived = derivedInputs(bases);
    const ls = service();
    chains = bases.map((base) => ({ base, ...allFixed(ls, base) }));
    await judge([...bases, ...derived, ...chains.map((c) => ({ name: `${c.base.name} + all fixes`, text: c.text, origin: 'quick fix' }))]);
    const accepted = [...verdicts.values()].filter((v) => v.accepted).length;
    const chainsAccepted = chains.filter((c) => verdicts.get(`${c.base.name} + all fixes`)!.accepted).length;
    console.log(
      `referee fixes: ${bases.length} fixtures, ${derived.length} fixed or generated documents, ${chains.length} with all fixes ` +
        `(${chainsAccepted} of them accepted); ${accepted} of ${verdicts.size} documents accepted`,
    );
  });
  after(() => referee?.close());

  test('the suite sees every fixture and a fix or the generator on each that has a finding', (t) => {
    if (!referee) return t.skip(skip);
    assert.ok(bases.length >= 25, `only ${bases.length} fixtures`);
    assert.ok(derived.length >= 60, `only ${derived.length} fixed documents`);
    assert.ok(derived.some((d) => d.origin === 'topology generator'));
  });

  test('each fix alone, and the generator: accepted, or refused only for what its input was refused for', (t) => {
    if (!referee) return t.skip(skip);
    const bad: string[] = [];
    for (const d of derived) {
      const v = verdicts.get(d.name)!;
      if (v.accepted) continue;
      const base = bases.find((b) => d.name.startsWith(`${b.name} + `))!;
      // Not XML before the fix, nor after it: xmllint's words follow what the fix renamed.
      const own = UNFIXABLE[base.name.slice(DIR.length + 1)];
      if (own && [...refusals(v)].some((r) => own.test(r))) continue;
      const before = refusals(verdicts.get(base.name)!);
      const added = [...refusals(v)].filter((r) => !before.has(r));
      if (added.length) bad.push(`${d.name}: ${added.join('; ')} [${describeVerdict(v)}]`);
    }
    assert.deepEqual(bad, []);
  });

  test('every fixture with all its fixes applied is accepted (the unfixable ones refused for their own fault only)', (t) => {
    if (!referee) return t.skip(skip);
    const bad: string[] = [];
    for (const c of chains) {
      const v = verdicts.get(`${c.base.name} + all fixes`)!;
      const file = c.base.name.slice(DIR.length + 1);
      const own = UNFIXABLE[file];
      if (own) {
        if (v.accepted || ![...refusals(v)].some((r) => own.test(r))) bad.push(`${file} (expected refused for ${own} only): ${describeVerdict(v)}`);
        continue;
      }
      if (!v.accepted) bad.push(`${file} after ${c.steps.length} fixes (${c.steps.join(' → ')}): ${describeVerdict(v)}`);
    }
    assert.deepEqual(bad, []);
  });

  test('the fixes change something: at least one fixture refused as written is accepted once fixed', (t) => {
    if (!referee) return t.skip(skip);
    const mended = chains.filter((c) => !verdicts.get(c.base.name)!.accepted && verdicts.get(`${c.base.name} + all fixes`)!.accepted);
    assert.ok(mended.length >= 3, mended.map((c) => c.base.name).join(', '));
  });
});
