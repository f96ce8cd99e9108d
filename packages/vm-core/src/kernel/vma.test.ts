import { describe, expect, test } from 'vitest';
import { VmaList, VmFlag, vmaPermissions } from './vma.ts';

const RW = VmFlag.Read | VmFlag.Write;
const R = VmFlag.Read;
const spans = (l: VmaList) => l.all.map((v) => [v.start, v.end, vmaPermissions(v)]);

describe('VmaList', () => {
  test('adjacent equal areas merge; find_vma returns the next area above', () => {
    const l = new VmaList();
    l.insert({ start: 0x1000, end: 0x3000, flags: RW, name: 'anon' });
    l.insert({ start: 0x3000, end: 0x5000, flags: RW, name: 'anon' });
    l.insert({ start: 0x8000, end: 0x9000, flags: R, name: 'anon' });
    expect(spans(l)).toEqual([
      [0x1000, 0x5000, 'rw-p'],
      [0x8000, 0x9000, 'r--p'],
    ]);
    expect(l.containing(0x6000)).toBeNull();
    expect(l.findVma(0x6000)?.start).toBe(0x8000);
    expect(() => l.insert({ start: 0x4000, end: 0x6000, flags: RW, name: 'anon' })).toThrow(/overlaps/);
  });

  test('munmap in the middle splits an area in two', () => {
    const l = new VmaList();
    l.insert({ start: 0x1000, end: 0x9000, flags: RW, name: 'anon' });
    const removed = l.remove(0x3000, 0x5000);
    expect(removed.map((v) => [v.start, v.end])).toEqual([[0x3000, 0x5000]]);
    expect(spans(l)).toEqual([
      [0x1000, 0x3000, 'rw-p'],
      [0x5000, 0x9000, 'rw-p'],
    ]);
  });

  test('mprotect splits, and changing back merges again', () => {
    const l = new VmaList();
    l.insert({ start: 0x1000, end: 0x9000, flags: RW, name: 'anon' });
    l.changeFlags(0x2000, 0x4000, () => R);
    expect(spans(l)).toEqual([
      [0x1000, 0x2000, 'rw-p'],
      [0x2000, 0x4000, 'r--p'],
      [0x4000, 0x9000, 'rw-p'],
    ]);
    l.changeFlags(0x2000, 0x4000, () => RW);
    expect(spans(l)).toEqual([[0x1000, 0x9000, 'rw-p']]);
  });

  test('top-down placement finds the highest gap', () => {
    const l = new VmaList();
    l.insert({ start: 0x9000, end: 0xa000, flags: R, name: 'anon' });
    l.insert({ start: 0x5000, end: 0x6000, flags: R, name: 'anon' });
    expect(l.findFreeTopDown(0x2000, 0x1000, 0xa000)).toBe(0x7000);
    expect(l.findFreeTopDown(0x4000, 0x1000, 0xa000)).toBe(0x1000);
    expect(l.findFreeTopDown(0x5000, 0x1000, 0xa000)).toBeNull();
  });
});
