/**
 * Who may do what in a course: its instructors manage it and see its
 * learners' work; its learners see its released assignments. Every course
 * page and API asks here, so the rule is written once.
 */
import type { Assignment, Course, Db, User } from '@faultline/db';

export type CourseAccess =
  | { readonly kind: 'instructor'; readonly course: Course }
  | { readonly kind: 'learner'; readonly course: Course }
  | { readonly kind: 'none' };

export async function courseAccess(db: Db, courseId: string, user: User): Promise<CourseAccess> {
  const course = await db.courses.get(courseId);
  if (course === null) return { kind: 'none' };
  const role = await db.courses.roleIn(courseId, user.id);
  if (role === 'instructor') return { kind: 'instructor', course };
  if (role === 'learner') return { kind: 'learner', course };
  return { kind: 'none' };
}

export type AssignmentAccess =
  | { readonly kind: 'instructor'; readonly course: Course; readonly assignment: Assignment }
  | { readonly kind: 'learner'; readonly course: Course; readonly assignment: Assignment }
  | { readonly kind: 'none' };

/** A learner sees an assignment once it is released; its instructors always. */
export async function assignmentAccess(
  db: Db,
  assignmentId: string,
  user: User,
  now: number,
): Promise<AssignmentAccess> {
  const assignment = await db.assignments.get(assignmentId);
  if (assignment === null) return { kind: 'none' };
  const access = await courseAccess(db, assignment.courseId, user);
  if (access.kind === 'none') return access;
  if (access.kind === 'learner' && now < assignment.releaseAt) return { kind: 'none' };
  return { ...access, assignment };
}
