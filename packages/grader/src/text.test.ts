import { describe, expect, it, test } from 'vitest';
import { mixedReport, rawTest } from '../test/fixtures.ts';
import { buildReport } from './report.ts';
import { limitInWords, renderText } from './text.ts';

it('renders one line per test with marks and points, messages indented, then totals', () => {
  expect(renderText(mixedReport(), { audience: 'learner', dueDatePassed: false })).toBe(
    [
      'page-walk: FAIL',
      '  3 of 5 tests did not pass.',
      '',
      '  ✓ maps the first page  2/2',
      '  ✗ sets the accessed bit  0/2',
      '      expected accessed bit set on PTE 0x1000',
      '        got 0x0',
      '  ✗ throws nothing (error)  0/2',
      '      TypeError: x is undefined',
      '  ✗ hidden: copy on write  0/2',
      '  ✓ after due: huge pages  2/2',
      '  – swap (skipped)  0/2',
      '',
      'Score: 4/12 — 2 of 5 tests passed',
      '',
    ].join('\n'),
  );
});

it('shows hidden messages to staff', () => {
  expect(renderText(mixedReport(), { audience: 'staff' })).toContain('      secret expectation: frame 42');
});

it('renders a compile error with its diagnostics', () => {
  const report = buildReport({
    exercise: 'cow',
    tests: [],
    maxScore: 10,
    outcome: { kind: 'compile-error', errors: [{ line: 4, column: 2, message: 'Expected ")"' }] },
  });
  expect(renderText(report, { audience: 'staff' })).toBe(
    [
      'cow: COMPILE ERROR',
      '  Your code did not compile (1 error):',
      '    line 4:2: Expected ")"',
      '',
      'Score: 0/10 — no test ran',
      '',
    ].join('\n'),
  );
});

it('names the limit that stopped a test, even where its message is withheld', () => {
  const report = buildReport({
    exercise: 'cow',
    tests: [
      rawTest({
        name: 'hidden: a fork of a big process',
        status: 'timeout',
        points: 0,
        visibility: 'hidden',
        message: 'Your cowBreak ran out of time (…)',
        limit: { name: 'wallMsPerCall', value: 25_000 },
      }),
    ],
  });
  const text = renderText(report, { audience: 'learner', dueDatePassed: false });
  expect(text).toContain('  ✗ hidden: a fork of a big process (timeout: wallMsPerCall 25000)  0/2');
  expect(text).not.toContain('ran out of time (…)');
});

it('shows control characters as escapes, so a name or message cannot recolour, overwrite or fake a line', () => {
  const report = buildReport({
    exercise: 'ex',
    tests: [
      rawTest({
        name: 'mallory\n  ✓ faked  2/2\u001b[31m',
        status: 'error',
        points: 0,
        message: 'boom\r\u001b[2K\u001b[1A  ✓ faked 2/2\nsecond line\u0007',
      }),
    ],
  });
  const text = renderText(report, { audience: 'staff' });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be left
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  expect(text).toContain('  ✗ mallory\\n  ✓ faked  2/2\\x1b[31m (error)  0/2');
  expect(text).toContain('      boom\\x0d\\x1b[2K\\x1b[1A  ✓ faked 2/2\n      second line\\x07');
});

describe('limitInWords', () => {
  test.each([
    [{ name: 'cpuMsPerCall', value: 250 }, /One call of your code ran past its CPU budget of 250 ms/],
    [{ name: 'cpuMsPerTest', value: 5000 }, /test's CPU budget of 5000 ms/],
    [{ name: 'cpuMsTotal', value: 30000 }, /whole submission \(30000 ms\)/],
    [{ name: 'wallMsPerCall', value: 25000 }, /longer than 25000 ms of real time/],
    [{ name: 'wallMsTotal', value: 600000 }, /Grading took longer than 600000 ms/],
    [{ name: 'memoryBytes', value: 32 * 1024 * 1024 }, /ran out of memory: the sandbox has 32 MiB/],
  ] as const)('%o', (limit, words) => {
    expect(limitInWords(limit)).toMatch(words);
  });
});

describe('feedback that reads once', () => {
  const failing = (name: string, message: string, output = '') =>
    rawTest({ name, status: 'fail', points: 0, message, output });

  it('shows a failure many tests share under the first of them, with how many more', () => {
    const report = buildReport({
      exercise: 'pf',
      tests: [
        failing('one', 'Your anonymousFault threw Error: not yet.'),
        failing('two', 'Your anonymousFault threw Error: not yet.'),
        failing('three', 'something else'),
        failing('four', 'Your anonymousFault threw Error: not yet.'),
      ],
    });
    const text = renderText(report, { audience: 'learner', dueDatePassed: false });
    expect(text.match(/threw Error: not yet/g)).toHaveLength(1);
    expect(text).toContain('(and 2 more tests below, the same way)');
    expect(text.match(/\(the same failure as above\)/g)).toHaveLength(2);
    expect(text).toContain('      something else');
  });

  it("shows a failing visible test's console output, its last lines only", () => {
    const output = `${Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const report = buildReport({
      exercise: 'pf',
      tests: [failing('noisy', 'wrong', output), rawTest({ name: 'fine', output: 'not shown\n' })],
    });
    const text = renderText(report, { audience: 'learner', dueDatePassed: false });
    expect(text).toContain('      Output:\n      … (5 earlier lines)\n      line 6\n');
    expect(text).toContain('      line 15\n');
    expect(text).not.toContain('not shown');
  });

  it('gives a memory limit in MiB beside its exact value', () => {
    const report = buildReport({
      exercise: 'pf',
      tests: [rawTest({ name: 'big', status: 'memory-limit', points: 0, message: 'out of memory' })],
    });
    expect(renderText(report, { audience: 'learner', dueDatePassed: false })).toContain(
      '(memory-limit: memoryBytes 33554432 (32 MiB))',
    );
  });
});
