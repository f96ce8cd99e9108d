import { describe, expect, test } from 'vitest';
import { Tlb } from './tlb.ts';

const PAGE = 4096;

describe('Tlb', () => {
  test('hits only for the same page and ASID, or a global entry', () => {
    const tlb = new Tlb({ entries: 8, ways: 2 });
    tlb.fill(5, 1, false, 0x9000, 0, PAGE, PAGE);
    tlb.fill(6, 1, true, 0xa000, 0, PAGE, PAGE);
    expect(tlb.lookup(5, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(5, 2)).toBe(-1);
    expect(tlb.lookup(6, 2)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(7, 1)).toBe(-1);
  });

  test('a full set evicts round robin, and other sets keep their entries', () => {
    const tlb = new Tlb({ entries: 8, ways: 2 }); // 4 sets
    for (const vpn of [0, 4, 8]) tlb.fill(vpn, 0, false, vpn * PAGE, 0, PAGE, PAGE); // all map to set 0
    tlb.fill(1, 0, false, PAGE, 0, PAGE, PAGE);
    expect(tlb.lookup(0, 0)).toBe(-1);
    expect(tlb.lookup(4, 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(8, 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(1, 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.evictedVpn).toBeNaN();
    tlb.fill(12, 0, false, 0, 0, PAGE, PAGE);
    expect(tlb.evictedVpn).toBe(4);
  });

  test('negative page numbers (the kernel half) index and match', () => {
    const tlb = new Tlb({ entries: 16, ways: 4 });
    const vpn = Math.floor(-(2 ** 47) / PAGE) + 3;
    tlb.fill(vpn, 0, true, 0x5000, 0, PAGE, PAGE);
    expect(tlb.lookup(vpn, 9)).toBeGreaterThanOrEqual(0);
  });

  test('invalidation scopes: page (with globals), ASID (not globals), non-global, all', () => {
    const tlb = new Tlb({ entries: 16, ways: 16 });
    tlb.fill(1, 1, false, 0, 0, PAGE, PAGE);
    tlb.fill(2, 1, false, 0, 0, PAGE, PAGE);
    tlb.fill(2, 2, false, 0, 0, PAGE, PAGE);
    tlb.fill(3, 0, true, 0, 0, PAGE, PAGE);
    expect(tlb.invalidatePage(2 * PAGE + 7, 1, PAGE)).toBe(1);
    expect(tlb.lookup(2, 2)).toBeGreaterThanOrEqual(0);
    expect(tlb.invalidatePage(3 * PAGE, 1, PAGE)).toBe(1); // invlpg drops a global entry too
    tlb.fill(3, 0, true, 0, 0, PAGE, PAGE);
    expect(tlb.invalidateAsid(1, PAGE)).toBe(1);
    expect(tlb.lookup(3, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.invalidateNonGlobal(PAGE)).toBe(1);
    expect(tlb.snapshot().map((e) => e.vpn)).toEqual([3]);
    expect(tlb.invalidateAll()).toBe(1);
    expect(tlb.snapshot()).toEqual([]);
  });

  test('invalidating any address of a huge page drops all of its cached pieces', () => {
    const tlb = new Tlb({ entries: 16, ways: 4 });
    const span = 512 * PAGE;
    tlb.fill(512, 0, false, 0, 0, span, PAGE);
    tlb.fill(513, 0, false, PAGE, 0, span, PAGE);
    tlb.fill(2000, 0, false, 0, 0, PAGE, PAGE);
    expect(tlb.invalidatePage(512 * PAGE + 300 * PAGE, 0, PAGE)).toBe(2);
    expect(tlb.snapshot().map((e) => e.vpn)).toEqual([2000]);
  });

  test('rejects geometries that are not powers of two', () => {
    expect(() => new Tlb({ entries: 12, ways: 4 })).toThrow(/power of two/);
    expect(() => new Tlb({ entries: 16, ways: 32 })).toThrow(/ways/);
  });
});
