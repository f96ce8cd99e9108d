/**
 * Submissions and their results. `create` stores the code as 'pending' and
 * enqueues its grading job in the same transaction, so a submission exists
 * before grading starts and no crash between the two can lose it. The result
 * arrives through the queue (`queue.complete`), or, when grading gives up,
 * verdict 'error' with the reason (`queue.fail`, or a lease expiring on the
 * last attempt).
 *
 * A submission is in exactly one of three states, enforced by a CHECK in the
 * schema and by the types here: pending; graded (verdict, score, report,
 * per-test rows); grading-failed (verdict 'error' and the reason). The
 * reason can quote hidden test files, so only `get` and the instructors'
 * `recent` carry it; `listForUser` (what a learner's history shows) does not.
 */
import type { Kysely } from 'kysely';
import { type Ctx, clampLimit, hasNul, newId, parseJson, scrubNul } from './context.ts';
import type { Schema, SubmissionsTable, TestStatus, TestVisibility, Verdict } from './schema.ts';

export type { TestStatus, TestVisibility, Verdict };
export const VERDICTS: readonly Verdict[] = [
  'pass',
  'fail',
  'error',
  'timeout',
  'memory-limit',
  'compile-error',
];
const TEST_STATUSES: readonly TestStatus[] = ['pass', 'fail', 'error', 'timeout', 'memory-limit', 'skipped'];
const VISIBILITIES: readonly TestVisibility[] = ['visible', 'hidden', 'after_due_date'];

/** One test of a graded submission, as stored in submission_tests. */
export interface GradedTest {
  name: string;
  visibility: TestVisibility;
  status: TestStatus;
  /** Points available. */
  points: number;
  /** Points earned (the grader's report calls this `points`, and the available ones `maxPoints`). */
  earned: number;
}

/** What a worker hands to `queue.complete`. */
export interface GradingResult {
  /** The report's overall status. */
  verdict: Verdict;
  score: number;
  maxScore: number;
  /** The grader's report, stored as JSON text and given back parsed. */
  report: unknown;
  tests: readonly GradedTest[];
}

/** The parts of the grader's report (`@faultline/grader`'s `Report`) a result is built from. */
export interface ReportLike {
  status: Verdict;
  score: number;
  maxScore: number;
  tests: readonly {
    name: string;
    status: TestStatus;
    visibility: TestVisibility;
    points: number;
    maxPoints: number;
  }[];
}

/** A result from a grader report: the report's names mapped onto the stored ones in one place. */
export function gradingResultFromReport(report: ReportLike): GradingResult {
  return {
    verdict: report.status,
    score: report.score,
    maxScore: report.maxScore,
    report,
    tests: report.tests.map((t) => ({
      name: t.name,
      visibility: t.visibility,
      status: t.status,
      points: t.maxPoints,
      earned: t.points,
    })),
  };
}

interface SubmissionBase {
  id: string;
  userId: string;
  exerciseId: string;
  exerciseHash: string;
  assignmentId: string | null;
  createdAt: number;
}

interface Graded {
  status: 'graded';
  verdict: Verdict;
  score: number;
  maxScore: number;
  gradedAt: number;
}

interface GradingFailed {
  status: 'grading-failed';
  verdict: 'error';
  /** When grading gave up. */
  gradedAt: number;
}

/** A submission in a list: no code, no report, no failure reason (learner-safe). */
export type SubmissionSummary = SubmissionBase & ({ status: 'pending' } | Graded | GradingFailed);

/** Everything about one submission. */
export type Submission = SubmissionBase & { code: string } & (
    | { status: 'pending' }
    | (Graded & { report: unknown; tests: GradedTest[] })
    | (GradingFailed & { failureReason: string })
  );

/** A submission as an instructor's list shows it: who, and why grading failed. */
export type InstructorSubmissionSummary = SubmissionBase & { userEmail: string; userDisplayName: string } & (
    | { status: 'pending' }
    | Graded
    | (GradingFailed & { failureReason: string })
  );

