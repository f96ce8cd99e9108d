import { describe, expect, test } from 'vitest';
import { fileStem, type SummaryRow, summaryCsv, summaryJson } from './summary.ts';

const row = (over: Partial<SummaryRow>): SummaryRow => ({
  submission: 'alice',
  path: 'subs/alice.ts',
  graded: 'graded',
  status: 'pass',
  score: 18,
  maxScore: 18,
  testsPassed: 9,
  tests: 9,
  message: '',
  ...over,
});

describe('summaryCsv', () => {
  test('a header, then a row per submission, CRLF line ends', () => {
    const csv = summaryCsv([
      row({}),
      row({ submission: '=cmd|calc', status: 'error', score: 0, message: 'Your module, "x", failed' }),
    ]);
    expect(csv.split('\r\n')).toEqual([
      'submission,path,graded,status,score,maxScore,testsPassed,tests,message',
      'alice,subs/alice.ts,graded,pass,18,18,9,9,',
      `'=cmd|calc,subs/alice.ts,graded,error,0,18,9,9,"Your module, ""x"", failed"`,
      '',
    ]);
  });
});

describe('summaryJson', () => {
  test('counts by outcome and keeps every row', () => {
    const json = JSON.parse(
      summaryJson('ex', [
        row({}),
        row({ submission: 'bob', score: 3 }),
        row({ submission: 'carol', graded: 'not-gradable', status: 'error', score: 0 }),
        row({ submission: 'dave', graded: 'grader-failed', status: 'error', score: 0 }),
      ]),
    );
    expect(json).toMatchObject({
      exercise: 'ex',
      submissions: 4,
      fullMarks: 1,
      graded: 2,
      notGradable: 1,
      graderFailed: 1,
    });
    expect(json.rows.map((r: SummaryRow) => r.submission)).toEqual(['alice', 'bob', 'carol', 'dave']);
  });
});

describe('fileStem', () => {
  test('safe, unique (ignoring case), never hidden, never a summary file', () => {
    const taken = new Set<string>();
    expect(fileStem('alice/solution', taken)).toBe('alice__solution');
    expect(fileStem('Alice/Solution', taken)).toBe('Alice__Solution-2');
    expect(fileStem('../../etc/passwd', taken)).toBe('___..__etc__passwd');
    expect(fileStem('.hidden', taken)).toBe('_hidden');
    expect(fileStem('summary', taken)).toBe('summary-2');
    expect(fileStem('ünïcode & spaces', taken)).toBe('_n_code___spaces');
    expect(fileStem('', taken)).toBe('submission');
  });
});
