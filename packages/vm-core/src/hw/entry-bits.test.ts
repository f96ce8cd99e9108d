import { describe, expect, test } from 'vitest';
import { bit, bits, fieldCodec, readField, writeField } from './entry-bits.ts';

describe('entry bits', () => {
  test('bits land in the right half', () => {
    expect(bit(5)).toEqual({ lo: 32, hi: 0 });
    expect(bit(63)).toEqual({ lo: 0, hi: 0x8000_0000 });
    expect(bits(30, 33)).toEqual({ lo: 0xc000_0000, hi: 0b11 });
  });

  test('a field spanning both halves reads and writes exactly', () => {
    const frame = fieldCodec({ shift: 12, width: 40 });
    const [lo, hi] = writeField(frame, 0x007, 0x8000_0000, 0xab_cdef_1234);
    expect(readField(frame, lo, hi)).toBe(0xab_cdef_1234);
    expect(lo & 0xfff).toBe(0x007);
    expect(hi >>> 31).toBe(1);
  });

  test('a field in the high half (x86 protection key)', () => {
    const key = fieldCodec({ shift: 59, width: 4 });
    const [lo, hi] = writeField(key, 0, 0, 11);
    expect(hi).toBe(11 << 27);
    expect(readField(key, lo, hi)).toBe(11);
    expect(() => writeField(key, 0, 0, 16)).toThrow(/does not fit/);
  });
});
