/**
 * The first schema. One migration for both databases: only types both
 * understand (text, integer, bigint — INTEGER affinity in SQLite — and double
 * precision), times as epoch-ms bigints, enums as text with a CHECK, JSON as
 * text. Never edit a released migration: add the next one.
 */
import { type Kysely, type Migration, sql } from 'kysely';

/** `column in ('a', 'b')` for a CHECK constraint, from a closed list. */
function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('users_role', oneOf('role', ['learner', 'instructor', 'author']))
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
    await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('exercise_versions')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('meta_json', 'text', (c) => c.notNull())
      .addColumn('readme', 'text', (c) => c.notNull())
      .addColumn('starter', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('exercise_versions_source', oneOf('source', ['folder', 'upload']))
      .execute();
    await db.schema
      .createIndex('exercise_versions_exercise')
      .on('exercise_versions')
      .columns(['exercise_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('exercise_files')
      .addColumn('version_hash', 'text', (c) =>
        c.notNull().references('exercise_versions.hash').onDelete('cascade'),
      )
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('exercise_files_pk', ['version_hash', 'path'])
      .execute();

    await db.schema
      .createTable('exercises')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('current_hash', 'text', (c) => c.notNull().references('exercise_versions.hash'))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('drafts')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('drafts_pk', ['user_id', 'exercise_id'])
      .execute();

    await db.schema
      .createTable('courses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('join_code', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('course_members')
      .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('course_members_pk', ['course_id', 'user_id'])
      .addCheckConstraint('course_members_role', oneOf('role', ['instructor', 'learner']))
      .execute();
    await db.schema.createIndex('course_members_user').on('course_members').column('user_id').execute();

    await db.schema
      .createTable('assignments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('release_at', 'bigint', (c) => c.notNull())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .addColumn('late_policy', 'text', (c) => c.notNull())
      .addColumn('late_penalty_percent', 'double precision')
      .addColumn('hidden_tests', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('assignments_due_after_release', sql`due_at >= release_at`)
      .addCheckConstraint('assignments_late_policy', oneOf('late_policy', ['none', 'accept', 'refuse']))
      .addCheckConstraint(
        'assignments_late_penalty',
        sql`(late_policy = 'accept') = (late_penalty_percent is not null)`,
      )
      .addCheckConstraint(
        'assignments_hidden_tests',
        oneOf('hidden_tests', ['points', 'hints', 'messages-after-due']),
      )
      .execute();
    await db.schema.createIndex('assignments_course').on('assignments').column('course_id').execute();

    await db.schema
      .createTable('assignment_exercises')
      .addColumn('assignment_id', 'text', (c) => c.notNull().references('assignments.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('exercise_id', 'text', (c) => c.notNull().references('exercises.id'))
      .addPrimaryKeyConstraint('assignment_exercises_pk', ['assignment_id', 'position'])
      .addUniqueConstraint('assignment_exercises_once', ['assignment_id', 'exercise_id'])
      .execute();

    await db.schema
      .createTable('submissions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('exercise_hash', 'text', (c) => c.notNull().references('exercise_versions.hash'))
      .addColumn('assignment_id', 'text', (c) => c.references('assignments.id').onDelete('set null'))
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('verdict', 'text')
      .addColumn('score', 'double precision')
      .addColumn('max_score', 'double precision')
      .addColumn('report_json', 'text')
      .addColumn('graded_at', 'bigint')
      .addColumn('failure_reason', 'text')
      .addCheckConstraint('submissions_status', oneOf('status', ['pending', 'graded', 'grading-failed']))
      .addCheckConstraint(
        'submissions_verdict',
        oneOf('verdict', ['pass', 'fail', 'error', 'timeout', 'memory-limit', 'compile-error']),
      )
      // The states a submission can be in, and only those.
      .addCheckConstraint(
        'submissions_state',
        sql`(status = 'pending' and verdict is null and score is null and report_json is null and graded_at is null and failure_reason is null)
         or (status = 'graded' and verdict is not null and score is not null and max_score is not null and report_json is not null and graded_at is not null and failure_reason is null)
         or (status = 'grading-failed' and verdict = 'error' and score is null and report_json is null and graded_at is not null and failure_reason is not null)`,
      )
      .execute();
    await db.schema
      .createIndex('submissions_user')
      .on('submissions')
      .columns(['user_id', 'exercise_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('submissions_assignment')
      .on('submissions')
      .columns(['assignment_id', 'created_at'])
      .execute();
    await db.schema.createIndex('submissions_created').on('submissions').column('created_at').execute();

    await db.schema
      .createTable('submission_tests')
      .addColumn('submission_id', 'text', (c) => c.notNull().references('submissions.id').onDelete('cascade'))
      .addColumn('ordinal', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('points', 'double precision', (c) => c.notNull())
      .addColumn('earned', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('submission_tests_pk', ['submission_id', 'ordinal'])
      .addCheckConstraint(
        'submission_tests_visibility',
        oneOf('visibility', ['visible', 'hidden', 'after_due_date']),
      )
      .addCheckConstraint(
        'submission_tests_status',
        oneOf('status', ['pass', 'fail', 'error', 'timeout', 'memory-limit', 'skipped']),
      )
      .execute();

    await db.schema
      .createTable('grading_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('submission_id', 'text', (c) =>
        c.notNull().unique().references('submissions.id').onDelete('cascade'),
      )
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('available_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_token', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('worker_id', 'text')
      .addColumn('last_error', 'text')
      .addColumn('finished_at', 'bigint')
      .addCheckConstraint('grading_jobs_state', oneOf('state', ['queued', 'leased', 'done', 'gave-up']))
      .addCheckConstraint(
        'grading_jobs_lease',
        sql`state <> 'leased' or (lease_token is not null and lease_until is not null)`,
      )
      .execute();
    await db.schema
      .createIndex('grading_jobs_claimable')
      .on('grading_jobs')
      .columns(['state', 'created_at'])
      .execute();

    await db.schema
      .createTable('uploads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('exercise_id', 'text')
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('errors_json', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('uploads_outcome', oneOf('outcome', ['accepted', 'rejected']))
      .addCheckConstraint('uploads_errors', sql`(outcome = 'rejected') = (errors_json is not null)`)
      .execute();
    await db.schema.createIndex('uploads_created').on('uploads').column('created_at').execute();

    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('hits', 'integer', (c) => c.notNull())
      .addColumn('reset_at', 'bigint', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of [
      'rate_limits',
      'uploads',
      'grading_jobs',
      'submission_tests',
      'submissions',
      'assignment_exercises',
      'assignments',
      'course_members',
      'courses',
      'drafts',
      'exercises',
      'exercise_files',
      'exercise_versions',
      'sessions',
      'users',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
