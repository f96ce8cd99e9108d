/**
 * The browser runner's core, in the thread it runs in (a module Web Worker;
 * `worker.ts` wires it to messages): an exercise's visible tests, graded by
 * the grader's own runner (`gradeSubmission` with `visibleOnly`), the code
 * path Submit takes on the server, with
 *
 * - the sandbox engine created in this thread from QuickJS's `.wasm`, which
 *   the page serves and names in its init message (no pool: the Web Worker
 *   itself is what the page terminates on its wall-clock watchdog);
 * - the learner's TypeScript transpiled by esbuild-wasm with the server's
 *   transpiler options (the runner's bundle points `@faultline/sandbox` at
 *   `sandbox.ts`);
 * - the visible tests from the bundle `bundleVisibleTests` made on the
 *   server, which get this runner's grader (`tests-api.ts`) when they load,
 *   so tests and runner share one `TestContext` and one set of error brands.
 *
 * The report is the learner's view (`viewFor`), as the web app shows a
 * submission's. Hidden tests and reference solutions are not in this
 * bundle, nor in the tests' (`bundleVisibleTests` refuses them).
 */
import { ESBUILD_WASM_VERSION, initializeEsbuildWasm } from '@faultline/sandbox/transpile-wasm';
import { compileWasm } from '@faultline/sandbox/wasm-web';
import { z } from 'zod';
import { ExerciseMetaSchema } from '../exercise/schema.ts';
import type { Report } from '../report.ts';
import type { TestDefinition } from '../runner/harness.ts';
import { type GradableExercise, type GradingProgress, gradeSubmission } from '../runner/run.ts';
import { viewFor } from '../view.ts';
import type { RunnerRequest, WasmAsset } from './protocol.ts';
import * as testsApi from './tests-api.ts';

/** A problem with what the page sent or served (not the learner's code): no report, an error message. */
export class RunnerInputError extends Error {
  override name = 'RunnerInputError';
}

/** The grader's checks of exercise.json's fields, the ones the runner needs; other fields are ignored. */
const BrowserExerciseSchema = z.object({
  id: ExerciseMetaSchema.shape.id,
  hooks: ExerciseMetaSchema.shape.hooks,
  limits: ExerciseMetaSchema.shape.limits,
  frames: ExerciseMetaSchema.shape.frames,
  maxScore: z.number().nonnegative().optional(),
});

const RunSchema = z.object({
  runId: z.string(),
  learnerSource: z.string(),
  filename: z.string().min(1).optional(),
  record: z.enum(['visible', 'all']).optional(),
  tests: z.union([
    z.object({ code: z.string(), sha256: z.string().optional() }),
    z.object({ url: z.string() }),
  ]),
});

/** A run's `tests`, as checked (`VisibleTestsModule`). */
type TestsSource = z.infer<typeof RunSchema>['tests'];

/** A runner with its engine and transpiler ready (`startRunner`). */
export interface BrowserRunner {
  /** esbuild-wasm's version (the server's native esbuild has the same). */
  readonly esbuildVersion: string;
  /** Grades a run's visible tests: the learner's view of the report. Throws `RunnerInputError` on a malformed run. */
  run(
    request: Omit<Extract<RunnerRequest, { type: 'run' }>, 'type'>,
    onProgress?: (event: GradingProgress) => void,
  ): Promise<Report>;
}

/**
 * Compiles QuickJS and starts esbuild-wasm in this thread (once per thread:
 * esbuild-wasm cannot be started twice).
 */
