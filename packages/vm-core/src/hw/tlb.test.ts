import { describe, expect, test } from 'vitest';
import { Tlb } from './tlb.ts';

const PAGE = 4096;
const page = (n: number) => n * PAGE;

describe('Tlb', () => {
  test('hits only for the same page and ASID, or a global entry', () => {
    const tlb = new Tlb({ entries: 8, ways: 2 });
    tlb.fill(page(5) + 12, 1, false, 0x9000, 0, PAGE);
    tlb.fill(page(6), 1, true, 0xa000, 0, PAGE);
    expect(tlb.lookup(page(5) + 4000, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(page(5), 2)).toBe(-1);
    expect(tlb.lookup(page(6), 2)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(page(7), 1)).toBe(-1);
  });

  test('a full set evicts round robin, and other sets keep their entries', () => {
    const tlb = new Tlb({ entries: 8, ways: 2 }); // 4 sets
    for (const n of [0, 4, 8]) tlb.fill(page(n), 0, false, page(n), 0, PAGE); // all index set 0
    tlb.fill(page(1), 0, false, PAGE, 0, PAGE);
    expect(tlb.lookup(page(0), 0)).toBe(-1);
    expect(tlb.lookup(page(4), 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(page(8), 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(page(1), 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.evictedPageVa).toBeNaN();
    tlb.fill(page(12), 0, false, 0, 0, PAGE);
    expect(tlb.evictedPageVa).toBe(page(4));
  });

  test('negative addresses (the kernel half) index and match', () => {
    const tlb = new Tlb({ entries: 16, ways: 4 });
    const va = -(2 ** 47) + 3 * PAGE + 17;
    tlb.fill(va, 0, true, 0x5000, 0, PAGE);
    expect(tlb.lookup(va - 17, 9)).toBeGreaterThanOrEqual(0);
    expect(tlb.snapshot()[0]!.pageVa).toBe(-(2 ** 47) + 3 * PAGE);
  });

  test('invalidation scopes: page (with globals), ASID (not globals), non-global, all', () => {
    const tlb = new Tlb({ entries: 16, ways: 16 });
    tlb.fill(page(1), 1, false, 0, 0, PAGE);
    tlb.fill(page(2), 1, false, 0, 0, PAGE);
    tlb.fill(page(2), 2, false, 0, 0, PAGE);
    tlb.fill(page(3), 0, true, 0, 0, PAGE);
    expect(tlb.invalidatePage(page(2) + 7, 1)).toBe(1);
    expect(tlb.lookup(page(2), 2)).toBeGreaterThanOrEqual(0);
    expect(tlb.invalidatePage(page(3), 1)).toBe(1); // invlpg drops a global entry too
    tlb.fill(page(3), 0, true, 0, 0, PAGE);
    expect(tlb.invalidateAsid(1)).toBe(1);
    expect(tlb.lookup(page(3), 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.invalidateNonGlobal()).toBe(1);
    expect(tlb.snapshot().map((e) => e.pageVa)).toEqual([page(3)]);
    expect(tlb.invalidateAll()).toBe(1);
    expect(tlb.snapshot()).toEqual([]);
  });

  test('invalidating any address of a huge page drops all of its cached pieces', () => {
    const tlb = new Tlb({ entries: 16, ways: 4 });
    const span = 512 * PAGE;
    tlb.fill(page(512), 0, false, 0, 0, span);
    tlb.fill(page(513), 0, false, PAGE, 0, span);
    tlb.fill(page(2000), 0, false, 0, 0, PAGE);
    expect(tlb.invalidatePage(page(512 + 300), 0)).toBe(2);
    expect(tlb.snapshot().map((e) => e.pageVa)).toEqual([page(2000)]);
  });

  test('rejects geometries that are not powers of two', () => {
    expect(() => new Tlb({ entries: 12, ways: 4 })).toThrow(/power of two/);
    expect(() => new Tlb({ entries: 16, ways: 32 })).toThrow(/ways/);
  });
});
