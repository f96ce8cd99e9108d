/**
 * What instructors see of one assignment: per exercise how many tried, how
 * many passed, how many attempts passing took, which tests fail most; and the
 * grades export. Only the course's learners count (an instructor trying their
 * own assignment does not skew it), and only submissions made for this
 * assignment.
 *
 * Definitions, for reading the numbers:
 * - attempts: submissions, whatever became of them (pending, graded, or given up on).
 * - passRate: learners with a passing submission / learners with any; null when nobody tried.
 * - attemptsToPass of a learner: their submissions up to and including the first
 *   passing one, in the order they were made; medianAttemptsToPass is the median over
 *   the learners who passed (the mean of the middle two for an even count); null when
 *   nobody passed.
 * - a test's runs: graded submissions in which it ran (not 'skipped'); failed: runs in
 *   which it did not pass; failShare = failed / runs.
 * - grades: per learner and exercise, the graded submission with the best score after
 *   the late penalty (the earliest among equals); late = made after the due date.
 */
import type { Assignment, AssignmentsStore } from './assignments.ts';
import type { Ctx } from './context.ts';
import type { TestVisibility } from './schema.ts';

export interface TestFailures {
  name: string;
  visibility: TestVisibility;
  runs: number;
  failed: number;
  failShare: number;
}

export interface ExerciseStats {
  exerciseId: string;
  attempts: number;
  learnersAttempted: number;
  learnersPassed: number;
  passRate: number | null;
  medianAttemptsToPass: number | null;
  /** Every test seen in this exercise's graded submissions, most often failed first. */
  tests: TestFailures[];
}

export interface AssignmentStats {
  assignment: Assignment;
  /** Learners in the course. */
  learners: number;
  attempts: number;
  learnersAttempted: number;
  /** Learners who passed every exercise of the assignment. */
  learnersCompleted: number;
  /** In the assignment's order. */
  exercises: ExerciseStats[];
}

export interface GradeRow {
  userId: string;
  email: string;
  displayName: string;
  exerciseId: string;
  attempts: number;
  /** The best graded submission; null when none is graded. */
  best: {
    submissionId: string;
    score: number;
    /** The score after the late policy's penalty (the same as `score` when on time or no penalty). */
    finalScore: number;
    maxScore: number;
    submittedAt: number;
    late: boolean;
  } | null;
}

