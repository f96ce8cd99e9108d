import { buildReport, type RawTestResult, type Report } from '../src/index.ts';

/** A raw test result; a timeout or memory-limit names the limit that stopped it unless `over` does. */
export function rawTest(over: Partial<RawTestResult> & Pick<RawTestResult, 'name'>): RawTestResult {
  const result: RawTestResult = {
    status: 'pass',
    points: 2,
    maxPoints: 2,
    message: '',
    durationMs: 12,
    visibility: 'visible',
    output: '',
    ...over,
  };
  if (result.limit === undefined && result.status === 'timeout')
    result.limit = { name: 'cpuMsPerCall', value: 250 };
  if (result.limit === undefined && result.status === 'memory-limit')
    result.limit = { name: 'memoryBytes', value: 32 * 1024 * 1024 };
  return result;
}

/** A report with one test of every status and visibility. */
export function mixedReport(): Report {
  return buildReport({
    exercise: 'page-walk',
    tests: [
      rawTest({ name: 'maps the first page', output: 'walk 0x0000\n', durationMs: 3.5 }),
      rawTest({
        name: 'sets the accessed bit',
        status: 'fail',
        points: 0,
        message: 'expected accessed bit set on PTE 0x1000\n  got 0x0',
        trace: [{ kind: 'walk', va: 4096, level: 1 }],
        durationMs: 1500,
      }),
      rawTest({ name: 'throws nothing', status: 'error', points: 0, message: 'TypeError: x is undefined' }),
      rawTest({
        name: 'hidden: copy on write',
        status: 'fail',
        points: 0,
        visibility: 'hidden',
        message: 'secret expectation: frame 42',
        output: 'hidden log',
      }),
      rawTest({
        name: 'after due: huge pages',
        status: 'pass',
        visibility: 'after_due_date',
        output: 'due-date log',
      }),
      rawTest({ name: 'swap', status: 'skipped', points: 0 }),
    ],
  });
}
