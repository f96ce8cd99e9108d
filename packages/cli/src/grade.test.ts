import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXERCISES_DIR, listExercises } from '@faultline/exercises';
import * as grader from '@faultline/grader';
import { buildReport, REPORT_SCHEMA_VERSION, ReportSchema } from '@faultline/grader';
import { afterAll, describe, expect, test } from 'vitest';
import { forLearners } from './commands/grade.ts';
import { runCli } from './test-support.ts';

// The exercise these tests grade against (its numbers are its own, not the catalog's).
const exercise = join(EXERCISES_DIR, 'page-fault-handler');

const run = runCli;

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
      score: 26,
      maxScore: 26,
    });
  });

  test('the starter: below full marks, exit 1, text says what the kernel expected', async () => {
    const r = await grade(join(exercise, 'starter.ts'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('Score: 0/26');
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
    expect(junit.out).toContain('tests="13"');
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
      expect(testcase).toMatch(/<failure type="fail"/);
      // Nothing of the test's own message: at most the author's hint, which is meant for learners.
      expect(testcase).toMatch(/message="(Hint: [^"]*)?"/);
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

describe('faultline grade, many submissions (CI)', () => {
  const starter = readFileSync(join(exercise, 'starter.ts'), 'utf8');
  const reference = readFileSync(solution, 'utf8');

  /** A class folder: alice (reference), bob/ (starter in a subfolder), =cmd (a formula-like name, no export). */
  function classFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-class-'));
    temps.push(dir);
    writeFileSync(join(dir, 'alice.ts'), reference);
    mkdirSync(join(dir, 'bob'));
    writeFileSync(join(dir, 'bob', 'answer.ts'), starter);
    writeFileSync(join(dir, '=cmd.ts'), 'export const nothing = 1;\n');
    writeFileSync(join(dir, 'README.md'), 'not a submission');
    return dir;
  }

  test('a folder on one pool: each report, then the summary; --out writes JSON, JUnit and the summaries', async () => {
    const dir = classFolder();
    const out = join(dir, 'out');
    const r = await grade(dir, '--out', out, '--jobs', '2');
    // Nothing could not be graded, and not everyone has full marks.
    expect(r.code).toBe(1);
    expect(r.out).toContain('== alice ==');
    expect(r.out).toContain('== bob ==');
    expect(r.out).toMatch(/Summary: 3 submissions, 1 at full marks/);
    expect(r.err).toMatch(/\[3\/3\]/);

    const report = (name: string) => ReportSchema.parse(JSON.parse(readFileSync(join(out, name), 'utf8')));
    expect(report('alice.json')).toMatchObject({ status: 'pass', score: 26 });
    expect(report('bob.json')).toMatchObject({ status: 'fail', score: 0 });
    expect(report('_cmd.json')).toMatchObject({
      status: 'error',
      message: expect.stringContaining('does not export'),
    });
    // The learner's own error is a testcase named for the submission, not (grader).
    const junit = readFileSync(join(out, '_cmd.junit.xml'), 'utf8');
    expect(junit).toContain('<testcase name="=cmd"');
    expect(junit).not.toContain('(grader)');
    // Hidden tests' messages never reach the published files by default.
    expect(readFileSync(join(out, 'bob.junit.xml'), 'utf8')).not.toMatch(
      /zero page may|recycled frame.*0x5e/,
    );

    const csv = readFileSync(join(out, 'summary.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('submission,path,graded,status,score,maxScore,testsPassed,tests,message');
    expect(csv.slice(1, 4).map((line) => line.split(',')[0])).toEqual(["'=cmd", 'alice', 'bob']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      exercise: 'page-fault-handler',
      submissions: 3,
      fullMarks: 1,
      graded: 3,
    });
    expect(summary.rows.find((row: { submission: string }) => row.submission === 'alice')).toMatchObject({
      files: { json: 'alice.json', junit: 'alice.junit.xml' },
    });
  });

  test('several files in JSON: one summary holding every report; a missing file is graded as unreadable, exit 2', async () => {
    const dir = classFolder();
    const r = await grade(join(dir, 'alice.ts'), join(dir, 'missing.ts'), '--format', 'json');
    expect(r.code).toBe(2);
    const printed = JSON.parse(r.out);
    expect(printed).toMatchObject({ submissions: 2, fullMarks: 1, notGradable: 1 });
    const missing = printed.reports.find((x: { submission: string }) => x.submission === 'missing');
    expect(ReportSchema.parse(missing.report)).toMatchObject({
      status: 'error',
      score: 0,
      maxScore: 26,
      // Named by its file, not its path: a published report shows no host paths.
      message: 'Not graded: cannot read missing.ts (ENOENT).',
    });
    expect(r.err).toContain('could not grade missing: cannot read');
  });

  test('JUnit for a batch: one document, a suite per submission', async () => {
    const dir = classFolder();
    const r = await grade(dir, '--format', 'junit');
    const suites = [...r.out.matchAll(/<testsuite name="([^"]*)"/g)].map((m) => m[1]);
    expect(suites).toEqual([
      'page-fault-handler: =cmd',
      'page-fault-handler: alice',
      'page-fault-handler: bob',
    ]);
  });

  test('a folder with no single solution is listed, not graded: its report says why, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-class-'));
    temps.push(dir);
    mkdirSync(join(dir, 'dave'));
    writeFileSync(join(dir, 'dave', 'a.ts'), starter);
    writeFileSync(join(dir, 'dave', 'b.ts'), starter);
    writeFileSync(join(dir, 'alice.ts'), reference);
    const r = await grade(dir, '--format', 'json');
    expect(r.code).toBe(2);
    const printed = JSON.parse(r.out);
    expect(printed).toMatchObject({ submissions: 2, fullMarks: 1, notGradable: 1 });
    const dave = printed.reports.find((x: { submission: string }) => x.submission === 'dave');
    expect(dave.report.message).toBe(
      'Not graded: dave: the folder holds 2 .ts files (a.ts, b.ts) and none is named solution.ts: put the solution in one file, or name it solution.ts.',
    );
    expect(r.err).toContain(`could not grade dave: ${join(dir, 'dave')}: the folder holds 2 .ts files`);
  });

  test('a single unreadable file still prints a report, and says why on stderr', async () => {
    const r = await grade('/nonexistent.ts', '--format', 'json');
    expect(r.code).toBe(2);
    expect(ReportSchema.parse(JSON.parse(r.out))).toMatchObject({ status: 'error', score: 0 });
    expect(r.err).toContain('cannot read /nonexistent.ts (ENOENT)');
  });

  test('bad batch usage: an empty folder, a bad --jobs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'faultline-empty-'));
    temps.push(empty);
    const none = await grade(empty);
    expect(none.code).toBe(2);
    expect(none.err).toContain('holds no submissions');
    const jobs = await grade(solution, '--jobs', '0');
    expect(jobs.code).toBe(2);
    expect(jobs.err).toContain('--jobs must be a whole number from 1 to 64, not "0"');
  });
});

describe("a grader failure, as a learner's report shows it", () => {
  const report = buildReport({
    exercise: 'page-fault-handler',
    maxScore: 26,
    tests: [],
    outcome: {
      kind: 'not-run',
      message: 'tests/hidden.ts: does not compile (tests/hidden.ts:4:1: secret_helper is not defined)',
    },
  });
  const submission = { kind: 'file', name: 'alice', file: 'alice.ts' } as const;

  test('says it was the grader, never why (the reason can quote hidden test files)', () => {
    const shown = forLearners(
      { submission, report, graded: 'grader-failed', reason: 'tests/hidden.ts: …' },
      grader,
    );
    expect(shown.report.message).toMatch(/^The grader could not grade this submission/);
    expect(JSON.stringify(shown)).not.toContain('secret_helper');
    expect(ReportSchema.parse(shown.report)).toMatchObject({ status: 'error', score: 0, maxScore: 26 });
  });

  test("leaves a verdict, and a submission's own error, as they are", () => {
    const own = { submission, report, graded: 'not-gradable', reason: 'x' } as const;
    expect(forLearners(own, grader)).toBe(own);
  });
});
