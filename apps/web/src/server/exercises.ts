/**
 * Exercises as the app's pages use them: the database keeps each version's
 * metadata as plain JSON (it knows no exercise format), and here it is read
 * back through the exercise format's own schema, so a page gets typed
 * metadata — and a version whose metadata no longer parses is left out
 * rather than drawn half-broken.
 */
import type { Db, ExerciseSummary } from '@faultline/db';
import { type ExerciseMeta, ExerciseMetaSchema } from '@faultline/grader/exercise';

export interface Exercise extends Omit<ExerciseSummary, 'meta'> {
  readonly meta: ExerciseMeta;
}

function typed(summary: ExerciseSummary): Exercise | null {
  const meta = ExerciseMetaSchema.safeParse(summary.meta);
  if (!meta.success) {
    console.error(
      `faultline web: exercise ${summary.id} (${summary.hash}) has metadata the format no longer accepts`,
    );
    return null;
  }
  return { ...summary, meta: meta.data };
}

export async function currentExercises(db: Db): Promise<Exercise[]> {
  return (await db.exercises.listCurrent()).map(typed).filter((e): e is Exercise => e !== null);
}

export async function currentExercise(db: Db, id: string): Promise<Exercise | null> {
  const summary = await db.exercises.current(id);
  return summary === null ? null : typed(summary);
}
