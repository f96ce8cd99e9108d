import { describe, expect, test } from 'vitest';
import type { PteOps } from './arch.ts';
import { x86_32Architecture, x86_64Architecture } from './x86.ts';

const x86_64 = x86_64Architecture.pte;
const x86_32 = x86_32Architecture.pte;
const decode = (ops: PteOps, pte: bigint) => ({ type: ops.swapType(pte), offset: ops.swapOffset(pte) });

describe('swap entries in PTEs', () => {
  test('x86-64: type in 63:59, inverted offset in 58:9, P and PROTNONE clear', () => {
    const pte = x86_64.swapEntry(1, 5);
    expect(pte & 1n).toBe(0n);
    expect(pte & 0x100n).toBe(0n);
    expect(pte >> 59n).toBe(1n);
    expect(decode(x86_64, pte)).toEqual({ type: 1, offset: 5 });
    // The inverted offset makes the entry point far above any real memory.
    expect((pte >> 40n) & 0xffn).toBe(0xffn);
  });

  test('x86-32: type in 5:1, offset from bit 9', () => {
    const pte = x86_32.swapEntry(3, 77);
    expect(pte).toBe((3n << 1n) | (77n << 9n));
    expect(decode(x86_32, pte)).toEqual({ type: 3, offset: 77 });
  });
});
