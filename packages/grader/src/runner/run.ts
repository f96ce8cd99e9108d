/**
 * The runner: a learner's TypeScript file → the versioned report.
 *
 * transpile → (compile errors: a compile-error report) → the learner's
 * module loaded once into a snapshot (`createLearnerHookFactory`) → for each
 * test: a pristine sandbox restored from it with the hooks bridged, a fresh
 * kernel with those hooks, the test body → a test result → buildReport.
 *
 * Every test gets its own pristine sandbox — the engine's memory put back to
 * the snapshot taken right after the module loaded (about 0.3 ms; booting
 * QuickJS and loading the module for each test cost about 8 ms): the
 * learner's module-level state, CPU budget and console output cannot leak
 * from one test into the next, and a test that ran out of time or memory, or
 * trapped, leaves the others intact (a trapped instance is never restored:
 * the next test boots a new one).
 * Hooks that reach each other through the kernel (the learner's pageFault
 * calling kernel.hooks.cowBreak, which runs their cowBreak) run nested in the same
 * sandbox, sharing the module's state, up to `MAX_NESTING` calls deep.
 *
 * CPU budgets are counted in interpreter steps (see the sandbox engine), per
 * hook call, per test and for the whole submission, so a verdict does not
 * depend on the grading machine's load and the same submission always gets
 * the same report (durations aside).
 *
 * This runs on the calling thread. The sandbox's limits stop runaway guest
 * code; `gradeInPool` runs the whole job in a pool worker under a wall-clock
 * watchdog (`wallMsTotal`), which is how the CLI and the web app grade.
 */
import { compileQuickJSModule, type SandboxLimits, transpile } from '@faultline/sandbox';
import { isKernelError } from '@faultline/vm-core';
import {
  type BridgedHookName,
  createLearnerHookFactory,
  describeVerdict,
  type LearnerHookFactory,
  LearnerHookFailure,
  type LearnerHookVerdict,
  type loadLearnerHooks,
} from '../kernel-bridge/index.ts';
import {
  describeLimit,
  type GradingLimits,
  type LimitSettings,
  resolveLimits,
  type StoppingLimit,
} from '../limits.ts';
import {
  buildReport,
  type RawTestResult,
  type Report,
  type TestLimit,
  type TestStatus,
  type Visibility,
} from '../report.ts';
import { AssertionFailure, HarnessError, TestContext, type TestDefinition } from './harness.ts';

/** What the runner needs to know of an exercise (the exercise format's loader, `loadExercise`, produces it). */
export interface GradableExercise {
  readonly id: string;
  /** The hooks the learner implements: each must be exported by the learner's module. */
  readonly hooks: readonly BridgedHookName[];
  /** Limits of the sandbox and of grading; unset ones take their defaults (`resolveLimits`). */
  readonly limits?: LimitSettings;
  /** Physical frames of each test's kernel. */
  readonly frames?: number;
  /** All tests, visible first, in the order the report lists them. */
  readonly tests: readonly TestDefinition[];
  /** Points available; defaults to the sum of the graded tests' points. Ignored with `visibleOnly`. */
  readonly maxScore?: number;
}

export interface GradeOptions {
  readonly exercise: GradableExercise;
  readonly learnerSource: string;
  /** Run only the visible tests (instant feedback in the editor); the total is then theirs. */
  readonly visibleOnly?: boolean;
  /** File name in compile errors (default `solution.ts`). */
  readonly filename?: string;
  /** Told what will run, then each test's result as it finishes (see `GradingProgress`). */
  readonly onProgress?: (event: GradingProgress) => void;
  /**
   * The clock the sandboxes measure their per-call wall-clock limit on
   * (default `performance.now`). Tests inject one to reach that limit
   * deterministically; CPU budgets never read it.
   */
  readonly clock?: () => number;
  /** The compiled QuickJS module to build sandboxes from (a pool worker's own); default: one compiled once per thread. */
  readonly wasmModule?: WebAssembly.Module;
  /**
   * Record failed tests for a picture of them (a test result's `recording`:
   * the last events with the page tables and frames after each): 'visible'
   * for the visible tests (what a learner may see), 'all' for every test
   * (staff). Default: none, and the report is exactly what it is without
   * this option. Recording costs time in every test it applies to.
   */
  readonly record?: 'visible' | 'all';
}

/** The limits `exercise` is graded under (its own, defaults for the rest). */
export function gradingLimits(exercise: Pick<GradableExercise, 'limits'>): GradingLimits {
  return resolveLimits(exercise.limits);
}

