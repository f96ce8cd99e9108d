// Run and Submit transpile the learner's file with two esbuilds — esbuild-wasm
// in the browser, native esbuild on the server — through the sandbox's one
// set of options. Over every exercise's starter, solution and mutants, the
// grader's hostile corpus and sources that do not parse, both give the same
// bytes, or the same errors at the same places.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transpile as nativeTranspile } from '@faultline/sandbox';
import { esbuildWasmPath } from '@faultline/sandbox/wasm-files';
import { beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_EXERCISES } from '../../test/fixture-exercise.ts';
import { hostileFixtures } from '../../test/hostile-corpus.ts';
import { listExercises, readExercise } from '../exercise/load.ts';

const corpus: [string, string][] = [];
for (const id of await listExercises(FIXTURE_EXERCISES)) {
  const files = await readExercise(join(FIXTURE_EXERCISES, id));
  corpus.push([`${id}/starter.ts`, files.starter], [`${id}/solution.ts`, files.solution]);
  for (const m of files.mutants) corpus.push([`${id}/mutants/${m.name}.ts`, m.source]);
}
for (const f of hostileFixtures()) corpus.push([`hostile/${f.name}`, f.source]);
corpus.push(
  [
    'syntax: a missing brace',
    'export function anonymousFault(fault) {\n  if (fault.write) {\n    return 1;\n',
  ],
  ['syntax: a stray token after non-ASCII text', 'const ünï = "€😀";\nexport const x = ünï + ;\n'],
  ['syntax: several errors', 'export function (a: number {\nlet = 2;\nclass { }\n'],
  [
    'syntax: a type error is not one (esbuild does not type-check)',
    'const n: number = "text";\nexport { n };\n',
  ],
  ['syntax: JSX in a .ts file', 'export const el = <div>hi</div>;\n'],
  ['syntax: an unterminated template', 'export const t = `abc ${1 + \n'],
  ['syntax: a regular expression that does not parse', 'export const r = /(unclosed/;\n'],
  ['syntax: a duplicate export', 'export const a = 1;\nexport const a = 2;\n'],
);

let wasmTranspile: typeof nativeTranspile;
beforeAll(async () => {
  // esbuild-wasm's browser build reads the worker global `self` (see the sandbox's transpile-wasm.ts).
  (globalThis as { self?: unknown }).self ??= globalThis;
  const wasm = await import('@faultline/sandbox/transpile-wasm');
  await wasm.initializeEsbuildWasm({
    wasmModule: await WebAssembly.compile(await readFile(esbuildWasmPath())),
  });
  wasmTranspile = wasm.transpile;
});

describe('esbuild-wasm transpiles as native esbuild does', () => {
  test('the corpus holds files that compile and files that do not', async () => {
    const kinds = new Set(await Promise.all(corpus.map(async ([, s]) => (await nativeTranspile(s)).kind)));
    expect([...kinds].sort()).toEqual(['compile-error', 'ok']);
  });

  test.each(corpus)('%s', async (_name, source) => {
    const native = await nativeTranspile(source);
    expect(await wasmTranspile(source)).toEqual(native);
    // With the file name a submission's compile errors carry.
    expect(await wasmTranspile(source, { filename: 'learner.ts' })).toEqual(
      await nativeTranspile(source, { filename: 'learner.ts' }),
    );
  });
});
