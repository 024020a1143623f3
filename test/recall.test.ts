/**
 * Completion recall over the peer corpus of 183 virt-install domains (see
 * test/recall.ts): at least 98 % of the elements, attribute names and
 * enumerable attribute values taken away are offered back where they stood,
 * and at least 90 % are among the first five items. Skipped, with the
 * reason, without the corpus or the shipped schemas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORPUS, corpusFiles, KINDS, measureRecall, pct } from './recall';
import { shippedGrammar, SKIP_NO_SHIPPED_SCHEMAS } from './helpers';

test('completion offers back what was taken away: >= 98 % offered, >= 90 % in the top 5, per kind', async (t) => {
  const files = corpusFiles();
  if (!files.length) return t.skip(`no corpus in ${CORPUS} (the peer corpus sits in ../shared beside the repository)`);
  const grammar = await shippedGrammar();
  if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
  const r = measureRecall(files, grammar);
  const got = KINDS.map((k) => `${k}: ${pct(r[k].offered, r[k].asked)} offered, ${pct(r[k].top5, r[k].asked)} top 5`);
  t.diagnostic(got.join('; '));
  for (const k of KINDS) {
    assert.ok(r[k].asked > 1000, `${k}: only ${r[k].asked} asked`);
    assert.ok(r[k].offered / r[k].asked >= 0.98, got.join('; '));
    assert.ok(r[k].top5 / r[k].asked >= 0.9, got.join('; '));
  }
});
