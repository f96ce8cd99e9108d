/**
 * The browser runner's worker script driven as a page drives it, in a Node
 * worker thread that looks like a Web Worker to it (`as-web-worker.mjs`):
 * for the parity tests and the benchmark. Speaks `protocol.ts`.
 */
import { Worker } from 'node:worker_threads';
import type { Report } from '../../report.ts';
import type { GradingProgress } from '../../runner/run.ts';
import type { RunnerMessage, RunnerRequest } from '../protocol.ts';

/**
 * A browser worker's native stack, roughly: Node gives a worker thread 4 MB
 * (55 000 plain JS frames deep); a Chromium 156 dedicated worker recurses
 * about 6 400 frames, which Node reaches at 0.65 MB. 0.6 MB is a little
 * less, so what overflows a browser worker's stack overflows here too (the
 * browser runner caps the guest's stack for that: src/browser/sandbox.ts).
 */
export const BROWSER_WORKER_STACK_MB = 0.6;

type RunRequest = Omit<Extract<RunnerRequest, { type: 'run' }>, 'type' | 'runId'>;

export type RunOutcome =
  | { readonly kind: 'report'; readonly report: Report; readonly progress: readonly GradingProgress[] }
  | { readonly kind: 'error'; readonly message: string; readonly progress: readonly GradingProgress[] };

export class RunnerWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<string, (outcome: RunOutcome) => void>();
  readonly #progress = new Map<string, GradingProgress[]>();
  #ready: Promise<Extract<RunnerMessage, { type: 'ready' }>> | null = null;
  #onReady: ((message: RunnerMessage) => void) | null = null;
  #next = 0;
  /** Messages about no run (`runId` null), in order. */
  readonly errors: string[] = [];

  /**
   * `script`: the built runner's URL (file:); `slowClock`: see
   * as-web-worker.mjs; `stackSizeMb`: the thread's stack, by default
   * `BROWSER_WORKER_STACK_MB`.
   */
  constructor(script: string, options: { readonly slowClock?: boolean; readonly stackSizeMb?: number } = {}) {
    this.#worker = new Worker(new URL('./as-web-worker.mjs', import.meta.url), {
      workerData: { script, slowClock: options.slowClock ?? false },
      resourceLimits: { stackSizeMb: options.stackSizeMb ?? BROWSER_WORKER_STACK_MB },
    });
    this.#worker.on('message', (message: RunnerMessage) => this.#receive(message));
  }

  #receive(message: RunnerMessage): void {
    switch (message.type) {
      case 'ready':
        this.#onReady?.(message);
        return;
      case 'progress':
        this.#progress.get(message.runId)?.push(message.event);
        return;
      case 'error':
        if (message.runId === null) {
          this.errors.push(message.message);
          this.#onReady?.(message);
        } else this.#finish(message.runId, { kind: 'error', message: message.message });
        return;
      case 'report':
        this.#finish(message.runId, { kind: 'report', report: message.report });
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unexpected message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #finish(
    runId: string,
    outcome: { kind: 'report'; report: Report } | { kind: 'error'; message: string },
  ): void {
    const done = this.#waiting.get(runId);
    const progress = this.#progress.get(runId) ?? [];
    this.#waiting.delete(runId);
    this.#progress.delete(runId);
    done?.({ ...outcome, progress });
  }

  /** Sends init; resolves with 'ready', rejects with the worker's error. */
  init(assets: Omit<Extract<RunnerRequest, { type: 'init' }>, 'type'>) {
    this.#ready ??= new Promise((resolve, reject) => {
      this.#onReady = (message) => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'error') reject(new Error(message.message));
      };
      this.post({ type: 'init', ...assets });
    });
    return this.#ready;
  }

  /** One run: its report (or error) and the progress messages that came before it. */
  run(request: RunRequest): Promise<RunOutcome> {
    const runId = `run-${this.#next++}`;
    this.#progress.set(runId, []);
    return new Promise((resolve) => {
      this.#waiting.set(runId, resolve);
      this.post({ type: 'run', runId, ...request });
    });
  }

  /** Posts any message, as a page could. */
  post(message: unknown): void {
    this.#worker.postMessage(message);
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}
