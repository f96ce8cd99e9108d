import { describe, expect, test } from 'vitest';
import { formatAddress, formatHex, toAddress } from './address.ts';

describe('addresses', () => {
  test('64-bit kernel addresses become exact negative numbers and print back', () => {
    const va = toAddress('0xffff_8880_0000_1000');
    expect(va).toBe(-(2 ** 47) + 0x0880_0000_1000);
    expect(formatAddress(va)).toBe('0xffff888000001000');
    expect(toAddress(0xffff888000001000n)).toBe(va);
  });

  test('non-canonical addresses stay non-canonical', () => {
    expect(toAddress('0x0000800000000000')).toBe(2 ** 47);
    expect(Math.abs(toAddress('0x8000000000000000'))).toBeGreaterThan(2 ** 48);
  });

  test('bad input is a clear error', () => {
    expect(() => toAddress('hello')).toThrow(/not an address/);
    expect(() => toAddress(0.5)).toThrow(/safe integer/);
    expect(() => toAddress(1n << 64n)).toThrow(/64 bits/);
  });

  test('32-bit formatting and raw hex', () => {
    expect(formatAddress(0xc000_0000, 32)).toBe('0xc0000000');
    expect(formatHex(0x7n, 1)).toBe('0x07');
  });
});
