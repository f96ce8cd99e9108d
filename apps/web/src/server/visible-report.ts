/**
 * What a reader may see of a stored submission's report. Staff (the
 * course's instructors, authors) see everything; the learner sees hidden
 * tests as the assignment's policy says — points only, hints (the default),
 * or full messages once the due date has passed — with the grader's own
 * visibility rule (`viewFor`) doing the cutting.
 */
import type { Submission, User } from '@faultline/db';
import { graderFailureForLearners, viewFor } from '@faultline/grader';
import type { Report } from '@faultline/grader/report';

export type HiddenTestPolicy = 'points' | 'hints' | 'messages-after-due';

export type SubmissionForReader =
  | { readonly status: 'pending' }
  | { readonly status: 'graded'; readonly report: Report }
  | { readonly status: 'failed'; readonly message: string };

export function isStaff(user: User): boolean {
  return user.role === 'instructor' || user.role === 'author';
}

/**
 * A learner reading a report: what the assignment lets them see of hidden
 * tests, and whether its due date has passed for good — full messages
 * after the due date only where no more work can be handed in for credit
 * (a late policy that refuses), or they would be answers to copy.
 */
export type LearnerReader = {
  readonly policy: HiddenTestPolicy;
  readonly dueAt: number | null;
  readonly closedAfterDue: boolean;
  readonly now: number;
};

export function reportForReader(report: Report, reader: 'staff' | LearnerReader): Report {
  if (reader === 'staff') return report;
  const dueDatePassed =
    reader.policy === 'messages-after-due' &&
    reader.closedAfterDue &&
    reader.dueAt !== null &&
    reader.now >= reader.dueAt;
  const view = viewFor(report, { audience: 'learner', dueDatePassed });
  const learnerSafe = report.status === 'error' ? graderFailureForLearners(view) : view;
  if (reader.policy !== 'points') return learnerSafe;
  return {
    ...learnerSafe,
    tests: learnerSafe.tests.map((t) => {
      if (t.visibility === 'visible') return t;
      const { hint: _hint, ...rest } = t;
      return rest;
    }),
  };
}

export function submissionForReader(
  submission: Submission,
  reader: 'staff' | LearnerReader,
): SubmissionForReader {
  switch (submission.status) {
    case 'pending':
      return { status: 'pending' };
    case 'graded':
      return { status: 'graded', report: reportForReader(submission.report as Report, reader) };
    case 'grading-failed':
      return {
        status: 'failed',
        message:
          reader === 'staff'
            ? submission.failureReason
            : 'This submission could not be graded: a problem on the grader’s side, not in your code. Your instructor can see it; submit again later.',
      };
    default: {
      const unreachable: never = submission;
      return unreachable;
    }
  }
}
