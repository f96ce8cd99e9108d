import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXERCISES_DIR, listExercises } from '@faultline/exercises';
import { REPORT_SCHEMA_VERSION } from '@faultline/grader';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from './main.ts';

// The exercise these tests grade against (its numbers are its own, not the catalog's).
const exercise = join(EXERCISES_DIR, 'page-fault-handler');

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function learnerFile(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-grade-'));
  temps.push(dir);
  const file = join(dir, 'solution.ts');
  writeFileSync(file, source);
  return file;
}

/** `faultline grade page-fault-handler FILE FLAGS…` */
const grade = (file: string, ...flags: string[]) => run(['grade', 'page-fault-handler', file, ...flags]);
const solution = join(exercise, 'solution.ts');

describe('faultline grade', () => {
  test('the reference solution: full marks, exit 0', async () => {
    const r = await grade(solution, '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({
      schemaVersion: REPORT_SCHEMA_VERSION,
      status: 'pass',
      score: 18,
      maxScore: 18,
    });
  });

  test('the starter: below full marks, exit 1, text says what the kernel expected', async () => {
    const r = await grade(join(exercise, 'starter.ts'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('Score: 0/18');
    expect(r.out).toContain('anonymousFault');
  });

  test('a syntax error is a compile-error report with line and column', async () => {
    const r = await grade(learnerFile('export function anonymousFault(\n  {\n'), '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'compile-error', compileErrors: [{ line: 3 }] });
  });

  test('JUnit for CI and --visible-only', async () => {
    const junit = await grade(solution, '--format', 'junit');
    expect(junit.out).toMatch(/^<\?xml/);
    expect(junit.out).toContain('tests="9"');
    const visible = await grade(solution, '--visible-only', '--format', 'json');
    expect(JSON.parse(visible.out)).toMatchObject({ score: 6, maxScore: 6 });
  });

  test("by default the report is the learner's view: hidden tests keep their verdict, never their details", async () => {
    const mutant = join(exercise, 'mutants', 'writable-zero-page.ts');
    const learner = JSON.parse((await grade(mutant, '--format', 'json')).out);
    const staff = JSON.parse((await grade(mutant, '--format', 'json', '--audience', 'staff')).out);
    const failedHidden = (r: { tests: { visibility: string; status: string }[] }) =>
      r.tests.filter((t) => t.visibility === 'hidden' && t.status !== 'pass');
    expect(failedHidden(staff).length).toBeGreaterThan(0);
    expect(failedHidden(learner).map((t) => t.status)).toEqual(failedHidden(staff).map((t) => t.status));
    for (const t of failedHidden(staff)) expect(t).toMatchObject({ message: expect.stringMatching(/./) });
    for (const t of failedHidden(learner)) {
      expect(t).toMatchObject({ message: '', output: '' });
      expect(t).not.toHaveProperty('trace');
    }
    expect(learner.score).toBe(staff.score);
    const junit = (await grade(mutant, '--format', 'junit')).out;
    for (const t of failedHidden(staff) as unknown as { name: string }[]) {
      const start = junit.indexOf(`<testcase name="${t.name}"`);
      const testcase = junit.slice(start, junit.indexOf('</testcase>', start));
      expect(start).toBeGreaterThanOrEqual(0);
      expect(testcase).toMatch(/<error type="error"/);
      expect(testcase).toContain('message=""');
      expect(testcase).not.toContain('zero page may');
    }
  });

  test('could not grade: exit 2 with a reason', async () => {
    const unknown = await run(['grade', 'no-such-exercise', 'x.ts']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain(
      `unknown exercise "no-such-exercise"; known: ${(await listExercises()).join(', ')}\n`,
    );
    const missing = await grade('/nonexistent.ts');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read /nonexistent.ts (ENOENT)');
    const badFormat = await grade(solution, '--format', 'xml');
    expect(badFormat.code).toBe(2);
    const noArgs = await run(['grade']);
    expect(noArgs.code).toBe(2);
    const badAudience = await grade(solution, '--audience', 'all');
    expect(badAudience).toMatchObject({ code: 2 });
    expect(badAudience.err).toContain('--audience must be learner or staff, not "all"');
    const dueForStaff = await grade(
      join(exercise, 'solution.ts'),
      '--audience',
      'staff',
      '--due-date-passed',
    );
    expect(dueForStaff.code).toBe(2);
  });
});
