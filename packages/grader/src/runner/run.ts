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
 * The bridge allows one running hook per sandbox (see its re-entrancy note);
 * the exercises graded here bridge hooks that do not reach each other, so one
 * sandbox per test suffices.
 *
 * This runs on the calling thread. The sandbox's CPU limits stop runaway
 * guest code; put the whole grading job in a `@faultline/sandbox` pool
 * worker (a driver) when a wall-clock watchdog is needed as well.
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
import { buildReport, type RawTestResult, type Report, type TestStatus } from '../report.ts';
import { AssertionFailure, HarnessError, TestContext, type TestDefinition } from './harness.ts';

/** What the runner needs to know of an exercise (the exercises package's loader produces it). */
export interface GradableExercise {
  readonly id: string;
  /** The hooks the learner implements: each must be exported by the learner's module. */
  readonly hooks: readonly BridgedHookName[];
  /** Sandbox limits per test (defaults: the sandbox's, with a 500 ms CPU budget per hook call). */
  readonly limits?: {
    readonly [K in 'cpuMsPerCall' | 'cpuMsTotal' | 'memoryBytes' | 'stackBytes']?:
      | SandboxLimits[K]
      | undefined;
  };
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
}

const DEFAULT_CPU_MS_PER_CALL = 500;

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

  const limits: Partial<SandboxLimits> = { cpuMsPerCall: DEFAULT_CPU_MS_PER_CALL };
  for (const [key, value] of Object.entries(exercise.limits ?? {})) {
    if (value !== undefined) limits[key as 'cpuMsPerCall'] = value;
  }

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
        const failed: RawTestResult[] = tests.map((t) => ({
          name: t.name,
          maxPoints: t.points,
          visibility: t.visibility,
          status,
          points: 0,
          message,
          durationMs: 0,
          output,
        }));
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

  const results: RawTestResult[] = [];
  for (const test of tests) results.push(await runTest(exercise, compiled.code, limits, test));
  return buildReport({ exercise: exercise.id, tests: results, maxScore });
}

async function runTest(
  exercise: GradableExercise,
  code: string,
  limits: Partial<SandboxLimits>,
  test: TestDefinition,
): Promise<RawTestResult> {
  const started = performance.now();
  const base = { name: test.name, maxPoints: test.points, visibility: test.visibility };
  const loaded = await loadLearnerHooks(code, exercise.hooks, { limits, wasmModule: await quickjsModule() });
  try {
    if (loaded.kind === 'load-failed') {
      return {
        ...base,
        status: verdictStatus(loaded.failure),
        points: 0,
        message: `Your module failed to load: it ${describeVerdict(loaded.failure)}.`,
        durationMs: performance.now() - started,
        output: loaded.sandbox.output().text,
      };
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
        message = `Your ${failure.hook} ${describeVerdict(failure.verdict)}.`;
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
      output: loaded.sandbox.output().text.slice(outputStart),
    };
    if (status !== 'pass') result.trace = ctx.trace();
    return result;
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
