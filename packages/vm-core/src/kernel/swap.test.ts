import { describe, expect, test } from 'vitest';
import { SwapDevice } from './swap.ts';

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
