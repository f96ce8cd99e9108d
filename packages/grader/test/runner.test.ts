// The runner end to end on the page-fault-handler exercise: a learner's
// TypeScript file in, the versioned report out.
import { describe, expect, test } from 'vitest';
import {
  type Exercise,
  type GradingProgress,
  gradeSubmission as grade,
  gradingLimits,
  loadExercise,
  ReportSchema,
  validateExercise,
  withoutDurations,
} from '../src/index.ts';
import { FIXTURE_DIR } from './fixture-exercise.ts';

const exercise: Exercise = await loadExercise(FIXTURE_DIR);

/**
 * gradeSubmission with the sandboxes' wall clock frozen, so that only step
 * budgets decide here, however busy the machine (the real clock's path is
 * test/verdicts.test.ts's); a test of the wall-clock limit passes its own.
 */
const gradeSubmission = (options: Parameters<typeof grade>[0]) => grade({ clock: () => 0, ...options });

describe('gradeSubmission on page-fault-handler', () => {
  test('the reference solution scores full marks', async () => {
    const report = await gradeSubmission({ exercise, learnerSource: exercise.solution });
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.tests.filter((t) => t.status !== 'pass')).toEqual([]);
    expect(report).toMatchObject({ status: 'pass', score: 26, maxScore: 26, exercise: 'page-fault-handler' });
    expect(report.tests).toHaveLength(exercise.tests.length);
    expect(report.tests.every((t) => t.trace === undefined)).toBe(true);
    // The report says what it was graded under: exercise.json's limits, defaults filled in.
    expect(report.limits).toEqual(gradingLimits(exercise));
    expect(report.limits).toMatchObject({ cpuMsPerCall: 250, wallMsPerCall: 25_000, wallMsTotal: 600_000 });
    expect(report.tests.every((t) => t.limit === undefined)).toBe(true);
  });

  test('visibleOnly runs the visible tests, out of their points', async () => {
    const report = await gradeSubmission({ exercise, learnerSource: exercise.solution, visibleOnly: true });
    expect(report.tests.map((t) => t.visibility)).toEqual(['visible', 'visible', 'visible']);
    expect(report).toMatchObject({ status: 'pass', score: 6, maxScore: 6 });
  });

  test('the starter scores nothing: its test fails with what its hook threw', async () => {
    const report = await gradeSubmission({ exercise, learnerSource: exercise.starter });
    expect(report).toMatchObject({ status: 'fail', score: 0, maxScore: 26 });
    expect(report.tests[0]).toMatchObject({
      status: 'fail',
      message: 'Your anonymousFault threw Error: anonymousFault is not implemented yet.',
    });
    // The learner's console output is captured per test.
    expect(report.tests[0]!.output).toMatch(/^anonymousFault \d+n \d+n object\n/);
  });

  test.each(exercise.mutants.map((m) => [m.name, m.source] as const))(
    'mutant %s scores below full marks and fails a hidden test',
    async (_name, source) => {
      const report = await gradeSubmission({ exercise, learnerSource: source });
      expect(report.status).toBe('fail');
      expect(report.score).toBeLessThan(report.maxScore);
      expect(report.tests.some((t) => t.visibility === 'hidden' && t.status !== 'pass')).toBe(true);
      const failed = report.tests.find((t) => t.status !== 'pass')!;
      expect(failed.message).not.toBe('');
      expect(failed.trace?.length).toBeGreaterThan(0);
    },
  );

  test('a failure says what the kernel should have done and what the learner’s did', async () => {
    const source = exercise.mutants.find((m) => m.name === 'always-allocate')!.source;
    const report = await gradeSubmission({ exercise, learnerSource: source, visibleOnly: true });
    expect(report.tests[0]!.message).toBe(
      'expected the first read of an untouched anonymous page to map the shared zero page (resolution "zero-page"), but your anonymousFault resolved it as "demand-zero"',
    );
    const trace = report.tests[0]!.trace!;
    expect(trace.length).toBeLessThanOrEqual(500);
    expect(trace.some((e) => e.kind === 'fault-resolved' && e.resolution === 'demand-zero')).toBe(true);
  });

  test('a syntax error is a compile-error report with its line and column', async () => {
    const source = 'export function anonymousFault(f: any, v: any) {\n  return {\n    kind: ;\n  };\n}\n';
    const report = await gradeSubmission({ exercise, learnerSource: source });
    expect(report).toMatchObject({ status: 'compile-error', score: 0, maxScore: 26, tests: [] });
    expect(report.compileErrors).toEqual([{ line: 3, column: 11, message: expect.any(String) }]);
    expect(report.message).toMatch(/^Your code did not compile \(1 error\); line 3:11: /);
  });

  test('an endless loop in the hook is a timeout naming the hook, and the next submission still grades', async () => {
    const source = `
      export function anonymousFault(fault: unknown, vma: unknown) {
        for (;;) {}
      }`;
    const report = await gradeSubmission({ exercise, learnerSource: source, visibleOnly: true });
    expect(report.status).toBe('timeout');
    expect(report.score).toBe(0);
    for (const t of report.tests) {
      expect(t.status).toBe('timeout');
      expect(t.limit).toEqual({ name: 'cpuMsPerCall', value: 250 });
      expect(t.message).toMatch(
        /^Your anonymousFault ran out of time \(it used up the per-call CPU budget of 250 ms, counted in interpreter steps/,
      );
    }
    const next = await gradeSubmission({ exercise, learnerSource: exercise.solution, visibleOnly: true });
    expect(next.status).toBe('pass');
  });

  test('a module without the hook, or one that fails to load, is an error and never a pass', async () => {
    const none = await gradeSubmission({ exercise, learnerSource: 'export const x = 1;' });
    expect(none).toMatchObject({ status: 'error', score: 0, maxScore: 26, tests: [] });
    expect(none.message).toContain('does not export anonymousFault');
    const throws = await gradeSubmission({ exercise, learnerSource: 'throw new Error("boom");' });
    expect(throws).toMatchObject({ status: 'error', score: 0 });
    expect(throws.message).toContain('boom');
  });

  test('a hook returning the wrong shape fails its test, naming the hook', async () => {
    const source = 'export function anonymousFault() { return { kind: "fine" }; }';
    const report = await gradeSubmission({ exercise, learnerSource: source, visibleOnly: true });
    expect(report.status).toBe('fail');
    expect(report.tests[0]).toMatchObject({ status: 'fail' });
    expect(report.tests[0]!.message).toMatch(/^Your anonymousFault returned the wrong kind of value/);
  });

  test('the same submission gives the same report, durations aside', async () => {
    for (const source of [exercise.solution, exercise.mutants[0]!.source]) {
      const a = await gradeSubmission({ exercise, learnerSource: source });
      const b = await gradeSubmission({ exercise, learnerSource: source });
      expect(withoutDurations(b)).toEqual(withoutDurations(a));
    }
  });
});

