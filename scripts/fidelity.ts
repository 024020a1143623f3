/**
 * `npm run fidelity`: runs the differential suite against the libvirt 12.8
 * referee (starting it when it does not run, and stopping it again) and
 * writes the agreement table to docs/fidelity.md. Exit 77 with the reason
 * when the machine cannot run the referee.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Referee, REFEREE_UNAVAILABLE } from '../test/referee/referee';
import { figures, renderTable, runDifferential } from '../test/referee/differential';
import { REPO } from '../test/referee/inputs';

async function main(): Promise<number> {
  const opened = Referee.open();
  if ('skip' in opened) {
    console.error(`fidelity: ${opened.skip}`);
    return REFEREE_UNAVAILABLE;
  }
  const { referee } = opened;
  try {
    const { rows, ctx } = await runDifferential(referee);
    const out = join(REPO, 'docs/fidelity.md');
    writeFileSync(out, renderTable(rows, ctx) + '\n');
    const f = figures(rows);
    console.log(
      `fidelity: ${rows.length} domains in ${ctx.elapsedSeconds?.toFixed(1)} s; accepted ${f.accepted} (flagged ${f.acceptedFlagged}), ` +
        `rejected ${f.rejected} (caught ${f.rejectedCaught}, ${(100 * f.caughtShare).toFixed(1)} %), not judged ${f.host}; wrote docs/fidelity.md`,
    );
    return 0;
  } finally {
    referee.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
