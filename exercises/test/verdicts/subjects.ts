/**
 * The submissions whose verdicts are committed here (test/verdicts/<exercise>/…):
 * every exercise's reference solution, starter and mutants. Shared by the
 * verdict-stability test and the script that regenerates the files
 * (`npx pnpm --filter @faultline/exercises verdicts:update`). The grader's
 * hostile corpus has its own, in the grader.
 *
 * A committed report is the grader's report with every `durationMs` set to
 * 0 (see `committedReport` in `@faultline/grader/testing`).
 */
import { join } from 'node:path';
import { readExercise } from '@faultline/grader/exercise';
import type { VerdictSubject } from '@faultline/grader/testing';
import { EXERCISES_DIR, listExercises } from '../../src/index.ts';

export const VERDICTS_DIR = new URL('.', import.meta.url).pathname.replace(/\/$/, '');

export async function verdictSubjects(): Promise<VerdictSubject[]> {
  const subjects: VerdictSubject[] = [];
  for (const id of await listExercises()) {
    const exerciseDir = join(EXERCISES_DIR, id);
    const files = await readExercise(exerciseDir);
    subjects.push({ key: `${id}/solution.json`, exerciseDir, source: files.solution });
    subjects.push({ key: `${id}/starter.json`, exerciseDir, source: files.starter });
    for (const mutant of files.mutants)
      subjects.push({ key: `${id}/mutants/${mutant.name}.json`, exerciseDir, source: mutant.source });
  }
  return subjects;
}
