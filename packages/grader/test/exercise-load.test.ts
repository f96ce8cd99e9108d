// The exercise format's loader on the grader's own exercise: a folder loads into an
// Exercise, and a broken one (a copy broken in a scratch folder) is reported
// by file and field.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ExerciseLoadError, gradingLimits, listExercises, loadExercise, readExercise } from '../src/index.ts';
import { FIXTURE_EXERCISES as EXERCISES_DIR } from './fixture-exercise.ts';

/** This package's folder: what `@faultline/grader` resolves to. */
const GRADER_DIR = new URL('..', import.meta.url).pathname;

/**
 * A scratch folder outside the repository, set up as an exercises folder of an
 * instructor's own (what `faultline new --exercises` sets up and `pnpm add -D
 * link:…` installs): a package.json that makes the tests ES modules, and
 * node_modules/@faultline/grader, a link to this package, so that copied
 * tests resolve the grader they import.
 */
async function exercisesFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-exercises-'));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
  await mkdir(join(dir, 'node_modules', '@faultline'), { recursive: true });
  await symlink(GRADER_DIR, join(dir, 'node_modules', '@faultline', 'grader'), 'dir');
  return dir;
}

const temp = await exercisesFolder();
afterAll(() => rm(temp, { recursive: true, force: true }));

/** A copy of page-fault-handler under the name `page-fault-handler` in a fresh folder, for breaking. */
async function copy(tag: string): Promise<string> {
  const dir = join(temp, tag, 'page-fault-handler');
  await cp(join(EXERCISES_DIR, 'page-fault-handler'), dir, { recursive: true });
  return dir;
}

describe('listExercises', () => {
  test('every listed exercise loads, under its folder name', async () => {
    const ids = await listExercises(EXERCISES_DIR);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const ex = await loadExercise(join(EXERCISES_DIR, id));
      expect(ex.meta.id).toBe(id);
      expect(ex.tests.length).toBeGreaterThan(0);
    }
  });

  test('lists the folders of another root that hold an exercise.json, sorted', async () => {
    const root = join(temp, 'catalog');
    // node_modules is a package's dependencies, never an exercise.
    for (const id of ['b-exercise', 'a-exercise', 'node_modules']) {
      await mkdir(join(root, id), { recursive: true });
      await writeFile(join(root, id, 'exercise.json'), '{}\n');
    }
    await mkdir(join(root, 'notes'));
    await writeFile(join(root, 'README.md'), '# a course\n');
    expect(await listExercises(root)).toEqual(['a-exercise', 'b-exercise']);
  });
});

