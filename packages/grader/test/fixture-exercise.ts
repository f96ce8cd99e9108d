/**
 * The exercise the grader's tests grade: the workspace's page-fault-handler,
 * read as data from the checkout's exercises/ folder (found from the
 * checkout's root, not imported: the exercises depend on the grader, not the
 * other way round). Its tests import `@faultline/grader` like any exercise's.
 * turbo hashes exercises/ into the grader's tests, so a change to the
 * exercise re-runs them, and the hostile corpus's committed reports follow it
 * (`npx pnpm --filter @faultline/grader verdicts:update`).
 */
import { join } from 'node:path';
import { workspaceRoot } from '../src/testing.ts';

/** A folder of exercise folders, as an instructor's repository has one. */
export const FIXTURE_EXERCISES = join(workspaceRoot(import.meta.dirname), 'exercises');
/** The exercise the runner, pool, loader and hostile-corpus tests grade. */
export const FIXTURE_ID = 'page-fault-handler';
export const FIXTURE_DIR = join(FIXTURE_EXERCISES, FIXTURE_ID);
