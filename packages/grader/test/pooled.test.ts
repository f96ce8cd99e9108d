// Grading inside a sandbox pool worker: the same report as in-process, and a
// watchdog that turns a job that overruns its wall clock into a timeout report
// naming the test that was running.
import { createPool, type Pool } from '@faultline/sandbox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Exercise, loadExercise } from '../../../exercises/src/load.ts';
import { gradeInPool, ReportSchema, withoutDurations } from '../src/index.ts';
import { gradeSubmission } from '../src/runner/index.ts';

const exerciseDir = new URL('../../../exercises/page-fault-handler', import.meta.url).pathname;
const exercise: Exercise = await loadExercise(exerciseDir);

/** The reference solution, made slow inside the CPU budget: about 100 ms of steps per fault. */
const slowSolution = `${exercise.solution.replace('export function anonymousFault', 'function reference')}
export function anonymousFault(fault: any, vma: any) {
  let s = 0;
  for (let i = 0; i < 2_500_000; i++) s += i;
  return reference(fault, vma);
}
`;

async function graded(pool: Pool, options: Parameters<typeof gradeInPool>[1]) {
  const result = await gradeInPool(pool, options);
  if (result.kind !== 'graded') throw new Error(`expected a graded submission, got: ${result.reason}`);
  return result.report;
}

describe('gradeInPool on page-fault-handler', { timeout: 60_000 }, () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ size: 1, wallMs: 30_000 });
  });
  afterAll(async () => {
    await pool.close();
  });

  test('the reference solution scores full marks, as it does in-process', async () => {
    const report = await graded(pool, { exerciseDir, learnerSource: exercise.solution });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ status: 'pass', score: 18, maxScore: 18, exercise: 'page-fault-handler' });
    expect(report.tests).toHaveLength(exercise.tests.length);
    const local = await gradeSubmission({ exercise, learnerSource: exercise.solution });
    expect(withoutDurations(report)).toEqual(withoutDurations(local));
  });

  test('visibleOnly and a failing mutant come through unchanged', async () => {
    const visible = await graded(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      visibleOnly: true,
    });
    expect(visible).toMatchObject({ status: 'pass', score: 6, maxScore: 6 });
    const mutant = exercise.mutants[0]!;
    const report = await graded(pool, { exerciseDir, learnerSource: mutant.source });
    expect(report.status).toBe('fail');
    expect(report.score).toBeLessThan(18);
  });

  test('a job the watchdog stops keeps its finished tests, times out the running one and skips the rest', async () => {
    const started = pool.workersStarted();
    const report = await graded(pool, { exerciseDir, learnerSource: slowSolution, wallMs: 1_500 });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ status: 'timeout', maxScore: 18, exercise: 'page-fault-handler' });
    expect(report.tests.map((t) => t.name)).toEqual(exercise.tests.map((t) => t.name));
    const statuses = report.tests.map((t) => t.status);
    const running = statuses.indexOf('timeout');
    expect(running).toBeGreaterThanOrEqual(0);
    // Before it: what finished (the slow solution is right, so passes); after it: not run.
    expect(statuses.slice(0, running).every((s) => s === 'pass')).toBe(true);
    expect(statuses.slice(running + 1).every((s) => s === 'skipped')).toBe(true);
    expect(report.tests[running]!.message).toMatch(
      /^Grading stopped after 1500 ms of wall-clock time \(the limit for grading the whole submission\) while this test was running/,
    );
    expect(report.score).toBe(report.tests.slice(0, running).reduce((sum, t) => sum + t.points, 0));
    expect(pool.workersStarted()).toBe(started + 1); // the stuck worker was replaced

    const next = await graded(pool, { exerciseDir, learnerSource: exercise.solution });
    expect(next).toMatchObject({ status: 'pass', score: 18 });
  });

  test("a job stopped before any test started is the grader's failure, never a pass", async () => {
    const result = await gradeInPool(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      wallMs: 1_000,
      loader: new URL('./loaders/hanging-loader.ts', import.meta.url),
    });
    expect(result.kind).toBe('grader-failed');
    expect(ReportSchema.parse(result.report)).toEqual(result.report);
    // The total comes from exercise.json, read without importing the tests.
    expect(result.report).toMatchObject({ status: 'error', score: 0, maxScore: 18, tests: [] });
    expect(result.report.message).toMatch(/^Grading could not finish .*before any test started/);
  });

  test("a job stopped after its last test finished is the grader's failure, never a pass", async () => {
    const loader = new URL('./loaders/slow-report-loader.ts', import.meta.url);
    // Warm the worker (tsx, QuickJS, the exercise's modules) with the same loader.
    const warm = await gradeInPool(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      loader,
      visibleOnly: true,
    });
    expect(warm).toMatchObject({ kind: 'graded', report: { status: 'pass' } });
    const result = await gradeInPool(pool, {
      exerciseDir: `${exerciseDir}?slow-report`,
      learnerSource: exercise.solution,
      loader,
      visibleOnly: true,
      wallMs: 3_000,
    });
    expect(result.kind).toBe('grader-failed');
    expect(result.report).toMatchObject({ status: 'error', score: 0, maxScore: 6, tests: [] });
    expect(result.report.message).toMatch(/stopped after every test had finished$/);
  });

  test('a driver that cannot load the exercise is an error report, never a pass', async () => {
    const missing = `${exerciseDir}-does-not-exist`;
    const result = await gradeInPool(pool, { exerciseDir: missing, learnerSource: exercise.solution });
    expect(result.kind).toBe('grader-failed');
    expect(result.report).toMatchObject({ status: 'error', score: 0, tests: [] });
    expect(result.report.exercise).toBe('page-fault-handler-does-not-exist');
    expect(result.report.message).toMatch(/^Grading could not finish .*exercise\.json/);
  });

  test('a closed pool is an error report', async () => {
    const closed = createPool({ size: 1 });
    await closed.close();
    const result = await gradeInPool(closed, { exerciseDir, learnerSource: exercise.solution });
    expect(result.kind).toBe('grader-failed');
    expect(result.report).toMatchObject({ status: 'error', score: 0, maxScore: 18 });
    expect(result.report.message).toContain('the pool is closed');
  });
});
