/**
 * The browser runner's entry, `dist/browser/runner.js`: a self-contained ES
 * module for a module Web Worker (`new Worker(url, { type: 'module' })`)
 * that speaks `protocol.ts`'s messages and grades with `runner.ts`.
 *
 * The worker has no watchdog over a whole run. CPU budgets are counted in
 * interpreter steps and stop a learner's loop deterministically, as on the
 * server (and the sandbox's per-call `wallMsPerCall` cap is there too); what
 * nothing inside can stop — a built-in working on huge data between the
 * engine's polls, a test that hangs — is the page's to stop: terminate the
 * worker at the exercise's `wallMsTotal` and start another.
 */
import { scrubHostText } from '@faultline/sandbox/scrub';
import { BROWSER_RUNNER_PROTOCOL, type RunnerMessage, type RunnerRequest } from './protocol.ts';
import { type BrowserRunner, RunnerInputError, startRunner } from './runner.ts';

/** The part of a worker's global scope this uses (the base lib has no DOM types). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  postMessage(message: RunnerMessage): void;
}

declare const self: WorkerScope;

const post = (message: RunnerMessage) => self.postMessage(message);

let runner: Promise<BrowserRunner> | null = null;
// Runs are graded one at a time, in order.
let queue: Promise<void> = Promise.resolve();

self.addEventListener('message', (event) => {
  const request = event.data as Partial<RunnerRequest> | null;
  switch (request?.type) {
    case 'init': {
      if (runner !== null) {
        post({ type: 'error', runId: null, message: 'the runner was initialized already' });
        return;
      }
      const { quickjsWasm, esbuildWasm } = request as Extract<RunnerRequest, { type: 'init' }>;
      runner = startRunner({ quickjsWasm, esbuildWasm });
      runner.then(
        (started) =>
          post({ type: 'ready', protocol: BROWSER_RUNNER_PROTOCOL, esbuildVersion: started.esbuildVersion }),
        (error: unknown) =>
          post({ type: 'error', runId: null, message: `the runner could not start: ${messageOf(error)}` }),
      );
      return;
    }
    case 'run': {
      const { type: _type, ...run } = request as Extract<RunnerRequest, { type: 'run' }>;
      if (typeof run.runId !== 'string') {
        post({ type: 'error', runId: null, message: 'the run request has no runId (a string)' });
        return;
      }
      const { runId } = run;
      queue = queue.then(async () => {
        if (runner === null) {
          post({ type: 'error', runId, message: 'the runner has not been initialized (send init first)' });
          return;
        }
        let started: BrowserRunner;
        try {
          started = await runner;
        } catch (error) {
          post({ type: 'error', runId, message: `the runner could not start: ${messageOf(error)}` });
          return;
        }
        try {
          const report = await started.run(run, (event) => post({ type: 'progress', runId, event }));
          post({ type: 'report', runId, report });
        } catch (error) {
          const why =
            error instanceof RunnerInputError ? messageOf(error) : `the grader failed: ${messageOf(error)}`;
          post({ type: 'error', runId, message: why });
        }
      });
      return;
    }
    default:
      post({
        type: 'error',
        runId: null,
        message: `unknown message type ${JSON.stringify(String(request?.type))} (expected init or run)`,
      });
  }
});

function messageOf(error: unknown): string {
  return scrubHostText(error instanceof Error ? error.message : String(error));
}
