/**
 * Writes the grace-3smmu host snapshot used by the examples and the tests:
 *
 *   node --import tsx scripts/make-example-host.ts
 *
 * It builds the `grace-3smmu` fixture tree (scripts/make-host-fixtures.mjs)
 * in a temporary directory, reads it with the real sysfs reader using the
 * test pci.ids, and pins everything that would vary between runs (source
 * root, host name, read time), so the output only changes when the reader,
 * the serializer or the fixture does. test/host-snapshot.test.ts checks that
 * both written files are up to date.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeTopology } from '../server/src/host/snapshot';
import { readSysfsTopology } from '../server/src/host/sysfs';

const repo = path.join(__dirname, '..');

export const EXAMPLE_HOST_FILES = [path.join(repo, 'examples', 'hosts', 'grace-3smmu.json'), path.join(repo, 'test', 'fixtures', 'hosts', 'grace-3smmu.json')];

/** The snapshot text for the grace-3smmu example host. */
export async function buildExampleHostSnapshot(): Promise<string> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'grace-3smmu-'));
  try {
    execFileSync(process.execPath, [path.join(repo, 'scripts', 'make-host-fixtures.mjs'), tmp, 'grace-3smmu']);
    const t = await readSysfsTopology(path.join(tmp, 'grace-3smmu'), {
      pciIdsPaths: [path.join(repo, 'test', 'fixtures', 'pci.ids')],
      hostname: 'grace-3smmu',
    });
    return serializeTopology({ ...t, source: { kind: 'sysfs', root: '/sys' }, readAt: '2026-01-01T00:00:00.000Z' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void buildExampleHostSnapshot().then((text) => {
    for (const f of EXAMPLE_HOST_FILES) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, text);
      console.log(`wrote ${path.relative(repo, f)}`);
    }
  });
}
