/**
 * What `@faultline/sandbox` is inside the browser runner's bundle
 * (build-runner.ts points the bare specifier here): the engine and the
 * scrubber as they are — web-standard code already — and the transpiler on
 * esbuild-wasm instead of native esbuild. So the grader's runner
 * (`gradeSubmission`) runs unchanged in a Web Worker, with the transpiler
 * options the server uses (the sandbox's `transpiler.ts`).
 *
 * Only what the runner's import graph uses from `@faultline/sandbox` is
 * here: a name it imports that is missing fails the build, not a run. The
 * pool, the Node worker and reading QuickJS's file from disk are Node's, and
 * stay out.
 */
export {
  createSandbox,
  createSandboxFactory,
  DEFAULT_LIMITS,
  MAX_NESTING,
  SandboxNestingError,
  SandboxUsageError,
} from '@faultline/sandbox/engine';
export { HOST_PATH, scrubHostPaths, scrubHostText } from '@faultline/sandbox/scrub';
export { transpile, utf16Column } from '@faultline/sandbox/transpile-wasm';

/**
 * On Node this reads QuickJS's `.wasm` from disk. The browser runner
 * compiles it from the URL its init message names and passes the module to
 * every grading (`GradeOptions.wasmModule`), so this is never reached.
 */
export function compileQuickJSModule(): Promise<never> {
  return Promise.reject(
    new Error('the browser runner passes its QuickJS module to gradeSubmission; nothing compiles one here'),
  );
}
