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

export function reportForReader(
  report: Report,
  reader: 'staff' | { policy: HiddenTestPolicy; dueAt: number | null; now: number },
): Report {
  if (reader === 'staff') return report;
  const dueDatePassed =
    reader.policy === 'messages-after-due' && reader.dueAt !== null && reader.now >= reader.dueAt;
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
  reader: 'staff' | { policy: HiddenTestPolicy; dueAt: number | null; now: number },
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
