import { describe, expect, test } from 'vitest';
import { decodeEntry } from './entry.ts';
import { tiny8, x86_64 } from './formats/index.ts';

describe('decodeEntry: the raw entry', () => {
  test('value is the entry exactly, high bits included; raw is the same in hex', () => {
    // XD, protection key 15 and reserved bits: far above 2^53, where a number would round.
    const entry = 0xfff0_0000_0000_9067n;
    const decoded = decodeEntry(x86_64, 3, entry);
    expect(decoded.value).toBe(entry);
    expect(decoded.raw).toBe('0xfff0000000009067');
    expect(BigInt(decoded.raw)).toBe(decoded.value);
    expect(Number(entry) === Number(entry + 1n)).toBe(true); // what a number would have lost
  });

  test('value is an unsigned value of the entry width', () => {
    expect(decodeEntry(x86_64, 3, -1n).value).toBe(2n ** 64n - 1n);
    expect(decodeEntry(tiny8, 1, 0xbfn)).toMatchObject({ value: 0xbfn, raw: '0xbf' });
  });
});
