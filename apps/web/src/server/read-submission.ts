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
  type LearnerReader,
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
    if (!isStaff(user) || !(await mayRead(db, user, submission))) return null;
    return { submission, body: submissionForReader(submission, 'staff') };
  }
  if (isStaff(user)) return { submission, body: submissionForReader(submission, 'staff') };
  return { submission, body: submissionForReader(submission, await learnerReader(db, user, submission)) };
}

/**
 * How a learner reads their own submission: by its assignment's policy; a
 * practice submission (none) by the strictest policy of any assignment of
 * theirs with the same exercise, so practising cannot show what an
 * assignment withholds.
 */
async function learnerReader(db: Db, user: User, submission: Submission): Promise<LearnerReader> {
  const now = Date.now();
  if (submission.assignmentId !== null) {
    const assignment = await db.assignments.get(submission.assignmentId);
    if (assignment !== null)
      return {
        policy: assignment.hiddenTests,
        dueAt: assignment.dueAt,
        closedAfterDue: assignment.latePolicy.kind === 'refuse',
        now,
      };
  }
  const withExercise = (await db.assignments.forLearner(user.id)).filter((a) =>
    a.exerciseIds.includes(submission.exerciseId),
  );
  const policy: HiddenTestPolicy = withExercise.some((a) => a.hiddenTests === 'points') ? 'points' : 'hints';
  return { policy, dueAt: null, closedAfterDue: false, now };
}

/**
 * Whether `staff` may read another's submission: an author any; an
 * instructor one made for an assignment of a course they teach, or a
 * practice submission (no assignment) of a learner in one of their courses.
 */
async function mayRead(db: Db, staff: User, submission: Submission): Promise<boolean> {
  if (staff.role === 'author') return true;
  if (submission.assignmentId !== null) {
    const assignment = await db.assignments.get(submission.assignmentId);
    return assignment !== null && (await db.courses.roleIn(assignment.courseId, staff.id)) === 'instructor';
  }
  for (const { course } of await db.courses.forUser(submission.userId))
    if ((await db.courses.roleIn(course.id, staff.id)) === 'instructor') return true;
  return false;
}
