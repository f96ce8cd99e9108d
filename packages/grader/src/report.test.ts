import { describe, expect, it } from 'vitest';
import {
  buildReport,
  capText,
  capTrace,
  MAX_OUTPUT_LENGTH,
  MAX_TRACE_EVENTS,
  type RawTestResult,
  REPORT_SCHEMA_VERSION,
  ReportSchema,
  summarize,
  type TestResult,
} from './report.ts';

function test(name: string, status: TestResult['status'], points?: number, maxPoints = 2): TestResult {
  return {
    name,
    status,
    points: points ?? (status === 'pass' ? maxPoints : 0),
    maxPoints,
    message: status === 'pass' ? '' : `${name} went wrong`,
    durationMs: 5,
    visibility: 'visible',
    output: '',
  };
}

describe('summarize: one test per rule', () => {
  it('1. compile errors → compile-error with score 0 and the first error in the message', () => {
    const s = summarize([test('a', 'pass')], {
      outcome: {
        kind: 'compile-error',
        errors: [
          { line: 3, column: 7, message: "Expected ';'" },
          { line: 9, column: 1, message: 'x' },
        ],
      },
      maxScore: 10,
    });
    expect(s).toEqual({
      status: 'compile-error',
      score: 0,
      maxScore: 10,
      message: "Your code did not compile (2 errors); line 3:7: Expected ';'",
    });
  });

  it('1. compile-error wins over a timed-out test', () => {
    const s = summarize([test('a', 'timeout')], {
      outcome: { kind: 'compile-error', errors: [{ line: 1, column: 1, message: 'm' }] },
    });
    expect(s.status).toBe('compile-error');
  });

  it('2. a run that could not start → error with score 0', () => {
    expect(
      summarize([test('a', 'pass')], { outcome: { kind: 'not-run', message: 'sandbox failed' } }),
    ).toEqual({
      status: 'error',
      score: 0,
      maxScore: 2,
      message: 'sandbox failed',
    });
  });

  it('3. zero tests is never a pass', () => {
    const s = summarize([], { maxScore: 10 });
    expect(s.status).toBe('error');
    expect(s.score).toBe(0);
    expect(s.message).toMatch(/No tests ran/);
  });

  it('3. only skipped tests is never a pass, even with no points at stake', () => {
    const s = summarize([test('a', 'skipped', 0, 0), test('b', 'skipped', 0, 0)]);
    expect(s.status).toBe('error');
    expect(s.message).toMatch(/every test was skipped/);
  });

  it('4. any timeout → timeout, keeping the points earned elsewhere', () => {
    const s = summarize([
      test('a', 'pass'),
      test('b', 'memory-limit'),
      test('c', 'timeout'),
      test('d', 'fail'),
    ]);
    expect(s).toEqual({ status: 'timeout', score: 2, maxScore: 8, message: 'Test "c" ran out of time.' });
  });

  it('5. a memory-limit (without a timeout) → memory-limit', () => {
    const s = summarize([test('a', 'pass'), test('b', 'fail'), test('c', 'memory-limit')]);
    expect(s).toEqual({
      status: 'memory-limit',
      score: 2,
      maxScore: 6,
      message: 'Test "c" ran out of memory.',
    });
  });

  it('6. a failing test → fail', () => {
    const s = summarize([test('a', 'pass'), test('b', 'fail'), test('c', 'skipped')]);
    expect(s).toEqual({ status: 'fail', score: 2, maxScore: 6, message: '1 of 2 tests did not pass.' });
  });

  it('6. a test-level error → fail, not error: something ran', () => {
    const s = summarize([test('a', 'error')]);
    expect(s).toEqual({ status: 'fail', score: 0, maxScore: 2, message: '1 of 1 test did not pass.' });
  });

  it('7. all that ran passed, but a skipped test carried points → fail', () => {
    const s = summarize([test('a', 'pass'), test('b', 'skipped')]);
    expect(s.status).toBe('fail');
    expect(s.score).toBe(2);
    expect(s.message).toBe('Every test that ran passed, but 1 test was skipped.');
  });

  it('7. all passed but the exercise total is larger than the points at stake → fail', () => {
    const s = summarize([test('a', 'pass')], { maxScore: 5 });
    expect(s).toEqual({
      status: 'fail',
      score: 2,
      maxScore: 5,
      message: 'Every test passed, but not every point was earned.',
    });
  });

  it('8. everything passed → pass with the full score and no message', () => {
    expect(summarize([test('a', 'pass'), test('b', 'pass'), test('c', 'skipped', 0, 0)])).toEqual({
      status: 'pass',
      score: 4,
      maxScore: 4,
    });
  });

  it('fractional points sum without floating-point noise', () => {
    const tests = [test('a', 'pass', 0.1, 0.1), test('b', 'pass', 0.2, 0.2)];
    expect(summarize(tests)).toEqual({ status: 'pass', score: 0.3, maxScore: 0.3 });
  });

  it('the score never exceeds maxScore', () => {
    expect(summarize([test('a', 'pass', 5, 5), test('b', 'fail')], { maxScore: 3 }).score).toBe(3);
  });
});

