import { expect, test } from 'vitest';
import { safeNextPath } from './next-path.ts';

test('after sign-in, only paths on this site', () => {
  expect(safeNextPath('/exercises/page-fault-handler')).toBe('/exercises/page-fault-handler');
  expect(safeNextPath(null)).toBe('/exercises');
  for (const outside of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)'])
    expect(safeNextPath(outside)).toBe('/exercises');
});
