import { describe, expect, test } from 'vitest';
import { csvCell, csvTable } from './csv.ts';

describe('csvCell', () => {
  test.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
  ])('%j → %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  test('numbers are written as they are', () => {
    expect(csvCell(0)).toBe('0');
    expect(csvCell(12.5)).toBe('12.5');
  });
});

describe('csvTable', () => {
  test('a header and rows, every cell through csvCell', () => {
    expect(
      csvTable(
        ['name', 'score'],
        [
          ['=cmd', 3],
          ['Ada, Countess', 18],
        ],
      ),
    ).toBe('name,score\n\'=cmd,3\n"Ada, Countess",18\n');
  });
});
