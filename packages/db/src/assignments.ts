/**
 * Assignments: an ordered set of exercises a course's learners do between a
 * release and a due date, with a late policy and a rule for what learners see
 * of hidden tests. `submissions.create` enforces release and a refusing late
 * policy; grades exports apply an accepting one's penalty.
 */
import type { Kysely } from 'kysely';
import { type Ctx, newId, scrubNul } from './context.ts';
import type { AssignmentsTable, HiddenTestsPolicy, Schema } from './schema.ts';

export type { HiddenTestsPolicy };

export type LatePolicy =
  /** Late work is accepted and counted like any other; exports still flag it late. */
  | { kind: 'none' }
  /** Late work is accepted with `penaltyPercent` (0–100) off its score. */
  | { kind: 'accept'; penaltyPercent: number }
  /** Submissions after the due date are refused. */
  | { kind: 'refuse' };

export interface NewAssignment {
  courseId: string;
  title: string;
  /** In the order learners see them; each an exercise with a current version. */
  exerciseIds: readonly string[];
  releaseAt: number;
  dueAt: number;
  latePolicy: LatePolicy;
  /** What learners see of hidden tests: points only, the authors' hints, or full messages after the due date. */
  hiddenTests: HiddenTestsPolicy;
}

export interface Assignment extends Omit<NewAssignment, 'exerciseIds'> {
  id: string;
  exerciseIds: string[];
  createdAt: number;
}

export type CreateAssignmentResult =
  | { kind: 'ok'; assignment: Assignment }
  | {
      kind: 'err';
      reason: 'unknown-course' | 'no-exercises' | 'duplicate-exercise' | 'due-before-release' | 'bad-penalty';
    }
  | { kind: 'err'; reason: 'unknown-exercise'; exerciseId: string };

export interface AssignmentsStore {
  create(input: NewAssignment): Promise<CreateAssignmentResult>;
  get(id: string): Promise<Assignment | null>;
  /** Every assignment of the course, released or not, by due date. */
  listForCourse(courseId: string): Promise<Assignment[]>;
  /** The released assignments of every course the user is a member of, by due date. */
  forLearner(userId: string): Promise<(Assignment & { courseTitle: string })[]>;
}

const HIDDEN_TESTS: readonly HiddenTestsPolicy[] = ['points', 'hints', 'messages-after-due'];

function latePolicyOf(row: AssignmentsTable): LatePolicy {
  switch (row.late_policy) {
    case 'none':
      return { kind: 'none' };
    case 'refuse':
      return { kind: 'refuse' };
    case 'accept':
      return { kind: 'accept', penaltyPercent: row.late_penalty_percent! };
    default: {
      const unknown: never = row.late_policy;
      throw new Error(`assignment ${row.id} has an unknown late policy ${String(unknown)}`);
    }
  }
}

/** Reads assignments with their exercises, in the order of `rows`. */
async function withExercises(db: Kysely<Schema>, rows: AssignmentsTable[]): Promise<Assignment[]> {
  if (rows.length === 0) return [];
  const links = await db
    .selectFrom('assignment_exercises')
    .selectAll()
    .where(
      'assignment_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('assignment_id')
    .orderBy('position')
    .execute();
  const exercises = new Map<string, string[]>();
  for (const link of links) {
    const list = exercises.get(link.assignment_id) ?? [];
    list.push(link.exercise_id);
    exercises.set(link.assignment_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    courseId: row.course_id,
    title: row.title,
    exerciseIds: exercises.get(row.id) ?? [],
    releaseAt: row.release_at,
    dueAt: row.due_at,
    latePolicy: latePolicyOf(row),
    hiddenTests: row.hidden_tests,
    createdAt: row.created_at,
  }));
}

export function createAssignmentsStore(ctx: Ctx): AssignmentsStore {
  const { db, clock } = ctx;
  return {
    async create(input) {
      if (!HIDDEN_TESTS.includes(input.hiddenTests)) {
        throw new TypeError(`unknown hiddenTests ${JSON.stringify(input.hiddenTests)}`);
      }
      const policy = input.latePolicy;
      if (policy.kind === 'accept') {
        const p = policy.penaltyPercent;
        if (!(Number.isFinite(p) && p >= 0 && p <= 100)) return { kind: 'err', reason: 'bad-penalty' };
      }
      if (input.exerciseIds.length === 0) return { kind: 'err', reason: 'no-exercises' };
      if (new Set(input.exerciseIds).size !== input.exerciseIds.length) {
        return { kind: 'err', reason: 'duplicate-exercise' };
      }
      if (input.dueAt < input.releaseAt) return { kind: 'err', reason: 'due-before-release' };
      return ctx.write(async (trx) => {
        const course = await trx
          .selectFrom('courses')
          .select('id')
          .where('id', '=', input.courseId)
          .executeTakeFirst();
        if (!course) return { kind: 'err', reason: 'unknown-course' } as const;
        const known = new Set(
          (
            await trx
              .selectFrom('exercises')
              .select('id')
              .where('id', 'in', [...input.exerciseIds])
              .execute()
          ).map((r) => r.id),
        );
        const unknown = input.exerciseIds.find((id) => !known.has(id));
        if (unknown !== undefined)
          return { kind: 'err', reason: 'unknown-exercise', exerciseId: unknown } as const;
        const row: AssignmentsTable = {
          id: newId(),
          course_id: input.courseId,
          title: scrubNul(input.title.trim()),
          release_at: input.releaseAt,
          due_at: input.dueAt,
          late_policy: policy.kind,
          late_penalty_percent: policy.kind === 'accept' ? policy.penaltyPercent : null,
          hidden_tests: input.hiddenTests,
          created_at: clock.now(),
        };
        await trx.insertInto('assignments').values(row).execute();
        await trx
          .insertInto('assignment_exercises')
          .values(
            input.exerciseIds.map((exercise_id, position) => ({
              assignment_id: row.id,
              position,
              exercise_id,
            })),
          )
          .execute();
        const [assignment] = await withExercises(trx, [row]);
        return { kind: 'ok', assignment: assignment! } as const;
      });
    },

    async get(id) {
      const row = await db.selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      const [assignment] = await withExercises(db, [row]);
      return assignment ?? null;
    },

    async listForCourse(courseId) {
      const rows = await db
        .selectFrom('assignments')
        .selectAll()
        .where('course_id', '=', courseId)
        .orderBy('due_at')
        .orderBy('id')
        .execute();
      return withExercises(db, rows);
    },

    async forLearner(userId) {
      const rows = await db
        .selectFrom('assignments')
        .innerJoin('course_members', 'course_members.course_id', 'assignments.course_id')
        .innerJoin('courses', 'courses.id', 'assignments.course_id')
        .selectAll('assignments')
        .select('courses.title as course_title')
        .where('course_members.user_id', '=', userId)
        .where('assignments.release_at', '<=', clock.now())
        .orderBy('assignments.due_at')
        .orderBy('assignments.id')
        .execute();
      const assignments = await withExercises(db, rows);
      return assignments.map((a, i) => ({ ...a, courseTitle: rows[i]!.course_title }));
    },
  };
}
