// The web app will run visible tests in a browser Web Worker with this very
// engine, so Run and Submit cannot disagree: the engine must bundle for a
// browser, with no Node built-in anywhere in its import graph.
import { build } from 'esbuild';
import { expect, test } from 'vitest';

test('the engine bundles for a browser with no Node built-ins', async () => {
  const result = await build({
    entryPoints: [new URL('./engine.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((path) => path.endsWith('src/engine.ts'))).toBe(true);
  expect(inputs.filter((path) => path.startsWith('node:'))).toEqual([]);
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  expect(
    imports.filter((path) => path.startsWith('node:') || ['fs', 'path', 'worker_threads'].includes(path)),
  ).toEqual([]);
});
