// Uploads end to end below HTTP: a real archive, the real validation the
// CLI runs (`@faultline/cli/worker`, built by turbo before the tests), a
// real SQLite file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateExerciseFolder } from '@faultline/cli/worker';
import { type Db, openDatabase, type User } from '@faultline/db';
import { readExerciseContent } from '@faultline/grader/exercise';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installUpload } from './install.ts';

const exerciseDir = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  'exercises',
  'page-fault-handler',
);
let dir: string;
let db: Db;
let author: User;
let files: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-upload-test-'));
  db = await openDatabase(`sqlite:${join(dir, 'test.db')}`);
  await db.migrate();
  const created = await db.users.create({
    email: 'a@example.org',
    passwordHash: 'x',
    displayName: 'A',
    role: 'author',
  });
  if (created.kind !== 'ok') throw new Error('setup');
  author = created.user;
  const read = await readExerciseContent(exerciseDir);
  if (read.kind !== 'ok') throw new Error('setup');
  files = { ...read.content.files };
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const zip = (entries: Record<string, string>, folder = 'page-fault-handler') =>
  zipSync({
    [folder]: Object.fromEntries(Object.entries(entries).map(([p, t]) => [p, new TextEncoder().encode(t)])),
  });

describe('installUpload', () => {
  test('a sound exercise becomes the current version, recorded with its hash; the same archive again changes nothing', async () => {
    const first = await installUpload(db, author, zip(files), validateExerciseFolder);
    expect(first).toMatchObject({ kind: 'accepted', exerciseId: 'page-fault-handler', changed: true });
    const current = await db.exercises.current('page-fault-handler');
    expect(current?.hash).toBe(first.kind === 'accepted' ? first.hash : '');
    expect((await db.exercises.versionFiles(current?.hash ?? ''))?.['tests/hidden.ts']).toBe(
      await readFile(join(exerciseDir, 'tests', 'hidden.ts'), 'utf8'),
    );
    const again = await installUpload(db, author, zip(files), validateExerciseFolder);
    expect(again).toMatchObject({ kind: 'accepted', changed: false });
    const uploads = await db.uploads.list({ userId: author.id });
    expect(uploads.map((u) => u.outcome)).toEqual(['accepted', 'accepted']);
  });

  test('an unsound exercise (a mutant the hidden tests miss) is refused, and learners keep the version they had', async () => {
    const before = await db.exercises.current('page-fault-handler');
    const broken = { ...files, 'mutants/is-the-reference.ts': files['solution.ts'] ?? '' };
    const result = await installUpload(db, author, zip(broken), validateExerciseFolder);
    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' && result.problems.map((p) => p.message).join('\n')).toMatch(
      /is-the-reference/,
    );
    expect((await db.exercises.current('page-fault-handler'))?.hash).toBe(before?.hash);
    const [latest] = await db.uploads.list({ userId: author.id, limit: 1 });
    expect(latest?.outcome).toBe('rejected');
  });

  test('a field the schema refuses is reported by file and field', async () => {
    const meta = JSON.parse(files['exercise.json'] ?? '{}');
    const result = await installUpload(
      db,
      author,
      zip({ ...files, 'exercise.json': JSON.stringify({ ...meta, difficulty: 'impossible' }) }),
      validateExerciseFolder,
    );
    expect(result.kind === 'rejected' && result.problems[0]?.path).toBe('page-fault-handler/exercise.json');
    expect(result.kind === 'rejected' && result.problems[0]?.message).toMatch(/difficulty/);
  });

  test('a path outside the folder is refused before anything is written', async () => {
    const result = await installUpload(
      db,
      author,
      zipSync({ 'exercise.json': new TextEncoder().encode('{}'), '../escape.ts': new Uint8Array() }),
      validateExerciseFolder,
    );
    expect(result).toEqual({
      kind: 'rejected',
      problems: [{ path: '../escape.ts', message: 'the path has an empty, . or .. part' }],
    });
  });
});