/** A test that earned nothing without running to its end (a limit, a module that did not load, the watchdog). */
export function zeroResult(
  test: {
    readonly name: string;
    readonly points: number;
    readonly visibility: Visibility;
    readonly hint?: string | undefined;
  },
  status: Exclude<TestStatus, 'pass'>,
  message: string,
  details: { durationMs?: number; output?: string; limit?: TestLimit | undefined } = {},
): RawTestResult {
  const result: RawTestResult = {
    name: test.name,
    maxPoints: test.points,
    visibility: test.visibility,
    status,
    points: 0,
    message,
    durationMs: details.durationMs ?? 0,
    output: details.output ?? '',
  };
  if (details.limit !== undefined) result.limit = details.limit;
  if (test.hint !== undefined) result.hint = test.hint;
  return result;
}

/**
 * What a grading run tells its caller as it goes: first the plan (what will
 * run, for how many points; sent once the tests are about to run, so a
 * submission that does not compile or load sends none), then each test's
 * result when it finishes. A host whose watchdog stops the run keeps these,
 * and can say which test was running.
 */
export type GradingProgress =
  | {
      readonly kind: 'plan';
      readonly exercise: string;
      readonly maxScore: number;
      readonly limits: GradingLimits;
      readonly tests: readonly { name: string; points: number; visibility: Visibility }[];
    }
  | { readonly kind: 'test'; readonly index: number; readonly result: RawTestResult };

/**
 * QuickJS compiled once per thread: every test gets a fresh sandbox (its own
 * memory), but recompiling the WebAssembly for each cost about 5 ms a test.
 */
let compiledQuickJS: Promise<WebAssembly.Module> | null = null;
function quickjsModule(): Promise<WebAssembly.Module> {
  compiledQuickJS ??= compileQuickJSModule();
  return compiledQuickJS;
}

export async function gradeSubmission(options: GradeOptions): Promise<Report> {
  const { exercise, learnerSource } = options;
  const tests = options.visibleOnly
    ? exercise.tests.filter((t) => t.visibility === 'visible')
    : [...exercise.tests];
  const maxScore =
    options.visibleOnly || exercise.maxScore === undefined
      ? tests.reduce((sum, t) => sum + t.points, 0)
      : exercise.maxScore;
  const grading = gradingLimits(exercise);
  const report = (input: Omit<Parameters<typeof buildReport>[0], 'exercise' | 'maxScore' | 'limits'>) =>
    buildReport({ exercise: exercise.id, maxScore, limits: grading, ...input });

  const compiled = await transpile(learnerSource, { filename: options.filename ?? 'solution.ts' });
  if (compiled.kind === 'compile-error') {
    return report({ tests: [], outcome: { kind: 'compile-error', errors: compiled.errors } });
  }

  const sandboxOptions: SandboxSetup = {
    limits: {
      cpuMsPerCall: grading.cpuMsPerCall,
      cpuMsTotal: grading.cpuMsPerTest,
      wallMsPerCall: grading.wallMsPerCall,
      memoryBytes: grading.memoryBytes,
      stackBytes: grading.stackBytes,
      maxOutputLength: grading.outputChars,
    },
    wasmModule: options.wasmModule ?? (await quickjsModule()),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };

  /** Nothing could run: an error report (zero tests is never a pass). */
  const notRun = (message: string): Report => report({ tests: [], outcome: { kind: 'not-run', message } });

  // Load once: a module that does not load, or lacks a hook, cannot run any
  // test; one that loads is the snapshot every test's sandbox starts from.
  const factory = await createLearnerHookFactory(compiled.code, exercise.hooks, sandboxOptions);
  try {
    const probe = factory.load;
    if (probe.kind !== 'ok') {
      // A module body that exceeds a limit is the learner's: every test gets
      // that verdict (timeout, memory-limit), naming the limit, without
      // spending the budget again for each test.
      const status = verdictStatus(probe);
      if (status === 'timeout' || status === 'memory-limit') {
        const perTest: TestBudget = { cpuMs: grading.cpuMsPerTest, submissionCpuMs: null, grading };
        const message = `Your module failed to load: it ${describeInTest(probe, perTest)}.`;
        const output = factory.loadOutput.text;
        const limit = stoppingLimit(probe, perTest);
        const failed = tests.map((t) => zeroResult(t, status, message, { output, limit }));
        return report({ tests: failed });
      }
      return notRun(`Your module failed to load: it ${describeVerdict(probe)}.`);
    }
    const missing = exercise.hooks.filter((h) => !probe.exports.includes(h));
    if (missing.length > 0) {
      const exported = probe.exports.length === 0 ? 'nothing' : probe.exports.join(', ');
      return notRun(
        `Your module does not export ${missing.join(', ')} (this exercise asks for ${exercise.hooks.join(', ')}); it exports ${exported}.`,
      );
    }
    return report({ tests: await runTests(exercise, factory, grading, tests, maxScore, options) });
  } finally {
    factory.dispose();
  }
}

