// Run and Submit agree: for every exercise in the workspace and each of its
// starter, solution and mutants — and the grader's hostile corpus against
// page-fault-handler — the browser runner's report on the visible tests is
// the server's, `gradeSubmission(…, { visibleOnly: true })` seen as a learner
// sees it, apart from durations.
//
// The browser side is the real thing as far as Node can run it: the runner
// built as the build builds it (to a folder of this test's own), run as a
// module worker's script in a worker thread that looks like a Web Worker to
// it (test-support/as-web-worker.mjs), driven by the message protocol, with
// esbuild-wasm as its transpiler, QuickJS from a posted WebAssembly.Module
// (or fetched from URLs a local server serves), and the visible tests
// bundled by bundleVisibleTests. No verdict here can depend on elapsed time:
// budgets are interpreter steps, the server side's wall clock is frozen and
// the worker's runs a thousand times slow (see as-web-worker.mjs).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileQuickJSModule } from '@faultline/sandbox';
import { esbuildWasmPath, quickjsWasmPath } from '@faultline/sandbox/wasm-files';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_EXERCISES } from '../../test/fixture-exercise.ts';
import { HOSTILE_TARGET, hostileFixtures } from '../../test/hostile-corpus.ts';
import { type Exercise, listExercises, loadExercise } from '../exercise/load.ts';
import type { Report } from '../report.ts';
import { type GradingProgress, gradeSubmission } from '../runner/run.ts';
import { withoutDurations } from '../runner/validate.ts';
import { viewFor } from '../view.ts';
import { buildBrowserRunner } from './build-runner.ts';
import { bundleVisibleTests } from './bundle-tests.ts';
import { RunnerWorker, type RunOutcome } from './test-support/runner-worker.ts';

const outDir = mkdtempSync(join(tmpdir(), 'faultline-browser-runner-'));
const runnerFile = join(outDir, 'runner.js');
const built = await buildBrowserRunner(runnerFile);

interface Subject {
  readonly name: string;
  readonly exercise: Exercise;
  readonly source: string;
}

const exercises = await Promise.all(
  (await listExercises(FIXTURE_EXERCISES)).map((id) => loadExercise(join(FIXTURE_EXERCISES, id))),
);
const bundles = new Map(
  await Promise.all(
    exercises.map(async (e) => {
      const bundle = await bundleVisibleTests(e.dir);
      if (bundle.kind !== 'ok') throw new Error(`${e.id}: ${JSON.stringify(bundle.errors)}`);
      return [e.id, bundle] as const;
    }),
  ),
);
const byId = (id: string) => exercises.find((e) => e.id === id)!;

/**
 * Hostile fixtures left out here: each spends an entire CPU budget (or the
 * whole sandbox memory) on both sides, a third of this file's time, and
 * shows nothing the others do not — the timeout by steps is compared by
 * infinite-loop-in-hook, loop-that-catches-the-interrupt and the endless-loop
 * tests below, the memory limit by the other bombs. The server's verdicts on
 * them stay pinned by test/verdicts.test.ts.
 */
const SPENDS_THE_WHOLE_BUDGET = new Set([
  'timeout/loop/busy-wait-on-the-clock.ts',
  'timeout/loop/endless-kernel-calls.ts',
  'memory-limit/bomb/object-graph.ts',
]);

const subjects: Subject[] = [
  ...exercises.flatMap((exercise) => [
    { name: `${exercise.id}/starter`, exercise, source: exercise.starter },
    { name: `${exercise.id}/solution`, exercise, source: exercise.solution },
    ...exercise.mutants.map((m) => ({
      name: `${exercise.id}/mutants/${m.name}`,
      exercise,
      source: m.source,
    })),
  ]),
  ...hostileFixtures()
    .filter((f) => !SPENDS_THE_WHOLE_BUDGET.has(f.name))
    .map((f) => ({
      name: `${HOSTILE_TARGET}/hostile/${f.name}`,
      exercise: byId(HOSTILE_TARGET),
      source: f.source,
    })),
];

/** What the server's Submit gives on the visible tests, and what it reported on the way. */
async function serverRun(exercise: Exercise, learnerSource: string, record?: 'visible') {
  const progress: GradingProgress[] = [];
  const report = await gradeSubmission({
    exercise,
    learnerSource,
    visibleOnly: true,
    clock: () => 0,
    onProgress: (event) => progress.push(event),
    ...(record === undefined ? {} : { record }),
  });
  return { report: viewFor(report, { audience: 'learner', dueDatePassed: false }), progress };
}

/** Progress events without their tests' durations (the one field two gradings may differ in). */
const steady = (events: readonly GradingProgress[]) =>
  events.map((e) => (e.kind === 'test' ? { ...e, result: { ...e.result, durationMs: 0 } } : e));

let worker: RunnerWorker;
const browserRun = (exercise: Exercise, learnerSource: string, record?: 'visible'): Promise<RunOutcome> => {
  const bundle = bundles.get(exercise.id)!;
  return worker.run({
    learnerSource,
    exercise: bundle.exercise,
    tests: { code: bundle.code, sha256: bundle.sha256 },
    ...(record === undefined ? {} : { record }),
  });
};
const reportOf = (outcome: RunOutcome): Report => {
  if (outcome.kind !== 'report') throw new Error(`the browser runner said: ${outcome.message}`);
  return outcome.report;
};

