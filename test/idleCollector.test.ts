/**
 * Memory is given back when the analyses of a large document pause: one
 * collection after the last of a series, none for small documents, none when
 * the process has no collector to call. On a fake clock.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCollector } from '../server/src/session/idleCollector';
import { onFakeClock } from './helpers';

test('one collection after the analyses of a large document pause', () => {
  onFakeClock(() => {
    let calls = 0;
    const c = new IdleCollector({ delayMs: 2000, minSize: 1000, collect: () => calls++ });
    for (let k = 0; k < 5; k++) {
      c.analysed(5000);
      mock.timers.tick(500);
    }
    assert.equal(calls, 0);
    mock.timers.tick(1500);
    assert.equal(calls, 1);
    mock.timers.tick(10_000);
    assert.equal(calls, 1);
  });
});

test('small documents, and a process without a collector, never collect', () => {
  onFakeClock(() => {
    let calls = 0;
    const small = new IdleCollector({ delayMs: 10, minSize: 1000, collect: () => calls++ });
    small.analysed(999);
    const none = new IdleCollector({ delayMs: 10, minSize: 1000, collect: undefined });
    none.analysed(5000);
    mock.timers.tick(100);
    assert.deepEqual([calls, small.collections, none.collections], [0, 0, 0]);
  });
});

test('dispose cancels a pending collection', () => {
  onFakeClock(() => {
    let calls = 0;
    const c = new IdleCollector({ delayMs: 10, minSize: 0, collect: () => calls++ });
    c.analysed(1);
    c.dispose();
    mock.timers.tick(100);
    assert.equal(calls, 0);
  });
});
