// compileTests: an exercise's test file → one ES module (a data: URL) that
// imports the given grader for `@faultline/grader` and bundles the rest; a
// file that does not compile → its errors, by file, line and column.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { compileTests } from './compile-tests.ts';

const root = await mkdtemp(join(tmpdir(), 'faultline-compile-tests-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** A plain-JS stand-in for the grader bundle, so the compiled module can be imported here. */
const grader = join(root, 'grader.mjs');
await writeFile(
  grader,
  'export const defineTests = (define) => { const tests = []; define((name) => tests.push(name)); return tests; };\n',
);
const graderUrl = pathToFileURL(grader).href;

async function exercise(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 'ex-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

function source(url: string): string {
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8');
}

describe('compileTests', () => {
  test('bundles relative imports, keeps @faultline/grader an import of the grader, gives each file its import.meta', async () => {
    const dir = await exercise({
      'tests/visible.ts': [
        "import { defineTests } from '@faultline/grader';",
        "import { NAME, where } from './helpers/names.ts';",
        'const mine: string = import.meta.url;',
        'export default defineTests((test) => { test(NAME); test(where); test(mine); });',
      ].join('\n'),
      'tests/helpers/names.ts': "export const NAME = 'first';\nexport const where = import.meta.dirname;\n",
    });
    const compiled = await compileTests(join(dir, 'tests/visible.ts'), { root: dir, grader: graderUrl });
    if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled));
    expect(compiled.url).toMatch(/^data:text\/javascript;base64,/);
    const code = source(compiled.url);
    expect(code).toContain(`from ${JSON.stringify(graderUrl)}`);
    expect(code).toContain('sourceMappingURL=data:application/json;base64,');
    const module = (await import(/* @vite-ignore */ compiled.url)) as { default: string[] };
    expect(module.default).toEqual([
      'first',
      join(dir, 'tests/helpers'),
      pathToFileURL(join(dir, 'tests/visible.ts')).href,
    ]);
  });

  test('a syntax error: the file (relative to the exercise), 1-based line and column in UTF-16 units', async () => {
    const dir = await exercise({ 'tests/hidden.ts': "const café = 'ok';\nconst x = 'é' +;\n" });
    const compiled = await compileTests(join(dir, 'tests/hidden.ts'), { root: dir, grader: graderUrl });
    expect(compiled).toEqual({
      kind: 'compile-error',
      errors: [{ file: 'tests/hidden.ts', line: 2, column: 16, message: 'Unexpected ";"' }],
    });
  });

  test('an import that does not resolve is an error where it is imported', async () => {
    const dir = await exercise({
      'tests/visible.ts': "import './shared.ts';\n",
      'tests/shared.ts': "import { nope } from './missing.ts';\nexport const x = nope;\n",
    });
    const compiled = await compileTests(join(dir, 'tests/visible.ts'), { root: dir, grader: graderUrl });
    expect(compiled).toMatchObject({
      kind: 'compile-error',
      errors: [
        { file: 'tests/shared.ts', line: 1, column: 22, message: expect.stringContaining('./missing.ts') },
      ],
    });
  });
});
