/** The uaccess instructions' addresses (t.kernelAccess's `ip`), for tests that can import only @faultline/grader. */
export { UACCESS_IP } from '@faultline/vm-core';
export {
  AssertionFailure,
  type ContextSetup,
  type CountBound,
  DEFAULT_FRAMES,
  defineTests,
  HarnessError,
  type HookChoice,
  type MmapOptions,
  type Prot,
  type RegisterTest,
  type TestBody,
  TestContext,
  type TestDefinition,
  type TestMachine,
  type TestOptions,
} from './harness.ts';
export {
  DEFAULT_DRIVER,
  DEFAULT_EXERCISE_LOADER,
  type GradeInPoolOptions,
  gradeInPool,
  type PooledGrade,
} from './pooled.ts';
export {
  type GradableExercise,
  type GradeOptions,
  type GradingProgress,
  gradeSubmission,
  gradingLimits,
} from './run.ts';
export {
  type ValidatableExercise,
  type ValidationResult,
  type ValidationSubject,
  validateExercise,
  validateWith,
  withoutDurations,
} from './validate.ts';
