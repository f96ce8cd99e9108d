/**
 * Loads an exercise folder:
 *
 * ```
 * <id>/exercise.json     metadata (ExerciseMetaSchema)
 * <id>/README.md         instructions for the learner
 * <id>/starter.ts        what the learner starts from
 * <id>/solution.ts       the reference solution
 * <id>/tests/visible.ts  `export default defineTests(…)`: tests whose details the learner sees
 * <id>/tests/hidden.ts   the same, hidden (or after_due_date)
 * <id>/mutants/*.ts      known-wrong solutions the hidden tests must catch
 * ```
 *
 * A broken folder throws an `ExerciseLoadError` naming the file and field.
 *
 * `readExercise` reads the metadata and the learner-facing files only and
 * runs nothing: safe on any thread (a grading host reads limits and sources
 * with it). `loadExercise` also imports the tests, which are TypeScript
 * modules an instructor wrote, in the grading worker rather than the host.
 * How depends on how the grader was built (`IN_DRIVER_BUNDLE`): from source
 * (vitest, tsx, the web app) they are imported as they are, so the runtime
 * must understand TypeScript; in the grader's build (`dist/driver.js`) each
 * is compiled with esbuild first (`compile-tests.ts`) and imports that bundle
 * for `@faultline/grader`. Either way a test file that does not compile, or
 * throws while it loads, is an `ExerciseLoadError` naming the file (compile
 * errors with line and column).
 *
 * This module is the exercise format's loader, which `gradeInPool` uses
 * unless given another (`DEFAULT_EXERCISE_LOADER` is its URL): it exports
 * `readExercise(dir)` and `loadExercise(dir)`, the loader contract.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IN_DRIVER_BUNDLE } from '../runner/driver-bundle.ts';
import type { TestDefinition } from '../runner/harness.ts';
import type { ValidatableExercise } from '../runner/validate.ts';
import { type ExerciseMeta, ExerciseMetaSchema } from './schema.ts';

export class ExerciseLoadError extends Error {
  override name = 'ExerciseLoadError';
}

/** An exercise folder's files, read and checked, tests not imported. */
export interface ExerciseFiles {
  readonly id: string;
  readonly dir: string;
  readonly meta: ExerciseMeta;
  /** The learner's instructions (Markdown). */
  readonly readme: string;
  readonly starter: string;
  readonly solution: string;
  readonly mutants: readonly { readonly name: string; readonly source: string }[];
}

export interface Exercise extends ExerciseFiles, ValidatableExercise {}

const whereIn = (id: string) => (file: string) => `${id}/${file}`;

