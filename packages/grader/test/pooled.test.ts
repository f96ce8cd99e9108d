// Grading inside a sandbox pool worker: the same report as in-process, and a
// watchdog (the exercise's wallMsTotal) that turns a job that overruns its
// wall clock into a timeout report naming the test that was running — after
// a second attempt on a fresh worker. The watchdog is fired by the tests
// themselves at a chosen moment (a manual timer), so nothing here depends on
// how fast the machine is; the stalls are busy loops that never end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from '@faultline/sandbox';
import { manualWatchdog } from '@faultline/sandbox/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Exercise,
  type GradeInPoolOptions,
  type GradingProgress,
  gradeInPool,
  gradingLimits,
  loadExercise,
  ReportSchema,
  withoutDurations,
} from '../src/index.ts';
import { gradeSubmission } from '../src/runner/index.ts';
import { FIXTURE_DIR as exerciseDir } from './fixture-exercise.ts';

const exercise: Exercise = await loadExercise(exerciseDir);
const limits = gradingLimits(exercise);
const stallingLoader = new URL('./loaders/stalling-loader.ts', import.meta.url);

const watchdog = manualWatchdog();

async function graded(pool: Pool, options: GradeInPoolOptions) {
  const result = await gradeInPool(pool, options);
  if (result.kind !== 'graded') throw new Error(`expected a graded submission, got: ${result.reason}`);
  return result;
}

/** Fires the watchdog when grading reaches `when` (in any attempt). */
function fireWhen(when: (event: GradingProgress, attempt: 1 | 2) => boolean) {
  return (event: GradingProgress, attempt: 1 | 2) => {
    if (when(event, attempt)) watchdog.fire();
  };
}

const afterTest = (index: number) => (event: GradingProgress) =>
  event.kind === 'test' && event.index === index;

