/**
 * An author's upload becomes an exercise version only if it is sound:
 * unpacked safely, checked by the format's path and size rules, written to
 * a private temporary folder and validated exactly as `faultline validate`
 * validates (reference at full marks, starter and mutants below,
 * deterministic). Only then is it stored and made current, in that order,
 * so a failure at any step leaves learners on the version they had. Every
 * upload is recorded — who, when, the content's hash, and why it was
 * refused.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db, User } from '@faultline/db';
import { exerciseContent, readExercise, writeExerciseContent } from '@faultline/grader/exercise';
import { type Problem, unzipExercise } from './unzip.ts';

export type InstallResult =
  | {
      readonly kind: 'accepted';
      readonly exerciseId: string;
      readonly hash: string;
      readonly changed: boolean;
    }
  | { readonly kind: 'rejected'; readonly problems: readonly Problem[] };

type Validate = (
  dir: string,
) => Promise<
  | { kind: 'sound' }
  | { kind: 'unsound'; problems: readonly string[] }
  | { kind: 'unreadable'; message: string }
>;

export async function installUpload(
  db: Db,
  user: User,
  archive: Uint8Array,
  validate: Validate,
): Promise<InstallResult> {
  // Until the content is known, the upload is recorded by the archive's own hash.
  const archiveHash = `archive:${createHash('sha256').update(archive).digest('hex')}`;
  const unpacked = unzipExercise(archive);
  if (unpacked.kind === 'err') return reject(db, user, null, archiveHash, unpacked.problems);
  const checked = exerciseContent(unpacked.entries);
  if (checked.kind === 'err') return reject(db, user, null, archiveHash, checked.problems);
  const { content } = checked;
  const id = exerciseIdOf(content.files['exercise.json']);
  if (typeof id !== 'string')
    return reject(db, user, null, content.hash, [{ path: 'exercise.json', message: id.message }]);

  const staging = await mkdtemp(join(tmpdir(), 'faultline-upload-'));
  try {
    const dir = join(staging, id);
    await writeExerciseContent(content, dir);
    const verdict = await validate(dir);
    if (verdict.kind === 'unreadable')
      return reject(db, user, id, content.hash, [problemOf(verdict.message)]);
    if (verdict.kind === 'unsound')
      return reject(
        db,
        user,
        id,
        content.hash,
        verdict.problems.map((p) => ({ path: id, message: p })),
      );
    const files = await readExercise(dir);
    const before = await db.exercises.current(id);
    const put = await db.exercises.putVersion({
      exerciseId: id,
      hash: content.hash,
      meta: files.meta,
      readme: files.readme,
      starter: files.starter,
      files: content.files,
      source: 'upload',
      uploadedBy: user.id,
    });
    if (put.kind === 'err')
      return reject(db, user, id, content.hash, [
        {
          path: '.',
          message:
            put.reason === 'text-contains-nul'
              ? `${put.path} holds a NUL character`
              : 'this content is already stored as another exercise',
        },
      ]);
    const current = await db.exercises.setCurrent(id, content.hash);
    if (current.kind === 'err')
      return reject(db, user, id, content.hash, [{ path: '.', message: current.reason }]);
    await db.uploads.record({
      userId: user.id,
      exerciseId: id,
      contentHash: content.hash,
      outcome: 'accepted',
    });
    return { kind: 'accepted', exerciseId: id, hash: content.hash, changed: before?.hash !== content.hash };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The id exercise.json names, or why it names none (the folder is named after it). */
function exerciseIdOf(json: string | undefined): string | { message: string } {
  if (json === undefined) return { message: 'missing: every exercise folder has an exercise.json' };
  try {
    const id = (JSON.parse(json) as { id?: unknown }).id;
    if (typeof id === 'string' && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) return id;
    return { message: 'id: must be kebab-case (a-z, 0-9, single dashes)' };
  } catch (error) {
    return { message: `not valid JSON (${(error as Error).message})` };
  }
}

/** The loader's messages start with "<id>/<file>: …": that is the problem's path. */
function problemOf(message: string): Problem {
  const at = /^([a-z0-9-]+\/[^:\s]+): (.*)$/s.exec(message);
  return at === null ? { path: '.', message } : { path: at[1] ?? '.', message: at[2] ?? message };
}

async function reject(
  db: Db,
  user: User,
  exerciseId: string | null,
  hash: string,
  problems: readonly Problem[],
): Promise<InstallResult> {
  await db.uploads.record({
    userId: user.id,
    ...(exerciseId === null ? {} : { exerciseId }),
    contentHash: hash,
    outcome: 'rejected',
    errors: problems.map((p) => `${p.path}: ${p.message}`),
  });
  return { kind: 'rejected', problems };
}
