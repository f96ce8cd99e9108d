/**
 * A pool of sandbox workers with a wall-clock watchdog.
 *
 * Each job goes to an idle worker; if no answer comes within `wallMs`, the
 * worker is terminated (which stops any code, even a host function stuck in a
 * loop) and replaced, and the job ends as `{ kind: 'timeout', limit: 'wall' }`.
 * A worker that dies (uncaught error, out of JS heap) is replaced the same way.
 * A job may ask for a fresh worker (one started for it alone, ended after it):
 * a grader retries a job that a wall-clock limit stopped that way, so a worker
 * that was slow for its own reasons cannot decide the second verdict too.
 *
 * The watchdog's timer is injectable (`watchdog`): tests fire it at a moment
 * they choose instead of waiting on real time, so what they check does not
 * depend on how fast the machine is.
 */
import { Worker } from 'node:worker_threads';
import type { SandboxLimits } from './engine.ts';
import type { PlainValue } from './plain.ts';
import type { CallRequest, CallsReport, JobMessage, JobRequest, WorkerMessage } from './protocol.ts';

export type JobResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'timeout'; limit: 'wall'; ms: number }
  /** The worker died or the driver threw: a host-side problem, not a learner verdict. */
  | { kind: 'crashed'; message: string };

/**
 * Starts the watchdog of one job: calls `fire` once `ms` of wall-clock time
 * have passed, unless the returned function cancels it first.
 */
export type WatchdogTimer = (ms: number, fire: () => void) => () => void;

const realTimer: WatchdogTimer = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

export interface PoolOptions {
  /** Number of workers (default 1). */
  size?: number;
  /** The watchdog's timer (default: `setTimeout`); see `WatchdogTimer`. */
  watchdog?: WatchdogTimer;
  /** Wall-clock budget of one job, in ms (default 10 s). */
  wallMs?: number;
  /** Limits given to every sandbox (defaults from `engine.ts`). */
  limits?: Partial<SandboxLimits>;
  /** V8 heap limit of each worker, in MB (default 256); the QuickJS memory is separate and fixed. */
  workerHeapMb?: number;
  /**
   * The worker's entry point. Default: `worker.js` beside the built `pool.js`
   * (dist), or a tsx bootstrap of `worker.ts` when running from source. A
   * bundle that inlines this module must point this at `dist/worker.js`.
   */
  workerUrl?: URL;
}

export interface Pool {
  /** Loads `code` in a fresh sandbox and makes the calls in order. */
  runCalls(
    code: string,
    calls: CallRequest[],
    options?: { wallMs?: number },
  ): Promise<JobResult<CallsReport>>;
  /** Runs a trusted driver module (its URL) inside a worker; see `DriverEnv`. */
  runDriver(
    driver: URL | string,
    code: string,
    input: PlainValue,
    options?: {
      wallMs?: number;
      onProgress?: (value: unknown) => void;
      /** Run on a worker started for this job alone (ended after it), not on one of the pool's. */
      freshWorker?: boolean;
    },
  ): Promise<JobResult<unknown>>;
  /** Workers started so far, replacements included. */
  workersStarted(): number;
  close(): Promise<void>;
}

type Job = {
  message: JobRequest;
  wallMs: number;
  resolve: (result: JobResult<unknown>) => void;
  onProgress?: ((value: unknown) => void) | undefined;
};

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Started for one job alone (a fresh worker): it ends with that job and is not replaced. */
  dedicated: boolean;
  /** A fresh worker's job, waiting for the worker to be ready. */
  pending: Job | null;
  job: (Job & { id: number; cancelWatchdog: () => void }) | null;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const DEFAULT_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-dev.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

