import { expect, test } from 'vitest';
import { safeNextPath } from './next-path.ts';

test('after sign-in, only places on this site', () => {
  expect(safeNextPath('/exercises/page-fault-handler?assignment=a#x')).toBe(
    '/exercises/page-fault-handler?assignment=a#x',
  );
  expect(safeNextPath(null)).toBe('/exercises');
  for (const outside of [
    '//evil.example',
    'https://evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\\\t\\evil.example',
    'javascript:alert(1)',
  ])
    expect(safeNextPath(outside), JSON.stringify(outside)).toBe('/exercises');
});
