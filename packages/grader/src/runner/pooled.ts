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
 * - `gradeInPool` (host side) reads the exercise's limits, sends the job
 *   under a watchdog of its `wallMsTotal`, and turns what comes back into a
 *   report: the worker's own, or, if the watchdog fired, the finished tests,
 *   a `timeout` for the test that was running and `skipped` for the rest —
 *   never a pass. A run that a wall-clock limit stopped is graded once more
 *   on a fresh worker, and only a second stop stands. A worker that died or
 *   a folder that would not load is an error report marked as the grader's
 *   problem.
 *
 * The host never imports an exercise's tests (instructors' TypeScript, which
 * could hang it); it may read its metadata through the loader's
 * `readExercise(dir)`, which runs nothing.
 *
 * Which module the workers run is `driver` (default `DEFAULT_DRIVER`: this
 * module — from source, pooled.ts, which a pool started from source runs
 * through tsx; in the grader's build, `dist/driver.js`, plain JS). A program
 * that bundles the grader's host side, as the CLI does, is not a driver
 * itself: it passes the built one, `import.meta.resolve('@faultline/grader/driver')`.
 *
 * The exercise is loaded by the exercise format's loader (`exercise/load.ts`:
 * `readExercise` on the host, `loadExercise` in the worker, both linked into
 * whichever copy of the grader runs there), or, given `loader`, by that
 * module, imported by URL on both sides: any module exporting
 * `loadExercise(dir)` that resolves to a `GradableExercise`, and
 * `readExercise(dir)` resolving to `{ id, meta: { points, limits } }`, e.g.
 * one that wraps the real loader in a test.
 *
 * Limits: the exercise's limits apply as in `gradeSubmission`; the pool's
 * `limits` option does not (the runner creates its own sandboxes).
 */
import { basename } from 'node:path';
import type { DriverEnv, Pool } from '@faultline/sandbox';
import { scrubHostText } from '@faultline/sandbox/scrub';
import { loadExercise, readExercise } from '../exercise/load.ts';
import {
  describeLimit,
  type GradingLimits,
  type LimitSettings,
  resolveLimits,
  WALL_CLOCK_LIMITS,
} from '../limits.ts';
import { buildReport, type RawTestResult, type Report, ReportSchema } from '../report.ts';
import { IN_DRIVER_BUNDLE } from './driver-bundle.ts';
import { type GradableExercise, type GradingProgress, gradeSubmission, zeroResult } from './run.ts';

/**
 * The URL of the exercise format's loader module (`@faultline/grader/exercise`),
 * for a loader that wraps it: from source `exercise/load.ts`; in the grader's
 * build the bundle itself, which exports the same `loadExercise` and
 * `readExercise`. (`gradeInPool` needs no URL for it: it is its default.) In
 * a program that bundles the grader's host side it names no loader.
 */
export const DEFAULT_EXERCISE_LOADER: URL = IN_DRIVER_BUNDLE
  ? new URL(import.meta.url)
  : new URL('../exercise/load.ts', import.meta.url);

/**
 * The driver the pool's workers run unless told another: this module (its
 * default export) — pooled.ts from source, `dist/driver.js` in the grader's
 * build. In a program that bundles the grader's host side (the CLI's
 * dist/main.js) it is that program, which is no driver: pass `driver`.
 */
export const DEFAULT_DRIVER: URL = new URL(import.meta.url);