export function createPool(options: PoolOptions = {}): Pool {
  const size = options.size ?? 1;
  const defaultWallMs = options.wallMs ?? 10_000;
  const limits = options.limits ?? {};
  const watchdog = options.watchdog ?? realTimer;
  const queue: Job[] = [];
  const slots = new Set<Slot>();
  let nextId = 1;
  let started = 0;
  let closed = false;

  /**
   * Starts a worker: one of the pool's, or (with `job`) one for that job
   * alone, which ends with it and is not replaced.
   */
  const spawn = (job: Job | null = null): void => {
    let worker: Worker;
    try {
      worker = new Worker(options.workerUrl ?? DEFAULT_WORKER_URL, {
        resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 256 },
        // What trusted code in the worker prints (a driver, an exercise's
        // tests) must never land in the host's stdout, which carries reports
        // (JSON, JUnit) a CI reads: it goes to the host's stderr.
        stdout: true,
        stderr: true,
      });
      worker.stdout.pipe(process.stderr, { end: false });
      worker.stderr.pipe(process.stderr, { end: false });
    } catch (error) {
      // Out of threads or memory: the job (if any) cannot run; the pool is one worker short.
      job?.resolve({ kind: 'crashed', message: `no sandbox worker could be started: ${messageOf(error)}` });
      return;
    }
    started += 1;
    const slot: Slot = { worker, ready: false, dedicated: job !== null, pending: job, job: null };
    slots.add(slot);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        if (slot.pending !== null) {
          start(slot, slot.pending);
          slot.pending = null;
        } else dispatch();
        return;
      }
      const running = slot.job;
      if (running === null || running.id !== message.id) return;
      if (message.type === 'progress') {
        running.onProgress?.(message.value);
        return;
      }
      running.cancelWatchdog();
      slot.job = null;
      running.resolve(
        message.type === 'done'
          ? { kind: 'ok', value: message.value }
          : { kind: 'crashed', message: message.message },
      );
      if (slot.dedicated) {
        slots.delete(slot);
        void worker.terminate();
      } else dispatch();
    });
    const lost = (why: string) => {
      if (!slots.has(slot)) return;
      slots.delete(slot);
      slot.job?.cancelWatchdog();
      const waiting = slot.job ?? slot.pending;
      slot.job = null;
      slot.pending = null;
      waiting?.resolve({ kind: 'crashed', message: `the sandbox worker stopped: ${why}` });
      if (!slot.dedicated && !closed) spawn();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  };

  /** Gives `job` to the ready, idle `slot` and starts its watchdog. */
  const start = (slot: Slot, job: Job): void => {
    const id = nextId++;
    const cancelWatchdog = watchdog(job.wallMs, () => {
      if (slot.job?.id !== id) return;
      // The watchdog: whatever the worker is doing, it ends now.
      slot.job = null;
      slots.delete(slot);
      void slot.worker.terminate();
      job.resolve({ kind: 'timeout', limit: 'wall', ms: job.wallMs });
      if (!slot.dedicated && !closed) spawn();
    });
    slot.job = { ...job, id, cancelWatchdog };
    const message: JobMessage = { ...job.message, id };
    slot.worker.postMessage(message);
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (!slot.ready || slot.job !== null || slot.dedicated) continue;
      const job = queue.shift();
      if (job === undefined) return;
      start(slot, job);
    }
  };

  const submit = (
    message: JobRequest,
    wallMs: number,
    onProgress?: (value: unknown) => void,
    freshWorker = false,
  ): Promise<JobResult<unknown>> => {
    if (closed) return Promise.resolve({ kind: 'crashed', message: 'the pool is closed' });
    return new Promise((resolve) => {
      const job: Job = { message, wallMs, resolve, onProgress };
      if (freshWorker) spawn(job);
      else {
        queue.push(job);
        dispatch();
      }
    });
  };

  for (let i = 0; i < size; i += 1) spawn();

  return {
    runCalls(code, calls, runOptions = {}) {
      return submit(
        { type: 'job', code, limits, driver: null, calls },
        runOptions.wallMs ?? defaultWallMs,
      ) as Promise<JobResult<CallsReport>>;
    },
    runDriver(driver, code, input, runOptions = {}) {
      return submit(
        { type: 'job', code, limits, driver: String(driver), input },
        runOptions.wallMs ?? defaultWallMs,
        runOptions.onProgress,
        runOptions.freshWorker ?? false,
      );
    },
    workersStarted() {
      return started;
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve({ kind: 'crashed', message: 'the pool is closed' });
      const workers = [...slots].map((slot) => {
        slot.job?.cancelWatchdog();
        (slot.job ?? slot.pending)?.resolve({ kind: 'crashed', message: 'the pool is closed' });
        slot.job = null;
        slot.pending = null;
        return slot.worker.terminate();
      });
      slots.clear();
      await Promise.all(workers);
    },
  };
}
