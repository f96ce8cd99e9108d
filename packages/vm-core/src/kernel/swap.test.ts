import { describe, expect, test } from 'vitest';
import { decodeSwapEntry, encodeSwapEntry, SwapDevice } from './swap.ts';

describe('swap entries in PTEs', () => {
  test('x86-64: type in 63:59, inverted offset in 58:9, P and PROTNONE clear', () => {
    const pte = encodeSwapEntry('x86-64', 1, 5);
    expect(pte & 1n).toBe(0n);
    expect(pte & 0x100n).toBe(0n);
    expect(pte >> 59n).toBe(1n);
    expect(decodeSwapEntry('x86-64', pte)).toEqual({ type: 1, offset: 5 });
    // The inverted offset makes the entry point far above any real memory.
    expect((pte >> 40n) & 0xffn).toBe(0xffn);
  });

  test('x86-32: type in 5:1, offset from bit 9', () => {
    const pte = encodeSwapEntry('x86-32', 3, 77);
    expect(pte).toBe((3n << 1n) | (77n << 9n));
    expect(decodeSwapEntry('x86-32', pte)).toEqual({ type: 3, offset: 77 });
  });
});

describe('SwapDevice', () => {
  test('slots are counted and reused; slot 0 is never handed out', () => {
    const swap = new SwapDevice(4);
    const a = swap.allocate();
    const b = swap.allocate();
    const c = swap.allocate();
    expect([a, b, c].sort()).toEqual([1, 2, 3]);
    expect(swap.allocate()).toBe(-1);
    swap.duplicate(b);
    expect(swap.release(b)).toBe(1);
    expect(swap.release(b)).toBe(0);
    expect(swap.inUse).toBe(2);
    expect(swap.allocate()).toBe(b);
  });

  test('pages round-trip through storage', () => {
    const swap = new SwapDevice(3);
    const slot = swap.allocate();
    const page = new Uint8Array(4096).fill(7);
    swap.write(slot, page);
    const back = new Uint8Array(4096);
    swap.read(slot, back);
    expect(back[4095]).toBe(7);
  });
});