export async function readExercise(dir: string): Promise<ExerciseFiles> {
  const id = basename(dir);
  const where = whereIn(id);
  const text = async (file: string): Promise<string> => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch {
      throw new ExerciseLoadError(`${where(file)}: file is missing or unreadable`);
    }
  };

  let raw: unknown;
  try {
    raw = JSON.parse(await text('exercise.json'));
  } catch (error) {
    if (error instanceof ExerciseLoadError) throw error;
    throw new ExerciseLoadError(`${where('exercise.json')}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = ExerciseMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ExerciseLoadError(`${where('exercise.json')}: ${issues.join('; ')}`);
  }
  const meta = parsed.data;
  if (meta.id !== id)
    throw new ExerciseLoadError(
      `${where('exercise.json')}: id: "${meta.id}" does not match the folder name "${id}"`,
    );

  const [readme, starter, solution] = await Promise.all([
    text('README.md'),
    text('starter.ts'),
    text('solution.ts'),
  ]);
  let mutantFiles: string[] = [];
  try {
    mutantFiles = (await readdir(join(dir, 'mutants'))).filter((f) => f.endsWith('.ts')).sort();
  } catch {
    mutantFiles = [];
  }
  const mutants = await Promise.all(
    mutantFiles.map(async (f) => ({ name: f.replace(/\.ts$/, ''), source: await text(`mutants/${f}`) })),
  );
  return { id, dir, meta, readme, starter, solution, mutants };
}

export async function loadExercise(dir: string): Promise<Exercise> {
  const files = await readExercise(dir);
  const { meta } = files;
  const where = whereIn(files.id);
  const visible = await loadTests(dir, 'tests/visible.ts', where, (v) => v === 'visible');
  const hidden = await loadTests(dir, 'tests/hidden.ts', where, (v) => v !== 'visible');
  const tests = [...visible, ...hidden];
  const names = new Set<string>();
  for (const t of tests) {
    if (names.has(t.name))
      throw new ExerciseLoadError(`${where('tests')}: test name "${t.name}" is used twice`);
    names.add(t.name);
  }
  const total = tests.reduce((sum, t) => sum + t.points, 0);
  if (Math.abs(total - meta.points) > 1e-9)
    throw new ExerciseLoadError(
      `${where('exercise.json')}: points: ${meta.points}, but the tests are worth ${total} together`,
    );

  return {
    ...files,
    hooks: meta.hooks,
    limits: meta.limits,
    ...(meta.frames === undefined ? {} : { frames: meta.frames }),
    maxScore: meta.points,
    tests,
  };
}

async function loadTests(
  dir: string,
  file: string,
  where: (file: string) => string,
  visibilityOk: (v: string) => boolean,
): Promise<TestDefinition[]> {
  const url = await testModuleUrl(dir, file, where);
  let module: { default?: unknown };
  try {
    module = (await import(/* turbopackIgnore: true */ /* webpackIgnore: true */ url)) as {
      default?: unknown;
    };
  } catch (error) {
    throw new ExerciseLoadError(`${where(file)}: cannot be loaded (${(error as Error).message})`);
  }
  const tests = module.default;
  if (!Array.isArray(tests))
    throw new ExerciseLoadError(`${where(file)}: default export: must be defineTests(…), an array of tests`);
  tests.forEach((t: Partial<TestDefinition>, i) => {
    const bad = (field: string, what: string) =>
      new ExerciseLoadError(`${where(file)}: test ${i} ("${t.name ?? '?'}"): ${field}: ${what}`);
    if (typeof t.name !== 'string' || t.name.length === 0) throw bad('name', 'must be a non-empty string');
    if (typeof t.body !== 'function') throw bad('body', 'must be a function');
    if (typeof t.points !== 'number' || !(t.points >= 0)) throw bad('points', 'must be a number >= 0');
    if (typeof t.visibility !== 'string' || !visibilityOk(t.visibility))
      throw bad('visibility', `"${String(t.visibility)}" does not belong in ${file}`);
  });
  return tests as TestDefinition[];
}

/**
 * The URL to import a test file from: the file itself from source; in the
 * grader's build, the file compiled against the bundle (`import.meta.url`
 * here is the bundle's).
 */
async function testModuleUrl(dir: string, file: string, where: (file: string) => string): Promise<string> {
  const path = join(dir, file);
  if (!IN_DRIVER_BUNDLE) return pathToFileURL(path).href;
  const { compileTests } = await import('./compile-tests.ts');
  const compiled = await compileTests(path, { root: dir, grader: import.meta.url });
  if (compiled.kind === 'ok') return compiled.url;
  const shown = compiled.errors.slice(0, 5).map((e) => {
    const at =
      e.file === '' ? '' : `${e.file.startsWith('..') ? e.file : where(e.file)}:${e.line}:${e.column}: `;
    return `${at}${e.message}`;
  });
  const more = compiled.errors.length - shown.length;
  throw new ExerciseLoadError(
    `${where(file)}: does not compile (${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''})`,
  );
}

/**
 * The ids of the exercise folders under `root` (its folders that hold an
 * exercise.json), sorted. `@faultline/exercises` lists the workspace's own.
 */
export async function listExercises(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const ids: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || ['src', 'test', 'node_modules'].includes(e.name)) continue;
    const files = await readdir(join(root, e.name));
    if (files.includes('exercise.json')) ids.push(e.name);
  }
  return ids.sort();
}