describe('loadExercise', () => {
  test('lists and loads page-fault-handler', async () => {
    expect(await listExercises(EXERCISES_DIR)).toContain('page-fault-handler');
    const ex = await loadExercise(join(EXERCISES_DIR, 'page-fault-handler'));
    expect(ex.meta).toMatchObject({ id: 'page-fault-handler', points: 26, hooks: ['anonymousFault'] });
    expect(ex.maxScore).toBe(26);
    expect(ex.tests.filter((t) => t.visibility === 'visible')).toHaveLength(3);
    expect(ex.tests.filter((t) => t.visibility === 'hidden')).toHaveLength(10);
    expect(ex.mutants.length).toBeGreaterThanOrEqual(4);
    expect(ex.solution).toContain('export function anonymousFault');
    expect(ex.readme).toContain('anonymousFault(fault: FaultInfo, vma: VmaInfo)');
  });

  test('a bad field in exercise.json is reported by file and field', async () => {
    const dir = await copy('bad-field');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...meta, difficulty: 'impossible', hooks: ['nope'] }));
    const error = await loadExercise(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExerciseLoadError);
    expect((error as Error).message).toMatch(
      /^page-fault-handler\/exercise\.json: difficulty: .*; hooks\.0: /,
    );
  });

  test('points that do not add up, and a missing file, are reported', async () => {
    const dir = await copy('bad-points');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...meta, points: 20 }));
    await expect(loadExercise(dir)).rejects.toThrow(
      'page-fault-handler/exercise.json: points: 20, but the tests are worth 26 together',
    );
    const missing = await copy('missing');
    await rm(join(missing, 'solution.ts'));
    await expect(loadExercise(missing)).rejects.toThrow('page-fault-handler/solution.ts: file is missing');
  });

  test('a hidden test file must not hold visible tests', async () => {
    const dir = await copy('leaky');
    const file = join(dir, 'tests', 'hidden.ts');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace("visibility: 'hidden'", "visibility: 'visible'"),
    );
    await expect(loadExercise(dir)).rejects.toThrow(
      /page-fault-handler\/tests\/hidden\.ts: test 0 \(".*"\): visibility:/,
    );
  });

  test('limits that contradict each other are reported by field', async () => {
    const dir = await copy('bad-limits');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(
      file,
      JSON.stringify({ ...meta, limits: { cpuMsPerCall: 900, cpuMsPerTest: 500, wallMsTotal: 10, logs: 1 } }),
    );
    const error = await readExercise(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExerciseLoadError);
    const message = (error as Error).message;
    expect(message).toMatch(/^page-fault-handler\/exercise\.json: /);
    expect(message).toContain('limits.wallMsTotal: ');
    expect(message).toContain('"logs"');
  });
});

describe('readExercise', () => {
  test('reads metadata, instructions and sources without running the tests', async () => {
    const dir = await copy('stuck-tests');
    // A test module that would hang whoever imports it.
    await writeFile(join(dir, 'tests', 'hidden.ts'), 'for (;;) {}\nexport default [];\n');
    const files = await readExercise(dir);
    const { points, limits } = JSON.parse(await readFile(join(dir, 'exercise.json'), 'utf8'));
    expect(files.meta).toMatchObject({ id: 'page-fault-handler', points, limits });
    expect(files.solution).toContain('export function anonymousFault');
    expect(files.mutants.map((m) => m.name)).toContain('always-allocate');
    expect('tests' in files).toBe(false);
  });

  test('a wall-clock limit closer than ten times to the step budget it backs is refused', async () => {
    const dir = await copy('tight-wall');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(
      file,
      JSON.stringify({ ...meta, limits: { cpuMsPerCall: 250, wallMsPerCall: 2_000, wallMsTotal: 100_000 } }),
    );
    const message = await readExercise(dir).then(
      () => 'loaded',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toContain(
      'limits.wallMsPerCall: 2000 ms is less than 10 × cpuMsPerCall (250 ms) = 2500 ms: a wall-clock limit that close to the step budget it backs could decide a verdict on a slow or busy machine',
    );
    // cpuMsTotal is left out, so its default (30 000 ms) is what wallMsTotal must clear.
    expect(message).toContain(
      'limits.wallMsTotal: 100000 ms is less than 10 × cpuMsTotal (30000 ms) = 300000 ms',
    );
  });

  test('wall-clock limits left out follow the step budgets they back', async () => {
    const dir = await copy('derived-wall');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...meta, limits: { cpuMsPerCall: 100, cpuMsTotal: 20_000 } }));
    const files = await readExercise(dir);
    expect(gradingLimits(files.meta)).toMatchObject({
      cpuMsPerCall: 100,
      wallMsPerCall: 10_000,
      cpuMsTotal: 20_000,
      wallMsTotal: 200_000,
    });
  });

  test('a per-call budget above the per-test budget is refused', async () => {
    const dir = await copy('call-over-test');
    const file = join(dir, 'exercise.json');
    const meta = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...meta, limits: { cpuMsPerCall: 900, cpuMsPerTest: 500 } }));
    await expect(readExercise(dir)).rejects.toThrow(
      'page-fault-handler/exercise.json: limits.cpuMsPerCall: cpuMsPerCall must not exceed cpuMsPerTest',
    );
  });
});
