/**
 * A pool of sandbox workers with a wall-clock watchdog.
 *
 * Each job goes to an idle worker; if no answer comes within `wallMs`, the
 * worker is terminated (which stops any code, even a host function stuck in a
 * loop) and replaced, and the job ends as `{ kind: 'timeout', limit: 'wall' }`.
 * A worker that dies (uncaught error, out of JS heap) is replaced the same way.
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

export interface PoolOptions {
  /** Number of workers (default 1). */
  size?: number;
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
    options?: { wallMs?: number; onProgress?: (value: unknown) => void },
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
  job: (Job & { id: number; timer: ReturnType<typeof setTimeout> }) | null;
}

const DEFAULT_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-dev.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

export function createPool(options: PoolOptions = {}): Pool {
  const size = options.size ?? 1;
  const defaultWallMs = options.wallMs ?? 10_000;
  const limits = options.limits ?? {};
  const queue: Job[] = [];
  const slots = new Set<Slot>();
  let nextId = 1;
  let started = 0;
  let closed = false;

  const spawn = (): void => {
    const worker = new Worker(options.workerUrl ?? DEFAULT_WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 256 },
    });
    started += 1;
    const slot: Slot = { worker, ready: false, job: null };
    slots.add(slot);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        dispatch();
        return;
      }
      const job = slot.job;
      if (job === null || job.id !== message.id) return;
      if (message.type === 'progress') {
        job.onProgress?.(message.value);
        return;
      }
      clearTimeout(job.timer);
      slot.job = null;
      job.resolve(
        message.type === 'done'
          ? { kind: 'ok', value: message.value }
          : { kind: 'crashed', message: message.message },
      );
      dispatch();
    });
    const lost = (why: string) => {
      if (!slots.has(slot)) return;
      slots.delete(slot);
      const job = slot.job;
      slot.job = null;
      if (job !== null) {
        clearTimeout(job.timer);
        job.resolve({ kind: 'crashed', message: `the sandbox worker stopped: ${why}` });
      }
      if (!closed) spawn();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (!slot.ready || slot.job !== null) continue;
      const job = queue.shift();
      if (job === undefined) return;
      const id = nextId++;
      const timer = setTimeout(() => {
        // The watchdog: whatever the worker is doing, it ends now.
        slots.delete(slot);
        slot.job = null;
        void slot.worker.terminate();
        job.resolve({ kind: 'timeout', limit: 'wall', ms: job.wallMs });
        if (!closed) spawn();
      }, job.wallMs);
      slot.job = { ...job, id, timer };
      const message: JobMessage = { ...job.message, id };
      slot.worker.postMessage(message);
    }
  };

  const submit = (
    message: JobRequest,
    wallMs: number,
    onProgress?: (value: unknown) => void,
  ): Promise<JobResult<unknown>> => {
    if (closed) return Promise.resolve({ kind: 'crashed', message: 'the pool is closed' });
    return new Promise((resolve) => {
      queue.push({ message, wallMs, resolve, onProgress });
      dispatch();
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
      );
    },
    workersStarted() {
      return started;
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve({ kind: 'crashed', message: 'the pool is closed' });
      const workers = [...slots].map((slot) => {
        if (slot.job !== null) {
          clearTimeout(slot.job.timer);
          slot.job.resolve({ kind: 'crashed', message: 'the pool is closed' });
        }
        return slot.worker.terminate();
      });
      slots.clear();
      await Promise.all(workers);
    },
  };
}
