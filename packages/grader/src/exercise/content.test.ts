import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  contentHash,
  EXERCISE_CONTENT_LIMITS,
  exerciseContent,
  pathProblem,
  readExerciseContent,
  writeExerciseContent,
} from './content.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-content-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('paths', () => {
  test.each([
    ['../escape.ts', 'the path has an empty, . or .. part'],
    ['tests/../../x', 'the path has an empty, . or .. part'],
    ['/etc/passwd', 'only relative paths with / are allowed'],
    ['tests\\hidden.ts', 'only relative paths with / are allowed'],
    ['.env', 'hidden files (names starting with .) are not part of an exercise'],
    ['a//b', 'the path has an empty, . or .. part'],
    ['tests/hi dden.ts', 'names may hold only letters, digits, ., _ and -'],
  ])('%s is refused', (path, why) => {
    expect(pathProblem(path)).toBe(why);
  });
  test('plain relative paths are fine', () => {
    expect(pathProblem('tests/hidden.ts')).toBeNull();
    expect(pathProblem('exercise.json')).toBeNull();
  });
});

test('the hash depends on paths and contents, not on the order files came in', () => {
  const a = contentHash({ 'a.ts': '1', 'b.ts': '2' });
  expect(contentHash({ 'b.ts': '2', 'a.ts': '1' })).toBe(a);
  expect(contentHash({ 'a.ts': '1', 'b.ts': '3' })).not.toBe(a);
  expect(contentHash({ 'a.ts': '1', 'c.ts': '2' })).not.toBe(a);
  // The separator keeps "ab" + "c" apart from "a" + "bc".
  expect(contentHash({ ab: 'c' })).not.toBe(contentHash({ a: 'bc' }));
});

test('limits: too many files, too big a file, a repeated path — each named', () => {
  const many = Array.from({ length: EXERCISE_CONTENT_LIMITS.files + 1 }, (_, i) => [`f${i}.ts`, ''] as const);
  const r1 = exerciseContent(many);
  expect(r1.kind === 'err' && r1.problems.map((p) => p.message)).toEqual([
    `${EXERCISE_CONTENT_LIMITS.files + 1} files; an exercise may hold ${EXERCISE_CONTENT_LIMITS.files}`,
  ]);
  const r2 = exerciseContent([['big.ts', 'x'.repeat(EXERCISE_CONTENT_LIMITS.bytesPerFile + 1)]]);
  expect(r2.kind === 'err' && r2.problems[0]?.path).toBe('big.ts');
  const r3 = exerciseContent([
    ['a.ts', ''],
    ['a.ts', 'again'],
  ]);
  expect(r3.kind === 'err' && r3.problems).toEqual([{ path: 'a.ts', message: 'the file appears twice' }]);
});

test('a folder reads back as the content written out, and the written folder is complete or absent', async () => {
  const source = join(dir, 'src', 'demo');
  await mkdir(join(source, 'tests'), { recursive: true });
  await writeFile(join(source, 'exercise.json'), '{}');
  await writeFile(join(source, 'tests', 'hidden.ts'), 'export default [];');
  await mkdir(join(source, 'node_modules', 'x'), { recursive: true });
  await writeFile(join(source, 'node_modules', 'x', 'index.js'), 'ignored');
  const read = await readExerciseContent(source);
  if (read.kind !== 'ok') throw new Error(JSON.stringify(read.problems));
  expect(Object.keys(read.content.files)).toEqual(['exercise.json', 'tests/hidden.ts']);

  const target = join(dir, 'cache', read.content.hash, 'demo');
  await writeExerciseContent(read.content, target);
  expect(await readFile(join(target, 'tests', 'hidden.ts'), 'utf8')).toBe('export default [];');
  const again = await readExerciseContent(target);
  expect(again.kind === 'ok' && again.content.hash).toBe(read.content.hash);
  // Writing the same version twice leaves the first folder as it is.
  await writeExerciseContent(read.content, target);
});

test('a link in a folder is refused, not followed', async () => {
  const source = join(dir, 'linked');
  await mkdir(source);
  await writeFile(join(dir, 'secret.txt'), 'outside');
  await symlink(join(dir, 'secret.txt'), join(source, 'starter.ts'));
  const read = await readExerciseContent(source);
  expect(read).toEqual({
    kind: 'err',
    problems: [{ path: 'starter.ts', message: 'links are not allowed in an exercise' }],
  });
});

test('content with a path that escapes is never written', async () => {
  await expect(
    writeExerciseContent({ files: { '../x.ts': '' }, hash: 'h' }, join(dir, 'out', 'demo')),
  ).rejects.toThrow(/cannot write/);
  expect(await readExerciseContent(dir).then((r) => r.kind === 'ok' && Object.keys(r.content.files))).toEqual(
    [],
  );
});
