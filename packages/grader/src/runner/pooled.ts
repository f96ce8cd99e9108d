/**
 * Grading in a `@faultline/sandbox` pool worker, so that a wall-clock
 * watchdog protects the host.
 *
 * `gradeSubmission` runs on the calling thread: the sandbox's CPU limits stop
 * runaway learner code, but nothing stops a grading job that hangs outside the
 * guest (a test body or host function that never returns, an engine bug). This
 * module is both halves of the fix:
 *
 * - its default export is a trusted pool *driver*: inside the worker it loads
 *   the exercise (through a loader module, by URL) and calls
 *   `gradeSubmission`, returning the report as plain data;
 * - `gradeInPool` (host side) sends the job and turns what comes back into a
 *   report: the worker's report, or, if the watchdog fired or the worker died,
 *   a `timeout` / `error` report built with `buildReport` — never a pass.
 *
 * The grader cannot depend on `@faultline/exercises` (which depends on it), so
 * the exercise loader is a module URL: by default the workspace's
 * `exercises/src/load.ts`; pass `loader` for another (any module exporting
 * `loadExercise(dir)` that resolves to a `GradableExercise`).
 *
 * Limits: the exercise's sandbox limits apply as in `gradeSubmission`; the
 * pool's `limits` option does not (the runner creates its own sandboxes).
 */
import { basename } from 'node:path';
import type { DriverEnv, Pool } from '@faultline/sandbox';
import { buildReport, type Report, ReportSchema } from '../report.ts';
import { type GradableExercise, gradeSubmission } from './run.ts';

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
  /** Wall-clock budget of the whole grading job in ms (default: the pool's). */
  readonly wallMs?: number;
  /** A module exporting `loadExercise(dir)`; default `DEFAULT_EXERCISE_LOADER`. */
  readonly loader?: URL | string;
}

/** What the driver receives as the job's `input` (plain data). */
interface DriverInput {
  exerciseDir: string;
  visibleOnly: boolean;
  loader: string;
}

type ExerciseLoader = (dir: string) => Promise<GradableExercise>;

// Per thread (host or worker): an exercise folder is loaded once. Its tests are
// modules, which the module cache would keep anyway.
const exercises = new Map<string, Promise<GradableExercise>>();

function loadVia(loader: string, dir: string): Promise<GradableExercise> {
  const key = `${loader}\n${dir}`;
  let loaded = exercises.get(key);
  if (loaded === undefined) {
    loaded = (async () => {
      const module = (await import(loader)) as { loadExercise?: unknown };
      if (typeof module.loadExercise !== 'function')
        throw new TypeError(`exercise loader ${loader} does not export loadExercise(dir)`);
      return await (module.loadExercise as ExerciseLoader)(dir);
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
export default async function gradeDriver({ code, input }: DriverEnv): Promise<Report> {
  const { exerciseDir, visibleOnly, loader } = input as unknown as DriverInput;
  const exercise = await loadVia(loader, exerciseDir);
  return await gradeSubmission({ exercise, learnerSource: code, visibleOnly });
}

/**
 * Grades a submission in one of `pool`'s workers. Resolves to the report; a
 * job the watchdog stopped is a `timeout` report, a worker that died (or a
 * driver that threw, e.g. a broken exercise folder) an `error` report, both
 * with score 0.
 */
export async function gradeInPool(pool: Pool, options: GradeInPoolOptions): Promise<Report> {
  const visibleOnly = options.visibleOnly ?? false;
  const loader = String(options.loader ?? DEFAULT_EXERCISE_LOADER);
  const input: DriverInput = { exerciseDir: options.exerciseDir, visibleOnly, loader };
  const result = await pool.runDriver(
    DRIVER_URL,
    options.learnerSource,
    { ...input },
    options.wallMs === undefined ? {} : { wallMs: options.wallMs },
  );
  if (result.kind === 'ok') {
    // Plain data from another thread: hold it to the contract before anyone trusts it.
    const parsed = ReportSchema.safeParse(result.value);
    if (parsed.success) return parsed.data;
    return await failureReport(options, loader, visibleOnly, {
      kind: 'crashed',
      message: 'the grading worker returned something that is not a report',
    });
  }
  return await failureReport(options, loader, visibleOnly, result);
}

type JobFailure = { kind: 'timeout'; limit: 'wall'; ms: number } | { kind: 'crashed'; message: string };

async function failureReport(
  options: GradeInPoolOptions,
  loader: string,
  visibleOnly: boolean,
  failure: JobFailure,
): Promise<Report> {
  // The exercise's id and points, for a report that says what was out of reach.
  // Loading it here runs trusted code only (the exercise's own test modules).
  let id = basename(options.exerciseDir);
  let maxScore: number | undefined;
  try {
    const exercise = await loadVia(loader, options.exerciseDir);
    const tests = visibleOnly ? exercise.tests.filter((t) => t.visibility === 'visible') : exercise.tests;
    id = exercise.id;
    maxScore =
      visibleOnly || exercise.maxScore === undefined
        ? tests.reduce((sum, t) => sum + t.points, 0)
        : exercise.maxScore;
  } catch {
    // A folder that does not load: the id from its name, no points known.
  }

  if (failure.kind === 'timeout') {
    // One stand-in result for the whole job: which test was running is unknown.
    return buildReport({
      exercise: id,
      maxScore: maxScore ?? 0,
      tests: [
        {
          name: 'grading',
          status: 'timeout',
          points: 0,
          maxPoints: maxScore ?? 0,
          message: `Grading stopped after ${failure.ms} ms of wall-clock time (is there an endless loop the CPU limit could not catch?); no test result was kept.`,
          durationMs: failure.ms,
          visibility: 'visible',
          output: '',
        },
      ],
    });
  }
  return buildReport({
    exercise: id,
    tests: [],
    ...(maxScore === undefined ? {} : { maxScore }),
    outcome: {
      kind: 'not-run',
      message: `Grading could not finish (a problem on the grader's side, not in your code): ${failure.message}`,
    },
  });
}
