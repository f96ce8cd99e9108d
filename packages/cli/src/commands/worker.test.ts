// `faultline worker` grades what the web app stored: a real SQLite file, the
// workspace's exercise stored as a version, a learner's submission, and the
// built command (as a user runs it: `node bin/faultline.mjs worker …`, which
// compiles exercise tests itself, so a version written anywhere loads)
// stopped by SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Db, openDatabase } from '@faultline/db';
import { EXERCISES_DIR } from '@faultline/exercises';
import { readExercise, readExerciseContent } from '@faultline/grader/exercise';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { parseWorkerArgs } from './worker.ts';

const BIN = fileURLToPath(new URL('../../bin/faultline.mjs', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-worker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function storeExercise(db: Db): Promise<{ hash: string; solution: string }> {
  const folder = join(EXERCISES_DIR, 'page-fault-handler');
  const files = await readExercise(folder);
  const content = await readExerciseContent(folder);
  if (content.kind !== 'ok') throw new Error('setup');
  const { hash } = content.content;
  await db.exercises.putVersion({
    exerciseId: files.id,
    hash,
    meta: files.meta,
    readme: files.readme,
    starter: files.starter,
    files: content.content.files,
    source: 'folder',
  });
  await db.exercises.setCurrent(files.id, hash);
  return { hash, solution: files.solution };
}

test('grades a stored submission from the queue, then stops on its signal', async () => {
  const url = `sqlite:${join(dir, 'faultline.db')}`;
  const db = await openDatabase(url);
  await db.migrate();
  const { hash, solution } = await storeExercise(db);
  const learner = await db.users.create({
    email: 'l@example.org',
    passwordHash: 'x',
    displayName: 'L',
    role: 'learner',
  });
  if (learner.kind !== 'ok') throw new Error('setup');
  const created = await db.submissions.create({
    userId: learner.user.id,
    exerciseId: 'page-fault-handler',
    exerciseHash: hash,
    code: solution,
  });
  if (created.kind !== 'ok') throw new Error('setup');

  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--database', url, '--jobs', '1', '--data-dir', dir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  // The worker says when it has stored a grade (or given up on one): the test
  // waits for that line, not on a clock.
  const stored = new Promise<void>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      err += t;
      if (err.includes(`graded ${created.submission.id} `) || err.includes('gave up')) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await Promise.race([stored, exited]);
  const graded = await db.submissions.get(created.submission.id);
  child.kill('SIGTERM');
  expect(await exited, err).toBe(0);
  expect(graded, err).toMatchObject({ status: 'graded', verdict: 'pass', score: 26, maxScore: 26 });
  expect(err).toMatch(/grading 1 at a time[\s\S]*stopped\n$/);
  await db.close();
});

test('usage errors say what is wrong', () => {
  expect(parseWorkerArgs([])).toMatchObject({
    kind: 'err',
    message: expect.stringMatching(/which database/),
  });
  expect(parseWorkerArgs(['--database', 'sqlite::memory:', '--jobs', '0'])).toEqual({
    kind: 'err',
    message: '--jobs must be 1 to 64, not 0',
  });
});
