// Grading inside a sandbox pool worker: the same report as in-process, and a
// watchdog that turns a job that overruns its wall clock into a timeout report.
import { createPool, type Pool } from '@faultline/sandbox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Exercise, loadExercise } from '../../../exercises/src/load.ts';
import { gradeInPool, ReportSchema, withoutDurations } from '../src/index.ts';
import { gradeSubmission } from '../src/runner/index.ts';

const exerciseDir = new URL('../../../exercises/page-fault-handler', import.meta.url).pathname;
const exercise: Exercise = await loadExercise(exerciseDir);

describe('gradeInPool on page-fault-handler', { timeout: 60_000 }, () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ size: 1, wallMs: 30_000 });
  });
  afterAll(async () => {
    await pool.close();
  });

  test('the reference solution scores full marks, as it does in-process', async () => {
    const report = await gradeInPool(pool, { exerciseDir, learnerSource: exercise.solution });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ status: 'pass', score: 18, maxScore: 18, exercise: 'page-fault-handler' });
    expect(report.tests).toHaveLength(exercise.tests.length);
    const local = await gradeSubmission({ exercise, learnerSource: exercise.solution });
    expect(withoutDurations(report)).toEqual(withoutDurations(local));
  });

  test('visibleOnly and a failing mutant come through unchanged', async () => {
    const visible = await gradeInPool(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      visibleOnly: true,
    });
    expect(visible).toMatchObject({ status: 'pass', score: 6, maxScore: 6 });
    const mutant = exercise.mutants[0]!;
    const report = await gradeInPool(pool, { exerciseDir, learnerSource: mutant.source });
    expect(report.status).toBe('fail');
    expect(report.score).toBeLessThan(18);
  });

  test('a job the watchdog stops is a timeout report worth nothing, and the next job still grades', async () => {
    const started = pool.workersStarted();
    const report = await gradeInPool(pool, { exerciseDir, learnerSource: exercise.solution, wallMs: 1 });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      status: 'timeout',
      score: 0,
      maxScore: 18,
      exercise: 'page-fault-handler',
    });
    expect(report.tests).toHaveLength(1);
    expect(report.tests[0]).toMatchObject({ status: 'timeout', points: 0, maxPoints: 18 });
    expect(report.tests[0]!.message).toMatch(/^Grading stopped after 1 ms of wall-clock time/);
    expect(pool.workersStarted()).toBe(started + 1); // the stuck worker was replaced

    const visible = await gradeInPool(pool, {
      exerciseDir,
      learnerSource: exercise.solution,
      visibleOnly: true,
      wallMs: 1,
    });
    expect(visible).toMatchObject({ status: 'timeout', score: 0, maxScore: 6 });

    const next = await gradeInPool(pool, { exerciseDir, learnerSource: exercise.solution });
    expect(next).toMatchObject({ status: 'pass', score: 18 });
  });

  test('a driver that cannot load the exercise is an error report, never a pass', async () => {
    const missing = `${exerciseDir}-does-not-exist`;
    const report = await gradeInPool(pool, { exerciseDir: missing, learnerSource: exercise.solution });
    expect(report).toMatchObject({ status: 'error', score: 0, tests: [] });
    expect(report.exercise).toBe('page-fault-handler-does-not-exist');
    expect(report.message).toMatch(/^Grading could not finish .*exercise\.json/);
  });

  test('a closed pool is an error report', async () => {
    const closed = createPool({ size: 1 });
    await closed.close();
    const report = await gradeInPool(closed, { exerciseDir, learnerSource: exercise.solution });
    expect(report).toMatchObject({ status: 'error', score: 0, maxScore: 18 });
    expect(report.message).toContain('the pool is closed');
  });
});