/** Runs `tests` in order, each in a sandbox from `factory`, within the submission's CPU budget. */
async function runTests(
  exercise: GradableExercise,
  factory: LearnerHookFactory,
  grading: GradingLimits,
  tests: readonly TestDefinition[],
  maxScore: number,
  options: GradeOptions,
): Promise<RawTestResult[]> {
  // The plan goes out once the tests are about to run: a watchdog that fires
  // before this (transpiling, loading the module) is the grader's time, not a test's.
  options.onProgress?.({
    kind: 'plan',
    exercise: exercise.id,
    maxScore,
    limits: grading,
    tests: tests.map((t) => ({ name: t.name, points: t.points, visibility: t.visibility })),
  });
  const results: RawTestResult[] = [];
  // The submission's CPU budget, shared by the tests in order: a test gets the
  // per-test budget or what is left, whichever is less.
  let cpuMsLeft = grading.cpuMsTotal;
  for (const [index, test] of tests.entries()) {
    let result: RawTestResult;
    if (cpuMsLeft <= 0) {
      result = zeroResult(
        test,
        'skipped',
        `Not run: your submission had used its whole CPU budget of ${grading.cpuMsTotal} ms (all tests together, cpuMsTotal) before this test.`,
      );
    } else {
      const budget: TestBudget = {
        cpuMs: Math.min(grading.cpuMsPerTest, cpuMsLeft),
        submissionCpuMs: cpuMsLeft < grading.cpuMsPerTest ? grading.cpuMsTotal : null,
        grading,
      };
      const record =
        options.record === 'all' || (options.record === 'visible' && test.visibility === 'visible');
      const ran = await runTest(exercise, factory, budget, test, record);
      cpuMsLeft -= ran.cpuMs;
      result = ran.result;
    }
    results.push(result);
    options.onProgress?.({ kind: 'test', index, result });
  }
  return results;
}

/** How each test's sandbox is made: its limits, the compiled engine, the wall clock. */
type SandboxSetup = NonNullable<Parameters<typeof loadLearnerHooks>[2]> & {
  limits: Partial<SandboxLimits>;
};

/** What one test may spend, and how to name the budget it ran out of. */
interface TestBudget {
  readonly cpuMs: number;
  /** The submission's whole budget when what is left of it (not the per-test budget) caps this test. */
  readonly submissionCpuMs: number | null;
  readonly grading: GradingLimits;
}