describe('who is at fault when a test stops', () => {
  const withBody = (body: Exercise['tests'][number]['body']): Exercise => ({
    ...exercise,
    tests: [{ name: 'only', points: 1, visibility: 'visible', body }],
  });

  test("a bug in the test's own code errors the test as the test's problem, not the kernel's", async () => {
    const report = await gradeSubmission({
      exercise: withBody(() => {
        const o = undefined as unknown as { x: number };
        void o.x;
      }),
      learnerSource: exercise.solution,
    });
    expect(report.tests[0]).toMatchObject({ status: 'error' });
    expect(report.tests[0]!.message).toMatch(
      /^The test could not run \(a problem in the test, not in your code\): TypeError: Cannot read properties of undefined/,
    );
  });

  test('a refusal of the kernel (a KernelError) says the kernel stopped', async () => {
    // A handler that claims to resolve the fault without mapping anything: it never settles.
    const report = await gradeSubmission({
      exercise: withBody((t) => {
        const pid = t.spawn();
        t.read(pid, t.mmap(pid, 4096));
      }),
      learnerSource:
        "export function anonymousFault() { return { kind: 'resolved', resolution: 'zero-page' }; }",
    });
    expect(report.tests[0]).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /^The kernel stopped: pid \d+: the fault at 0x[0-9a-f]+ keeps recurring/,
      ),
    });
  });
});

