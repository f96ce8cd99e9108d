// The built CLI, as a user runs it: `node bin/faultline.mjs …` in a process of
// its own, on dist/ (turbo builds it, and the grader's dist/driver.js, before
// this package's tests). It grades through the grader's build: no TypeScript
// loader anywhere, exercise tests compiled with esbuild in the worker. Its
// reports must be the ones the CLI gives from source (this process, vitest).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXERCISES_DIR } from '@faultline/exercises';
import { type Report, ReportSchema, withoutDurations } from '@faultline/grader';
import { beforeAll, describe, expect, test } from 'vitest';
import { type Ran, runBuiltCli, runCli, scratchFolders } from './test-support.ts';

const BIN = fileURLToPath(new URL('../bin/faultline.mjs', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const exercise = join(EXERCISES_DIR, 'page-fault-handler');

/** The built CLI in a child process. */
const built = runBuiltCli;

/** The CLI from source, in this process. */
const fromSource = runCli;

const tempDir = scratchFolders('built');

const report = (ran: Ran): Report => ReportSchema.parse(JSON.parse(ran.out));

beforeAll(() => {
  if (!existsSync(MAIN))
    throw new Error(
      `${MAIN} is missing: build first (pnpm --filter @faultline/cli... build, or turbo run test)`,
    );
});

describe('the built CLI grades through the grader build', () => {
  test('the reference solution: full marks, exit 0, the report the CLI gives from source', async () => {
    const args = ['grade', 'page-fault-handler', join(exercise, 'solution.ts'), '--format', 'json'];
    const [ran, source] = [await built(args), await fromSource(args)];
    expect(ran.err).toBe('');
    expect(ran.code).toBe(0);
    expect(report(ran)).toMatchObject({ status: 'pass', score: 26, maxScore: 26 });
    expect(withoutDurations(report(ran))).toEqual(withoutDurations(report(source)));
  });

  test('a mutant: below full marks, exit 1, hidden failures as from source (staff view)', async () => {
    const args = [
      'grade',
      'page-fault-handler',
      join(exercise, 'mutants', 'writable-zero-page.ts'),
      '--format',
      'json',
      '--audience',
      'staff',
    ];
    const [ran, source] = [await built(args), await fromSource(args)];
    expect(ran.code).toBe(1);
    const graded = report(ran);
    expect(graded.status).toBe('fail');
    expect(graded.tests.some((t) => t.visibility === 'hidden' && t.status !== 'pass')).toBe(true);
    expect(withoutDurations(graded)).toEqual(withoutDurations(report(source)));
  });

  test("a learner's syntax error is a compile-error report with line and column", async () => {
    const file = join(tempDir(), 'solution.ts');
    writeFileSync(file, 'export function anonymousFault(\n  {\n');
    const ran = await built(['grade', 'page-fault-handler', file, '--format', 'json']);
    expect(ran.code).toBe(1);
    expect(report(ran)).toMatchObject({
      status: 'compile-error',
      compileErrors: [{ line: 3, column: expect.any(Number) }],
    });
  });
});

describe('the built CLI when its reader leaves early', () => {
  test('a closed stdout neither cuts grading short nor changes the exit code; --out still gets every report', async () => {
    const dir = tempDir();
    const cls = join(dir, 'class');
    mkdirSync(cls);
    const starter = readFileSync(join(exercise, 'starter.ts'), 'utf8');
    for (const name of ['a', 'b', 'c']) writeFileSync(join(cls, `${name}.ts`), starter);
    const out = join(dir, 'out');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'grade', 'page-fault-handler', cls, '--out', out], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      // The reader goes away before anything is written (`| head -c 0`): every later write is an EPIPE.
      child.stdout.destroy();
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code).toBe(1);
    for (const name of ['a', 'b', 'c']) expect(existsSync(join(out, `${name}.json`))).toBe(true);
    expect(existsSync(join(out, 'summary.csv'))).toBe(true);
  });
});

describe("the built CLI on exercises of one's own (--exercises DIR)", () => {
  /**
   * DIR holding a copy of page-fault-handler whose visible tests also import a
   * helper of their own (a relative import, bundled with them) and read a file
   * beside them through import.meta.url. No package.json, no node_modules:
   * the built CLI compiles the tests and gives them its own grader.
   */
  function ownExercises(): { root: string; dir: string } {
    const root = tempDir();
    const dir = join(root, 'page-fault-handler');
    cpSync(exercise, dir, { recursive: true });
    writeFileSync(join(dir, 'tests', 'helpers.ts'), 'export const PAGES = 4;\n');
    writeFileSync(join(dir, 'tests', 'pages.txt'), '4\n');
    const visible = join(dir, 'tests', 'visible.ts');
    const source = readFileSync(visible, 'utf8');
    expect(source).toContain("from '@faultline/grader'");
    writeFileSync(
      visible,
      [
        "import { readFileSync } from 'node:fs';",
        "import { PAGES } from './helpers.ts';",
        "if (Number(readFileSync(new URL('./pages.txt', import.meta.url), 'utf8')) !== PAGES) throw new Error('pages.txt');",
        source,
      ].join('\n'),
    );
    return { root, dir };
  }

  test('validate: tests that import @faultline/grader (and a helper) load, and the exercise is sound', async () => {
    const { root } = ownExercises();
    const ran = await built(['validate', 'page-fault-handler', '--exercises', root]);
    expect(ran.err).toBe('');
    expect(ran.out).toMatch(
      /^✓ page-fault-handler: reference 26\/26, starter [\d.]+\/26, \d+ mutants caught/m,
    );
    expect(ran.code).toBe(0);
  });

  test("what an exercise's tests print goes to stderr, never into the reports on stdout", async () => {
    const { root, dir } = ownExercises();
    const hidden = join(dir, 'tests', 'hidden.ts');
    writeFileSync(
      hidden,
      `console.log('debug: secret expected value 0x5e');\n${readFileSync(hidden, 'utf8')}`,
    );
    const ran = await built(['validate', 'page-fault-handler', '--exercises', root]);
    expect(ran.code).toBe(0);
    expect(ran.out).not.toContain('secret expected value');
    expect(ran.err).toContain('debug: secret expected value 0x5e');
  });

  test('a test file that does not compile names the file, line and column', async () => {
    const { root, dir } = ownExercises();
    writeFileSync(
      join(dir, 'tests', 'hidden.ts'),
      "import { defineTests } from '@faultline/grader';\n\nexport default defineTests((test) => {\n",
    );
    const ran = await built(['validate', 'page-fault-handler', '--exercises', root]);
    expect(ran.code).toBe(1);
    expect(ran.out).toMatch(
      /✗ page-fault-handler: could not grade: .*page-fault-handler\/tests\/hidden\.ts: does not compile \(page-fault-handler\/tests\/hidden\.ts:4:1: Unexpected end of file\)/,
    );
  });

  test('a test file that throws while loading names the file and the error', async () => {
    const { root, dir } = ownExercises();
    writeFileSync(
      join(dir, 'tests', 'hidden.ts'),
      "throw new Error('no tests today');\nexport default [];\n",
    );
    const ran = await built(['validate', 'page-fault-handler', '--exercises', root]);
    expect(ran.code).toBe(1);
    expect(ran.out).toMatch(
      /✗ page-fault-handler: could not grade: .*page-fault-handler\/tests\/hidden\.ts: cannot be loaded \(no tests today\)/,
    );
  });
});
