/// <reference path="../../../sandbox/src/webassembly.d.ts" />
// (The sandbox engine, pulled in through @faultline/sandbox, needs its WebAssembly declarations.)
/**
 * The runner: a learner's TypeScript file → the versioned report.
 *
 * transpile → (compile errors: a compile-error report) → for each test: a
 * fresh sandbox with the learner's module loaded and its hooks bridged, a
 * fresh kernel with those hooks, the test body → a test result → buildReport.
 *
 * Every test gets its own sandbox (about 10 ms): the learner's module-level
 * state, CPU budget and console output cannot leak from one test into the
 * next, and a test that ran out of time or memory leaves the others intact.
 * Hooks that reach each other through the kernel (the learner's pageFault
 * calling kernel.cowBreak, which runs their cowBreak) run nested in the same
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
import {
  type BridgedHookName,
  compileQuickJSModule,
  describeVerdict,
  LearnerHookFailure,
  type LearnerHookVerdict,
  loadLearnerHooks,
  type SandboxLimits,
  transpile,
} from '@faultline/sandbox';
import {
  buildReport,
  MAX_OUTPUT_LENGTH,
  type RawTestResult,
  type Report,
  type TestStatus,
  type Visibility,
} from '../report.ts';
import { AssertionFailure, HarnessError, TestContext, type TestDefinition } from './harness.ts';

/** What the runner needs to know of an exercise (the exercises package's loader produces it). */
export interface GradableExercise {
  readonly id: string;
  /** The hooks the learner implements: each must be exported by the learner's module. */
  readonly hooks: readonly BridgedHookName[];
  /** Limits of the sandbox and of grading; unset ones take `DEFAULT_GRADING_LIMITS`. */
  readonly limits?: { readonly [K in keyof GradingLimits]?: GradingLimits[K] | undefined };
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
}

/** An exercise's limits (the exercise schema documents each). CPU budgets are ms of reference CPU, counted in steps. */
export interface GradingLimits {
  /** One hook call, or loading the module. */
  readonly cpuMsPerCall: number;
  /** All hook calls of one test (each test has a sandbox of its own). */
  readonly cpuMsPerTest: number;
  /** The whole submission, every test together. */
  readonly cpuMsTotal: number;
  /** Wall-clock time of the whole grading job (enforced by `gradeInPool`'s watchdog). */
  readonly wallMsTotal: number;
  readonly memoryBytes: number;
  readonly stackBytes: number;
  /** Console output kept per test. */
  readonly outputChars: number;
}

export const DEFAULT_GRADING_LIMITS: GradingLimits = {
  cpuMsPerCall: 500,
  cpuMsPerTest: 5_000,
  cpuMsTotal: 60_000,
  wallMsTotal: 60_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  outputChars: MAX_OUTPUT_LENGTH,
};

export function gradingLimits(exercise: Pick<GradableExercise, 'limits'>): GradingLimits {
  const limits: Record<string, number> = { ...DEFAULT_GRADING_LIMITS };
  for (const [key, value] of Object.entries(exercise.limits ?? {})) {
    if (value !== undefined) limits[key] = value;
  }
  return limits as unknown as GradingLimits;
}

/** A test that earned nothing without running to its end (a limit, a module that did not load, the watchdog). */
export function zeroResult(
  test: { readonly name: string; readonly points: number; readonly visibility: Visibility },
  status: Exclude<TestStatus, 'pass'>,
  message: string,
  details: { durationMs?: number; output?: string } = {},
): RawTestResult {
  return {
    name: test.name,
    maxPoints: test.points,
    visibility: test.visibility,
    status,
    points: 0,
    message,
    durationMs: details.durationMs ?? 0,
    output: details.output ?? '',
  };
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

  const compiled = await transpile(learnerSource, { filename: options.filename ?? 'solution.ts' });
  if (compiled.kind === 'compile-error') {
    return buildReport({
      exercise: exercise.id,
      tests: [],
      maxScore,
      outcome: { kind: 'compile-error', errors: compiled.errors },
    });
  }

  const grading = gradingLimits(exercise);
  const limits: Partial<SandboxLimits> = {
    cpuMsPerCall: grading.cpuMsPerCall,
    cpuMsTotal: grading.cpuMsPerTest,
    memoryBytes: grading.memoryBytes,
    stackBytes: grading.stackBytes,
    maxOutputLength: grading.outputChars,
  };

  /** Nothing could run: an error report (zero tests is never a pass). */
  const notRun = (message: string): Report =>
    buildReport({ exercise: exercise.id, tests: [], maxScore, outcome: { kind: 'not-run', message } });

  // Probe once: a module that does not load, or lacks a hook, cannot run any test.
  const probe = await loadLearnerHooks(compiled.code, exercise.hooks, {
    limits,
    wasmModule: await quickjsModule(),
  });
  try {
    if (probe.kind === 'load-failed') {
      // A module body that exceeds a limit is the learner's: every test gets
      // that verdict (timeout, memory-limit), naming the limit, without
      // spending the budget again for each test.
      const status = verdictStatus(probe.failure);
      if (status === 'timeout' || status === 'memory-limit') {
        const message = `Your module failed to load: it ${describeVerdict(probe.failure)}.`;
        const output = probe.sandbox.output().text;
        const failed = tests.map((t) => zeroResult(t, status, message, { output }));
        return buildReport({ exercise: exercise.id, tests: failed, maxScore });
      }
      return notRun(`Your module failed to load: it ${describeVerdict(probe.failure)}.`);
    }
    const missing = exercise.hooks.filter((h) => !probe.exports.includes(h));
    if (missing.length > 0) {
      const exported = probe.exports.length === 0 ? 'nothing' : probe.exports.join(', ');
      return notRun(
        `Your module does not export ${missing.join(', ')} (this exercise asks for ${exercise.hooks.join(', ')}); it exports ${exported}.`,
      );
    }
  } finally {
    probe.sandbox.dispose();
  }

  // The plan goes out once the tests are about to run: a watchdog that fires
  // before this (transpiling, loading the module) is the grader's time, not a test's.
  options.onProgress?.({
    kind: 'plan',
    exercise: exercise.id,
    maxScore,
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
        `Not run: your submission had used its whole CPU budget of ${grading.cpuMsTotal} ms (all tests together) before this test.`,
      );
    } else {
      const budget: TestBudget = {
        cpuMs: Math.min(grading.cpuMsPerTest, cpuMsLeft),
        submissionCpuMs: cpuMsLeft < grading.cpuMsPerTest ? grading.cpuMsTotal : null,
        outputChars: grading.outputChars,
      };
      const ran = await runTest(
        exercise,
        compiled.code,
        { ...limits, cpuMsTotal: budget.cpuMs },
        budget,
        test,
      );
      cpuMsLeft -= ran.cpuMs;
      result = ran.result;
    }
    results.push(result);
    options.onProgress?.({ kind: 'test', index, result });
  }
  return buildReport({ exercise: exercise.id, tests: results, maxScore });
}

