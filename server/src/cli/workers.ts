/**
 * Checking many files on worker threads. The bundle dist/cli.js is its own
 * worker script (main.ts starts `runWorker` when it finds our workerData), so
 * the package needs no second entry point.
 *
 * Work is handed out in batches as workers finish, so a slow file does
 * not hold up a fixed share; outcomes carry their job's index and are put
 * back in order by the caller, so timing never shows in the output.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as path from 'node:path';
import { Checker, SCHEMA_BATCH, type CheckJob, type CheckOutcome, type CheckSetup } from './check';

const WORKER_KIND = 'libvirt-domain-xml/check-worker';

interface WorkerData {
  kind: typeof WORKER_KIND;
  setup: CheckSetup;
}
type ToWorker = { type: 'jobs'; jobs: CheckJob[] };
type FromWorker = { type: 'done'; outcomes: CheckOutcome[] } | { type: 'failed'; message: string };

/** True inside a thread started by `checkInWorkers`. */
export function isCheckWorker(): boolean {
  return !isMainThread && (workerData as Partial<WorkerData> | null)?.kind === WORKER_KIND;
}

/** The worker side: check each batch and send the outcomes back. */
export function runWorker(): void {
  const port = parentPort;
  if (!port) return;
  const checker = new Checker((workerData as WorkerData).setup);
  port.on('message', (msg: ToWorker) => {
    void (async () => {
      try {
        const outcomes = await checker.checkMany(msg.jobs);
        port.postMessage({ type: 'done', outcomes } satisfies FromWorker);
      } catch (e) {
        port.postMessage({ type: 'failed', message: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
      }
    })();
  });
}

/**
 * How to start a worker. From the bundle, the bundle itself. From the
 * TypeScript sources (tests, `tsx`), a worker cannot load .ts on its own, so
 * it registers tsx first; if tsx cannot be found, undefined (run in-process).
 */
function workerScript(): { script: string; eval: boolean } | undefined {
  if (__filename.endsWith('.js')) return { script: __filename, eval: false };
  try {
    const tsx = require.resolve('tsx/cjs/api');
    const self = path.join(__dirname, 'workers.ts');
    return { script: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(self)}).runWorker();`, eval: true };
  } catch {
    return undefined;
  }
}

/** True when worker threads can be started from here. */
export function workersAvailable(): boolean {
  return workerScript() !== undefined;
}

/** Checks the jobs on `count` worker threads; outcomes are returned in job order. */
export function checkInWorkers(jobs: readonly CheckJob[], setup: CheckSetup, count: number): Promise<CheckOutcome[]> {
  const entry = workerScript();
  if (!entry) return Promise.reject(new Error('worker threads are not available here'));
  const outcomes: CheckOutcome[] = new Array(jobs.length);
  const position = new Map(jobs.map((j, i) => [j.index, i]));
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];

  return new Promise<CheckOutcome[]>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(outcomes);
    };
    // Batches shrink towards the end so that the threads finish together. With schema
    // validation a batch is also what shares libxml2 runs (check.ts), so each thread
    // gets up to a full schema batch, its share of what is left when that is less,
    // and never so few files that they would share little.
    const batch = (): CheckJob[] => {
      const left = jobs.length - next;
      const size = setup.schema === undefined ? Math.max(1, Math.min(32, Math.ceil(left / (count * 4)))) : Math.max(16, Math.min(SCHEMA_BATCH, Math.ceil(left / count)));
      const out = jobs.slice(next, next + size);
      next += out.length;
      return out;
    };
    const feed = (w: Worker) => {
      const b = batch();
      if (b.length) w.postMessage({ type: 'jobs', jobs: b } satisfies ToWorker);
    };
    if (jobs.length === 0) {
      finish();
      return;
    }
    const data: WorkerData = { kind: WORKER_KIND, setup };
    for (let i = 0; i < count; i++) {
      const w = new Worker(entry.script, { eval: entry.eval, workerData: data });
      workers.push(w);
      w.on('message', (msg: FromWorker) => {
        if (msg.type === 'failed') {
          finish(new Error(`a worker thread failed: ${msg.message}`));
          return;
        }
        for (const o of msg.outcomes) {
          const at = position.get(o.index);
          if (at !== undefined) outcomes[at] = o;
        }
        done += msg.outcomes.length;
        if (done === jobs.length) finish();
        else feed(w);
      });
      w.on('error', (e) => finish(new Error(`a worker thread failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`a worker thread stopped early (exit code ${code})`));
      });
      feed(w);
    }
  });
}