describe('ReportSchema', () => {
  const valid = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    status: 'pass',
    score: 2,
    maxScore: 2,
    exercise: 'page-walk',
    tests: [test('a', 'pass')],
  };

  it('accepts a valid report', () => {
    expect(ReportSchema.safeParse(valid).success).toBe(true);
  });

  it('accepts the limits a report was graded under, and a timeout naming the limit that stopped it', () => {
    const limits = {
      cpuMsPerCall: 250,
      cpuMsPerTest: 5_000,
      cpuMsTotal: 30_000,
      wallMsPerCall: 5_000,
      wallMsTotal: 300_000,
      memoryBytes: 32 * 1024 * 1024,
      stackBytes: 256 * 1024,
      outputChars: 16_384,
    };
    const stopped = { ...test('a', 'timeout'), limit: { name: 'wallMsPerCall', value: 5_000 } };
    expect(
      ReportSchema.safeParse({ ...valid, status: 'timeout', score: 0, limits, tests: [stopped] }).success,
    ).toBe(true);
    expect(ReportSchema.safeParse({ ...valid, limits: { ...limits, patienceMs: 1 } }).success).toBe(false);
  });

  it.each([
    ['another schema version', { ...valid, schemaVersion: REPORT_SCHEMA_VERSION - 1 }],
    [
      'a timeout that does not name its limit',
      { ...valid, status: 'timeout', tests: [test('a', 'timeout')] },
    ],
    [
      'a limit on a test that no limit stopped',
      { ...valid, tests: [{ ...test('a', 'pass'), limit: { name: 'cpuMsPerCall', value: 250 } }] },
    ],
    [
      'a limit that does not exist',
      {
        ...valid,
        status: 'timeout',
        tests: [{ ...test('a', 'timeout'), limit: { name: 'patienceMs', value: 1 } }],
      },
    ],
    ['an unknown status', { ...valid, status: 'partial' }],
    ['score above maxScore', { ...valid, score: 3 }],
    ['points above maxPoints', { ...valid, tests: [{ ...test('a', 'pass'), points: 3 }] }],
    ['points for a skipped test', { ...valid, tests: [{ ...test('a', 'skipped'), points: 1 }] }],
    ['an unknown visibility', { ...valid, tests: [{ ...test('a', 'pass'), visibility: 'after_published' }] }],
    ['compile-error without compileErrors', { ...valid, status: 'compile-error', score: 0 }],
    [
      'compileErrors with another status',
      { ...valid, compileErrors: [{ line: 1, column: 1, message: 'm' }] },
    ],
    ['a trace event without a kind', { ...valid, tests: [{ ...test('a', 'pass'), trace: [{ at: 1 }] }] }],
    [
      'a nested trace value',
      { ...valid, tests: [{ ...test('a', 'pass'), trace: [{ kind: 'x', nested: {} }] }] },
    ],
    [
      'an uncapped output',
      { ...valid, tests: [{ ...test('a', 'pass'), output: 'x'.repeat(MAX_OUTPUT_LENGTH + 1) }] },
    ],
  ])('rejects %s', (_label, report) => {
    expect(ReportSchema.safeParse(report).success).toBe(false);
  });
});

