// The exercise page's picture of a failed test, drawn from real grader reports:
// one graded with `record` (tree, frames, walk) and one without (the walk only).
import { join } from 'node:path';
import { gradeSubmission, type Report, type TestResult, viewFor } from '@faultline/grader';
import { loadExercise } from '@faultline/grader/exercise';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { TestTrace } from './test-trace.tsx';

const exercise = await loadExercise(join(process.cwd(), '..', '..', 'exercises', 'page-fault-handler'));
const mutant = exercise.mutants.find((m) => m.name === 'always-allocate')!.source;

const failedVisible = (tests: readonly TestResult[]) =>
  tests.find((t) => t.visibility === 'visible' && t.status !== 'pass')!;

describe('TestTrace', () => {
  test('a report graded with record draws the tree, the frames and the walk, opened at the last fault', async () => {
    const report = viewFor(
      await gradeSubmission({
        exercise,
        learnerSource: mutant,
        visibleOnly: true,
        record: 'visible',
        clock: () => 0,
      }),
      { audience: 'learner', dueDatePassed: false },
    );
    const test = failedVisible(report.tests);
    expect(test.recording).toBeDefined();
    const html = renderToString(createElement(TestTrace, { report, test }));
    expect(html).toContain(`What the machine did: ${test.name}`);
    expect(html).toContain('data-testid="page-table-tree"');
    expect(html).toContain('data-testid="frame-map"');
    expect(html).toContain('data-testid="walk-path"');
    expect(html).toContain('data-trace-kind="fault"');
    expect(html).toMatch(/Page tables(<!-- -->)? of app \(pid \d+\)/);
    expect(html).toContain('role="status"');
    for (const label of ['Back one event', 'Forward one event', 'Previous step', 'Next step', 'Next fault'])
      expect(html).toContain(`aria-label="${label}"`);
  });

  test('a report without recordings draws the walks of its trace and says what is missing', async () => {
    const report = await gradeSubmission({
      exercise,
      learnerSource: mutant,
      visibleOnly: true,
      clock: () => 0,
    });
    const test = failedVisible(report.tests);
    expect(test.recording).toBeUndefined();
    const html = renderToString(createElement(TestTrace, { report, test }));
    expect(html).toContain('not its page tables or frames');
    expect(html).not.toContain('data-testid="page-table-tree"');
    expect(html).toContain('data-testid="walk-path"');
  });

  test('a test with neither says so', () => {
    const test: TestResult = {
      name: 'hidden one',
      status: 'fail',
      points: 0,
      maxPoints: 2,
      message: '',
      durationMs: 0,
      visibility: 'hidden',
      output: '',
    };
    const report: Report = {
      schemaVersion: 3,
      status: 'fail',
      score: 0,
      maxScore: 2,
      exercise: 'x',
      tests: [test],
    };
    expect(renderToString(createElement(TestTrace, { report, test }))).toContain('There is no trace for');
  });
});
