import { describe, expect, test } from 'vitest';
import { FrameDatabase, MAX_ORDER, PageFlag } from './frames.ts';

describe('buddy allocator', () => {
  test('reserved frames are never handed out; the rest is free in aligned blocks', () => {
    const db = new FrameDatabase(64, 3);
    expect(db.free).toBe(61);
    expect(db.has(0, PageFlag.Reserved)).toBe(true);
    const got = new Set<number>();
    for (let i = 0; i < 61; i++) got.add(db.allocate());
    expect(got.size).toBe(61);
    expect([...got].every((p) => p >= 3 && p < 64)).toBe(true);
    expect(db.allocate()).toBe(-1);
  });

  test('allocation splits a block and freeing merges buddies back', () => {
    const db = new FrameDatabase(16, 0);
    expect(db.buddyInfo()[4]).toBe(1);
    const a = db.allocate(0);
    expect(db.buddyInfo().slice(0, 5)).toEqual([1, 1, 1, 1, 0]);
    const big = db.allocate(2);
    expect(big % 4).toBe(0);
    db.release(a, 0);
    db.release(big, 2);
    expect(db.buddyInfo()[4]).toBe(1);
    expect(db.free).toBe(16);
  });

  test('a fresh frame has refcount 1 and no flags; a freed one refcount 0', () => {
    const db = new FrameDatabase(8, 0);
    const p = db.allocate();
    expect(db.refcount[p]).toBe(1);
    db.set(p, PageFlag.Anon);
    db.release(p);
    expect(db.refcount[p]).toBe(0);
    expect(db.flags[p]).toBe(0);
  });

  test('orders up to MAX_ORDER; deterministic sequence', () => {
    const a = new FrameDatabase(4096, 1);
    const b = new FrameDatabase(4096, 1);
    const seqA = [a.allocate(3), a.allocate(0), a.allocate(MAX_ORDER), a.allocate(1)];
    const seqB = [b.allocate(3), b.allocate(0), b.allocate(MAX_ORDER), b.allocate(1)];
    expect(seqA).toEqual(seqB);
    expect(seqA[2]! % 1024).toBe(0);
  });
});
