// The browser runner's bundle is fit for a browser: no Node built-in anywhere
// in its import graph, one file with no imports, no exercise's file in it
// (the sandbox's own browser.test.ts holds its engine to the first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, expect, test } from 'vitest';
import { buildBrowserRunner, runnerBundleProblems } from './build-runner.ts';

const outDir = mkdtempSync(join(tmpdir(), 'faultline-browser-runner-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

test('the runner bundles the grader’s runner, the engine and esbuild-wasm, and nothing of Node', async () => {
  const { metafile, code } = await buildBrowserRunner(join(outDir, 'runner.js'));
  const inputs = Object.keys(metafile.inputs);
  for (const part of [
    'src/runner/run.ts',
    'src/browser/worker.ts',
    '../sandbox/src/engine.ts',
    '../sandbox/src/transpile-wasm.ts',
    'esbuild-wasm/esm/browser.js',
    '@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.browser.mjs',
  ])
    expect(
      inputs.some((path) => path.endsWith(part)),
      part,
    ).toBe(true);
  // Never native esbuild, the Node transpiler, the pool or the exercise loader.
  for (const part of [
    'esbuild/lib/main.js',
    'sandbox/src/transpile.ts',
    'sandbox/src/pool.ts',
    'src/exercise/load.ts',
  ])
    expect(
      inputs.filter((path) => path.endsWith(part)),
      part,
    ).toEqual([]);
  expect(runnerBundleProblems(metafile)).toEqual([]);
  const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  expect(imports.filter((path) => path.startsWith('node:'))).toEqual([]);
  expect(Object.values(metafile.outputs).flatMap((o) => o.imports)).toEqual([]);
  expect(code).not.toMatch(/^\s*import\s.*\sfrom\s/m);
});

test('the check names what does not belong', () => {
  const metafile: Metafile = {
    inputs: {
      'src/a.ts': { bytes: 1, imports: [{ path: 'node:fs', kind: 'import-statement', external: true }] },
      '../../exercises/x/solution.ts': { bytes: 1, imports: [] },
    },
    outputs: {
      'runner.js': {
        bytes: 1,
        inputs: {},
        imports: [{ path: 'node:fs', kind: 'import-statement', external: true }],
        exports: [],
        entryPoint: 'src/a.ts',
      },
    },
  };
  expect(runnerBundleProblems(metafile)).toEqual([
    'src/a.ts imports the Node built-in node:fs',
    "an exercise's file is bundled: ../../exercises/x/solution.ts",
    'runner.js imports node:fs (the runner must be one file)',
  ]);
});