export interface GradeInPoolOptions {
  /** The exercise's folder (absolute path), as the loader expects it. */
  readonly exerciseDir: string;
  readonly learnerSource: string;
  /** Run only the visible tests (see `GradeOptions.visibleOnly`). */
  readonly visibleOnly?: boolean;
  /** Record failed tests for a picture of them (see `GradeOptions.record`); default none. */
  readonly record?: 'visible' | 'all';
  /**
   * The module the workers run (its default export is this module's driver,
   * `gradeDriver`); default `DEFAULT_DRIVER`. The grader's build is
   * `@faultline/grader/driver`.
   */
  readonly driver?: URL | string | undefined;
  /** A module exporting `loadExercise(dir)` and `readExercise(dir)`; default: the exercise format's loader. */
  readonly loader?: URL | string;
  /** File name in compile errors (default `solution.ts`). */
  readonly filename?: string;
  /**
   * Told how grading goes as it goes (the plan, then each finished test; see
   * `GradingProgress`), with the attempt it belongs to: a second attempt
   * starts over with a plan of its own.
   */
  readonly onProgress?: (event: GradingProgress, attempt: 1 | 2) => void;
}

/**
 * A graded submission, or a report of why it could not be graded. The report
 * is always a valid, never-passing report for the learner; `grader-failed`
 * tells a caller (the CLI's exit code, a job queue's retry) that the cause is
 * on the grader's side, not in the submission. `attempts` is 2 when a
 * wall-clock limit stopped the first run and the job was graded again on a
 * fresh worker (the second run's outcome is the one given).
 */
export type PooledGrade =
  | { readonly kind: 'graded'; readonly report: Report; readonly attempts: 1 | 2 }
  | {
      readonly kind: 'grader-failed';
      readonly report: Report;
      readonly reason: string;
      readonly attempts: 1 | 2;
    };

/** What the driver receives as the job's `input` (plain data). */
interface DriverInput {
  exerciseDir: string;
  visibleOnly: boolean;
  /** Absent (not null) unless asked for, so a job's input is what it was before recordings. */
  record?: 'visible' | 'all';
  /** The loader's URL; null for the exercise format's, linked into the driver. */
  loader: string | null;
  filename: string | null;
}

interface LoaderModule {
  loadExercise?: unknown;
  readExercise?: unknown;
}

/** What the host knows of an exercise before grading it: read from its metadata, no test imported. */
interface ExerciseFacts {
  readonly exercise: string;
  /** Unknown with `visibleOnly` (the visible tests' total is known only once they load). */
  readonly maxScore?: number;
  readonly limits: GradingLimits;
}

type Plan = Extract<GradingProgress, { kind: 'plan' }>;

// Per thread (host or worker): an exercise folder is loaded once. Its tests are
// modules, which the module cache would keep anyway.
const exercises = new Map<string, Promise<GradableExercise>>();

