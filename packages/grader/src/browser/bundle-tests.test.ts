// bundleVisibleTests: an exercise's visible tests as one ES module for the
// browser, refused when anything server-only went into it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURE_DIR, FIXTURE_ID } from '../../test/fixture-exercise.ts';
import { loadExercise } from '../exercise/load.ts';
import type { TestDefinition } from '../runner/harness.ts';
import { bundleVisibleTests } from './bundle-tests.ts';
import * as testsApi from './tests-api.ts';

const scratch = mkdtempSync(join(tmpdir(), 'faultline-bundle-tests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let copies = 0;

/** A copy of page-fault-handler in a course folder of its own, its visible tests led by `lines`. */
function exerciseWith(lines: string, files: Record<string, string> = {}): string {
  const course = join(scratch, `course-${copies++}`);
  const dir = join(course, FIXTURE_ID);
  cpSync(FIXTURE_DIR, dir, { recursive: true });
  const visible = join(dir, 'tests', 'visible.ts');
  writeFileSync(visible, `${lines}\n${readFileSync(visible, 'utf8')}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(course, path, '..'), { recursive: true });
    writeFileSync(join(course, path), text);
  }
  return dir;
}

const importModule = (code: string) =>
  import(/* @vite-ignore */ `data:text/javascript;charset=utf-8,${encodeURIComponent(code)}`) as Promise<{
    default: (grader: typeof testsApi) => TestDefinition[];
  }>;

describe('bundleVisibleTests', () => {
  test('page-fault-handler: a module whose default export, given the grader, defines its visible tests', async () => {
    const bundle = await bundleVisibleTests(FIXTURE_DIR);
    if (bundle.kind !== 'ok') throw new Error(JSON.stringify(bundle.errors));
    const { createHash } = await import('node:crypto');
    expect(bundle.sha256).toBe(createHash('sha256').update(bundle.code).digest('hex'));
    expect(bundle.exercise).toEqual({
      id: 'page-fault-handler',
      hooks: ['anonymousFault'],
      limits: {
        cpuMsPerCall: 250,
        cpuMsPerTest: 5000,
        cpuMsTotal: 30000,
        wallMsPerCall: 25000,
        wallMsTotal: 600000,
      },
      frames: 256,
    });
    expect(bundle.limits.wallMsTotal).toBe(600_000);
    // Nothing is imported: the tests get the grader as the argument.
    expect(bundle.code).not.toMatch(/^\s*import\b/m);
    const defined = (await importModule(bundle.code)).default(testsApi);
    const exercise = await loadExercise(FIXTURE_DIR);
    const visible = exercise.tests.filter((t) => t.visibility === 'visible');
    expect(defined.map((t) => [t.name, t.points, t.visibility])).toEqual(
      visible.map((t) => [t.name, t.points, t.visibility]),
    );
    // The same bundle twice: the same bytes.
    expect(await bundleVisibleTests(FIXTURE_DIR)).toEqual(bundle);
  });

  test('a test’s helper module goes in with it', async () => {
    const dir = exerciseWith(
      "import { helperMarker } from './helpers.ts';\nexport const marker = helperMarker();",
      {
        [`${FIXTURE_ID}/tests/helpers.ts`]: "export function helperMarker() { return 'helper-marker'; }\n",
      },
    );
    const bundle = await bundleVisibleTests(dir);
    expect(bundle.kind).toBe('ok');
    if (bundle.kind === 'ok') expect(bundle.code).toContain('"helper-marker"');
  });

  const refusals: [string, string, Record<string, string>, RegExp][] = [
    [
      'the reference solution',
      "import * as s from '../solution.ts';\nvoid s;",
      {},
      /^solution\.ts is server-only/,
    ],
    [
      'the hidden tests',
      "import hidden from './hidden.ts';\nvoid hidden;",
      {},
      /^tests\/hidden\.ts is server-only/,
    ],
    [
      'a mutant',
      "import * as m from '../mutants/ignores-exec.ts';\nvoid m;",
      {},
      /^mutants\/ignores-exec\.ts is server-only/,
    ],
    [
      'the solution through a helper',
      "import { fromSolution } from './helpers.ts';\nvoid fromSolution;",
      { [`${FIXTURE_ID}/tests/helpers.ts`]: "export * as fromSolution from '../solution.ts';\n" },
      /^solution\.ts is server-only .* \(imported by tests\/helpers\.ts\)/,
    ],
    [
      'the solution, imported when a test runs',
      "export const later = () => import('../solution.ts');",
      {},
      /^solution\.ts is server-only/,
    ],
    [
      'another exercise’s hidden tests',
      "import other from '../../other-exercise/tests/hidden.ts';\nvoid other;",
      {
        'other-exercise/exercise.json': '{}',
        'other-exercise/tests/hidden.ts': 'export default [];\n',
      },
      /^\.\.\/other-exercise\/tests\/hidden\.ts is server-only/,
    ],
  ];
  test.each(refusals)('refuses a bundle with %s in it', async (_what, lines, files, message) => {
    const bundle = await bundleVisibleTests(exerciseWith(lines, files));
    expect(bundle.kind).toBe('err');
    if (bundle.kind !== 'err') return;
    expect(bundle.errors.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
  });

  test('refuses the solution under another name (a symbolic link)', async () => {
    const dir = exerciseWith("import * as s from './innocent.ts';\nvoid s;");
    symlinkSync(join(dir, 'solution.ts'), join(dir, 'tests', 'innocent.ts'));
    const bundle = await bundleVisibleTests(dir);
    expect(bundle).toMatchObject({
      kind: 'err',
      errors: [{ message: expect.stringMatching(/^solution\.ts is server-only/) }],
    });
  });

  const failures: [string, string, Record<string, unknown>][] = [
    [
      'a Node built-in',
      "import { readFileSync } from 'node:fs';\nvoid readFileSync;",
      { file: 'tests/visible.ts', line: 1 },
    ],
    [
      'another subpath of the grader',
      "import { loadExercise } from '@faultline/grader/exercise';\nvoid loadExercise;",
      { message: expect.stringMatching(/can import only @faultline\/grader itself/) },
    ],
    [
      'a name the browser’s grader does not have',
      "import { gradeInPool } from '@faultline/grader';\nvoid gradeInPool;",
      { file: 'tests/visible.ts', line: 1, message: expect.stringMatching(/gradeInPool/) },
    ],
    [
      'import.meta (it would name the server’s paths)',
      'export const here = import.meta.url;',
      { file: 'tests/visible.ts', line: 1, message: expect.stringMatching(/import\.meta is not available/) },
    ],
    ['a syntax error', 'const = 1;', { file: 'tests/visible.ts', line: 1, column: 7 }],
  ];
  test.each(failures)('fails on %s, saying where', async (_what, lines, error) => {
    const bundle = await bundleVisibleTests(exerciseWith(lines));
    expect(bundle).toMatchObject({ kind: 'err', errors: [expect.objectContaining(error)] });
  });

  test('a folder that is no exercise: an error naming exercise.json', async () => {
    const bundle = await bundleVisibleTests(join(scratch, 'nothing-here'));
    expect(bundle).toMatchObject({ kind: 'err', errors: [{ file: 'exercise.json' }] });
  });
});
