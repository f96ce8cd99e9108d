import { describe, expect, test } from 'vitest';
import { AddressNamer, describePage, FrameNamer } from './observation.ts';

describe('addresses named the same way on both kernels', () => {
  test('inside a labelled mapping: the label and the offset; the newest mapping wins', () => {
    const n = new AddressNamer();
    n.mapped('buf', 0x7f0000000000n, 8192);
    expect(n.name(0x7f0000000000n)).toBe('buf');
    expect(n.name(0x7f0000001010n)).toBe('buf+0x1010');
    n.mapped('again', 0x7f0000000000n, 4096);
    expect(n.name(0x7f0000000010n)).toBe('again+0x10');
    expect(n.name(0x7f0000001000n)).toBe('buf+0x1000');
  });

  test('below the stack and above the break: relative to them; anything else: the address', () => {
    const n = new AddressNamer();
    n.builtin('stack', 0x7ffffffde000n);
    n.builtin('brk', 0x4c1000n);
    expect(n.name(0x7ffffffdd000n)).toBe('stack-0x1000');
    expect(n.name(0x7ffffffde100n)).toBe('stack+0x100');
    // The stack's top is the same on both kernels; its lowest page is not.
    expect(n.name(0x7ffffffff000n)).toBe('0x7ffffffff000');
    expect(n.name(0x4c3000n)).toBe('brk+0x2000');
    expect(n.name(0x1000n)).toBe('0x1000');
    expect(n.name(-0x778000000000n)).toBe('0xffff888000000000');
  });
});

describe('frames named by first appearance', () => {
  test('the same sharing gives the same names, whatever the frame numbers', () => {
    const linux = new FrameNamer();
    const sim = new FrameNamer();
    const page = (pfn: number, mapcount: number) => ({
      state: 'present' as const,
      pfn,
      zero: false,
      mapcount,
    });
    expect([
      describePage(page(9123, 2), linux),
      describePage(page(9123, 1), linux),
      describePage(page(40, 1), linux),
    ]).toEqual([describePage(page(7, 2), sim), describePage(page(7, 1), sim), describePage(page(8, 1), sim)]);
    expect(describePage(page(40, 1), linux)).toBe('frame B, mapcount 1');
  });

  test('the zero page by name, with its map count (Linux keeps none: 0), and the other states in words', () => {
    const f = new FrameNamer();
    expect(describePage({ state: 'present', pfn: 1, zero: true, mapcount: 0 }, f)).toBe(
      'zero page, mapcount 0',
    );
    expect(describePage({ state: 'none' }, f)).toBe('not present');
    expect(describePage({ state: 'unknown' }, f)).toBe('unknown');
  });
});

test('a fault at the step’s own target is named as the case wrote the target', () => {
  const n = new AddressNamer();
  n.builtin('stack', 0x7ffffffde000n);
  n.mapped('buf', 0x7f0000000000n, 4096);
  expect(n.name(0x7fffff7fe000n, 0x7fffff7fe000)).toBe('0x7fffff7fe000');
  expect(n.name(0x7fffff7fe000n)).toBe('stack-0x7e0000');
  expect(n.name(0x7ffffffdd000n, 'stack - 0x1000')).toBe('stack-0x1000');
  expect(n.name(0x7f0000000010n, 'buf+16')).toBe('buf+16');
  expect(n.name(0x7f0000000020n, 'buf+16')).toBe('buf+0x20');
  expect(n.evaluate('nolabel+1')).toBeNull();
});
