/**
 * Run: the exercise's visible tests in this browser, in the grader's own
 * runner (a module Web Worker served from /runner/, with the same sandbox
 * engine and the same transpiler, as esbuild-wasm, as the server), so Run
 * and Submit give the same visible-test results for the same code. The
 * worker is made once per page and kept warm; the visible tests of a
 * version are fetched once.
 *
 * The worker never stops a run itself: a run that outlasts the exercise's
 * wall-clock limit (the step budgets catch ordinary endless loops first) is
 * ended here by terminating the worker, and the next Run starts a new one.
 */
import type { RunnerMessage, RunnerRequest } from '@faultline/grader/browser-protocol';
import type { Report } from '@faultline/grader/report';
import { callApi } from './api.ts';

export type RunResult =
  | { readonly kind: 'ok'; readonly report: Report }
  | { readonly kind: 'err'; readonly message: string };

type VisibleTests = {
  code: string;
  sha256: string;
  exercise: Extract<RunnerRequest, { type: 'run' }>['exercise'];
  /** The limits the tests run under; the page's watchdog is wallMsTotal. */
  limits: { wallMsTotal: number };
};

const RUNNER = '/runner/runner.js';
let worker: Worker | null = null;
const bundles = new Map<string, Promise<VisibleTests | string>>();
let nextRun = 1;

function startWorker(): Worker {
  const w = new Worker(RUNNER, { type: 'module', name: 'faultline-runner' });
  // URLs relative to the worker script: both files sit beside it.
  const init: RunnerRequest = { type: 'init', quickjsWasm: 'quickjs.wasm', esbuildWasm: 'esbuild.wasm' };
  w.postMessage(init);
  return w;
}

function visibleTests(exerciseId: string, hash: string): Promise<VisibleTests | string> {
  const key = `${exerciseId}@${hash}`;
  let found = bundles.get(key);
  if (found === undefined) {
    found = callApi<VisibleTests>(
      `/api/exercises/${encodeURIComponent(exerciseId)}/visible-tests?hash=${hash}`,
    ).then((r) => {
      if (r.kind === 'ok') return r.value;
      bundles.delete(key);
      return r.message;
    });
    bundles.set(key, found);
  }
  return found;
}

/** Starts the runner ahead of the first Run (QuickJS and esbuild compile while the learner reads). */
export function warmUpRunner(): void {
  worker ??= startWorker();
}

export async function runVisibleTests(input: {
  exerciseId: string;
  exerciseHash: string;
  code: string;
}): Promise<RunResult> {
  const tests = await visibleTests(input.exerciseId, input.exerciseHash);
  if (typeof tests === 'string') return { kind: 'err', message: tests };
  worker ??= startWorker();
  const w = worker;
  const runId = `run-${nextRun++}`;
  return new Promise<RunResult>((resolve) => {
    const finish = (result: RunResult) => {
      clearTimeout(watchdog);
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
      resolve(result);
    };
    const watchdog = setTimeout(() => {
      w.terminate();
      if (worker === w) worker = null;
      finish({
        kind: 'err',
        message: `Your code ran for more than ${Math.round(tests.limits.wallMsTotal / 1000)} s of real time and was stopped. Look for a loop that never ends.`,
      });
    }, tests.limits.wallMsTotal);
    const onMessage = (event: MessageEvent<RunnerMessage>) => {
      const message = event.data;
      if (message.type === 'error' && message.runId === null) {
        // The worker could not start (a .wasm file did not load): no run of it can finish.
        w.terminate();
        if (worker === w) worker = null;
        finish({
          kind: 'err',
          message: `Run could not start in this browser: ${message.message}. Submit still works.`,
        });
        return;
      }
      if (!('runId' in message) || message.runId !== runId) return;
      if (message.type === 'report') finish({ kind: 'ok', report: message.report });
      else if (message.type === 'error')
        finish({ kind: 'err', message: `Run could not finish: ${message.message}` });
    };
    const onError = (event: ErrorEvent) => {
      w.terminate();
      if (worker === w) worker = null;
      finish({
        kind: 'err',
        message: `The browser's runner stopped (${event.message || 'no reason given'}). Try again, or Submit.`,
      });
    };
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    const run: RunnerRequest = {
      type: 'run',
      runId,
      learnerSource: input.code,
      exercise: tests.exercise,
      tests: { code: tests.code, sha256: tests.sha256 },
      record: 'visible',
    };
    w.postMessage(run);
  });
}
