/**
 * Grading in a `@faultline/sandbox` pool worker, under a wall-clock watchdog.
 *
 * `gradeSubmission` runs on the calling thread: the sandbox's budgets stop
 * runaway learner code, but nothing stops a grading job that hangs outside the
 * guest (a test body or host function that never returns, an engine bug). So
 * the host thread holds only the watchdog, and this module is both halves:
 *
 * - its default export is a trusted pool *driver*: inside the worker it loads
 *   the exercise (through a loader module, by URL), calls `gradeSubmission`,
 *   and passes its progress (the plan, each finished test) to the host;
 * - `gradeInPool` (host side) sends the job and turns what comes back into a
 *   report: the worker's own, or, if the watchdog fired, the finished tests,
 *   a `timeout` for the test that was running and `skipped` for the rest —
 *   never a pass. A worker that died or a folder that would not load is an
 *   error report marked as the grader's problem.
 *
 * The host never imports an exercise's tests (instructors' TypeScript, which
 * could hang it); it may read its metadata through the loader's
 * `readExercise(dir)`, which runs nothing.
 *
 * The grader cannot depend on `@faultline/exercises` (which depends on it), so
 * the exercise loader is a module URL: by default the workspace's
 * `exercises/src/load.ts`; pass `loader` for another (any module exporting
 * `loadExercise(dir)` that resolves to a `GradableExercise`, and optionally
 * `readExercise(dir)` resolving to `{ id, meta: { points } }`).
 *
 * Limits: the exercise's limits apply as in `gradeSubmission`; the pool's
 * `limits` option does not (the runner creates its own sandboxes).
 */
import { basename } from 'node:path';
import type { DriverEnv, Pool } from '@faultline/sandbox';
import { buildReport, type RawTestResult, type Report, ReportSchema } from '../report.ts';
import { type GradableExercise, type GradingProgress, gradeSubmission, zeroResult } from './run.ts';

/** The workspace's exercise loader (`@faultline/exercises`' `load.ts`), reached by path. */
export const DEFAULT_EXERCISE_LOADER = new URL('../../../../exercises/src/load.ts', import.meta.url);

/** This module: the driver the pool's workers run. */
const DRIVER_URL = new URL(import.meta.url);

export interface GradeInPoolOptions {
  /** The exercise's folder (absolute path), as the loader expects it. */
  readonly exerciseDir: string;
  readonly learnerSource: string;
  /** Run only the visible tests (see `GradeOptions.visibleOnly`). */
  readonly visibleOnly?: boolean;
  /** Wall-clock budget of the whole grading job in ms (default: the pool's); give the exercise's `wallMsTotal`. */
  readonly wallMs?: number;
  /** A module exporting `loadExercise(dir)`; default `DEFAULT_EXERCISE_LOADER`. */
  readonly loader?: URL | string;
  /** File name in compile errors (default `solution.ts`). */
  readonly filename?: string;
}

/**
 * A graded submission, or a report of why it could not be graded. The report
 * is always a valid, never-passing report for the learner; `grader-failed`
 * tells a caller (the CLI's exit code, a job queue's retry) that the cause is
 * on the grader's side, not in the submission.
 */
export type PooledGrade =
  | { readonly kind: 'graded'; readonly report: Report }
  | { readonly kind: 'grader-failed'; readonly report: Report; readonly reason: string };

/** What the driver receives as the job's `input` (plain data). */
interface DriverInput {
  exerciseDir: string;
  visibleOnly: boolean;
  loader: string;
  filename: string | null;
}

interface LoaderModule {
  loadExercise?: unknown;
  readExercise?: unknown;
}

// Per thread (host or worker): an exercise folder is loaded once. Its tests are
// modules, which the module cache would keep anyway.
const exercises = new Map<string, Promise<GradableExercise>>();

function loadVia(loader: string, dir: string): Promise<GradableExercise> {
  const key = `${loader}\n${dir}`;
  let loaded = exercises.get(key);
  if (loaded === undefined) {
    loaded = (async () => {
      const module = (await import(loader)) as LoaderModule;
      if (typeof module.loadExercise !== 'function')
        throw new TypeError(`exercise loader ${loader} does not export loadExercise(dir)`);
      return (await module.loadExercise(dir)) as GradableExercise;
    })();
    // A folder that failed to load is tried again next time (it may have been fixed).
    loaded.catch(() => exercises.delete(key));
    exercises.set(key, loaded);
  }
  return loaded;
}

/**
 * The driver (runs inside a pool worker): loads the exercise, grades the
 * submission (`code` is the learner's TypeScript source), returns the report.
 */
export default async function gradeDriver({ code, input, progress }: DriverEnv): Promise<Report> {
  const { exerciseDir, visibleOnly, loader, filename } = input as unknown as DriverInput;
  const exercise = await loadVia(loader, exerciseDir);
  return await gradeSubmission({
    exercise,
    learnerSource: code,
    visibleOnly,
    ...(filename === null ? {} : { filename }),
    onProgress: progress,
  });
}

