/**
 * When documents are analysed: debounced while typing, at once on open and
 * save, never for a superseded version. Uses a fake clock so that nothing
 * here depends on timing.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticScheduler } from '../server/src/session/diagnosticScheduler';
import { onFakeClock } from './helpers';

interface Doc {
  uri: string;
  version: number;
}

function harness() {
  const docs = new Map<string, Doc>();
  const runs: string[] = [];
  const published: string[] = [];
  const scheduler = new DiagnosticScheduler<Doc>({
    delayMs: 100,
    current: (uri) => docs.get(uri),
    analyse: (doc, strict) => {
      runs.push(`${doc.uri}@${doc.version}${strict ? ' strict' : ''}`);
      return [];
    },
    publish: (uri, version) => published.push(`${uri}@${version}`),
    log: (m) => {
      throw new Error(m);
    },
  });
  const set = (uri: string, version: number) => {
    const d = { uri, version };
    docs.set(uri, d);
    return d;
  };
  return { docs, runs, published, scheduler, set };
}

test('scheduler: typing is debounced, and only the latest version is analysed', () => {
  onFakeClock(() => {
    const h = harness();
    for (let v = 1; v <= 5; v++) {
      h.scheduler.schedule(h.set('a', v), { strict: false });
      mock.timers.tick(50);
    }
    assert.deepEqual(h.runs, []);
    mock.timers.tick(100);
    assert.deepEqual([h.runs, h.published], [['a@5'], ['a@5']]);
  });
});

test('scheduler: the content change that accompanies an open does not postpone the first analysis', () => {
  onFakeClock(() => {
    const h = harness();
    const doc = h.set('a', 1);
    h.scheduler.schedule(doc, { strict: true, immediate: true });
    h.scheduler.schedule(doc, { strict: false });
    mock.timers.tick(0);
    assert.deepEqual(h.runs, ['a@1 strict']);
  });
});

test('scheduler: a strict run asked for on save survives typing that follows, and a closed document is not analysed', () => {
  onFakeClock(() => {
    const h = harness();
    h.scheduler.schedule(h.set('a', 1), { strict: true, immediate: true });
    h.scheduler.schedule(h.set('a', 2), { strict: false });
    mock.timers.tick(100);
    h.scheduler.schedule(h.set('b', 1), { strict: false });
    h.docs.delete('b');
    mock.timers.tick(100);
    assert.deepEqual(h.runs, ['a@2 strict']);
  });
});
