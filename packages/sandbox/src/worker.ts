/**
 * A sandbox worker (node:worker_threads). It compiles QuickJS once, then runs
 * one job at a time: each job gets fresh sandboxes, so nothing of one learner
 * run survives into the next. The pool terminates this thread when a job
 * overruns its wall-clock budget, whatever the cause (a host API function
 * that never returns, an engine bug); the engine's own limits handle the rest.
 */
import { parentPort } from 'node:worker_threads';
import { createSandbox, type SandboxLimits } from './engine.ts';
import type { CallsReport, Driver, JobMessage, WorkerMessage } from './protocol.ts';
import { scrubHostPaths } from './scrub.ts';
import { compileQuickJSModule } from './wasm-node.ts';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');

const wasmModule = await compileQuickJSModule();

const post = (message: WorkerMessage) => port.postMessage(message);

async function runCalls(job: Extract<JobMessage, { driver: null }>): Promise<CallsReport> {
  const sandbox = await createSandbox({ wasmModule, limits: job.limits });
  try {
    const load = sandbox.load(job.code);
    const calls = load.kind === 'ok' ? job.calls.map((c) => sandbox.call(c.export, c.args)) : [];
    return { load, calls, output: sandbox.output() };
  } finally {
    sandbox.dispose();
  }
}

async function runDriver(job: Extract<JobMessage, { driver: string }>): Promise<unknown> {
  const module = (await import(job.driver)) as { default?: unknown };
  if (typeof module.default !== 'function')
    throw new Error(`driver ${job.driver} has no default export function`);
  const driver = module.default as Driver;
  return await driver({
    code: job.code,
    input: job.input,
    progress: (value) => post({ type: 'progress', id: job.id, value }),
    wasmModule,
    createSandbox: (options = {}) =>
      createSandbox({
        ...options,
        wasmModule,
        limits: { ...job.limits, ...options.limits } as Partial<SandboxLimits>,
      }),
  });
}

port.on('message', async (job: JobMessage) => {
  try {
    const value = job.driver === null ? await runCalls(job) : await runDriver(job);
    post({ type: 'done', id: job.id, value });
  } catch (error) {
    post({
      type: 'failed',
      id: job.id,
      message: scrubHostPaths(error instanceof Error ? error.message : String(error)),
    });
  }
});

post({ type: 'ready' });
