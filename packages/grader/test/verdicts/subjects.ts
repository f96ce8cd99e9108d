/**
 * The submissions whose verdicts the grader commits (test/verdicts/<exercise>/hostile/…):
 * the hostile corpus (test/hostile), graded against the grader's own
 * page-fault-handler. Shared by the verdict-stability test and the script
 * that regenerates the files (`npx pnpm --filter @faultline/grader verdicts:update`).
 * The exercises' own submissions (solutions, starters, mutants) have theirs
 * in the exercises workspace.
 *
 * A committed report is the grader's report with every `durationMs` set to
 * 0 (see `committedReport` in `@faultline/grader/testing`).
 */
import type { VerdictSubject } from '../../src/testing.ts';
import { HOSTILE_TARGET, HOSTILE_TARGET_DIR, hostileFixtures } from '../hostile-corpus.ts';

export const VERDICTS_DIR = new URL('.', import.meta.url).pathname.replace(/\/$/, '');

export function verdictSubjects(): VerdictSubject[] {
  return hostileFixtures().map(({ name, source }) => ({
    key: `${HOSTILE_TARGET}/hostile/${name.replace(/\.ts(\.txt)?$/, '')}.json`,
    exerciseDir: HOSTILE_TARGET_DIR,
    source,
  }));
}