function loadVia(loader: string | null, dir: string): Promise<GradableExercise> {
  const key = `${loader ?? ''}\n${dir}`;
  let loaded = exercises.get(key);
  if (loaded === undefined) {
    loaded = (async () => {
      if (loader === null) return await loadExercise(dir);
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
export default async function gradeDriver({ code, input, progress, wasmModule }: DriverEnv): Promise<Report> {
  const { exerciseDir, visibleOnly, loader, filename, record } = input as unknown as DriverInput;
  const exercise = await loadVia(loader, exerciseDir);
  return await gradeSubmission({
    exercise,
    learnerSource: code,
    visibleOnly,
    ...(record === 'visible' || record === 'all' ? { record } : {}),
    ...(filename === null ? {} : { filename }),
    onProgress: progress,
    // The worker compiled QuickJS already: compiling it again cost a cold grade ~30 ms.
    wasmModule,
  });
}

/**
 * Grades a submission in one of `pool`'s workers, under the watchdog: the
 * exercise's `wallMsTotal`, read from its metadata on this thread. When a
 * wall-clock limit stops the run (the watchdog, or a hook call's
 * `wallMsPerCall`), the job is graded once more on a fresh worker and the
 * second run's outcome stands: a verdict that depends on the wall clock must
 * be reached twice before a learner sees it.
 */
export async function gradeInPool(pool: Pool, options: GradeInPoolOptions): Promise<PooledGrade> {
  const loader = options.loader === undefined ? null : String(options.loader);
  const driver = String(options.driver ?? DEFAULT_DRIVER);
  const visibleOnly = options.visibleOnly ?? false;
  const facts = await factsVia(loader, options.exerciseDir, visibleOnly);
  if (facts.kind === 'unreadable') {
    return { ...failedReport(options.exerciseDir, null, facts.reason), attempts: 1 };
  }
  const input: DriverInput = {
    exerciseDir: options.exerciseDir,
    visibleOnly,
    loader,
    filename: options.filename ?? null,
    ...(options.record === undefined ? {} : { record: options.record }),
  };
  const run = (n: 1 | 2) =>
    attempt(pool, driver, options.learnerSource, input, facts.facts, n, (event) =>
      options.onProgress?.(event, n),
    );
  const first = await run(1);
  if (!first.stoppedByWall) return { ...first.grade, attempts: 1 };
  const second = await run(2);
  if (!second.stoppedByWall) return { ...second.grade, attempts: 2 };
  return { ...confirmedTwice(second.grade), attempts: 2 };
}

type Outcome =
  | Omit<Extract<PooledGrade, { kind: 'graded' }>, 'attempts'>
  | Omit<Extract<PooledGrade, { kind: 'grader-failed' }>, 'attempts'>;

/** One run of the job; `stoppedByWall` when a wall-clock limit ended it or one of its tests. */
async function attempt(
  pool: Pool,
  driver: string,
  learnerSource: string,
  input: DriverInput,
  facts: ExerciseFacts,
  n: 1 | 2,
  tell: (event: GradingProgress) => void,
): Promise<{ grade: Outcome; stoppedByWall: boolean }> {
  let plan: Plan | null = null;
  const finished: RawTestResult[] = [];
  const onProgress = (value: unknown) => {
    const event = value as GradingProgress;
    if (event.kind === 'plan') plan = event;
    else if (event.kind === 'test' && event.index === finished.length) finished.push(event.result);
    else return;
    tell(event);
  };
  // The retry runs on a worker started for it alone.
  const result = await pool.runDriver(
    driver,
    learnerSource,
    { ...input },
    { onProgress, wallMs: facts.limits.wallMsTotal, freshWorker: n === 2 },
  );
  const planned = plan as Plan | null;

  if (result.kind === 'ok') {
    // Plain data from another thread: hold it to the contract before anyone trusts it.
    const parsed = ReportSchema.safeParse(result.value);
    if (!parsed.success) {
      return {
        grade: failedReport(
          input.exerciseDir,
          planned ?? facts,
          'the grading worker returned something that is not a report',
        ),
        stoppedByWall: false,
      };
    }
    const report = parsed.data;
    const stoppedByWall = report.tests.some(
      (t) => t.limit !== undefined && WALL_CLOCK_LIMITS.includes(t.limit.name),
    );
    return { grade: { kind: 'graded', report }, stoppedByWall };
  }
  if (result.kind === 'timeout' && planned !== null && finished.length < planned.tests.length) {
    return { grade: { kind: 'graded', report: stoppedByWatchdog(planned, finished) }, stoppedByWall: true };
  }
  if (result.kind === 'timeout') {
    // Before the first test (loading the exercise or the submission), or
    // after the last (building the report): the grader's time, not a test's.
    const when = planned === null ? 'before any test started' : 'after every test had finished';
    return {
      grade: failedReport(
        input.exerciseDir,
        planned ?? facts,
        `the grading job reached ${describeLimit('wallMsTotal', facts.limits)} and was stopped ${when}`,
      ),
      stoppedByWall: true,
    };
  }
  return { grade: failedReport(input.exerciseDir, planned ?? facts, result.message), stoppedByWall: false };
}

/**
 * The watchdog stopped a job during a test (the plan is known and a test was
 * still to finish): the finished tests stand, the running one timed out, the
 * rest did not run.
 */
function stoppedByWatchdog(plan: Plan, finished: readonly RawTestResult[]): Report {
  const running = plan.tests[finished.length]!;
  const limit = { name: 'wallMsTotal', value: plan.limits.wallMsTotal } as const;
  const tests: RawTestResult[] = plan.tests.map((t, i) => {
    const done = finished[i];
    if (done !== undefined) return done;
    if (t === running)
      return zeroResult(
        t,
        'timeout',
        `Grading stopped at ${describeLimit('wallMsTotal', plan.limits)} while this test was running; your code may have stalled in a way the CPU budget does not count, such as a built-in working on huge data.`,
        { durationMs: 0, limit },
      );
    return zeroResult(
      t,
      'skipped',
      `Not run: grading stopped at the wall-clock limit for the whole submission (wallMsTotal, ${plan.limits.wallMsTotal} ms) during test "${running.name}".`,
    );
  });
  return buildReport({ exercise: plan.exercise, tests, maxScore: plan.maxScore, limits: plan.limits });
}

/** The second run stopped at a wall-clock limit too: say so where it did. */
function confirmedTwice(grade: Outcome): Outcome {
  const again =
    ' It was graded a second time, on a fresh worker, and stopped at the same kind of limit again.';
  if (grade.kind === 'grader-failed') {
    const message = grade.report.message ?? '';
    const report = { ...grade.report, message: `${message}${message.endsWith('.') ? '' : '.'}${again}` };
    return {
      ...grade,
      report: ReportSchema.parse(report),
      reason: `${grade.reason} (twice, the second time on a fresh worker)`,
    };
  }
  const { report } = grade;
  const tests = report.tests.map((t) =>
    t.limit !== undefined && WALL_CLOCK_LIMITS.includes(t.limit.name)
      ? { ...t, message: `${t.message}${again}` }
      : t,
  );
  return {
    kind: 'graded',
    report: buildReport({
      exercise: report.exercise,
      tests,
      maxScore: report.maxScore,
      limits: report.limits,
    }),
  };
}

/** An error report for a job that could not finish for the grader's own reasons. */
function failedReport(
  exerciseDir: string,
  known: (Pick<ExerciseFacts, 'exercise' | 'maxScore'> & { limits?: GradingLimits }) | null,
  reason: string,
): Extract<Outcome, { kind: 'grader-failed' }> {
  const report = buildReport({
    exercise: known?.exercise ?? basename(exerciseDir),
    tests: [],
    ...(known?.maxScore === undefined ? {} : { maxScore: known.maxScore }),
    limits: known?.limits,
    outcome: {
      kind: 'not-run',
      message: `Grading could not finish (a problem on the grader's side, not in your code): ${reason}`,
    },
  });
  return { kind: 'grader-failed', report, reason: scrubHostText(reason) };
}

/**
 * The exercise's id, total and limits from its metadata, without importing
 * its tests; with `visibleOnly` the total is the visible tests' and cannot be
 * known so.
 */
async function factsVia(
  loader: string | null,
  dir: string,
  visibleOnly: boolean,
): Promise<{ kind: 'ok'; facts: ExerciseFacts } | { kind: 'unreadable'; reason: string }> {
  let module: LoaderModule = { readExercise };
  if (loader !== null) {
    try {
      module = (await import(loader)) as LoaderModule;
    } catch (error) {
      return { kind: 'unreadable', reason: `the exercise loader did not load: ${messageOf(error)}` };
    }
  }
  if (typeof module.readExercise !== 'function')
    return { kind: 'unreadable', reason: `exercise loader ${loader} does not export readExercise(dir)` };
  try {
    const files = (await module.readExercise(dir)) as {
      id: string;
      meta: { points: number; limits?: LimitSettings };
    };
    const limits = resolveLimits(files.meta.limits);
    return {
      kind: 'ok',
      facts: visibleOnly
        ? { exercise: files.id, limits }
        : { exercise: files.id, maxScore: files.meta.points, limits },
    };
  } catch (error) {
    return { kind: 'unreadable', reason: messageOf(error) };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
