/**
 * Proving an exercise folder sound — schema valid, reference at full marks,
 * starter and every mutant below it, deterministic — as `faultline
 * validate` does, for the command and for the web app's uploads alike (an
 * uploaded exercise is accepted only if this says so).
 */
import type { ValidationResult } from '@faultline/grader';
import type { Pool } from '@faultline/sandbox';
import { loadGrader } from '../commands/grade.ts';

export type FolderValidation =
  /** Sound: the reports say how the reference, starter and mutants scored. */
  | { readonly kind: 'sound'; readonly result: ValidationResult }
  /** Graded, and something is wrong: each problem a sentence. */
  | { readonly kind: 'unsound'; readonly problems: readonly string[]; readonly result: ValidationResult }
  /** The folder could not be read or its tests could not run: the reason names the file and field. */
  | { readonly kind: 'unreadable'; readonly message: string };

/** Validates the exercise folder `dir` on `pool` (one of one worker is made, and closed, when none is given). */
export async function validateExerciseFolder(dir: string, pool?: Pool): Promise<FolderValidation> {
  const { grader, sandbox, driver } = await loadGrader();
  const own = pool === undefined ? sandbox.createPool({ size: 1 }) : null;
  const use = pool ?? (own as Pool);
  try {
    let files: Awaited<ReturnType<typeof grader.readExercise>>;
    try {
      files = await grader.readExercise(dir);
    } catch (error) {
      return { kind: 'unreadable', message: (error as Error).message };
    }
    let couldNotGrade: string | null = null;
    let result: ValidationResult;
    try {
      result = await grader.validateWith(files, async (learnerSource) => {
        const graded = await grader.gradeInPool(use, {
          exerciseDir: dir,
          learnerSource,
          ...(driver === undefined ? {} : { driver }),
        });
        if (graded.kind === 'grader-failed') {
          couldNotGrade = graded.reason;
          throw new CouldNotGrade(graded.reason);
        }
        return graded.report;
      });
    } catch (error) {
      if (!(error instanceof CouldNotGrade)) throw error;
      return { kind: 'unreadable', message: `could not grade: ${couldNotGrade ?? error.message}` };
    }
    return result.ok ? { kind: 'sound', result } : { kind: 'unsound', problems: result.problems, result };
  } finally {
    await own?.close();
  }
}

/** The exercise could not be graded at all (its tests do not load, a worker died): not a verdict on it. */
class CouldNotGrade extends Error {}
