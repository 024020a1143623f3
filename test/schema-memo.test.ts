/**
 * schema/engineMemo.ts: libxml2's answers are given again for the same
 * (grammar, start pattern, text), and only the texts not seen yet reach the
 * engine. A fake engine stands for libxml2 and records what it was asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoizingEngine } from '../server/src/schema/engineMemo';
import type { EngineResult, SchemaEngine, SchemaSet } from '../server/src/schema/engine';

const SET: SchemaSet = { dir: '/schemas', main: 'domain.rng', files: new Map() };

/** Valid unless the text contains "bad"; records each run's texts and start. */
function fakeEngine(): SchemaEngine & { asked: { texts: string[]; start?: string }[]; fail?: Error } {
  const e = {
    name: 'xmllint' as const,
    asked: [] as { texts: string[]; start?: string }[],
    fail: undefined as Error | undefined,
    validate: () => Promise.resolve([]),
    validateMany(texts: readonly string[], _set: SchemaSet, start?: string): Promise<EngineResult[]> {
      e.asked.push({ texts: [...texts], start });
      if (e.fail) return Promise.reject(e.fail);
      return Promise.resolve(texts.map((t) => (t.includes('bad')
        ? { valid: false, errors: [{ line: 1, element: 'x', message: `Invalid attribute in ${t}` }] }
        : { valid: true, errors: [] })));
    },
  };
  return e;
}

test('the same texts asked again are answered without a run; new ones alone go to the engine, answers in the order asked', async () => {
  const inner = fakeEngine();
  const memo = new MemoizingEngine(inner);
  const first = await memo.validateMany(['<a/>', '<b bad/>', '<c/>'], SET, '<choice/>');
  assert.deepEqual(first.map((r) => r.valid), [true, false, true]);
  const again = await memo.validateMany(['<c/>', '<d/>', '<b bad/>', '<a/>'], SET, '<choice/>');
  assert.deepEqual(again.map((r) => r.valid), [true, true, false, true]);
  assert.equal(again[2].errors[0].message, 'Invalid attribute in <b bad/>');
  assert.deepEqual(inner.asked.map((a) => a.texts), [['<a/>', '<b bad/>', '<c/>'], ['<d/>']]);
  await memo.validateMany(['<a/>', '<d/>'], SET, '<choice/>');
  assert.equal(inner.asked.length, 2, 'everything known: no run');
  assert.equal(memo.runs, 2);
  assert.equal(memo.remembered, 3 + 2);
});

test('an answer holds only for its start pattern and grammar', async () => {
  const inner = fakeEngine();
  const memo = new MemoizingEngine(inner);
  await memo.validateMany(['<a/>'], SET, '<choice>1</choice>');
  await memo.validateMany(['<a/>'], SET, '<choice>2</choice>');
  await memo.validateMany(['<a/>'], SET, undefined);
  await memo.validateMany(['<a/>'], { ...SET, dir: '/other' }, undefined);
  assert.equal(inner.asked.length, 4);
});

test('a failed or cancelled run keeps nothing: the next request runs again', async () => {
  const inner = fakeEngine();
  const memo = new MemoizingEngine(inner);
  inner.fail = Object.assign(new Error('aborted'), { name: 'AbortError' });
  await assert.rejects(memo.validateMany(['<a/>'], SET), /aborted/);
  inner.fail = undefined;
  assert.deepEqual((await memo.validateMany(['<a/>'], SET)).map((r) => r.valid), [true]);
  assert.equal(inner.asked.length, 2);
});

test('beyond its size the least recently used answers are forgotten first', async () => {
  const inner = fakeEngine();
  const memo = new MemoizingEngine(inner, 2);
  await memo.validateMany(['<a/>', '<b/>'], SET);
  await memo.validateMany(['<a/>'], SET); // <a/> used again: <b/> is now the oldest
  await memo.validateMany(['<c/>'], SET); // pushes <b/> out
  await memo.validateMany(['<a/>'], SET);
  assert.equal(inner.asked.length, 2, '<a/> still known');
  await memo.validateMany(['<b/>'], SET);
  assert.deepEqual(inner.asked.at(-1)?.texts, ['<b/>']);
});
