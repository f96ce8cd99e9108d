import { expect, it } from 'vitest';
import { scrubHostPaths } from './scrub.ts';

it('removes absolute host paths and file URLs, keeps relative fragments', () => {
  expect(
    scrubHostPaths('ENOENT: /work/main/packages/x.ts at file:///home/u/a.js:3:1 and C:\\Users\\u\\a.ts'),
  ).toBe('ENOENT: <host path> at <host path> and <host path>');
  expect(scrubHostPaths('expected 1/2, got a/b/c')).toBe('expected 1/2, got a/b/c');
});
