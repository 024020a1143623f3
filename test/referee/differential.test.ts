/**
 * The differential suite: every domain of the repository, the virt-install
 * corpus, what our fixes make of them and seeded broken variants, judged by
 * libvirt 12.8 (the referee) and by us; see docs/fidelity.md for the table
 * and docs/referee.md for the referee. Run by `npm run test:all`; skips with
 * the reason where the referee cannot run.
 *
 * The table is also written to test-results/fidelity.md, so a CI run leaves
 * the agreement it measured beside its log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Referee } from './referee';
import { figures, renderTable, runDifferential, type Row, type TableContext } from './differential';
import { REPO } from './inputs';

/** Issue 17's target: the share of libvirt's host-independent rejections we catch. */
const CAUGHT_TARGET = 0.9;

describe('differential: libvirt 12.8 against our findings', () => {
  let referee: Referee | undefined;
  let skip: string | undefined;
  let rows: Row[] = [];
  let ctx: TableContext | undefined;

  before(async () => {
    const opened = Referee.open();
    if ('skip' in opened) {
      skip = opened.skip;
      return;
    }
    referee = opened.referee;
    ({ rows, ctx } = await runDifferential(referee));
    const table = renderTable(rows, ctx);
    mkdirSync(join(REPO, 'test-results'), { recursive: true });
    writeFileSync(join(REPO, 'test-results/fidelity.md'), table + '\n');
    const f = figures(rows);
    console.log(
      `differential: ${rows.length} domains in ${ctx.elapsedSeconds?.toFixed(1)} s; accepted ${f.accepted} (flagged ${f.acceptedFlagged}), ` +
        `rejected ${f.rejected} (caught ${f.rejectedCaught}, ${(100 * f.caughtShare).toFixed(1)} %); table in test-results/fidelity.md`,
    );
  });
  after(() => referee?.close());

  const falseAlarms = (pick: (r: Row) => boolean) => rows.filter((r) => r.outcome === 'false alarm' && pick(r));
  const list = (rs: readonly Row[]) => rs.map((r) => `${r.input.name}: ${r.ours.map((f) => f.code).join(', ')}`).join('\n');

  test('every input got a verdict from both sides', (t) => {
    if (!referee) return t.skip(skip);
    assert.ok(rows.length > 100, `only ${rows.length} inputs`);
    for (const r of rows) assert.ok(r.libvirt.accepted || r.libvirt.driver.error || !r.libvirt.schema.valid, r.input.name);
  });

  test('target: 0 of the domains libvirt accepts flagged with an error or warning (beyond-libvirt rules aside)', (t) => {
    if (!referee) return t.skip(skip);
    const bad = falseAlarms(() => true);
    assert.equal(bad.length, 0, list(bad));
  });

  test('target: at least 90 % of host-independent rejections caught on the element at fault', (t) => {
    if (!referee) return t.skip(skip);
    const f = figures(rows);
    const missed = rows.filter((r) => ['caught elsewhere', 'warned only', 'missed'].includes(r.outcome));
    assert.ok(f.caughtShare >= CAUGHT_TARGET, `${f.rejectedCaught} of ${f.rejected} caught (${(100 * f.caughtShare).toFixed(1)} %); not caught:\n${list(missed)}`);
  });
});
