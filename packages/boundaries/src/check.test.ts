import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkWorkspace, describeViolation, findWorkspaceRoot, workspaceEntries } from './check.ts';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A scratch workspace with these files (path → content), laid out as this repository is. */
function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'faultline-boundaries-'));
  roots.push(root);
  const all: Record<string, string> = {
    'pnpm-workspace.yaml':
      "packages:\n  - packages/*\n  - 'apps/*'\n  - exercises # content\n  - e2e\n\ncatalog:\n  zod: 4\n",
    'packages/a/package.json': '{}',
    'packages/b/package.json': '{}',
    'exercises/package.json': '{}',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const violations = (root: string) =>
  checkWorkspace(root).map(({ file, line, form, from, to }) => ({ file, line, form, from, to }));

describe('checkWorkspace', () => {
  test('flags each form whose relative path leaves its package', () => {
    const root = workspace({
      'packages/a/src/x.ts': [
        `/// <reference path="../../b/src/types.d.ts" />`,
        `import { b } from '../../b/src/index.ts';`,
        `import type { T } from '../../b/src/types.ts';`,
        `export { c } from '../../b/src/c.ts';`,
        `import '../../b/src/side-effect.ts';`,
        `const d = await import('../../b/src/d.ts');`,
        `const e = require('../../b/e.cjs');`,
        `const f = new URL('../../../exercises/page-fault-handler', import.meta.url);`,
        `const g = import.meta.resolve('../../b/src/g.ts');`,
      ].join('\n'),
    });
    expect(violations(root)).toEqual([
      { file: 'packages/a/src/x.ts', line: 1, form: 'reference', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 2, form: 'from', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 3, form: 'from', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 4, form: 'from', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 5, form: 'import', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 6, form: 'dynamic-import', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 7, form: 'require', from: 'packages/a', to: 'packages/b' },
      { file: 'packages/a/src/x.ts', line: 8, form: 'url', from: 'packages/a', to: 'exercises' },
      { file: 'packages/a/src/x.ts', line: 9, form: 'resolve', from: 'packages/a', to: 'packages/b' },
    ]);
  });

  test('leaves in-package relative paths, package names and other URLs alone', () => {
    const root = workspace({
      'packages/a/src/x.ts': [
        `/// <reference path="./types.d.ts" />`,
        `import { y } from './y.ts';`,
        `import { z } from '../test/z.ts';`,
        `import { b } from '@faultline/b';`,
        `import { readFile } from 'node:fs';`,
        `const self = new URL(import.meta.url);`,
        `const here = new URL('.', import.meta.url);`,
        `const root = new URL('..', import.meta.url);`,
        `const fixture = new URL('fixtures/one.ts?stall=1', import.meta.url);`,
        `const remote = new URL('https://example.org/x', import.meta.url);`,
        `const other = new URL('../../b/x.ts', somewhereElse);`,
        `const back = await import('../../a/src/y.ts');`,
      ].join('\n'),
      'packages/a/test/z.ts': `export { y } from '../src/y.ts';\n`,
      'exercises/page-fault-handler/tests/visible.ts': `import { defineTests } from '@faultline/grader';\n`,
    });
    expect(violations(root)).toEqual([]);
  });

  test('apps/*, exercises, e2e, the root scripts/ and the root are areas of their own', () => {
    const root = workspace({
      'apps/web/src/page.tsx': `import { x } from '../../../packages/a/src/x.ts';\nexport const el = <p>don't</p>;\n`,
      'e2e/tests/home.test.ts': `import '../../apps/web/src/page.tsx';\n`,
      'exercises/src/index.ts': `export * from '../../packages/a/src/x.ts';\n`,
      'scripts/tool.mjs': `import '../packages/a/src/x.ts';\nimport './helper.mjs';\n`,
      'vitest.workspace.ts': `import '../outside.ts';\nimport './scripts/tool.mjs';\n`,
      'packages/b/src/busy.ts': `const busy = new URL('../../../scripts/tool.mjs', import.meta.url);\n`,
    });
    expect(violations(root)).toEqual([
      { file: 'apps/web/src/page.tsx', line: 1, form: 'from', from: 'apps/web', to: 'packages/a' },
      { file: 'e2e/tests/home.test.ts', line: 1, form: 'import', from: 'e2e', to: 'apps/web' },
      { file: 'exercises/src/index.ts', line: 1, form: 'from', from: 'exercises', to: 'packages/a' },
      { file: 'packages/b/src/busy.ts', line: 1, form: 'url', from: 'packages/b', to: 'scripts' },
      { file: 'scripts/tool.mjs', line: 1, form: 'import', from: 'scripts', to: 'packages/a' },
      { file: 'vitest.workspace.ts', line: 1, form: 'import', from: '.', to: '(outside)' },
      { file: 'vitest.workspace.ts', line: 2, form: 'import', from: '.', to: 'scripts' },
    ]);
  });

  test('skips dependencies, build output and hidden folders', () => {
    const root = workspace({
      'packages/a/node_modules/dep/index.js': `import '../../../b/x.ts';\n`,
      'packages/a/dist/index.js': `import '../../b/x.ts';\n`,
      'packages/a/.turbo/x.js': `import '../../b/x.ts';\n`,
      'packages/a/README.md': "```ts\nimport x from '../b/src/x.ts';\n```\n",
    });
    expect(violations(root)).toEqual([]);
  });

  test('a violation reads as what to do about it', () => {
    const root = workspace({
      'packages/a/src/x.ts': `export const loader = new URL('../../../exercises/src/load.ts', import.meta.url);\n`,
    });
    expect(checkWorkspace(root).map(describeViolation)).toEqual([
      `packages/a/src/x.ts:1: new URL('../../../exercises/src/load.ts', import.meta.url) leaves packages/a for exercises: packages meet only through their public exports (import the package by its name, or a subpath its package.json "exports" lists), never by a relative path into another package`,
    ]);
  });
});

describe('the workspace file', () => {
  test('its packages: entries, with quotes and comments, and nothing of the other keys', () => {
    expect(
      workspaceEntries(
        'packages:\n  - packages/*\n  - \'apps/*\' # apps\n  - "e2e"\ncatalog:\n  - not-this\n',
      ),
    ).toEqual(['packages/*', 'apps/*', 'e2e']);
  });

  test('a glob the check does not understand stops it rather than letting files through', () => {
    const root = workspace({ 'pnpm-workspace.yaml': 'packages:\n  - packages/**\n' });
    expect(() => checkWorkspace(root)).toThrow(/"packages\/\*\*": only "dir" and "dir\/\*" are understood/);
  });

  test('is found from any folder inside the workspace', () => {
    const root = workspace({ 'packages/a/src/deep/x.ts': '' });
    expect(findWorkspaceRoot(join(root, 'packages/a/src/deep'))).toBe(root);
  });
});