async function runTest(
  exercise: GradableExercise,
  factory: LearnerHookFactory,
  budget: TestBudget,
  test: TestDefinition,
  record: boolean,
): Promise<{ result: RawTestResult; cpuMs: number }> {
  const started = performance.now();
  const base = { name: test.name, maxPoints: test.points, visibility: test.visibility };
  const loaded = await factory.acquire({ cpuMsTotal: budget.cpuMs });
  const describe = (v: LearnerHookVerdict) => describeInTest(v, budget);
  /** The test's console output; a marker says where the log limit cut it. */
  const outputFrom = (start: number) => {
    const { text, truncated } = loaded.sandbox.output();
    const cut = truncated
      ? `\n… [output cut: this exercise keeps ${budget.grading.outputChars} characters of console output per test]`
      : '';
    return text.slice(start) + cut;
  };
  const finished = (result: RawTestResult) => ({ result, cpuMs: loaded.sandbox.cpuMsUsed() });
  try {
    if (loaded.kind === 'load-failed') {
      const result: RawTestResult = {
        ...base,
        status: verdictStatus(loaded.failure),
        points: 0,
        message: `Your module failed to load: it ${describe(loaded.failure)}.`,
        durationMs: performance.now() - started,
        output: outputFrom(0),
      };
      const limit = stoppingLimit(loaded.failure, budget);
      if (limit !== undefined) result.limit = limit;
      return finished(result);
    }
    const outputStart = loaded.sandbox.output().text.length;
    const ctx = new TestContext({
      hooks: loaded.hooks,
      hookNames: exercise.hooks,
      ...(exercise.frames === undefined ? {} : { frames: exercise.frames }),
      ...(record ? { record: true } : {}),
    });
    let status: TestStatus = 'pass';
    let message = '';
    let limit: TestLimit | undefined;
    try {
      test.body(ctx);
    } catch (error) {
      const failure = learnerFailureOf(error);
      if (failure !== null) {
        status = verdictStatus(failure.verdict);
        message = `Your ${failure.hook} ${describe(failure.verdict)}.`;
        limit = stoppingLimit(failure.verdict, budget);
      } else if (error instanceof AssertionFailure) {
        status = 'fail';
        message = error.message;
      } else if (error instanceof HarnessError) {
        status = 'error';
        message = `The test could not run (a problem in the test, not in your code): ${error.message}`;
      } else if (isKernelError(error)) {
        // The kernel refused something the learner's hook did, or the fault
        // never settled: the learner's code failed the test.
        status = 'fail';
        message = `The kernel stopped: ${error.message}`;
      } else {
        // Anything else came from the test's own code (a bug in it), not from the learner's.
        status = 'error';
        const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        message = `The test could not run (a problem in the test, not in your code): ${what}`;
      }
    }
    const result: RawTestResult = {
      ...base,
      status,
      points: status === 'pass' ? test.points : 0,
      message,
      durationMs: performance.now() - started,
      output: outputFrom(outputStart),
    };
    if (limit !== undefined) result.limit = limit;
    if (status !== 'pass' && test.hint !== undefined) result.hint = test.hint;
    if (status !== 'pass') result.trace = ctx.trace();
    const recording = status === 'pass' ? ctx.discardRecording() : ctx.recording();
    if (recording !== null) result.recording = recording;
    return finished(result);
  } finally {
    loaded.sandbox.dispose();
  }
}

/** A LearnerHookFailure thrown directly or wrapped (as a `cause`) by the kernel. */
function learnerFailureOf(error: unknown): LearnerHookFailure | null {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    if (e instanceof LearnerHookFailure) return e;
    e = e.cause;
  }
  return null;
}

function verdictStatus(verdict: LearnerHookVerdict): TestStatus {
  switch (verdict.kind) {
    case 'timeout':
      return 'timeout';
    case 'memory-limit':
      return 'memory-limit';
    // The sandbox itself broke: the grader could not run the test.
    case 'crashed':
      return 'error';
    // The learner's hook threw, returned the wrong kind of value, overflowed
    // its stack or recursed through the kernel: the test ran, and failed.
    default:
      return 'fail';
  }
}

/** Which of the exercise's limits a verdict ran into, if it was a limit's (timeout, memory-limit). */
function stoppingLimit(v: LearnerHookVerdict, budget: TestBudget): TestLimit | undefined {
  const named = (name: StoppingLimit): TestLimit => ({ name, value: budget.grading[name] });
  if (v.kind === 'memory-limit') return named('memoryBytes');
  if (v.kind !== 'timeout') return undefined;
  if (v.limit === 'wall') return named('wallMsPerCall');
  if (v.budget === 'call') return named('cpuMsPerCall');
  return named(budget.submissionCpuMs === null ? 'cpuMsPerTest' : 'cpuMsTotal');
}

/**
 * `describeVerdict`, naming the grader's limits: inside a test the sandbox's
 * "total" budget is the test's, or what was left of the submission's, and
 * its wall-clock cap is the exercise's `wallMsPerCall`.
 */
function describeInTest(v: LearnerHookVerdict, budget: TestBudget): string {
  if (v.kind !== 'timeout') return describeVerdict(v);
  if (v.limit === 'wall')
    return `ran out of time (it ran into ${describeLimit('wallMsPerCall', budget.grading)} without finishing; a built-in such as sort, repeat or a regular expression working on huge data can do that)`;
  if (v.budget !== 'total') return describeVerdict(v);
  return budget.submissionCpuMs === null
    ? `ran out of time (it used up the CPU budget of ${v.ms} ms that one test may spend, counted in interpreter steps; is there an endless loop?)`
    : `ran out of time (your submission's CPU budget of ${budget.submissionCpuMs} ms for all tests together ran out during this test; is there an endless loop?)`;
}
