/**
 * The submissions whose verdicts are committed (test/verdicts/<exercise>/…):
 * every exercise's reference solution, starter and mutants, and the hostile
 * corpus (test/hostile, graded against page-fault-handler). Shared by the
 * verdict-stability test and the script that regenerates the files
 * (`npx pnpm --filter @faultline/grader verdicts:update`).
 *
 * A committed report is the grader's report with every `durationMs` set to
 * 0: the only field that may differ between two gradings of one submission.
 */
import { join, relative, sep } from 'node:path';
// The grader cannot depend on @faultline/exercises (which depends on it); the
// exercises are reached by path, as the other grader tests do.
import { EXERCISES_DIR, listExercises, readExercise } from '../../../../exercises/src/index.ts';
import { type Report, ReportSchema } from '../../src/index.ts';
import { filesUnder, HOSTILE_TARGET, hostileFixtures } from '../hostile-corpus.ts';

export const VERDICTS_DIR = new URL('.', import.meta.url).pathname.replace(/\/$/, '');

export interface Subject {
  /** Where its report is kept, relative to VERDICTS_DIR, e.g. `page-fault-handler/mutants/always-allocate.json`. */
  readonly key: string;
  readonly exerciseDir: string;
  readonly source: string;
}

export async function verdictSubjects(): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const id of await listExercises()) {
    const exerciseDir = join(EXERCISES_DIR, id);
    const files = await readExercise(exerciseDir);
    subjects.push({ key: `${id}/solution.json`, exerciseDir, source: files.solution });
    subjects.push({ key: `${id}/starter.json`, exerciseDir, source: files.starter });
    for (const mutant of files.mutants)
      subjects.push({ key: `${id}/mutants/${mutant.name}.json`, exerciseDir, source: mutant.source });
  }
  const target = join(EXERCISES_DIR, HOSTILE_TARGET);
  for (const { name, source } of hostileFixtures()) {
    const key = `${HOSTILE_TARGET}/hostile/${name.replace(/\.ts(\.txt)?$/, '')}.json`;
    subjects.push({ key, exerciseDir: target, source });
  }
  return subjects;
}

/** The committed form of a report: durations zeroed. */
export function committed(report: Report): Report {
  return ReportSchema.parse({ ...report, tests: report.tests.map((t) => ({ ...t, durationMs: 0 })) });
}

/** Every committed report file, relative to VERDICTS_DIR. */
export function committedKeys(): string[] {
  return filesUnder(VERDICTS_DIR)
    .filter((path) => path.endsWith('.json'))
    .map((path) => relative(VERDICTS_DIR, path).split(sep).join('/'))
    .sort();
}

export function serialize(report: Report): string {
  return `${JSON.stringify(committed(report), null, 2)}\n`;
}