export interface NewSubmission {
  userId: string;
  exerciseId: string;
  /** The exercise version the code was written against (and is graded against). */
  exerciseHash: string;
  assignmentId?: string | undefined;
  code: string;
}

export type CreateSubmissionResult =
  | { kind: 'ok'; submission: Submission & { status: 'pending' } }
  | {
      kind: 'err';
      reason:
        | 'unknown-version'
        | 'version-of-another-exercise'
        | 'unknown-assignment'
        | 'not-in-assignment'
        | 'not-released'
        /** The code holds a U+0000 character, which PostgreSQL cannot store. */
        | 'code-contains-nul'
        /** Past the due date of an assignment whose late policy refuses late work. */
        | 'past-due';
    };

export interface ExerciseProgress {
  exerciseId: string;
  attempts: number;
  /** Best score of a graded submission; null while none is graded. */
  bestScore: number | null;
  maxScore: number | null;
  passed: boolean;
  lastSubmittedAt: number;
}

export interface RecentFilter {
  courseId?: string | undefined;
  assignmentId?: string | undefined;
  userId?: string | undefined;
  exerciseId?: string | undefined;
  limit: number;
}

export interface SubmissionsStore {
  create(input: NewSubmission): Promise<CreateSubmissionResult>;
  get(id: string): Promise<Submission | null>;
  /** Only the submission's state (one column, for a page waiting on its grade); null when there is none. */
  status(id: string): Promise<Submission['status'] | null>;
  /** Newest first; 50 unless `limit` says otherwise. */
  listForUser(
    userId: string,
    options?: {
      exerciseId?: string | undefined;
      assignmentId?: string | undefined;
      limit?: number | undefined;
    },
  ): Promise<SubmissionSummary[]>;
  /** Per exercise the user submitted to (by id): attempts, best score, passed or not. */
  bestByExercise(userId: string): Promise<ExerciseProgress[]>;
  /** For instructors: the newest submissions matching every filter given. */
  recent(filter: RecentFilter): Promise<InstructorSubmissionSummary[]>;
}

type SummaryRow = Omit<SubmissionsTable, 'code' | 'report_json' | 'failure_reason'>;

/** The row's outcome columns as one of the three states (the schema's CHECK guarantees the columns fit). */
export function outcomeOf(row: SummaryRow): { status: 'pending' } | Graded | GradingFailed {
  switch (row.status) {
    case 'pending':
      return { status: 'pending' };
    case 'graded':
      return {
        status: 'graded',
        verdict: row.verdict!,
        score: row.score!,
        maxScore: row.max_score!,
        gradedAt: row.graded_at!,
      };
    case 'grading-failed':
      return { status: 'grading-failed', verdict: 'error', gradedAt: row.graded_at! };
    default: {
      const unknown: never = row.status;
      throw new Error(`submission ${row.id} has an unknown status ${String(unknown)}`);
    }
  }
}

function baseOf(row: SummaryRow): SubmissionBase {
  return {
    id: row.id,
    userId: row.user_id,
    exerciseId: row.exercise_id,
    exerciseHash: row.exercise_hash,
    assignmentId: row.assignment_id,
    createdAt: row.created_at,
  };
}

const SUMMARY_COLUMNS = [
  'submissions.id',
  'submissions.user_id',
  'submissions.exercise_id',
  'submissions.exercise_hash',
  'submissions.assignment_id',
  'submissions.status',
  'submissions.created_at',
  'submissions.verdict',
  'submissions.score',
  'submissions.max_score',
  'submissions.graded_at',
] as const;

