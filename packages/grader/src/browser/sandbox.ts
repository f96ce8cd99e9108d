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
import * as engine from '@faultline/sandbox/engine';

export {
  DEFAULT_LIMITS,
  MAX_NESTING,
  SandboxNestingError,
  SandboxUsageError,
} from '@faultline/sandbox/engine';

/**
 * The guest's stack in the browser: the exercise's `stackBytes`, but at
 * most this. QuickJS's stack limit counts its C stack (in the wasm memory);
 * every guest call also takes frames of the thread's native stack, and a
 * browser's worker has far less of that than a Node thread: in Chromium 156
 * a dedicated worker recurses about 6 400 plain JS frames deep, Node's main
 * thread 14 000, a pool worker 55 000. At 256 KiB (the default, ~1 480 guest
 * frames) unbounded recursion ran the worker's native stack out before
 * QuickJS's limit: "crashed the sandbox: … Maximum call stack size
 * exceeded" in the browser where the server says "overflowed the stack",
 * measured on the hostile corpus's three recursions; 160 KiB still did,
 * 128 KiB no longer. 96 KiB (~550 guest frames) keeps a margin for
 * recursions with more host frames per level and smaller stacks. So an
 * endless recursion gets the server's verdict and message; only a
 * recursion deeper than ~550 frames and shallower than the exercise's limit
 * passes on Submit and overflows on Run. The report still names the
 * exercise's `stackBytes`, the limit Submit grades under.
 */
export const BROWSER_MAX_STACK_BYTES = 96 * 1024;

function withBrowserStack<T extends { readonly limits?: Partial<engine.SandboxLimits> | undefined }>(
  options: T,
): T {
  const stackBytes = Math.min(
    options.limits?.stackBytes ?? engine.DEFAULT_LIMITS.stackBytes,
    BROWSER_MAX_STACK_BYTES,
  );
  return { ...options, limits: { ...options.limits, stackBytes } };
}

export const createSandbox: typeof engine.createSandbox = (options) =>
  engine.createSandbox(withBrowserStack(options ?? {}));
export const createSandboxFactory: typeof engine.createSandboxFactory = (options) =>
  engine.createSandboxFactory(withBrowserStack(options));
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
