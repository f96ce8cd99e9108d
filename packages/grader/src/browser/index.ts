/**
 * The browser runner's server side (`@faultline/grader/browser`, Node): the
 * visible tests bundled for the browser, and the files to serve. The page's
 * side is the worker (`dist/browser/runner.js`) and its message protocol
 * (`@faultline/grader/browser-protocol`); see the README's "Run in the
 * browser".
 */
export { type BrowserAssets, browserAssets } from './assets.ts';
export { type BundleError, bundleVisibleTests, type VisibleTestsBundle } from './bundle-tests.ts';
export type {
  BrowserExercise,
  RunnerMessage,
  RunnerRequest,
  VisibleTestsModule,
  WasmAsset,
} from './protocol.ts';
export { BROWSER_RUNNER_PROTOCOL } from './protocol.ts';