/** What one test may spend, and how to name the budget it ran out of. */
interface TestBudget {
  readonly cpuMs: number;
  /** The submission's whole budget when what is left of it (not the per-test budget) caps this test. */
  readonly submissionCpuMs: number | null;
  readonly outputChars: number;
}

async function runTest(
  exercise: GradableExercise,
  code: string,
  limits: Partial<SandboxLimits>,
  budget: TestBudget,
  test: TestDefinition,
): Promise<{ result: RawTestResult; cpuMs: number }> {
  const started = performance.now();
  const base = { name: test.name, maxPoints: test.points, visibility: test.visibility };
  const loaded = await loadLearnerHooks(code, exercise.hooks, { limits, wasmModule: await quickjsModule() });
  const describe = (v: LearnerHookVerdict) => describeInTest(v, budget);
  /** The test's console output; a marker says where the log limit cut it. */
  const outputFrom = (start: number) => {
    const { text, truncated } = loaded.sandbox.output();
    const cut = truncated
      ? `\n… [output cut: this exercise keeps ${budget.outputChars} characters of console output per test]`
      : '';
    return text.slice(start) + cut;
  };
  const finished = (result: RawTestResult) => ({ result, cpuMs: loaded.sandbox.cpuMsUsed() });
  try {
    if (loaded.kind === 'load-failed') {
      return finished({
        ...base,
        status: verdictStatus(loaded.failure),
        points: 0,
        message: `Your module failed to load: it ${describe(loaded.failure)}.`,
        durationMs: performance.now() - started,
        output: outputFrom(0),
      });
    }
    const outputStart = loaded.sandbox.output().text.length;
    const ctx = new TestContext({
      hooks: loaded.hooks,
      hookNames: exercise.hooks,
      ...(exercise.frames === undefined ? {} : { frames: exercise.frames }),
    });
    let status: TestStatus = 'pass';
    let message = '';
    try {
      test.body(ctx);
    } catch (error) {
      const failure = learnerFailureOf(error);
      if (failure !== null) {
        status = verdictStatus(failure.verdict);
        message = `Your ${failure.hook} ${describe(failure.verdict)}.`;
      } else if (error instanceof AssertionFailure) {
        status = 'fail';
        message = error.message;
      } else if (error instanceof HarnessError) {
        status = 'error';
        message = `The test could not run (a problem in the test, not in your code): ${error.message}`;
      } else {
        // The kernel refused something the learner's hook did (KernelError), or it never settled.
        status = 'error';
        message = `The kernel stopped: ${error instanceof Error ? error.message : String(error)}`;
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
    if (status !== 'pass') result.trace = ctx.trace();
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
    default:
      return 'error';
  }
}

/**
 * `describeVerdict`, naming the grader's budgets: inside a test the sandbox's
 * "total" budget is the test's, or what was left of the submission's.
 */
function describeInTest(v: LearnerHookVerdict, budget: TestBudget): string {
  if (v.kind !== 'timeout' || v.limit !== 'cpu' || v.budget !== 'total') return describeVerdict(v);
  return budget.submissionCpuMs === null
    ? `ran out of time (it used up the CPU budget of ${v.ms} ms that one test may spend, counted in interpreter steps; is there an endless loop?)`
    : `ran out of time (your submission's CPU budget of ${budget.submissionCpuMs} ms for all tests together ran out during this test; is there an endless loop?)`;
}
