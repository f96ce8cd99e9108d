import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { transpile } from './transpile.ts';
import { esbuildWasmPath } from './wasm-files.ts';

describe('transpile', () => {
  it('turns an ES module in TypeScript into CommonJS', async () => {
    const result = await transpile('export function double(x: number): number {\n  return x * 2;\n}\n');
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.code).toContain('module.exports');
    expect(result.code).not.toContain(': number');
  });

  it('reports a syntax error at its line and 1-based column in the learner file', async () => {
    const result = await transpile('export function f() {\n  return 1 +;\n}\n');
    expect(result).toEqual({
      kind: 'compile-error',
      errors: [{ line: 2, column: 13, message: 'Unexpected ";"' }],
    });
  });

  it('counts columns in UTF-16 code units after non-ASCII text', async () => {
    const result = await transpile('const s = "é€"; let = ;\n');
    expect(result.kind).toBe('compile-error');
    if (result.kind !== 'compile-error') return;
    expect(result.errors[0]).toMatchObject({ line: 1, column: 'const s = "é€"; let = '.length + 1 });
  });

  it('reports an unclosed block at the end of the file', async () => {
    const result = await transpile('export function f() {\n  return 1;\n');
    expect(result.kind).toBe('compile-error');
    if (result.kind !== 'compile-error') return;
    expect(result.errors[0]).toMatchObject({ line: 3, column: 1 });
  });
});

// The browser transpiles with esbuild-wasm (transpile-wasm.ts), the server
// with native esbuild: both run transpiler.ts's options, and must give the
// same bytes and the same errors. (The grader checks the same over every
// exercise's files and its hostile corpus: src/browser/transpile-parity.test.ts.)
describe('esbuild-wasm and native esbuild', () => {
  const sources: Record<string, string> = {
    'an ES module with types': 'export function double(x: number): number {\n  return x * 2;\n}\n',
    'TypeScript-only syntax': [
      'enum Kind { Zero, One = 4, Two }',
      'namespace NS { export const v = 1; }',
      'abstract class A<T> { constructor(private readonly t: T, public n = 1) {} abstract f(): T; }',
      'class B extends A<string> { override f() { return "b" as const; } }',
      'declare const g: unknown;',
      'type U = { [K in "a" | "b"]?: K };',
      'export const u = (<U>{}) satisfies U;',
      'export function* gen() { yield* [1, 2]; }',
      'export async function later() { for await (const x of [1]) return x ?? 0n; }',
      'export default class { #p = 1; static { this.prototype; } get p() { return this.#p; } }',
      'import type { X } from "./x";',
      'export { Kind, NS, B };',
    ].join('\n'),
    'an import, which becomes a require':
      'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n',
    // (\u0024 is `$`: the source holds a template literal with a placeholder.)
    'non-ASCII text': 'export const s = "é€😀"; // ünïcödé\nexport const t = `\u0024{s}\\u{1F600}`;\n',
    'an error after non-ASCII text': 'const s = "é€😀"; let = ;\n',
    'an unclosed block': 'export function f() {\n  return 1;\n',
    'several errors': 'const = 1;\nlet x: = 2;\nfunction (\n',
    'top-level await': 'await Promise.resolve(1);\nexport const x = 1;\n',
    'garbage bytes': '\u0000\u0001\uFFFD<html><body>"unterminated\n',
    empty: '',
  };

  let wasm: typeof import('./transpile-wasm.ts');
  beforeAll(async () => {
    // esbuild-wasm's browser build reads the worker global `self` (see transpile-wasm.ts).
    (globalThis as { self?: unknown }).self ??= globalThis;
    wasm = await import('./transpile-wasm.ts');
    const bytes = await readFile(esbuildWasmPath());
    await wasm.initializeEsbuildWasm({ wasmModule: await WebAssembly.compile(bytes) });
  });

  it('are the same version', async () => {
    const native = await import('esbuild');
    expect(wasm.ESBUILD_WASM_VERSION).toBe(native.version);
  });

  it.each(Object.entries(sources))('give the same result for %s', async (_, source) => {
    for (const filename of [undefined, 'learner.ts']) {
      const options = filename === undefined ? {} : { filename };
      const fromWasm = await wasm.transpile(source, options);
      expect(fromWasm).toEqual(await transpile(source, options));
    }
  });

  it('say so when esbuild-wasm is asked again with another source', async () => {
    // One initialization per thread: the second call is the first one's promise.
    await expect(wasm.initializeEsbuildWasm({ wasmURL: 'http://127.0.0.1:9/esbuild.wasm' })).resolves.toBe(
      undefined,
    );
  });
});
