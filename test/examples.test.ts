/**
 * The bundled examples (examples/*.xml) against the bundled host snapshot
 * (examples/hosts/grace-3smmu.json), as the README's main command checks
 * them. Each file's exact findings from the smmu-map and nested-proposal
 * families are listed here; with every registered family, no finding may
 * appear beyond the ones the example's top comment describes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findingList } from './helpers';
import { parseSnapshot } from '../server/src/host/snapshot';
import type { HostTopology } from '../server/src/host/types';
import { smmuMappingRules } from '../server/src/rules/smmuMapping';
import { nestedProposalRules } from '../server/src/rules/nestedProposal';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const HOST_FILE = path.join(EXAMPLES, 'hosts', 'grace-3smmu.json');

function exampleHost(): HostTopology {
  const r = parseSnapshot(readFileSync(HOST_FILE, 'utf8'), HOST_FILE);
  if (!r.topology) throw new Error(r.error);
  return r.topology;
}

const host = exampleHost();
const ours = [smmuMappingRules, nestedProposalRules];
const OURS = /^(smmu-map-|nested-)/;

/**
 * `ours`: exact `code @ covered text` from the two families, in order.
 * `others`: codes other families may add for the problem the file shows on purpose.
 */
const EXPECTED: Record<string, { ours: string[]; others: string[] }> = {
  'grace-1gpu.xml': { ours: [], others: [] },
  'grace-2gpu.xml': { ours: [], others: [] },
  'broken-pcibus-busnr.xml': { ours: [], others: ['iommu-pcibus-is-busnr', 'numa-gi-missing'] },
  'broken-mixed-smmus.xml': { ours: ['smmu-map-mixed @ 0x03'], others: ['numa-gi-missing'] },
  'broken-missing-expander.xml': { ours: ['smmu-map-missing-expander @ address', 'smmu-map-uncovered @ 0x03'], others: ['numa-gi-missing'] },
  'broken-emulated-behind-accel.xml': { ours: ['smmu-map-emulated-device @ 0x03'], others: ['iommu-attribute-spelling', 'numa-gi-missing'] },
  'nested-proposal.xml': {
    ours: ['nested-smmu-device-mismatch @ 0x04', 'nested-proposal-syntax @ nestedSmmuv3', 'nested-proposal-syntax @ nestedSmmuv3', 'nested-proposal-syntax @ nestedSmmuv3'],
    others: ['schema-invalid', 'numa-gi-missing', 'controller-busnr-no-spare'],
  },
};

const files = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.xml'))
  .sort();
const read = (f: string): string => readFileSync(path.join(EXAMPLES, f), 'utf8');

describe('bundled examples', () => {
  test('every example has its expectation here', () => {
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const f of files) {
    test(`${f}: exact smmu-map and nested-proposal findings`, () => {
      const text = read(f);
      const got = findingList(text, { host, rules: ours }).map((x) => `${x.code} @ ${text.slice(x.start, x.end)}`);
      assert.deepEqual(got, EXPECTED[f].ours);
    });

    test(`${f}: every registered family adds only what the example is about`, () => {
      const text = read(f);
      const all = findingList(text, { host });
      assert.deepEqual(
        all.filter((x) => OURS.test(x.code)).map((x) => `${x.code} @ ${text.slice(x.start, x.end)}`),
        EXPECTED[f].ours,
      );
      const unexpected = all.filter((x) => !OURS.test(x.code) && !EXPECTED[f].others.includes(x.code)).map((x) => `${x.code} @ ${text.slice(x.start, x.end)}`);
      assert.deepEqual(unexpected, []);
    });
  }

  test('the bundled snapshot is the same topology as the test fixture', () => {
    const fixture = parseSnapshot(readFileSync(path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json'), 'utf8'), 'fixture').topology!;
    assert.deepEqual({ iommus: host.iommus, pciDevices: host.pciDevices }, { iommus: fixture.iommus, pciDevices: fixture.pciDevices });
  });

  test('every bundled host snapshot is named for the SMMUv3 count it holds (grace-3smmu.json: three)', () => {
    for (const dir of [path.join(EXAMPLES, 'hosts'), path.join(__dirname, 'fixtures', 'hosts')]) {
      for (const f of readdirSync(dir).filter((n) => /-\d+smmu\.json$/.test(n))) {
        const t = parseSnapshot(readFileSync(path.join(dir, f), 'utf8'), f).topology!;
        const smmus = t.iommus.filter((i) => i.kind === 'smmuv3').length;
        assert.equal(f, f.replace(/\d+smmu\.json$/, `${smmus}smmu.json`), `${dir}/${f} holds ${smmus} SMMUv3`);
      }
    }
    assert.ok(readdirSync(path.join(EXAMPLES, 'hosts')).includes('grace-3smmu.json'));
  });
});