beforeAll(async () => {
  worker = new RunnerWorker(pathToFileURL(runnerFile).href, { slowClock: true });
  const [quickjsWasm, esbuildWasm] = await Promise.all([
    compileQuickJSModule(),
    readFile(esbuildWasmPath()).then((bytes) => WebAssembly.compile(bytes)),
  ]);
  const ready = await worker.init({ quickjsWasm, esbuildWasm });
  expect(ready).toMatchObject({
    type: 'ready',
    protocol: 1,
    esbuildVersion: (await import('esbuild')).version,
  });
});
afterAll(async () => {
  await worker.terminate();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the browser runner gives the server’s visible-tests report', () => {
  test('every exercise is covered, with its starter, solution and mutants', () => {
    expect(exercises.length).toBeGreaterThan(0);
    for (const e of exercises)
      expect(subjects.filter((s) => s.exercise === e).length).toBe(
        2 +
          e.mutants.length +
          (e.id === HOSTILE_TARGET ? hostileFixtures().length - SPENDS_THE_WHOLE_BUDGET.size : 0),
      );
  });

  const statuses = new Set<Report['status']>();
  test.each(subjects.map((s) => [s.name, s] as const))('%s', async (_name, subject) => {
    const server = await serverRun(subject.exercise, subject.source);
    const browser = await browserRun(subject.exercise, subject.source);
    expect(withoutDurations(reportOf(browser))).toEqual(withoutDurations(server.report));
    expect(steady(browser.progress)).toEqual(steady(server.progress));
    statuses.add(server.report.status);
  });

  test('the subjects reach every report status', () => {
    expect([...statuses].sort()).toEqual([
      'compile-error',
      'error',
      'fail',
      'memory-limit',
      'pass',
      'timeout',
    ]);
  });

  test.each(subjects.filter((s) => s.name.includes('/mutants/')).map((s) => [s.name, s] as const))(
    '%s, recording its failed tests: the same recordings',
    async (_name, subject) => {
      const server = await serverRun(subject.exercise, subject.source, 'visible');
      const browser = reportOf(await browserRun(subject.exercise, subject.source, 'visible'));
      expect(withoutDurations(browser)).toEqual(withoutDurations(server.report));
    },
  );

  test('recordings are made at all (a failing mutant’s visible test carries one)', async () => {
    const recorded = await Promise.all(
      subjects
        .filter((s) => s.name.includes('/mutants/'))
        .map(async (s) => reportOf(await browserRun(s.exercise, s.source, 'visible'))),
    );
    expect(recorded.some((r) => r.tests.some((t) => t.recording !== undefined))).toBe(true);
  });

  test('a compile error: the same compile-error report, errors at the same places', async () => {
    const exercise = byId(HOSTILE_TARGET);
    const source =
      'export function anonymousFault(fault: Fault {\n  return { kind: "mapped" };\n}\nconst é = "€" +;\n';
    const server = await serverRun(exercise, source);
    const browser = reportOf(await browserRun(exercise, source));
    expect(server.report.status).toBe('compile-error');
    expect(server.report.compileErrors?.length).toBeGreaterThan(0);
    expect(withoutDurations(browser)).toEqual(withoutDurations(server.report));
  });

  test('an endless loop in the hook: the same timeout verdict, counted in steps', async () => {
    const exercise = byId(HOSTILE_TARGET);
    const source = 'export function anonymousFault() {\n  for (;;) {}\n}\n';
    const server = await serverRun(exercise, source);
    const browser = reportOf(await browserRun(exercise, source));
    expect(server.report.status).toBe('timeout');
    expect(server.report.tests[0]).toMatchObject({ status: 'timeout', limit: { name: 'cpuMsPerCall' } });
    expect(withoutDurations(browser)).toEqual(withoutDurations(server.report));
  });

  test('an endless loop in the module body: the same timeout verdict for every test', async () => {
    const exercise = byId(HOSTILE_TARGET);
    const source = 'while (true) {}\nexport function anonymousFault() {}\n';
    const server = await serverRun(exercise, source);
    const browser = reportOf(await browserRun(exercise, source));
    expect(server.report.tests.every((t) => t.status === 'timeout')).toBe(true);
    expect(withoutDurations(browser)).toEqual(withoutDurations(server.report));
  });

  test('the same learner file twice in one worker: the same report (nothing of a run survives into the next)', async () => {
    const exercise = byId(HOSTILE_TARGET);
    const first = reportOf(await browserRun(exercise, exercise.solution));
    const again = reportOf(await browserRun(exercise, exercise.solution));
    expect(withoutDurations(again)).toEqual(withoutDurations(first));
  });
});

