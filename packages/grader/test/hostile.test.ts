// A corpus of hostile submissions for page-fault-handler, graded end to end
// against the full hidden suite. Each fixture lives under
// test/hostile/<expected report status>/<cause>/<name>.ts (or .ts.txt for
// files that must not parse) and says in its header what it tries and what
// must happen. The corpus runs in one process, one fixture after another, and
// the reference solution must still earn full marks afterwards.
import { describe, expect, test } from 'vitest';
import {
  type Exercise,
  gradeSubmission,
  loadExercise,
  type Report,
  ReportSchema,
  ReportStatusSchema,
} from '../src/index.ts';
import { workspaceRoot } from '../src/testing.ts';
import { HOSTILE_TARGET_DIR, hostileFixtures } from './hostile-corpus.ts';

const exercise: Exercise = await loadExercise(HOSTILE_TARGET_DIR);
/** The checkout the grader runs in: no report may name it. */
const repoRoot = workspaceRoot(import.meta.dirname);

interface Fixture {
  /** Path inside test/hostile, e.g. `timeout/loop/infinite-loop-in-hook.ts`. */
  readonly name: string;
  readonly status: Report['status'];
  readonly cause: string;
  readonly source: string;
}

const fixtures: Fixture[] = hostileFixtures().map(({ name, source }) => {
  const [status, cause] = name.split('/');
  return { name, status: ReportStatusSchema.parse(status), cause: cause ?? '', source };
});

/** Text that would reveal the grading host: its paths, its module folders, its stack frames. */
const HOST_TRACES = [
  repoRoot,
  '/work/',
  'node_modules',
  'file://',
  '.pnpm',
  'packages/grader',
  'packages/sandbox',
  'vm-core/src',
];

/** What a fake report printed by the learner says; it must only ever show up in a test's `output`. */
const FAKE_PASS = /all tests passed/i;

describe('hostile submissions to page-fault-handler', () => {
  test('the corpus is big enough and covers every outcome', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
    expect(new Set(fixtures.map((f) => f.status))).toEqual(
      new Set(['pass', 'fail', 'error', 'compile-error', 'timeout', 'memory-limit']),
    );
  });

  // How long grading takes is the benchmark's business; that each fixture's
  // verdict is the same under load is test/verdicts.test.ts's.
  test.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    // The wall clock is frozen: only step budgets decide here (the real clock's path is verdicts.test.ts's).
    const report = await gradeSubmission({ exercise, learnerSource: fixture.source, clock: () => 0 });

    // (a) the folder names the overall status.
    expect({ status: report.status, message: report.message }).toMatchObject({ status: fixture.status });
    // (b) nothing hostile earns full marks; everything in pass/ must.
    if (fixture.status === 'pass') {
      expect(report).toMatchObject({ score: 26, maxScore: 26 });
      expect(report.tests.filter((t) => t.status !== 'pass')).toEqual([]);
    } else {
      expect(report.score).toBeLessThan(report.maxScore);
    }
    // The score is exactly what the passed tests earned.
    expect(report.score).toBe(report.tests.reduce((sum, t) => sum + t.points, 0));
    if (report.status === 'error' || report.status === 'compile-error') expect(report.tests).toEqual([]);
    else expect(report.tests).toHaveLength(exercise.tests.length);

    // (c) the report is valid against the published contract.
    expect(ReportSchema.parse(report)).toEqual(report);

    // (d) no host path or module folder anywhere in the JSON.
    const json = JSON.stringify(report);
    for (const trace of HOST_TRACES) expect(json, `the report mentions ${trace}`).not.toContain(trace);

    // (e) a fake "all tests passed" can only sit in the learner's own log or a message quoting them;
    // it never earns a point.
    if (FAKE_PASS.test(fixture.source)) {
      expect(report.status).not.toBe('pass');
      expect(report.score).toBe(0);
      for (const t of report.tests) expect(t.points).toBe(0);
    }
  });

  test('the host stays healthy: the reference solution still earns 26/26 in this process', async () => {
    const report = await gradeSubmission({ exercise, learnerSource: exercise.solution, clock: () => 0 });
    expect(report.tests.filter((t) => t.status !== 'pass')).toEqual([]);
    expect(report).toMatchObject({ status: 'pass', score: 26, maxScore: 26 });
  });
});
