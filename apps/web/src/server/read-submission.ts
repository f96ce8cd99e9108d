/**
 * One submission for one reader, ownership checked: a learner reads only
 * their own (another learner's id is "no such submission" — a 404 tells no
 * one it exists). Staff read, in full, the submissions of learners in a
 * course they teach; authors (who maintain the exercises) read any.
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
  if (submission.userId !== user.id) {
    if (!isStaff(user) || !(await teaches(db, user, submission.userId))) return null;
    return { submission, body: submissionForReader(submission, 'staff') };
  }
  if (isStaff(user)) return { submission, body: submissionForReader(submission, 'staff') };
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

/** Whether `staff` may read `learnerId`'s work: an author, or an instructor of one of the learner's courses. */
async function teaches(db: Db, staff: User, learnerId: string): Promise<boolean> {
  if (staff.role === 'author') return true;
  for (const { course } of await db.courses.forUser(learnerId))
    if ((await db.courses.roleIn(course.id, staff.id)) === 'instructor') return true;
  return false;
}
