/**
 * At most 1000 findings per file by default (a setting, and --max-findings
 * on the CLI), then one "and N more" entry; collection holds at most twice
 * the limit, whatever the input's size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getLanguageService } from '../server/src/languageService';
import { BoundedFindings, capFindings, CAPPED_CODE } from '../server/src/rules/cap';
import type { Finding } from '../server/src/rules/types';
import { runCli } from './cliRun';

/** 3000 disks with an unquoted value and no end tag: two findings each, 6000 in all. */
const DAMAGED = "<domain type='kvm'><devices>" + '<disk type=file>\n'.repeat(3000) + '</devices></domain>';

const shown = (maxFindings?: number) => {
  const ls = getLanguageService({ settings: maxFindings === undefined ? {} : { maxFindings } });
  return ls.verdict(ls.parse(DAMAGED)).diagnostics;
};

test('a damaged file reports its first 1000 findings in document order and one "and N more"', () => {
  const all = shown(0);
  assert.equal(all.length, 6000);
  const capped = shown();
  assert.equal(capped.length, 1001);
  assert.deepEqual(capped.slice(0, 1000), all.slice(0, 1000));
  const last = capped[1000];
  assert.equal(last.code, CAPPED_CODE);
  assert.equal(last.severity, 3);
  assert.match(
    String(last.message),
    /^…and 5000 more findings in this file, not shown: at most 1000 are reported per file \(setting libvirtDomainXml\.maxFindingsPerFile, CLI --max-findings\)/,
  );
  assert.deepEqual(last.range.start, capped[999].range.end);
});

test('the limit is a setting; under it nothing is added', () => {
  assert.deepEqual(
    shown(10)
      .map((d) => d.code)
      .slice(-2),
    ['xml-unquoted-attribute-value', CAPPED_CODE],
  );
  assert.match(String(shown(10)[10].message), /^…and 5990 more findings/);
  assert.equal(shown(6000).length, 6000);
});

test('collection is bounded: at most twice the limit is ever held, and the first in document order are kept', () => {
  const b = new BoundedFindings(10);
  let held = 0;
  for (let i = 100_000; i > 0; i--) {
    b.add({ code: 'xml-bad-entity', severity: 'error', start: i, end: i + 1, message: String(i) });
    held = Math.max(held, (b as unknown as { seen: unknown[] }).seen.length);
  }
  assert.ok(held <= 20, `held ${held}`);
  assert.deepEqual(
    b
      .kept()
      .map((f) => f.start)
      .sort((x, y) => x - y),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.equal(b.omitted, 99_990);
});

test('capping again folds an earlier "and N more" into the new count (schema findings merged later)', () => {
  const f = (start: number): Finding => ({ code: 'xml-bad-entity', severity: 'error', start, end: start + 1, message: 'x' });
  const first = capFindings([f(1), f(2), f(3)], 2);
  assert.deepEqual(
    first.map((x) => x.code),
    ['xml-bad-entity', 'xml-bad-entity', CAPPED_CODE],
  );
  const again = capFindings([...first, f(0)], 2);
  assert.deepEqual(again.map((x) => `${x.code}@${x.start}`).sort(), ['xml-bad-entity@0', 'xml-bad-entity@1', `${CAPPED_CODE}@2`].sort());
  assert.equal((again[2] as Finding<typeof CAPPED_CODE>).data?.omitted, 2);
});

test('CLI: --max-findings bounds each file, and a bad value is a usage error', async () => {
  const run = (args: string[]) => runCli(['check', '--schema', 'off', '--format', 'json', '--quiet', ...args, '-'], DAMAGED);
  const r = await run(['--max-findings', '5']);
  assert.equal(r.code, 1);
  const diagnostics = JSON.parse(r.out) as { file: string; code: string; message: string }[];
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['xml-unclosed-element', 'xml-unquoted-attribute-value', 'xml-unclosed-element', 'xml-unquoted-attribute-value', 'xml-unclosed-element', CAPPED_CODE],
  );
  assert.match(diagnostics[5].message, /^…and 5995 more findings/);
  const bad = await run(['--max-findings', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--max-findings needs a whole number of 0 or more \(0: no limit\), not 'lots'/);
});

test('the editor setting is contributed with the same default', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  const s = pkg.contributes.configuration.properties['libvirtDomainXml.maxFindingsPerFile'];
  assert.deepEqual([s.type, s.default, s.minimum], ['integer', 1000, 0]);
});
