/**
 * What an exercise's visible tests get for `@faultline/grader` in the
 * browser: the test API, as the very objects the runner's grader uses (one
 * `defineTests`, one `TestContext`, one `AssertionFailure`), handed to the
 * tests' bundle when the runner loads it (`bundle-tests.ts`).
 *
 * It is the part of the grader's public API that tests use and a browser can
 * run: everything of `@faultline/grader` except the exercise loader, the
 * pool and the renderings (Node's, or of no use to a test). A test that
 * imports another name fails to bundle, naming it. `tests-api.test.ts` holds
 * each name to be the same value `@faultline/grader` exports.
 */
export { UACCESS_IP } from '@faultline/vm-core';
export {
  BRIDGED_HOOKS,
  describeVerdict,
  GUEST_KERNEL_METHODS,
  GUEST_UACCESS_METHODS,
  KernelArgumentError,
  LearnerHookFailure,
} from '../kernel-bridge/index.ts';
export * from '../limits.ts';
export * from '../report.ts';
export {
  AssertionFailure,
  DEFAULT_FRAMES,
  defineTests,
  HarnessError,
  TestContext,
} from '../runner/harness.ts';
export * from '../view.ts';
