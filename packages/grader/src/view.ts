/**
 * Who is reading a report decides what of it they may see. Renderers take a
 * `ViewOptions` and call `viewFor`, so the visibility rule lives here once.
 */
import type { Report, TestResult } from './report.ts';

export type ViewOptions =
  /** Staff see everything. */
  | { audience: 'staff' }
  /** Learners see hidden tests' name, status, points and stopping limit only; after_due_date tests in full once `dueDatePassed`. */
  | { audience: 'learner'; dueDatePassed: boolean };

/** Whether this audience may see the test's message, output, trace and recording. */
export function showsDetails(test: TestResult, view: ViewOptions): boolean {
  if (view.audience === 'staff') return true;
  switch (test.visibility) {
    case 'visible':
      return true;
    case 'hidden':
      return false;
    case 'after_due_date':
      return view.dueDatePassed;
    default: {
      const unreachable: never = test.visibility;
      return unreachable;
    }
  }
}

/**
 * The report as this audience may see it: withheld tests keep name, status,
 * points and the limit that stopped them (which limit is no secret of the
 * test), and lose message, output, trace and recording.
 */
export function viewFor(report: Report, view: ViewOptions): Report {
  return {
    ...report,
    tests: report.tests.map((test) => {
      if (showsDetails(test, view)) return test;
      const { trace: _trace, recording: _recording, ...rest } = test;
      return { ...rest, message: '', output: '' };
    }),
  };
}

/**
 * What a learner may read of a report the grader could not finish
 * (`gradeInPool`'s `grader-failed`): that it was the grader's problem, not
 * why — the reason can quote an exercise's hidden test files (a load error
 * with its file, line and text). Whoever runs the grader has the reason.
 */
export function graderFailureForLearners(report: Report): Report {
  return {
    ...report,
    message:
      'The grader could not grade this submission: a problem on the grader’s side, not in your code. Whoever ran the grader has the details.',
  };
}
