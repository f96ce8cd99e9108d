// What grading costs on this machine: warm and cold latency of grading the
// page-fault-handler exercise (visible + hidden tests, reference solution),
// the same suite run natively (the reference hooks in-process, no sandbox:
// nativeReferenceMs, and warm p50 ÷ that = sandboxOverheadRatio), sandbox
// boundary calls per second, and pool throughput.
// Plain timed loops; the last line printed is one JSON object.
// Run: pnpm --filter @faultline/grader bench   (the scrub bench: bench:scrub)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, createSandbox, transpile } from '@faultline/sandbox';
import { gradeInPool, gradeSubmission, loadExercise, TestContext } from '../src/index.ts';
import { workspaceRoot } from '../src/testing.ts';
import { FIXTURE_DIR as exerciseDir } from '../test/fixture-exercise.ts';

// Issue 9's targets on a 2-core machine.
const TARGETS = {
  warmP50Ms: 100,
  sandboxOverheadRatio: 10,
  coldMs: 600,
  boundaryCallsPerSec: 100_000,
  poolPerSec: 12,
};
const WARMUP = 5;
const RUNS = 40;
const COLD_RUNS = 5;
const BOUNDARY_CALLS = 50_000;
const POOL_SIZE = 2;
const POOL_SUBMISSIONS = 40;

const exercise = await loadExercise(exerciseDir);
const log = (line: string) => console.log(line);

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

// 1. Warm latency, in-process.
const grade = async () => {
  const report = await gradeSubmission({ exercise, learnerSource: exercise.solution });
  if (report.status !== 'pass') throw new Error(`the reference solution did not pass: ${report.message}`);
};
for (let i = 0; i < WARMUP; i++) await grade();
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await grade();
  warm.push(performance.now() - t0);
}
warm.sort((a, b) => a - b);
const warmP50 = percentile(warm, 50);
const warmP95 = percentile(warm, 95);
log(
  `warm grade (${exercise.tests.length} tests, ${RUNS} runs): p50 ${warmP50.toFixed(1)} ms, p95 ${warmP95.toFixed(1)} ms`,
);

// 1b. The same suite, natively: every test body on a kernel with the
// reference hooks (what the learner's hooks would do, without the sandbox).
// What is left of the ratio is the sandbox: transpile, boot or restore,
// and each hook call's crossing.
const native = () => {
  for (const test of exercise.tests) {
    const ctx = new TestContext({
      hooks: {},
      hookNames: exercise.hooks,
      ...(exercise.frames === undefined ? {} : { frames: exercise.frames }),
    });
    test.body(ctx);
  }
};
for (let i = 0; i < WARMUP; i++) native();
const nativeRuns: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  native();
  nativeRuns.push(performance.now() - t0);
}
nativeRuns.sort((a, b) => a - b);
const nativeReferenceMs = percentile(nativeRuns, 50);
const overheadRatio = warmP50 / nativeReferenceMs;
log(
  `native reference (the suite in-process, reference hooks): p50 ${nativeReferenceMs.toFixed(1)} ms; sandbox overhead ${overheadRatio.toFixed(1)}x`,
);

// 2. Cold latency: a new node process that grades once (the built CLI, or the source through tsx).
// The CLI is a program of the checkout (run, not imported); it grades the
// workspace's page-fault-handler, of which this package's is a copy.
const root = workspaceRoot(import.meta.dirname);
const cli = join(root, 'packages/cli/bin/faultline.mjs');
const useCli = existsSync(join(root, 'packages/cli/dist/main.js'));
const coldScript = `
  const { loadExercise } = await import(${JSON.stringify(new URL('../src/exercise/load.ts', import.meta.url).href)});
  const { gradeSubmission } = await import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)});
  const exercise = await loadExercise(${JSON.stringify(exerciseDir)});
  const report = await gradeSubmission({ exercise, learnerSource: exercise.solution });
  console.log(JSON.stringify(report));`;
const coldCommand = useCli
  ? [cli, 'grade', 'page-fault-handler', `${exerciseDir}/solution.ts`, '--format', 'json']
  : ['--import', 'tsx', '--input-type=module', '-e', coldScript];
const cold: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  const t0 = performance.now();
  // Without the built CLI, tsx is resolved from this package (the root does not depend on it).
  const cwd = useCli ? root : fileURLToPath(new URL('..', import.meta.url));
  const child = spawnSync(process.execPath, coldCommand, { cwd, encoding: 'utf8' });
  const ms = performance.now() - t0;
  const status = (() => {
    try {
      return (JSON.parse(child.stdout) as { status?: string }).status;
    } catch {
      return undefined;
    }
  })();
  if (status !== 'pass') throw new Error(`cold grade failed (exit ${child.status}): ${child.stderr}`);
  cold.push(ms);
}
cold.sort((a, b) => a - b);
const coldMedian = percentile(cold, 50);
log(
  `cold grade (${useCli ? 'built CLI' : 'node --import tsx'}, ${COLD_RUNS} processes): median ${coldMedian.toFixed(0)} ms, max ${cold.at(-1)!.toFixed(0)} ms`,
);

