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

describe('faultline grade', () => {
  test('the reference solution: full marks, exit 0', async () => {
    const r = await run(['grade', 'page-fault-handler', join(exercise, 'solution.ts'), '--format', 'json']);
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
    const r = await run(['grade', 'page-fault-handler', join(exercise, 'starter.ts')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Score: 0/18');
    expect(r.out).toContain('anonymousFault');
  });

  test('a syntax error is a compile-error report with line and column', async () => {
    const r = await run([
      'grade',
      'page-fault-handler',
      learnerFile('export function anonymousFault(\n  {\n'),
      '--format',
      'json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'compile-error', compileErrors: [{ line: 3 }] });
  });

  test('JUnit for CI and --visible-only', async () => {
    const junit = await run([
      'grade',
      'page-fault-handler',
      join(exercise, 'solution.ts'),
      '--format',
      'junit',
    ]);
    expect(junit.out).toMatch(/^<\?xml/);
    expect(junit.out).toContain('tests="9"');
    const visible = await run([
      'grade',
      'page-fault-handler',
      join(exercise, 'solution.ts'),
      '--visible-only',
      '--format',
      'json',
    ]);
    expect(JSON.parse(visible.out)).toMatchObject({ score: 6, maxScore: 6 });
  });

  test('could not grade: exit 2 with a reason', async () => {
    const unknown = await run(['grade', 'no-such-exercise', 'x.ts']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain(
      `unknown exercise "no-such-exercise"; known: ${(await listExercises()).join(', ')}\n`,
    );
    const missing = await run(['grade', 'page-fault-handler', '/nonexistent.ts']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read /nonexistent.ts (ENOENT)');
    const badFormat = await run([
      'grade',
      'page-fault-handler',
      join(exercise, 'solution.ts'),
      '--format',
      'xml',
    ]);
    expect(badFormat.code).toBe(2);
    const noArgs = await run(['grade']);
    expect(noArgs.code).toBe(2);
  });
});
