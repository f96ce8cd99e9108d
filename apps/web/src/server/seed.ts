/**
 * At start, every exercise folder under the configured roots is stored as a
 * version of its exercise, named by its content hash; a new or changed
 * folder becomes the current version (an unchanged one leaves an author's
 * uploaded version current), and submissions already graded keep the
 * version they were graded against. A broken folder
 * is reported and skipped: it must not keep the others from being served.
 */
import { join } from 'node:path';
import type { Db } from '@faultline/db';
import { listExercises, readExercise, readExerciseContent } from '@faultline/grader/exercise';

export interface SeedResult {
  readonly seeded: readonly { readonly id: string; readonly hash: string; readonly changed: boolean }[];
  readonly skipped: readonly { readonly dir: string; readonly reason: string }[];
}

export async function seedExercises(db: Db, roots: readonly string[]): Promise<SeedResult> {
  const seeded: { id: string; hash: string; changed: boolean }[] = [];
  const skipped: { dir: string; reason: string }[] = [];
  for (const root of roots) {
    let ids: string[];
    try {
      ids = await listExercises(root);
    } catch (error) {
      skipped.push({
        dir: root,
        reason: `cannot read the folder (${(error as NodeJS.ErrnoException).code ?? error})`,
      });
      continue;
    }
    for (const id of ids) {
      const dir = join(root, id);
      try {
        const files = await readExercise(dir);
        const content = await readExerciseContent(dir);
        if (content.kind === 'err') {
          skipped.push({ dir, reason: content.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
          continue;
        }
        const { hash } = content.content;
        const before = await db.exercises.current(id);
        const put = await db.exercises.putVersion({
          exerciseId: id,
          hash,
          meta: files.meta,
          readme: files.readme,
          starter: files.starter,
          files: content.content.files,
          source: 'folder',
        });
        if (put.kind === 'err') {
          skipped.push({
            dir,
            reason: put.reason === 'text-contains-nul' ? `${put.path} holds a NUL character` : put.reason,
          });
          continue;
        }
        // The folder's version becomes current when the folder changed (or
        // the exercise is new); an unchanged folder leaves alone a version an
        // author uploaded since.
        if (put.created || before === null) await db.exercises.setCurrent(id, hash);
        seeded.push({ id, hash, changed: put.created || before === null });
      } catch (error) {
        skipped.push({ dir, reason: (error as Error).message });
      }
    }
  }
  return { seeded, skipped };
}
