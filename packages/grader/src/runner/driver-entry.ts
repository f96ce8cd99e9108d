/**
 * The entry point of the grader's build, `dist/driver.js` (export
 * `@faultline/grader/driver`; see build.mjs): one ES module that Node runs
 * without a TypeScript loader, for the grading worker. The same URL is
 *
 * - the pool driver (its default export, `gradeDriver`),
 * - the exercise loader (`loadExercise`, `readExercise`), and
 * - what an exercise's tests get for `@faultline/grader`: the loader compiles
 *   them with that import pointing here, so tests and runner share one copy
 *   of the grader (one `AssertionFailure`, one `TestContext`).
 */
export * from '../index.ts';
export { default } from './pooled.ts';
