/**
 * One submission for one reader, ownership checked: a learner reads only
 * their own (another learner's id is "no such submission" — a 404 tells no
 * one it exists); staff read any, in full.
 */
import type { Db, Submission, User } from '@faultline/db';
import {
  type HiddenTestPolicy,
  isStaff,
  type SubmissionForReader,
  submissionForReader,
} from './visible-report.ts';

export async function readableSubmission(
  db: Db,
  user: User,
  id: string,
): Promise<{ submission: Submission; body: SubmissionForReader } | null> {
  const submission = await db.submissions.get(id);
  if (submission === null) return null;
  if (isStaff(user)) return { submission, body: submissionForReader(submission, 'staff') };
  if (submission.userId !== user.id) return null;
  let policy: HiddenTestPolicy = 'hints';
  let dueAt: number | null = null;
  if (submission.assignmentId !== null) {
    const assignment = await db.assignments.get(submission.assignmentId);
    if (assignment !== null) {
      policy = assignment.hiddenTests;
      dueAt = assignment.dueAt;
    }
  }
  return { submission, body: submissionForReader(submission, { policy, dueAt, now: Date.now() }) };
}
