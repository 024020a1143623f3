/**
 * schema/engineMemo.ts: libxml2's answers are given again for the same
 * (grammar, start pattern, text), and only the texts not seen yet reach the
 * engine. A fake engine stands for libxml2 and records what it was asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { MemoizingEngine } from '../server/src/schema/engineMemo';
import { SchemaValidator } from '../server/src/schema/validator';
import type { Finding } from '../server/src/rules/types';
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
      return Promise.resolve(
        texts.map((t) => (t.includes('bad') ? { valid: false, errors: [{ line: 1, element: 'x', message: `Invalid attribute in ${t}` }] } : { valid: true, errors: [] })),
      );
    },
  };
  return e;
}

test('the same texts asked again are answered without a run; new ones alone go to the engine, answers in the order asked', async () => {
  const inner = fakeEngine();
  const memo = new MemoizingEngine(inner);
  const first = await memo.validateMany(['<a/>', '<b bad/>', '<c/>'], SET, '<choice/>');
  assert.deepEqual(
    first.map((r) => r.valid),
    [true, false, true],
  );
  const again = await memo.validateMany(['<c/>', '<d/>', '<b bad/>', '<a/>'], SET, '<choice/>');
  assert.deepEqual(
    again.map((r) => r.valid),
    [true, true, false, true],
  );
  assert.equal(again[2].errors[0].message, 'Invalid attribute in <b bad/>');
  assert.deepEqual(
    inner.asked.map((a) => a.texts),
    [['<a/>', '<b bad/>', '<c/>'], ['<d/>']],
  );
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
  assert.deepEqual(
    (await memo.validateMany(['<a/>'], SET)).map((r) => r.valid),
    [true],
  );
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

test('the editor validator asks libxml2 only about what a keystroke changed (stand-in grammar and engine)', async () => {
  const asked: string[][] = [];
  // A text is invalid when it holds "BAD", with the message libxml2 gives for a rejected attribute, on the line of "BAD".
  const engine: SchemaEngine = {
    name: 'xmllint',
    validate: () => Promise.resolve([]),
    validateMany(texts) {
      asked.push([...texts]);
      return Promise.resolve(
        texts.map((t) =>
          t.includes('BAD')
            ? { valid: false, errors: [{ line: t.slice(0, t.indexOf('BAD')).split('\n').length, element: 'target', message: 'Invalid attribute dev for element target' }] }
            : { valid: true, errors: [] },
        ),
      );
    },
  };
  const v = new SchemaValidator({ settings: { directory: path.join(__dirname, 'fixtures', 'schema', 'mini') }, engine });
  const domain = (memory: number) =>
    `<domain type='kvm'>\n  <name>t</name>\n  <memory>${memory}</memory>\n  <devices>\n    <disk><target dev='vda'/></disk>\n    <disk><target dev='BAD'/></disk>\n  </devices>\n</domain>\n`;
  const first = await v.validate('file:///a.xml', 1, domain(1));
  const firstRuns = asked.length;
  // The document, then the root's children on their own (<devices> holds the explained fault and is not asked).
  assert.deepEqual(asked, [[domain(1)], ['<name>t</name>\n', '<memory>1</memory>\n']]);
  const second = await v.validate('file:///a.xml', 2, domain(12));
  // The same finding, one character further on (the memory value grew by a digit before it).
  const moved = (r: Finding[] | 'superseded') => (r === 'superseded' ? r : r.map((f) => ({ ...f, start: f.start + 1, end: f.end + 1 })));
  assert.equal((first as unknown[]).length, 1);
  assert.deepEqual(second, moved(first));
  assert.deepEqual(asked.slice(firstRuns), [[domain(12)], ['<memory>12</memory>\n']], 'only the document and the edited element');
});
