/**
 * The browser runner's message protocol (`@faultline/grader/browser-protocol`):
 * what a page posts to the runner's module Web Worker and what it posts
 * back. Types only, plus the protocol's version: safe to import in client
 * code (nothing here pulls the grader into a page's bundle).
 *
 * ```
 * page                                         worker (dist/browser/runner.js)
 *   { type: 'init', quickjsWasm, esbuildWasm } →
 *                                             ← { type: 'ready', protocol, esbuildVersion }
 *   { type: 'run', runId, learnerSource,
 *     exercise, tests }                        →
 *                                             ← { type: 'progress', runId, event }   (the plan, then each test)
 *                                             ← { type: 'report', runId, report }    (or { type: 'error', runId, message })
 * ```
 *
 * Runs are graded one at a time, in the order they arrive; a run posted
 * before 'ready' waits for the initialization (and gets an 'error' if it
 * fails). The worker never stops a run itself: the page must terminate the
 * worker when a run outlasts the exercise's `wallMsTotal` (the
 * `limits.wallMsTotal` that `bundleVisibleTests` returns), and start a new one.
 */
import type { BridgedHookName } from '../kernel-bridge/index.ts';
import type { LimitSettings } from '../limits.ts';
import type { Report } from '../report.ts';
import type { GradingProgress } from '../runner/run.ts';

/** Bumped when a message changes shape. */
export const BROWSER_RUNNER_PROTOCOL = 1;

/**
 * A WebAssembly file: a URL (absolute, or relative to the worker script's
 * own URL) that the page's own origin serves, or a `WebAssembly.Module` the
 * page compiled already (posting one to many workers costs no recompiling).
 */
export type WasmAsset = string | WebAssembly.Module;

/** What the runner needs to know of the exercise (`bundleVisibleTests` returns it, read from exercise.json). */
export interface BrowserExercise {
  readonly id: string;
  /** The hooks the learner's module must export. */
  readonly hooks: readonly BridgedHookName[];
  /** exercise.json's limits (unset ones take their defaults, as on the server). */
  readonly limits?: LimitSettings | undefined;
  /** Physical frames of each test's kernel. */
  readonly frames?: number | undefined;
  /** Accepted and ignored: a visible-tests run is scored out of the visible tests' points, as on the server. */
  readonly maxScore?: number | undefined;
}

/**
 * The exercise's visible tests, bundled for the browser by
 * `bundleVisibleTests` on the server: its `code` (imported from a `data:`
 * URL), or a URL the page serves it from or made with `URL.createObjectURL`.
 * `sha256` (or the URL) names it: a bundle already loaded in this worker is
 * not imported again.
 */
export type VisibleTestsModule =
  | { readonly code: string; readonly sha256?: string }
  | { readonly url: string };

export type RunnerRequest =
  | {
      readonly type: 'init';
      /** QuickJS's `.wasm` (`browserAssets().quickjsWasm`, served by the app). */
      readonly quickjsWasm: WasmAsset;
      /** esbuild-wasm's `esbuild.wasm` (`browserAssets().esbuildWasm`, served by the app). */
      readonly esbuildWasm: WasmAsset;
    }
  | {
      readonly type: 'run';
      /** The page's name for this run: every message about it carries it. */
      readonly runId: string;
      /** The learner's TypeScript, as Submit would send it. */
      readonly learnerSource: string;
      /** File name in compile errors (default `solution.ts`, as on the server). */
      readonly filename?: string;
      readonly exercise: BrowserExercise;
      readonly tests: VisibleTestsModule;
      /**
       * Record failed tests for the trace picture (`gradeSubmission`'s
       * `record`; only visible tests run here, so 'visible' and 'all' are
       * the same). Default: none, as on the server.
       */
      readonly record?: 'visible' | 'all';
    };

export type RunnerMessage =
  | {
      readonly type: 'ready';
      readonly protocol: typeof BROWSER_RUNNER_PROTOCOL;
      readonly esbuildVersion: string;
    }
  | { readonly type: 'progress'; readonly runId: string; readonly event: GradingProgress }
  /** The learner's view of the visible tests' report: what `gradeSubmission(…, { visibleOnly: true })` gives, through `viewFor(…, learner)`. */
  | { readonly type: 'report'; readonly runId: string; readonly report: Report }
  /**
   * Nothing was graded: the worker could not start (`runId` null: a wasm
   * file did not load), the run's message was malformed, the tests module
   * did not load, or the grader failed. Not the learner's fault, and never
   * a verdict on their code.
   */
  | { readonly type: 'error'; readonly runId: string | null; readonly message: string };