describe('the limits of page-fault-handler, varied', () => {
  /** The reference solution, made to spend about 2 ms of CPU budget (100 000 steps) per fault. */
  const busySolution = `${exercise.solution.replace('export function anonymousFault', 'function reference')}
export function anonymousFault(fault: any, vma: any) {
  let s = 0;
  for (let i = 0; i < 50_000; i++) s += i;
  return reference(fault, vma);
}
`;
  const withLimits = (limits: NonNullable<Exercise['limits']>): Exercise => ({ ...exercise, limits });

  test('a test that spends its own CPU budget times out, saying it was the per-test budget', async () => {
    const report = await gradeSubmission({
      exercise: withLimits({ cpuMsPerCall: 250, cpuMsPerTest: 3 }),
      learnerSource: busySolution,
    });
    expect(report.status).toBe('timeout');
    const timedOut = report.tests.filter((t) => t.status === 'timeout');
    expect(timedOut.length).toBeGreaterThan(0);
    for (const t of timedOut) {
      expect(t.message).toBe(
        'Your anonymousFault ran out of time (it used up the CPU budget of 3 ms that one test may spend, counted in interpreter steps; is there an endless loop?).',
      );
      expect(t.limit).toEqual({ name: 'cpuMsPerTest', value: 3 });
    }
  });

  test('a hook call that runs past the wall-clock limit per call times out naming it, whatever its steps', async () => {
    // A clock that jumps 100 ms at every read (each interrupt poll, each kernel call):
    // the 25 000 ms cap is reached after 250 polls (2.5 M steps), long before the 250 ms step budget.
    let now = 0;
    const report = await gradeSubmission({
      exercise,
      learnerSource: 'export function anonymousFault() { for (;;) {} }',
      visibleOnly: true,
      clock: () => (now += 100),
    });
    expect(report.status).toBe('timeout');
    for (const t of report.tests) {
      expect(t).toMatchObject({ status: 'timeout', limit: { name: 'wallMsPerCall', value: 25_000 } });
      expect(t.message).toBe(
        'Your anonymousFault ran out of time (it ran into the wall-clock limit of one call (25000 ms of real time; wallMsPerCall) without finishing; a built-in such as sort, repeat or a regular expression working on huge data can do that).',
      );
    }
  });

  test('a memory bomb is a memory-limit naming the sandbox size', async () => {
    const report = await gradeSubmission({
      exercise: withLimits({ memoryBytes: 16 * 1024 * 1024 }),
      learnerSource:
        'const keep: number[][] = []; export function anonymousFault() { for (;;) keep.push(new Array(100_000).fill(1)); }',
      visibleOnly: true,
    });
    expect(report.status).toBe('memory-limit');
    for (const t of report.tests)
      expect(t).toMatchObject({
        status: 'memory-limit',
        limit: { name: 'memoryBytes', value: 16 * 1024 * 1024 },
      });
  });

  test("the submission's CPU budget is shared by the tests: the one it runs out in times out, the rest are skipped", async () => {
    const exerciseWithBudget = withLimits({ cpuMsPerCall: 250, cpuMsPerTest: 5_000, cpuMsTotal: 12 });
    const report = await gradeSubmission({ exercise: exerciseWithBudget, learnerSource: busySolution });
    expect(report.status).toBe('timeout');
    const statuses = report.tests.map((t) => t.status);
    const out = statuses.indexOf('timeout');
    expect(out).toBeGreaterThan(0); // some tests ran to the end first
    expect(statuses.slice(0, out).every((s) => s === 'pass')).toBe(true);
    expect(statuses.slice(out + 1).every((s) => s === 'skipped')).toBe(true);
    expect(report.tests[out]!.message).toBe(
      "Your anonymousFault ran out of time (your submission's CPU budget of 12 ms for all tests together ran out during this test; is there an endless loop?).",
    );
    expect(report.tests[out]!.limit).toEqual({ name: 'cpuMsTotal', value: 12 });
    expect(report.tests[out + 1]!.message).toBe(
      'Not run: your submission had used its whole CPU budget of 12 ms (all tests together, cpuMsTotal) before this test.',
    );
    expect(report.tests[out + 1]!.limit).toBeUndefined();
    // Counted in steps, so the same on every run and every machine.
    const again = await gradeSubmission({ exercise: exerciseWithBudget, learnerSource: busySolution });
    expect(withoutDurations(again)).toEqual(withoutDurations(report));
  });

  test('console output beyond the log limit is cut with a marker, and the test still passes', async () => {
    const chatty = `${exercise.solution.replace('export function anonymousFault', 'function reference')}
export function anonymousFault(fault: any, vma: any) {
  console.log('x'.repeat(500));
  return reference(fault, vma);
}
`;
    const report = await gradeSubmission({
      exercise: withLimits({ outputChars: 100 }),
      learnerSource: chatty,
      visibleOnly: true,
    });
    expect(report).toMatchObject({ status: 'pass', score: 6 });
    expect(report.tests[0]!.output).toBe(
      `${'x'.repeat(100)}\n… [output cut: this exercise keeps 100 characters of console output per test]`,
    );
  });

  test('progress: the plan first, then each test as it finishes', async () => {
    const events: GradingProgress[] = [];
    const report = await gradeSubmission({
      exercise,
      learnerSource: exercise.solution,
      onProgress: (e) => events.push(e),
    });
    expect(events[0]).toEqual({
      kind: 'plan',
      exercise: 'page-fault-handler',
      maxScore: 26,
      limits: gradingLimits(exercise),
      tests: exercise.tests.map((t) => ({ name: t.name, points: t.points, visibility: t.visibility })),
    });
    expect(events.slice(1).map((e) => (e.kind === 'test' ? [e.index, e.result.name] : e.kind))).toEqual(
      report.tests.map((t, i) => [i, t.name]),
    );
  });
});

describe('validateExercise', () => {
  test('page-fault-handler is sound', async () => {
    const result = await validateExercise(exercise);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('an exercise whose mutant passes everything is not', async () => {
    const result = await validateExercise({
      ...exercise,
      mutants: [{ name: 'copy-of-solution', source: exercise.solution }],
    });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['mutant copy-of-solution earns full marks']);
  });
});