describe('what reaches the browser', () => {
  test('the runner bundles no file of any exercise, and no hidden test’s name is in it or in a visible-tests bundle', () => {
    expect(Object.keys(built.metafile.inputs).filter((p) => p.includes('exercises/'))).toEqual([]);
    for (const e of exercises) {
      const code = bundles.get(e.id)!.code;
      for (const t of e.tests.filter((t) => t.visibility !== 'visible')) {
        expect(code).not.toContain(t.name);
        expect(built.code).not.toContain(t.name);
      }
      for (const t of e.tests.filter((t) => t.visibility === 'visible'))
        expect(code).toContain(JSON.stringify(t.name));
    }
  });
});

describe('the worker, as a page drives it', () => {
  test('WebAssembly from URLs the app serves itself (here a local server): the same report', async () => {
    const files: Record<string, { path: string; type: string }> = {
      // One served as application/wasm (compiled while it streams), one not (read whole, then compiled).
      '/assets/quickjs.wasm': { path: quickjsWasmPath(), type: 'application/wasm' },
      '/assets/esbuild.wasm': { path: esbuildWasmPath(), type: 'application/octet-stream' },
    };
    const server: Server = createServer((request, response) => {
      const file = files[request.url ?? ''];
      if (file === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': file.type }).end(readFileSync(file.path));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fromUrls = new RunnerWorker(pathToFileURL(runnerFile).href, { slowClock: true });
    try {
      await fromUrls.init({
        quickjsWasm: `${base}/assets/quickjs.wasm`,
        esbuildWasm: `${base}/assets/esbuild.wasm`,
      });
      const exercise = byId(HOSTILE_TARGET);
      const bundle = bundles.get(exercise.id)!;
      const tests = { url: `data:text/javascript;charset=utf-8,${encodeURIComponent(bundle.code)}` };
      const browser = await fromUrls.run({
        learnerSource: exercise.solution,
        exercise: bundle.exercise,
        tests,
      });
      const server = await serverRun(exercise, exercise.solution);
      expect(server.report.status).toBe('pass');
      expect(withoutDurations(reportOf(browser))).toEqual(withoutDurations(server.report));
    } finally {
      await fromUrls.terminate();
      server.close();
    }
  });

  test('a wasm file that is not served: an error with no run, and a run then says the runner could not start', async () => {
    const broken = new RunnerWorker(pathToFileURL(runnerFile).href);
    try {
      await expect(
        broken.init({
          quickjsWasm: 'http://127.0.0.1:9/quickjs.wasm',
          esbuildWasm: 'http://127.0.0.1:9/esbuild.wasm',
        }),
      ).rejects.toThrow(/the runner could not start/);
      const exercise = byId(HOSTILE_TARGET);
      const bundle = bundles.get(exercise.id)!;
      const outcome = await broken.run({
        learnerSource: '',
        exercise: bundle.exercise,
        tests: { code: bundle.code },
      });
      expect(outcome).toMatchObject({ kind: 'error', message: expect.stringMatching(/could not start/) });
    } finally {
      await broken.terminate();
    }
  });

  test('malformed requests are errors, never reports', async () => {
    const exercise = byId(HOSTILE_TARGET);
    const bundle = bundles.get(exercise.id)!;
    const good = {
      learnerSource: exercise.solution,
      exercise: bundle.exercise,
      tests: { code: bundle.code },
    };
    const cases: [string, Parameters<RunnerWorker['run']>[0], RegExp][] = [
      [
        'an exercise without hooks',
        { ...good, exercise: { ...bundle.exercise, hooks: [] } },
        /exercise is malformed: hooks/,
      ],
      [
        'a wall-clock limit below ten times its budget',
        { ...good, exercise: { ...bundle.exercise, limits: { cpuMsTotal: 30_000, wallMsTotal: 1_000 } } },
        /exercise is malformed: limits.wallMsTotal/,
      ],
      ['no tests at all', { ...good, tests: undefined as never }, /run request is malformed: tests/],
      [
        'tests that are not a tests bundle',
        { ...good, tests: { code: 'export default 1;' } },
        /does not default-export a function/,
      ],
      [
        'tests that do not parse',
        { ...good, tests: { code: 'export default function (' } },
        /visible tests did not load/,
      ],
      [
        'a hidden test smuggled into the bundle',
        {
          ...good,
          tests: {
            code: 'export default (g) => g.defineTests((test) => test("h", { points: 1, visibility: "hidden" }, () => {}));',
          },
        },
        /only visible tests run in the browser/,
      ],
    ];
    for (const [what, request, message] of cases) {
      const outcome = await worker.run(request);
      expect(outcome, what).toMatchObject({ kind: 'error', message: expect.stringMatching(message) });
      expect(outcome.progress, what).toEqual([]);
    }
    worker.post({ type: 'init', quickjsWasm: 'x', esbuildWasm: 'y' });
    worker.post({ type: 'grade' });
    worker.post({ type: 'run', learnerSource: '' });
    // The worker handles messages in order: once a later run answers, the errors above are in.
    expect(reportOf(await worker.run(good)).status).toBe('pass');
    expect(worker.errors).toEqual([
      'the runner was initialized already',
      'unknown message type "grade" (expected init or run)',
      'the run request has no runId (a string)',
    ]);
  });
});