describe('buildReport', () => {
  const raw = (over: Partial<RawTestResult> = {}): RawTestResult => ({
    ...test('walks the table', 'fail'),
    ...over,
  });

  it('derives status and score, and scrubs every learner-visible string', () => {
    const report = buildReport({
      exercise: 'page-walk',
      tests: [
        raw({
          message:
            'Error: boom\n    at walk (/tmp/job-1/learner.ts:12:5)\n    at run (/work/main/packages/grader/src/run.ts:40:3)',
          output: 'opened /home/ada/secret.txt\n',
          trace: [{ kind: 'fault', where: 'file:///work/main/x.js:1:1', va: 4096 }],
        }),
      ],
    });
    expect(report.status).toBe('fail');
    expect(report.tests[0]?.message).toBe('Error: boom\n    at walk (learner.ts:12:5)');
    expect(report.tests[0]?.output).toBe('opened <host path>\n');
    expect(report.tests[0]?.trace).toEqual([{ kind: 'fault', where: '<host path>', va: 4096 }]);
    expect(JSON.stringify(report)).not.toMatch(/\/work|\/tmp|\/home/);
  });

  it('caps output and trace', () => {
    const events = Array.from({ length: MAX_TRACE_EVENTS + 10 }, (_, i) => ({ kind: 'step', i }));
    const report = buildReport({
      exercise: 'e',
      tests: [raw({ output: 'y'.repeat(MAX_OUTPUT_LENGTH * 2), trace: events })],
    });
    const [t] = report.tests;
    expect(t?.output.length).toBeLessThanOrEqual(MAX_OUTPUT_LENGTH);
    expect(t?.output).toMatch(/more characters cut\]$/);
    expect(t?.trace).toHaveLength(MAX_TRACE_EVENTS);
    expect(t?.trace?.[0]).toEqual({ kind: 'truncated', dropped: 11 });
    expect(t?.trace?.at(-1)).toEqual({ kind: 'step', i: MAX_TRACE_EVENTS + 9 });
  });

  it('records compile errors, scrubbed', () => {
    const report = buildReport({
      exercise: 'e',
      tests: [],
      maxScore: 10,
      outcome: {
        kind: 'compile-error',
        errors: [{ line: 2, column: 4, message: 'Could not resolve "/work/main/secret.ts"' }],
      },
    });
    expect(report).toMatchObject({
      status: 'compile-error',
      score: 0,
      maxScore: 10,
      compileErrors: [{ line: 2, column: 4, message: 'Could not resolve "<host path>"' }],
    });
  });

  it('is deterministic: the same input gives the same report', () => {
    const input = {
      exercise: 'e',
      tests: [raw(), raw({ name: 'b', status: 'pass', points: 2, message: '' })],
    };
    expect(JSON.stringify(buildReport(input))).toBe(JSON.stringify(buildReport(input)));
  });

  it('throws when the runner breaks the contract', () => {
    expect(() => buildReport({ exercise: 'e', tests: [raw({ points: 9 })] })).toThrow();
  });
});

describe('caps', () => {
  it('capText keeps short text and never splits a surrogate pair', () => {
    expect(capText('short', 100)).toBe('short');
    const text = `${'a'.repeat(50)}😀${'b'.repeat(100)}`;
    for (let max = 40; max < 90; max += 1) {
      const capped = capText(text, max);
      expect(capped.length).toBeLessThanOrEqual(max);
      // encodeURIComponent throws on a lone surrogate.
      expect(() => encodeURIComponent(capped)).not.toThrow();
    }
  });

  it('capTrace keeps traces at or under the cap untouched', () => {
    const events = [{ kind: 'a' }, { kind: 'b' }];
    expect(capTrace(events, 2)).toEqual(events);
    expect(capTrace([...events, { kind: 'c' }], 2)).toEqual([
      { kind: 'truncated', dropped: 2 },
      { kind: 'c' },
    ]);
  });
});
