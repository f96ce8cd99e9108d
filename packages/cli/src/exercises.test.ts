import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main } from './main.ts';

const exercisesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'exercises');

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

describe('faultline validate', () => {
  // CI proves every exercise sound through this test.
  test('every shipped exercise is sound', async () => {
    const r = await run(['validate']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^✓ page-fault-handler: reference 18\/18, starter 0\/18, 6 mutants caught/m);
    expect(r.code).toBe(0);
  }, 60_000);

  test('an unknown exercise or option cannot be validated (exit 2)', async () => {
    expect(await run(['validate', 'nope'])).toMatchObject({ code: 2 });
    expect(await run(['validate', '--all'])).toMatchObject({ code: 2 });
  });
});

describe('faultline new', () => {
  test('scaffolds a folder that loads, and that validate reports as unfinished', async () => {
    const dir = join(exercisesDir, 'zz-scaffold-test');
    try {
      const created = await run(['new', 'zz-scaffold-test']);
      expect(created.code).toBe(0);
      for (const f of [
        'exercise.json',
        'README.md',
        'starter.ts',
        'solution.ts',
        'tests/visible.ts',
        'tests/hidden.ts',
      ]) {
        expect(existsSync(join(dir, f))).toBe(true);
      }
      const again = await run(['new', 'zz-scaffold-test']);
      expect(again.code).toBe(2);
      expect(again.err).toContain('already exists');
      const v = await run(['validate', 'zz-scaffold-test']);
      expect(v.code).toBe(1);
      expect(v.out).toContain('the reference solution scores 0/2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a bad slug is refused', async () => {
    const r = await run(['new', 'Not A Slug']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('lowercase words joined by hyphens');
  });
});
