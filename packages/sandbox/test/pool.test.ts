import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.ts';
import { manualWatchdog } from '../src/testing.ts';
import { transpile } from '../src/transpile.ts';

async function compile(source: string): Promise<string> {
  const result = await transpile(source);
  if (result.kind !== 'ok') throw new Error(JSON.stringify(result.errors));
  return result.code;
}

const watchdog = manualWatchdog();
// The CPU budget decides in every test here; the per-call wall-clock cap (which a
// worker's sandbox measures on the real clock) is set far beyond any machine's slowness.
const pool = createPool({
  size: 1,
  wallMs: 5_000,
  limits: { cpuMsPerCall: 200, wallMsPerCall: 120_000 },
  watchdog: watchdog.timer,
});
afterAll(() => pool.close());

describe('pool', () => {
  it('runs calls in a worker', async () => {
    const code = await compile(
      'export function add(a: number, b: number) { console.log("adding"); return a + b; }',
    );
    expect(await pool.runCalls(code, [{ export: 'add', args: [2, 3] }])).toEqual({
      kind: 'ok',
      value: {
        load: { kind: 'ok', exports: ['add'] },
        calls: [{ kind: 'ok', value: 5 }],
        output: { text: 'adding\n', truncated: false },
      },
    });
  });

  it('reports the engine verdicts from the worker', async () => {
    const code = await compile(
      'export function spin() { for (;;) {} }\nexport function down(): number { return down() + 1; }',
    );
    const result = await pool.runCalls(code, [
      { export: 'spin', args: [] },
      { export: 'down', args: [] },
    ]);
    expect(result).toMatchObject({
      kind: 'ok',
      value: { calls: [{ kind: 'timeout', limit: 'cpu' }, { kind: 'stack-overflow' }] },
    });
  });

  it('runs a driver module with its own host API', async () => {
    const code = await compile(
      'export function handleFault(page: number) { const k = (globalThis as any).kernel; return [page, k.allocFrame(), k.allocFrame()]; }',
    );
    const driver = new URL('./fixtures/kernel-driver.ts', import.meta.url);
    expect(await pool.runDriver(driver, code, 9)).toEqual({
      kind: 'ok',
      value: { load: 'ok', result: { kind: 'ok', value: [9, 0, 1] }, frames: [0, 1] },
    });
  });

  it('ends a job that never returns as a wall timeout, then keeps working', async () => {
    const code = await compile('export function f() { return (globalThis as any).kernel.hang(); }');
    const driver = new URL('./fixtures/hang-driver.ts', import.meta.url);
    const before = pool.workersStarted();
    const progress: unknown[] = [];
    const result = pool.runDriver(driver, code, null, {
      wallMs: 500,
      onProgress: (v) => {
        progress.push(v);
        // The driver is about to call the host function that never returns:
        // the job's 500 ms of wall-clock time are up.
        watchdog.fire();
      },
    });
    expect(await result).toEqual({ kind: 'timeout', limit: 'wall', ms: 500 });
    // What the driver reported before it hung reached the host.
    expect(progress).toEqual([{ loaded: true }]);
    expect(pool.workersStarted()).toBe(before + 1);
    const healthy = await compile('export function ok() { return "ok"; }');
    expect(await pool.runCalls(healthy, [{ export: 'ok', args: [] }])).toMatchObject({
      kind: 'ok',
      value: { calls: [{ kind: 'ok', value: 'ok' }] },
    });
  });

  it("arms the watchdog with each job's own wall-clock limit, and disarms it when the job ends", async () => {
    const code = await compile('export function ok() { return 1; }');
    const job = pool.runCalls(code, [{ export: 'ok', args: [] }], { wallMs: 1_234 });
    await watchdog.whenArmed();
    expect(watchdog.armed()).toEqual([1_234]);
    expect(await job).toMatchObject({ kind: 'ok' });
    expect(watchdog.armed()).toEqual([]);
  });

  it('runs a job on a fresh worker of its own when asked, and ends that worker after it', async () => {
    const code = await compile(
      'export function handleFault(page: number) { const k = (globalThis as any).kernel; return [page, k.allocFrame()]; }',
    );
    const driver = new URL('./fixtures/kernel-driver.ts', import.meta.url);
    const before = pool.workersStarted();
    expect(await pool.runDriver(driver, code, 4, { freshWorker: true })).toMatchObject({
      kind: 'ok',
      value: { result: { kind: 'ok', value: [4, 0] } },
    });
    expect(pool.workersStarted()).toBe(before + 1);
    // The pool's own worker is still there and still works; no replacement was started.
    expect(await pool.runDriver(driver, code, 5)).toMatchObject({ kind: 'ok' });
    expect(pool.workersStarted()).toBe(before + 1);
  });

  it('stops a fresh worker at its wall-clock limit without replacing it', async () => {
    const code = await compile('export function f() { return (globalThis as any).kernel.hang(); }');
    const driver = new URL('./fixtures/hang-driver.ts', import.meta.url);
    const before = pool.workersStarted();
    const result = await pool.runDriver(driver, code, null, {
      wallMs: 700,
      freshWorker: true,
      onProgress: () => watchdog.fire(),
    });
    expect(result).toEqual({ kind: 'timeout', limit: 'wall', ms: 700 });
    expect(pool.workersStarted()).toBe(before + 1);
    const healthy = await compile('export function ok() { return "ok"; }');
    expect(await pool.runCalls(healthy, [{ export: 'ok', args: [] }])).toMatchObject({ kind: 'ok' });
    expect(pool.workersStarted()).toBe(before + 1);
  });

  it('reports a driver that throws as crashed, with host paths scrubbed', async () => {
    const result = await pool.runDriver('file:///nowhere/missing-driver.ts', 'void 0', null);
    expect(result.kind).toBe('crashed');
    if (result.kind === 'crashed') expect(result.message).not.toMatch(/\/nowhere\//);
  });

  it('replaces a worker that dies mid-job', async () => {
    const before = pool.workersStarted();
    const result = await pool.runDriver(
      new URL('./fixtures/exit-driver.ts', import.meta.url),
      'void 0',
      null,
    );
    expect(result).toEqual({ kind: 'crashed', message: 'the sandbox worker stopped: exit code 3' });
    expect(pool.workersStarted()).toBe(before + 1);
    const healthy = await compile('export function ok() { return 1; }');
    expect(await pool.runCalls(healthy, [{ export: 'ok', args: [] }])).toMatchObject({ kind: 'ok' });
  });
});