describe('gradeInPool on page-fault-handler', () => {
  let pool: Pool;
  beforeAll(() => {
    // The pool's own default is never used: gradeInPool gives each job the exercise's wallMsTotal.
    pool = createPool({ size: 1, wallMs: 1, watchdog: watchdog.timer });
  });
  afterAll(async () => {
    await pool.close();
  });

  test('the reference solution scores full marks, as it does in-process, under the limits it names', async () => {
    const armed: number[][] = [];
    const { report, attempts } = await graded(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      onProgress: () => armed.push(watchdog.armed()),
    });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ status: 'pass', score: 26, maxScore: 26, exercise: 'page-fault-handler' });
    expect(attempts).toBe(1);
    expect(report.tests).toHaveLength(exercise.tests.length);
    // The watchdog ran with the exercise's own wall-clock limit, and the report says which limits applied.
    expect(new Set(armed.flat())).toEqual(new Set([limits.wallMsTotal]));
    expect(report.limits).toEqual(limits);
    expect(report.limits).toMatchObject({ wallMsPerCall: 25_000, wallMsTotal: 600_000 });
    const local = await gradeSubmission({ exercise, learnerSource: exercise.solution });
    expect(withoutDurations(report)).toEqual(withoutDurations(local));
  });

  test('visibleOnly and a failing mutant come through unchanged', async () => {
    const visible = await graded(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      visibleOnly: true,
    });
    expect(visible.report).toMatchObject({ status: 'pass', score: 6, maxScore: 6 });
    const mutant = exercise.mutants[0]!;
    const { report } = await graded(pool, { exerciseDir, learnerSource: mutant.source });
    expect(report.status).toBe('fail');
    expect(report.score).toBeLessThan(26);
  });

  test('a job the watchdog stops twice keeps its finished tests, times out the running one and skips the rest', async () => {
    const started = pool.workersStarted();
    const attemptsSeen = new Set<number>();
    const { report, attempts } = await graded(pool, {
      exerciseDir: `${exerciseDir}?stall=test-2`,
      learnerSource: exercise.solution,
      loader: stallingLoader,
      onProgress: fireWhen((event, attempt) => {
        attemptsSeen.add(attempt);
        return afterTest(1)(event);
      }),
    });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(attempts).toBe(2);
    expect(attemptsSeen).toEqual(new Set([1, 2]));
    expect(report).toMatchObject({ status: 'timeout', maxScore: 26, exercise: 'page-fault-handler' });
    expect(report.tests.map((t) => t.name)).toEqual(exercise.tests.map((t) => t.name));
    expect(report.tests.map((t) => t.status)).toEqual([
      'pass',
      'pass',
      'timeout',
      ...exercise.tests.slice(3).map(() => 'skipped'),
    ]);
    const stopped = report.tests[2]!;
    expect(stopped.limit).toEqual({ name: 'wallMsTotal', value: 600_000 });
    expect(stopped.message).toMatch(
      /^Grading stopped at the wall-clock limit for grading the whole submission \(600000 ms of real time; wallMsTotal\) while this test was running/,
    );
    expect(stopped.message).toContain('graded a second time, on a fresh worker');
    expect(report.tests[3]!.message).toContain(`during test "${stopped.name}"`);
    expect(report.score).toBe(report.tests[0]!.points + report.tests[1]!.points);
    // The stuck pool worker was replaced, and the retry had a worker of its own.
    expect(pool.workersStarted()).toBe(started + 2);

    const next = await graded(pool, { exerciseDir, learnerSource: exercise.solution });
    expect(next.report).toMatchObject({ status: 'pass', score: 26 });
  });

  test('a job the watchdog stops once is graded again on a fresh worker, and that report stands', async () => {
    const once = join(mkdtempSync(join(tmpdir(), 'faultline-pooled-')), 'stalled');
    const { report, attempts } = await graded(pool, {
      exerciseDir: `${exerciseDir}?stall=test-2&once=${once}`,
      learnerSource: exercise.solution,
      loader: stallingLoader,
      // The first attempt stalls in test 2 (its load left the mark before any progress came).
      onProgress: fireWhen((event, attempt) => attempt === 1 && afterTest(1)(event)),
    });
    expect(attempts).toBe(2);
    expect(report).toMatchObject({ status: 'pass', score: 26, maxScore: 26 });
    const local = await gradeSubmission({ exercise, learnerSource: exercise.solution });
    expect(withoutDurations(report)).toEqual(withoutDurations(local));
  });

  test("a job stopped before any test started is the grader's failure, never a pass", async () => {
    const result = gradeInPool(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      loader: new URL('./loaders/hanging-loader.ts', import.meta.url),
    });
    for (const _attempt of [1, 2]) {
      await watchdog.whenArmed();
      watchdog.fire();
    }
    const failed = await result;
    expect(failed.kind).toBe('grader-failed');
    expect(failed.attempts).toBe(2);
    expect(ReportSchema.parse(failed.report)).toEqual(failed.report);
    // The total comes from exercise.json, read without importing the tests.
    expect(failed.report).toMatchObject({ status: 'error', score: 0, maxScore: 26, tests: [], limits });
    expect(failed.report.message).toMatch(
      /^Grading could not finish .*reached the wall-clock limit for grading the whole submission \(600000 ms of real time; wallMsTotal\) and was stopped before any test started\. It was graded a second time/,
    );
  });

  test("a job stopped after its last test finished is the grader's failure, never a pass", async () => {
    const visibleTests = exercise.tests.filter((t) => t.visibility === 'visible').length;
    const result = await gradeInPool(pool, {
      exerciseDir: `${exerciseDir}?stall=report`,
      learnerSource: exercise.solution,
      loader: stallingLoader,
      visibleOnly: true,
      onProgress: fireWhen(afterTest(visibleTests - 1)),
    });
    expect(result.kind).toBe('grader-failed');
    expect(result.report).toMatchObject({ status: 'error', score: 0, maxScore: 6, tests: [] });
    expect(result.report.message).toMatch(
      /was stopped after every test had finished\. It was graded a second time/,
    );
  });

  test('a folder that cannot be read is an error report, never a pass, and is not retried', async () => {
    const missing = `${exerciseDir}-does-not-exist`;
    const result = await gradeInPool(pool, { exerciseDir: missing, learnerSource: exercise.solution });
    expect(result).toMatchObject({ kind: 'grader-failed', attempts: 1 });
    expect(result.report).toMatchObject({ status: 'error', score: 0, tests: [] });
    expect(result.report.exercise).toBe('page-fault-handler-does-not-exist');
    expect(result.report.message).toMatch(/^Grading could not finish .*exercise\.json/);
    expect(result.report.limits).toBeUndefined();
  });

  test('a closed pool is an error report', async () => {
    const closed = createPool({ size: 1 });
    await closed.close();
    const result = await gradeInPool(closed, { exerciseDir, learnerSource: exercise.solution });
    expect(result.kind).toBe('grader-failed');
    expect(result.report).toMatchObject({ status: 'error', score: 0, maxScore: 26 });
    expect(result.report.message).toContain('the pool is closed');
  });
});
