import { expect, test } from 'vitest';
import { compileErrorMarkers, MARKER_SEVERITY_ERROR } from './markers.ts';

test('a compile error becomes an error marker at its line and column', () => {
  expect(compileErrorMarkers([{ line: 3, column: 7, message: 'Expected ";"' }])).toEqual([
    {
      startLineNumber: 3,
      startColumn: 7,
      endLineNumber: 3,
      endColumn: 8,
      message: 'Expected ";"',
      severity: MARKER_SEVERITY_ERROR,
      source: 'compiler',
    },
  ]);
});
