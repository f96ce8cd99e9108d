export {
  AssertionFailure,
  type ContextSetup,
  DEFAULT_FRAMES,
  defineTests,
  HarnessError,
  type Prot,
  type RegisterTest,
  type TestBody,
  TestContext,
  type TestDefinition,
  type TestOptions,
} from './harness.ts';
export { DEFAULT_EXERCISE_LOADER, type GradeInPoolOptions, gradeInPool, type PooledGrade } from './pooled.ts';
export {
  DEFAULT_GRADING_LIMITS,
  type GradableExercise,
  type GradeOptions,
  type GradingLimits,
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
