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
export { DEFAULT_EXERCISE_LOADER, type GradeInPoolOptions, gradeInPool } from './pooled.ts';
export { type GradableExercise, type GradeOptions, gradeSubmission } from './run.ts';
export {
  type ValidatableExercise,
  type ValidationResult,
  validateExercise,
  withoutDurations,
} from './validate.ts';