export interface DashboardStore {
  assignment(assignmentId: string): Promise<AssignmentStats | null>;
  /** One row per learner of the course and exercise of the assignment: learners by email, exercises in order. */
  grades(assignmentId: string): Promise<GradeRow[] | null>;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function createDashboardStore(ctx: Ctx, assignments: AssignmentsStore): DashboardStore {
  const { db } = ctx;

  /** The assignment's submissions by the course's learners, oldest first. */
  function learnerSubmissions(assignment: Assignment) {
    return db
      .selectFrom('submissions')
      .innerJoin('course_members', (j) =>
        j
          .onRef('course_members.user_id', '=', 'submissions.user_id')
          .on('course_members.course_id', '=', assignment.courseId)
          .on('course_members.role', '=', 'learner'),
      )
      .select([
        'submissions.id',
        'submissions.user_id',
        'submissions.exercise_id',
        'submissions.status',
        'submissions.verdict',
        'submissions.score',
        'submissions.max_score',
        'submissions.created_at',
      ])
      .where('submissions.assignment_id', '=', assignment.id)
      .orderBy('submissions.created_at')
      .orderBy('submissions.id')
      .execute();
  }

  function learners(courseId: string) {
    return db
      .selectFrom('course_members')
      .innerJoin('users', 'users.id', 'course_members.user_id')
      .select(['users.id', 'users.email', 'users.display_name'])
      .where('course_members.course_id', '=', courseId)
      .where('course_members.role', '=', 'learner')
      .orderBy('users.email')
      .execute();
  }

  return {
    async assignment(assignmentId) {
      const assignment = await assignments.get(assignmentId);
      if (!assignment) return null;
      const [subs, members, testRows] = await Promise.all([
        learnerSubmissions(assignment),
        learners(assignment.courseId),
        db
          .selectFrom('submission_tests')
          .innerJoin('submissions', 'submissions.id', 'submission_tests.submission_id')
          .innerJoin('course_members', (j) =>
            j
              .onRef('course_members.user_id', '=', 'submissions.user_id')
              .on('course_members.course_id', '=', assignment.courseId)
              .on('course_members.role', '=', 'learner'),
          )
          .select((eb) => [
            'submissions.exercise_id',
            'submission_tests.name',
            'submission_tests.visibility',
            eb.fn.countAll<number>().filterWhere('submission_tests.status', '<>', 'skipped').as('runs'),
            eb.fn
              .countAll<number>()
              .filterWhere('submission_tests.status', 'not in', ['pass', 'skipped'])
              .as('failed'),
          ])
          .where('submissions.assignment_id', '=', assignment.id)
          .groupBy(['submissions.exercise_id', 'submission_tests.name', 'submission_tests.visibility'])
          .execute(),
      ]);

      const exercises = assignment.exerciseIds.map((exerciseId): ExerciseStats => {
        const mine = subs.filter((s) => s.exercise_id === exerciseId);
        const attemptsSoFar = new Map<string, number>();
        const attemptsToPass = new Map<string, number>();
        for (const s of mine) {
          const n = (attemptsSoFar.get(s.user_id) ?? 0) + 1;
          attemptsSoFar.set(s.user_id, n);
          if (s.verdict === 'pass' && !attemptsToPass.has(s.user_id)) attemptsToPass.set(s.user_id, n);
        }
        const tests = testRows
          .filter((t) => t.exercise_id === exerciseId)
          .map((t) => ({
            name: t.name,
            visibility: t.visibility,
            runs: t.runs,
            failed: t.failed,
            failShare: t.runs === 0 ? 0 : t.failed / t.runs,
          }))
          .sort((a, b) => b.failed - a.failed || b.failShare - a.failShare || a.name.localeCompare(b.name));
        return {
          exerciseId,
          attempts: mine.length,
          learnersAttempted: attemptsSoFar.size,
          learnersPassed: attemptsToPass.size,
          passRate: attemptsSoFar.size === 0 ? null : attemptsToPass.size / attemptsSoFar.size,
          medianAttemptsToPass: median([...attemptsToPass.values()]),
          tests,
        };
      });

      const passedBy = new Map<string, Set<string>>();
      for (const s of subs) {
        if (s.verdict !== 'pass') continue;
        const set = passedBy.get(s.user_id) ?? new Set<string>();
        set.add(s.exercise_id);
        passedBy.set(s.user_id, set);
      }
      const learnersCompleted = [...passedBy.values()].filter((set) =>
        assignment.exerciseIds.every((id) => set.has(id)),
      ).length;

      return {
        assignment,
        learners: members.length,
        attempts: subs.length,
        learnersAttempted: new Set(subs.map((s) => s.user_id)).size,
        learnersCompleted,
        exercises,
      };
    },

    async grades(assignmentId) {
      const assignment = await assignments.get(assignmentId);
      if (!assignment) return null;
      const [subs, members] = await Promise.all([
        learnerSubmissions(assignment),
        learners(assignment.courseId),
      ]);
      const policy = assignment.latePolicy;
      const penalty = policy.kind === 'accept' ? policy.penaltyPercent : 0;
      const rows: GradeRow[] = [];
      for (const member of members) {
        for (const exerciseId of assignment.exerciseIds) {
          const mine = subs.filter((s) => s.user_id === member.id && s.exercise_id === exerciseId);
          let best: GradeRow['best'] = null;
          for (const s of mine) {
            if (s.status !== 'graded') continue;
            const late = s.created_at > assignment.dueAt;
            const score = s.score!;
            const finalScore = late ? (score * (100 - penalty)) / 100 : score;
            if (best === null || finalScore > best.finalScore) {
              best = {
                submissionId: s.id,
                score,
                finalScore,
                maxScore: s.max_score!,
                submittedAt: s.created_at,
                late,
              };
            }
          }
          rows.push({
            userId: member.id,
            email: member.email,
            displayName: member.display_name,
            exerciseId,
            attempts: mine.length,
            best,
          });
        }
      }
      return rows;
    },
  };
}
