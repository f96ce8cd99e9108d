import { describe, expect, test } from 'vitest';
import { findSpecifiers } from './specifiers.ts';

const found = (source: string) => findSpecifiers(source).map(({ form, specifier }) => [form, specifier]);

describe('findSpecifiers', () => {
  test('finds each form that names a module or a file', () => {
    const source = [
      `/// <reference path="../types.d.ts" />`,
      `import a from '../a.ts';`,
      `import type { B } from "../b.ts";`,
      `import * as c from '../c.ts';`,
      `export { d } from '../d.ts';`,
      `export * from '../e.ts';`,
      `export type { F } from '../f.ts';`,
      `import '../side-effect.ts';`,
      `const g = await import('../g.ts');`,
      `type H = typeof import('../h.ts');`,
      `const i = require('../i.cjs');`,
      `const j = require.resolve('../j.json');`,
      `const k = import.meta.resolve('../k.ts');`,
      `const l = new URL('../l/', import.meta.url);`,
      'const m = await import(`../m.ts`);',
      `vi.mock('../n.ts', () => ({}));`,
      `const o = await vi.importActual('../o.ts');`,
      `const p = createRequire(import.meta.url).resolve('../p.json');`,
      `const q = createRequire(import.meta.url)('../q.cjs');`,
    ].join('\n');
    expect(found(source)).toEqual([
      ['reference', '../types.d.ts'],
      ['from', '../a.ts'],
      ['from', '../b.ts'],
      ['from', '../c.ts'],
      ['from', '../d.ts'],
      ['from', '../e.ts'],
      ['from', '../f.ts'],
      ['import', '../side-effect.ts'],
      ['dynamic-import', '../g.ts'],
      ['dynamic-import', '../h.ts'],
      ['require', '../i.cjs'],
      ['resolve', '../j.json'],
      ['resolve', '../k.ts'],
      ['url', '../l/'],
      ['dynamic-import', '../m.ts'],
      ['mock', '../n.ts'],
      ['mock', '../o.ts'],
      ['resolve', '../p.json'],
      ['require', '../q.cjs'],
    ]);
  });

  test('gives the line of each, and follows an import over several lines', () => {
    const source = "import {\n  a,\n  b,\n} from\n  '../x.ts';\nexport const y = 1;\nimport '../z.ts';\n";
    expect(findSpecifiers(source)).toEqual([
      { form: 'from', specifier: '../x.ts', line: 5 },
      { form: 'import', specifier: '../z.ts', line: 7 },
    ]);
  });

  test('ignores look-alikes in comments, strings, templates and regular expressions', () => {
    const source = [
      `// import a from '../a.ts';`,
      `/* export * from '../b.ts'; */`,
      `/**`,
      ` * import('../c.ts')`,
      ` */`,
      `const s = "import x from '../d.ts'";`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it
      "const t = `from '../e.ts' ${value} import('../f.ts')`;",
      `const r = /from '..\\/g.ts'/;`,
      `const q = a / b; const w = "from '../h.ts'" / 2;`,
      `const u = new URL('../i.ts', base);`,
      `const v = obj.import('../j.ts') + obj.from + x.require('../k.ts');`,
      `const from = '../l.ts';`,
    ].join('\n');
    expect(found(source)).toEqual([]);
  });

  test('code inside a template substitution is code', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it
    const source = "const a = `${await import('../a.ts')} and ${`${{ x: 1 }.x}`}`;\nimport '../b.ts';";
    expect(found(source)).toEqual([
      ['dynamic-import', '../a.ts'],
      ['import', '../b.ts'],
    ]);
  });

  test('a regular expression with quotes does not swallow the code after it', () => {
    const source = `const q = /['"]/g;\nconst d = x / 2;\nexport { y } from '../y.ts';`;
    expect(found(source)).toEqual([['from', '../y.ts']]);
  });

  test('an unterminated string ends at its line (text in JSX), and the next line is read', () => {
    const source = `const el = <p>don't</p>;\nimport z from '../z.ts';`;
    expect(found(source)).toEqual([['from', '../z.ts']]);
  });

  test('reports package names too (telling them from paths is the check’s job)', () => {
    expect(found(`import { z } from 'zod';\nimport x from '@faultline/grader/exercise';`)).toEqual([
      ['from', 'zod'],
      ['from', '@faultline/grader/exercise'],
    ]);
  });
});