/** Grades a submission in one of `pool`'s workers, under the watchdog (`wallMs`). */
export async function gradeInPool(pool: Pool, options: GradeInPoolOptions): Promise<PooledGrade> {
  const loader = String(options.loader ?? DEFAULT_EXERCISE_LOADER);
  const input: DriverInput = {
    exerciseDir: options.exerciseDir,
    visibleOnly: options.visibleOnly ?? false,
    loader,
    filename: options.filename ?? null,
  };
  let plan: Extract<GradingProgress, { kind: 'plan' }> | null = null;
  const finished: RawTestResult[] = [];
  const onProgress = (value: unknown) => {
    const event = value as GradingProgress;
    if (event.kind === 'plan') plan = event;
    else if (event.kind === 'test' && event.index === finished.length) finished.push(event.result);
  };
  const result = await pool.runDriver(
    DRIVER_URL,
    options.learnerSource,
    { ...input },
    {
      onProgress,
      ...(options.wallMs === undefined ? {} : { wallMs: options.wallMs }),
    },
  );
  const planned = plan as Extract<GradingProgress, { kind: 'plan' }> | null;

  if (result.kind === 'ok') {
    // Plain data from another thread: hold it to the contract before anyone trusts it.
    const parsed = ReportSchema.safeParse(result.value);
    if (parsed.success) return { kind: 'graded', report: parsed.data };
    return await graderFailed(
      options,
      loader,
      planned,
      'the grading worker returned something that is not a report',
    );
  }
  if (result.kind === 'timeout' && planned !== null && finished.length < planned.tests.length) {
    return { kind: 'graded', report: stoppedByWatchdog(planned, finished, result.ms) };
  }
  if (result.kind === 'timeout') {
    // Before the first test (loading the exercise or the submission), or
    // after the last (building the report): the grader's time, not a test's.
    const when = planned === null ? 'before any test started' : 'after every test had finished';
    return await graderFailed(
      options,
      loader,
      planned,
      `the grading job ran for ${result.ms} ms of wall-clock time and was stopped ${when}`,
    );
  }
  return await graderFailed(options, loader, planned, result.message);
}

/**
 * The watchdog stopped a job during a test (the plan is known and a test was
 * still to finish): the finished tests stand, the running one timed out, the
 * rest did not run.
 */
function stoppedByWatchdog(
  plan: Extract<GradingProgress, { kind: 'plan' }>,
  finished: readonly RawTestResult[],
  ms: number,
): Report {
  const running = plan.tests[finished.length]!;
  const tests: RawTestResult[] = plan.tests.map((t, i) => {
    const done = finished[i];
    if (done !== undefined) return done;
    if (t === running)
      return zeroResult(
        t,
        'timeout',
        `Grading stopped after ${ms} ms of wall-clock time (the limit for grading the whole submission) while this test was running; your code may have stalled in a way the CPU budget does not count, such as a built-in working on huge data.`,
        { durationMs: ms },
      );
    return zeroResult(
      t,
      'skipped',
      `Not run: grading stopped at the wall-clock limit (${ms} ms) during test "${running.name}".`,
    );
  });
  return buildReport({ exercise: plan.exercise, tests, maxScore: plan.maxScore });
}

/** An error report for a job that could not finish for the grader's own reasons. */
async function graderFailed(
  options: GradeInPoolOptions,
  loader: string,
  plan: Extract<GradingProgress, { kind: 'plan' }> | null,
  reason: string,
): Promise<PooledGrade> {
  const known = plan ?? (await metadataVia(loader, options.exerciseDir, options.visibleOnly ?? false));
  const report = buildReport({
    exercise: known?.exercise ?? basename(options.exerciseDir),
    tests: [],
    ...(known?.maxScore === undefined ? {} : { maxScore: known.maxScore }),
    outcome: {
      kind: 'not-run',
      message: `Grading could not finish (a problem on the grader's side, not in your code): ${reason}`,
    },
  });
  return { kind: 'grader-failed', report, reason };
}

/**
 * The exercise's id and total from its metadata, without importing its tests;
 * with `visibleOnly` the total is the visible tests' and cannot be known so.
 */
async function metadataVia(
  loader: string,
  dir: string,
  visibleOnly: boolean,
): Promise<{ exercise: string; maxScore?: number } | null> {
  try {
    const module = (await import(loader)) as LoaderModule;
    if (typeof module.readExercise !== 'function') return null;
    const files = (await module.readExercise(dir)) as { id: string; meta: { points: number } };
    return visibleOnly ? { exercise: files.id } : { exercise: files.id, maxScore: files.meta.points };
  } catch {
    return null; // a folder that does not read: its name, no points known
  }
}