export async function startRunner(assets: {
  readonly quickjsWasm: WasmAsset;
  readonly esbuildWasm: WasmAsset;
}): Promise<BrowserRunner> {
  const [quickjs, esbuildModule] = await Promise.all([
    compileWasm(assets.quickjsWasm),
    compileWasm(assets.esbuildWasm),
  ]);
  await initializeEsbuildWasm({ wasmModule: esbuildModule });
  // Loaded test bundles, by name: the same bundle is not imported and defined again.
  const loadedTests = new Map<string, Promise<TestDefinition[]>>();
  const testsOf = (source: TestsSource): Promise<TestDefinition[]> => {
    const key = 'url' in source ? `url:${source.url}` : `code:${source.sha256 ?? source.code}`;
    let loaded = loadedTests.get(key);
    if (loaded === undefined) {
      loaded = loadVisibleTests(source);
      loaded.catch(() => loadedTests.delete(key));
      loadedTests.set(key, loaded);
    }
    return loaded;
  };
  return {
    esbuildVersion: ESBUILD_WASM_VERSION,
    async run(request, onProgress) {
      const run = RunSchema.safeParse(request);
      if (!run.success) throw new RunnerInputError(`the run request is malformed: ${issues(run.error)}`);
      const exercise = parseExercise(request.exercise);
      const tests = await testsOf(run.data.tests);
      const report = await gradeSubmission({
        exercise: { ...exercise, tests },
        learnerSource: run.data.learnerSource,
        visibleOnly: true,
        ...(run.data.filename === undefined ? {} : { filename: run.data.filename }),
        ...(run.data.record === undefined ? {} : { record: run.data.record }),
        ...(onProgress === undefined ? {} : { onProgress }),
        wasmModule: quickjs,
      });
      return viewFor(report, { audience: 'learner', dueDatePassed: false });
    },
  };
}

/** The exercise as `gradeSubmission` takes it, checked as exercise.json is. */
function parseExercise(value: unknown): Omit<GradableExercise, 'tests'> {
  const parsed = BrowserExerciseSchema.safeParse(value);
  if (!parsed.success) throw new RunnerInputError(`the exercise is malformed: ${issues(parsed.error)}`);
  const { frames, maxScore, ...rest } = parsed.data;
  return {
    ...rest,
    ...(frames === undefined ? {} : { frames }),
    ...(maxScore === undefined ? {} : { maxScore }),
  };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The module `bundleVisibleTests` makes: its default export takes the grader and returns the tests. */
type TestsModule = { default?: unknown };

/**
 * Imports a tests bundle and checks its definitions as the exercise loader
 * checks a test file's (names, bodies, points; visible only).
 */
async function loadVisibleTests(source: TestsSource): Promise<TestDefinition[]> {
  const url =
    'url' in source ? source.url : `data:text/javascript;charset=utf-8,${encodeURIComponent(source.code)}`;
  let module: TestsModule;
  try {
    // A URL known only now: no bundler may resolve it at build time.
    module = (await import(
      /* @vite-ignore */ /* webpackIgnore: true */ /* turbopackIgnore: true */ url
    )) as TestsModule;
  } catch (error) {
    throw new RunnerInputError(`the visible tests did not load: ${messageOf(error)}`);
  }
  if (typeof module.default !== 'function')
    throw new RunnerInputError(
      'the visible tests module does not default-export a function of the grader (is it bundleVisibleTests’s?)',
    );
  let tests: unknown;
  try {
    tests = (module.default as (grader: typeof testsApi) => unknown)(testsApi);
  } catch (error) {
    throw new RunnerInputError(`the visible tests could not be defined: ${messageOf(error)}`);
  }
  if (!Array.isArray(tests))
    throw new RunnerInputError('the visible tests are not defineTests(…), an array of tests');
  const names = new Set<string>();
  tests.forEach((t: Partial<TestDefinition>, i) => {
    const bad = (field: string, what: string) =>
      new RunnerInputError(`visible test ${i} ("${t.name ?? '?'}"): ${field}: ${what}`);
    if (typeof t.name !== 'string' || t.name.length === 0) throw bad('name', 'must be a non-empty string');
    if (names.has(t.name)) throw bad('name', 'is used twice');
    names.add(t.name);
    if (typeof t.body !== 'function') throw bad('body', 'must be a function');
    if (typeof t.points !== 'number' || !(t.points >= 0)) throw bad('points', 'must be a number >= 0');
    if (t.visibility !== 'visible')
      throw bad('visibility', `"${String(t.visibility)}": only visible tests run in the browser`);
  });
  return tests as TestDefinition[];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