/** Throws on a result no grader could have produced: a bug in the worker, not a refusal. */
export function checkResult(result: GradingResult): void {
  const { verdict, score, maxScore, tests } = result;
  if (!VERDICTS.includes(verdict)) throw new TypeError(`unknown verdict ${JSON.stringify(verdict)}`);
  if (!(Number.isFinite(score) && Number.isFinite(maxScore) && score >= 0 && score <= maxScore)) {
    throw new RangeError(`score must be between 0 and maxScore, got ${score} of ${maxScore}`);
  }
  for (const t of tests) {
    if (!TEST_STATUSES.includes(t.status)) throw new TypeError(`test ${t.name}: unknown status ${t.status}`);
    if (!VISIBILITIES.includes(t.visibility)) {
      throw new TypeError(`test ${t.name}: unknown visibility ${t.visibility}`);
    }
    if (!(Number.isFinite(t.earned) && Number.isFinite(t.points) && t.earned >= 0 && t.earned <= t.points)) {
      throw new RangeError(
        `test ${t.name}: earned must be between 0 and points, got ${t.earned} of ${t.points}`,
      );
    }
  }
}

/** Stores a result on a pending submission, with its per-test rows; inside the caller's transaction. */
export async function storeResult(
  trx: Kysely<Schema>,
  submissionId: string,
  result: GradingResult,
  now: number,
): Promise<void> {
  const updated = await trx
    .updateTable('submissions')
    .set({
      status: 'graded',
      verdict: result.verdict,
      score: result.score,
      max_score: result.maxScore,
      report_json: JSON.stringify(result.report) ?? 'null',
      graded_at: now,
    })
    .where('id', '=', submissionId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (updated.numUpdatedRows !== 1n) {
    // The job's lease said this submission was still ours to grade.
    throw new Error(`submission ${submissionId} was not pending when its result arrived`);
  }
  const rows = result.tests.map((t, ordinal) => ({
    submission_id: submissionId,
    ordinal,
    name: scrubNul(t.name),
    visibility: t.visibility,
    status: t.status,
    points: t.points,
    earned: t.earned,
  }));
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('submission_tests')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}

/** Marks a pending submission as given up on; inside the caller's transaction. */
export async function storeGradingFailure(
  trx: Kysely<Schema>,
  submissionId: string,
  failureReason: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable('submissions')
    .set({ status: 'grading-failed', verdict: 'error', graded_at: now, failure_reason: failureReason })
    .where('id', '=', submissionId)
    .where('status', '=', 'pending')
    .execute();
}

export function createSubmissionsStore(ctx: Ctx): SubmissionsStore {
  const { db, clock } = ctx;
  return {
    async create(input) {
      if (hasNul(input.code)) return { kind: 'err', reason: 'code-contains-nul' };
      return ctx.write(async (trx) => {
        const now = clock.now();
        const version = await trx
          .selectFrom('exercise_versions')
          .select('exercise_id')
          .where('hash', '=', input.exerciseHash)
          .executeTakeFirst();
        if (!version) return { kind: 'err', reason: 'unknown-version' } as const;
        if (version.exercise_id !== input.exerciseId) {
          return { kind: 'err', reason: 'version-of-another-exercise' } as const;
        }
        if (input.assignmentId !== undefined) {
          const assignment = await trx
            .selectFrom('assignments')
            .select(['release_at', 'due_at', 'late_policy'])
            .where('id', '=', input.assignmentId)
            .executeTakeFirst();
          if (!assignment) return { kind: 'err', reason: 'unknown-assignment' } as const;
          const listed = await trx
            .selectFrom('assignment_exercises')
            .select('position')
            .where('assignment_id', '=', input.assignmentId)
            .where('exercise_id', '=', input.exerciseId)
            .executeTakeFirst();
          if (!listed) return { kind: 'err', reason: 'not-in-assignment' } as const;
          if (now < assignment.release_at) return { kind: 'err', reason: 'not-released' } as const;
          if (now > assignment.due_at && assignment.late_policy === 'refuse') {
            return { kind: 'err', reason: 'past-due' } as const;
          }
        }
        const row: SubmissionsTable = {
          id: newId(),
          user_id: input.userId,
          exercise_id: input.exerciseId,
          exercise_hash: input.exerciseHash,
          assignment_id: input.assignmentId ?? null,
          code: input.code,
          status: 'pending',
          created_at: now,
          verdict: null,
          score: null,
          max_score: null,
          report_json: null,
          graded_at: null,
          failure_reason: null,
        };
        await trx.insertInto('submissions').values(row).execute();
        await trx
          .insertInto('grading_jobs')
          .values({
            id: newId(),
            submission_id: row.id,
            state: 'queued',
            attempts: 0,
            created_at: now,
            available_at: now,
            lease_token: null,
            lease_until: null,
            worker_id: null,
            last_error: null,
            finished_at: null,
          })
          .execute();
        return {
          kind: 'ok',
          submission: { ...baseOf(row), code: row.code, status: 'pending' },
        } as const;
      });
    },

    async status(id) {
      const row = await db.selectFrom('submissions').select('status').where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : row.status;
    },

    async get(id) {
      const row = await db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      const base = { ...baseOf(row), code: row.code };
      const outcome = outcomeOf(row);
      switch (outcome.status) {
        case 'pending':
          return { ...base, ...outcome };
        case 'graded': {
          const tests = await db
            .selectFrom('submission_tests')
            .select(['name', 'visibility', 'status', 'points', 'earned'])
            .where('submission_id', '=', id)
            .orderBy('ordinal')
            .execute();
          return { ...base, ...outcome, report: parseJson(row.report_json!), tests };
        }
        case 'grading-failed':
          return { ...base, ...outcome, failureReason: row.failure_reason! };
      }
    },

    async listForUser(userId, options = {}) {
      let q = db
        .selectFrom('submissions')
        .select(SUMMARY_COLUMNS)
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(clampLimit(options.limit, 50));
      if (options.exerciseId !== undefined) q = q.where('exercise_id', '=', options.exerciseId);
      if (options.assignmentId !== undefined) q = q.where('assignment_id', '=', options.assignmentId);
      const rows = await q.execute();
      return rows.map((row) => ({ ...baseOf(row), ...outcomeOf(row) }));
    },

    async bestByExercise(userId) {
      const rows = await db
        .selectFrom('submissions')
        .select((eb) => [
          'exercise_id',
          eb.fn.countAll<number>().as('attempts'),
          eb.fn.max('score').as('best_score'),
          eb.fn.max('max_score').as('max_score'),
          eb.fn.countAll<number>().filterWhere('verdict', '=', 'pass').as('passes'),
          eb.fn.max('created_at').as('last_submitted_at'),
        ])
        .where('user_id', '=', userId)
        .groupBy('exercise_id')
        .orderBy('exercise_id')
        .execute();
      return rows.map((r) => ({
        exerciseId: r.exercise_id,
        attempts: r.attempts,
        bestScore: r.best_score,
        maxScore: r.max_score,
        passed: r.passes > 0,
        lastSubmittedAt: r.last_submitted_at,
      }));
    },

    async recent(filter) {
      let q = db
        .selectFrom('submissions')
        .innerJoin('users', 'users.id', 'submissions.user_id')
        .select([...SUMMARY_COLUMNS, 'submissions.failure_reason', 'users.email', 'users.display_name'])
        .orderBy('submissions.created_at', 'desc')
        .orderBy('submissions.id', 'desc')
        .limit(clampLimit(filter.limit, 50));
      if (filter.courseId !== undefined) {
        const courseId = filter.courseId;
        q = q.where('submissions.assignment_id', 'in', (eb) =>
          eb.selectFrom('assignments').select('assignments.id').where('assignments.course_id', '=', courseId),
        );
      }
      if (filter.assignmentId !== undefined)
        q = q.where('submissions.assignment_id', '=', filter.assignmentId);
      if (filter.userId !== undefined) q = q.where('submissions.user_id', '=', filter.userId);
      if (filter.exerciseId !== undefined) q = q.where('submissions.exercise_id', '=', filter.exerciseId);
      const rows = await q.execute();
      return rows.map((row): InstructorSubmissionSummary => {
        const base = { ...baseOf(row), userEmail: row.email, userDisplayName: row.display_name };
        const outcome = outcomeOf(row);
        return outcome.status === 'grading-failed'
          ? { ...base, ...outcome, failureReason: row.failure_reason! }
          : { ...base, ...outcome };
      });
    },
  };
}
