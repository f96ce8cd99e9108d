import { describe, expect, it } from 'vitest';
import { transpile } from './transpile.ts';

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
