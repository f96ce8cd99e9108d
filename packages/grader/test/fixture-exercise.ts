/**
 * The grader's own exercise, for its tests: test/exercises/page-fault-handler,
 * a frozen copy of the workspace's page-fault-handler exercise (folder,
 * metadata, tests, solution, starter and mutants as they were when the
 * exercise format moved into the grader).
 *
 * The grader's tests pin the grader's behaviour on a known exercise, so they
 * change when the grader does, not when an instructor edits the live one;
 * the live exercises are proven by the exercises workspace's own tests
 * (every exercise loads, validates, and keeps its committed verdicts). The
 * copy's tests import `@faultline/grader` like any exercise's: inside this
 * package that name resolves to the package itself (a package's
 * self-reference, which Node, tsx and vitest all follow).
 */
import { join } from 'node:path';

/** A folder of exercise folders, as an instructor's repository has one. */
export const FIXTURE_EXERCISES = new URL('./exercises', import.meta.url).pathname;
/** The exercise the runner, pool, loader and hostile-corpus tests grade. */
export const FIXTURE_ID = 'page-fault-handler';
export const FIXTURE_DIR = join(FIXTURE_EXERCISES, FIXTURE_ID);
