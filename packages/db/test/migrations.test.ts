/**
 * The migrations, on both databases.
 *
 * The upgrade test walks the migrations in order: after each one it writes
 * data as the schema stood at that point (SEED_AFTER: raw SQL, because the
 * stores only know the latest schema), then migrates to the latest and reads
 * the data back through the stores (CHECK_AT_LATEST).
 *
 * Today there is one migration, so this migrates an empty database and checks
 * the schema works. From the second release on, this is the test that
 * migrates from the previous schema with data in it: add a SEED_AFTER entry
 * for the last migration of the previous release (rows in every table that
 * release had) and a CHECK_AT_LATEST that reads them through the stores.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, migrations, openDatabase } from '../src/index.ts';
import { kyselyOf } from '../src/internal.ts';
import type { Schema } from '../src/schema.ts';
import { DIALECTS, emptyDatabase, START } from './databases.ts';
import { result } from './fixtures.ts';

const TABLES = [
  'assignment_exercises',
  'assignments',
  'course_members',
  'courses',
  'drafts',
  'exercise_files',
  'exercise_versions',
  'exercises',
  'grading_jobs',
  'rate_limits',
  'sessions',
  'submission_tests',
  'submissions',
  'uploads',
  'users',
];

/** Data written right after a migration ran, in that migration's schema. */
const SEED_AFTER: Record<string, (db: Kysely<unknown>) => Promise<void>> = {
  '0001-initial': async (db) => {
    await sql`insert into users (id, email, password_hash, display_name, role, created_at)
              values ('u1', 'old@example.edu', 'h', 'Old Learner', 'learner', ${START})`.execute(db);
    await sql`insert into exercise_versions (hash, exercise_id, meta_json, readme, starter, source, uploaded_by, created_at)
              values ('cow-v1', 'cow', '{"points":30}', '# cow', 'starter', 'folder', null, ${START})`.execute(
      db,
    );
    await sql`insert into exercise_files (version_hash, path, content) values ('cow-v1', 'solution.ts', 'answer')`.execute(
      db,
    );
    await sql`insert into exercises (id, current_hash, updated_at) values ('cow', 'cow-v1', ${START})`.execute(
      db,
    );
    await sql`insert into submissions (id, user_id, exercise_id, exercise_hash, assignment_id, code, status, created_at)
              values ('s1', 'u1', 'cow', 'cow-v1', null, 'old code', 'pending', ${START})`.execute(db);
    await sql`insert into grading_jobs (id, submission_id, state, attempts, created_at, available_at)
              values ('j1', 's1', 'queued', 0, ${START}, ${START})`.execute(db);
  },
};

/** What must hold at the latest schema for the data SEED_AFTER wrote. */
const CHECK_AT_LATEST: ((db: Db) => Promise<void>)[] = [
  async (db) => {
    expect(await db.users.byEmail('old@example.edu')).toMatchObject({ id: 'u1', createdAt: START });
    expect(await db.exercises.current('cow')).toMatchObject({ hash: 'cow-v1', meta: { points: 30 } });
    expect(await db.exercises.versionFiles('cow-v1')).toEqual({ 'solution.ts': 'answer' });
    // The old pending submission is still graded through the queue.
    const job = await db.queue.claim({ workerId: 'w', leaseMs: 1000 });
    expect(job).toMatchObject({ jobId: 'j1', submissionId: 's1', attempt: 1 });
    expect(await db.queue.complete(job!, result([]))).toEqual({ kind: 'ok' });
    expect(await db.submissions.get('s1')).toMatchObject({
      status: 'graded',
      verdict: 'pass',
      code: 'old code',
    });
  },
];

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  const open: Db[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  async function fresh(): Promise<{ db: Db; k: Kysely<Schema> }> {
    const { url, cleanup } = await emptyDatabase(dialect);
    cleanups.push(cleanup);
    const db = openDatabase(url, { clock: { now: () => START + 1 } });
    open.push(db);
    return { db, k: kyselyOf(db) };
  }

  const tableNames = async (k: Kysely<Schema>) =>
    (await k.introspection.getTables()).map((t) => t.name).sort();

  it('creates the whole schema on an empty database, once', async () => {
    const { db, k } = await fresh();
    expect(await tableNames(k)).toEqual([]);
    expect(await db.migrate()).toEqual({ applied: Object.keys(migrations) });
    expect(await db.migrate()).toEqual({ applied: [] });
    expect(await tableNames(k)).toEqual(TABLES);
  });

  it('upgrades a database migration by migration, keeping the data each schema held', async () => {
    const { db, k } = await fresh();
    const migrator = new Migrator({ db: k, provider: { getMigrations: async () => ({ ...migrations }) } });
    for (const name of Object.keys(migrations)) {
      const step = await migrator.migrateTo(name);
      expect(step.error).toBeUndefined();
      await SEED_AFTER[name]?.(k as unknown as Kysely<unknown>);
    }
    await db.migrate();
    for (const check of CHECK_AT_LATEST) await check(db);
  });

  it('can be rolled back to nothing', async () => {
    const { db, k } = await fresh();
    await db.migrate();
    const migrator = new Migrator({ db: k, provider: { getMigrations: async () => ({ ...migrations }) } });
    for (const _ of Object.keys(migrations)) expect((await migrator.migrateDown()).error).toBeUndefined();
    expect(await tableNames(k)).toEqual([]);
  });
});
