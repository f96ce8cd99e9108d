import { expect, test } from 'vitest';
import { sizeInWords } from './sizes.ts';

test('sizes read as people say them', () => {
  expect(sizeInWords(32 * 1024 * 1024)).toBe('32 MiB');
  expect(sizeInWords(512 * 1024)).toBe('512 KiB');
  expect(sizeInWords(1536 * 1024 + 1)).toBe('1.5 MiB');
  expect(sizeInWords(1500)).toBe('1.5 KiB');
  expect(sizeInWords(100)).toBe('100 bytes');
  expect(sizeInWords(1)).toBe('1 byte');
});