// 3. Sandbox boundary calls.
const compiled = await transpile(`
  export function id(x: number) { return x; }
  export function callHost(n: number) { for (let i = 0; i < n; i++) kernel.noop(i); return n; }
`);
if (compiled.kind !== 'ok') throw new Error('bench module did not compile');
const sandbox = await createSandbox({
  hostApi: { noop: (x) => x ?? null },
  limits: { cpuMsPerCall: 600_000, cpuMsTotal: 600_000 },
});
const loaded = sandbox.load(compiled.code);
if (loaded.kind !== 'ok') throw new Error(`bench module did not load: ${JSON.stringify(loaded)}`);
for (let i = 0; i < 1_000; i++) sandbox.call('id', [i]);
let t0 = performance.now();
for (let i = 0; i < BOUNDARY_CALLS; i++) {
  const r = sandbox.call('id', [i]);
  if (r.kind !== 'ok') throw new Error(`call failed: ${JSON.stringify(r)}`);
}
const hostToGuest = BOUNDARY_CALLS / ((performance.now() - t0) / 1000);
sandbox.call('callHost', [1_000]);
t0 = performance.now();
const r = sandbox.call('callHost', [BOUNDARY_CALLS]);
const guestToHost = BOUNDARY_CALLS / ((performance.now() - t0) / 1000);
if (r.kind !== 'ok') throw new Error(`callHost failed: ${JSON.stringify(r)}`);
sandbox.dispose();
log(
  `boundary: host → guest ${Math.round(hostToGuest)} calls/s, guest → host ${Math.round(guestToHost)} calls/s`,
);

// 4. Pool throughput: submissions graded per second by POOL_SIZE workers.
const pool = createPool({ size: POOL_SIZE, wallMs: 60_000 });
const submit = () => gradeInPool(pool, { exerciseDir, learnerSource: exercise.solution });
await Promise.all(Array.from({ length: POOL_SIZE * 2 }, submit)); // start the workers, load the exercise
t0 = performance.now();
const reports = await Promise.all(Array.from({ length: POOL_SUBMISSIONS }, submit));
const poolSeconds = (performance.now() - t0) / 1000;
await pool.close();
if (reports.some((r) => r.kind !== 'graded' || r.report.status !== 'pass'))
  throw new Error('a pooled grade did not pass');
const perSecond = POOL_SUBMISSIONS / poolSeconds;
log(
  `pool of ${POOL_SIZE} on ${availableParallelism()} cores: ${POOL_SUBMISSIONS} submissions in ${poolSeconds.toFixed(2)} s = ${perSecond.toFixed(2)}/s`,
);

const result = {
  exercise: exercise.id,
  tests: exercise.tests.length,
  warm: { runs: RUNS, p50Ms: round(warmP50), p95Ms: round(warmP95) },
  nativeReferenceMs: round(nativeReferenceMs, 2),
  sandboxOverheadRatio: round(overheadRatio, 2),
  cold: {
    via: useCli ? 'cli' : 'tsx',
    runs: COLD_RUNS,
    medianMs: round(coldMedian, 0),
    maxMs: round(cold.at(-1)!, 0),
  },
  boundary: { hostToGuestPerSec: Math.round(hostToGuest), guestToHostPerSec: Math.round(guestToHost) },
  pool: {
    workers: POOL_SIZE,
    cores: availableParallelism(),
    submissions: POOL_SUBMISSIONS,
    perSec: round(perSecond, 2),
  },
  targets: {
    warmP50: { target: TARGETS.warmP50Ms, met: warmP50 <= TARGETS.warmP50Ms },
    sandboxOverheadRatio: {
      target: TARGETS.sandboxOverheadRatio,
      met: overheadRatio <= TARGETS.sandboxOverheadRatio,
    },
    cold: { target: TARGETS.coldMs, met: coldMedian <= TARGETS.coldMs },
    boundary: {
      target: TARGETS.boundaryCallsPerSec,
      met: Math.min(hostToGuest, guestToHost) >= TARGETS.boundaryCallsPerSec,
    },
    pool: { target: TARGETS.poolPerSec, met: perSecond >= TARGETS.poolPerSec },
  },
};
console.log(JSON.stringify(result));
