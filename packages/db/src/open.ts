/**
 * Opening a database by URL, and the one place where the two drivers'
 * values are made alike: pg hands int8 (bigint columns, count) and numeric
 * back as strings, so this connection's pool parses them to numbers — every
 * time is epoch ms and every count small, far below 2^53 — and refuses a
 * value it cannot represent exactly rather than round it. SQLite already
 * gives numbers; neither database is ever asked for a boolean.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { type AssignmentsStore, createAssignmentsStore } from './assignments.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Ctx, type Dialect, writeTransaction } from './context.ts';
import { type CoursesStore, createCoursesStore } from './courses.ts';
import { createDashboardStore, type DashboardStore } from './dashboard.ts';
import { createDraftsStore, type DraftsStore } from './drafts.ts';
import { createExercisesStore, type ExercisesStore } from './exercises.ts';
import { registerKysely } from './internal.ts';
import { migrations } from './migrations/index.ts';
import { createGradingQueue, type GradingQueue } from './queue.ts';
import { createRateLimitsStore, type RateLimitsStore } from './rate-limits.ts';
import type { Schema } from './schema.ts';
import { createSessionsStore, type SessionsStore } from './sessions.ts';
import { createSubmissionsStore, type SubmissionsStore } from './submissions.ts';
import { createUploadsStore, type UploadsStore } from './uploads.ts';
import { createUsersStore, type UsersStore } from './users.ts';

export interface OpenOptions {
  /** Where stored times come from; Date.now unless given. */
  clock?: Clock | undefined;
  queue?: {
    /** Claims a job gets before its submission is given up on with verdict 'error'; 3 unless given. */
    maxAttempts?: number | undefined;
    /** How long a failed job waits before it may be claimed again; 0 unless given. */
    retryDelayMs?: number | undefined;
  };
  /** PostgreSQL: most connections in the pool; 10 unless given. */
  maxConnections?: number | undefined;
  /** SQLite: how long a write waits for another process's lock, in ms; 5000 unless given. */
  busyTimeoutMs?: number | undefined;
}

export type DatabaseTarget = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

export const ACCEPTED_URLS =
  'sqlite:/absolute/path/file.db, sqlite::memory:, postgres://user@host:port/database or postgresql://…';

/** The URL with any password replaced, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url === 'sqlite::memory:') return { dialect: 'sqlite', path: ':memory:' };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== '' && isAbsolute(path) && !path.startsWith('//')) return { dialect: 'sqlite', path };
    throw new Error(
      `database URL "${redact(url)}": a SQLite path must be absolute; use one of: ${ACCEPTED_URLS}`,
    );
  }
  if (/^postgres(ql)?:\/\/./.test(url)) return { dialect: 'postgres', url };
  throw new Error(`unsupported database URL "${redact(url)}"; use one of: ${ACCEPTED_URLS}`);
}

function parseExactNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
    throw new RangeError(`the database returned ${text}, which a JavaScript number cannot hold exactly`);
  }
  return n;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8 || oid === PG_NUMERIC
      ? parseExactNumber
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface Db {
  readonly dialect: Dialect;
  /** Brings the schema up to date; returns the migrations it ran (none when up to date). */
  migrate(): Promise<{ applied: string[] }>;
  close(): Promise<void>;
  readonly users: UsersStore;
  readonly sessions: SessionsStore;
  readonly exercises: ExercisesStore;
  readonly drafts: DraftsStore;
  readonly submissions: SubmissionsStore;
  readonly queue: GradingQueue;
  readonly courses: CoursesStore;
  readonly assignments: AssignmentsStore;
  readonly dashboard: DashboardStore;
  readonly uploads: UploadsStore;
  readonly rateLimits: RateLimitsStore;
}

/**
 * Open SQLite files, shared by every handle on the same file in this process.
 * Two connections to one file in one process would deadlock: while one holds
 * the write lock between two statements of a transaction, the other's write
 * waits for it synchronously (busy_timeout), blocking the only thread that
 * could release it. Sharing one Kysely instance — whose SQLite driver runs
 * one statement or transaction at a time — queues them instead.
 */
const sqliteFiles = new Map<string, { kysely: Kysely<Schema>; handles: number }>();

function openSqlite(path: string, options: OpenOptions): Kysely<Schema> {
  const timeout = options.busyTimeoutMs ?? 5000;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path, { timeout });
  // WAL: readers never block the writer (the web app reads while the grading
  // pool writes results). Foreign keys are off by default in SQLite.
  if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${timeout}`);
  sqlite.pragma('synchronous = NORMAL');
  return new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
}

/** A connection (pool) for `target`, and how to let go of it. */
function connect(
  target: DatabaseTarget,
  options: OpenOptions,
): { db: Kysely<Schema>; release(): Promise<void> } {
  if (target.dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.maxConnections ?? 10,
      types: pgTypes,
    });
    // An idle connection that breaks (a server restart) emits 'error' on the
    // pool, which would crash the process unhandled; the pool drops it and
    // the next query connects afresh.
    pool.on('error', () => {});
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return { db, release: () => db.destroy() };
  }
  if (target.path === ':memory:') {
    const db = openSqlite(':memory:', options);
    return { db, release: () => db.destroy() };
  }
  const key = resolve(target.path);
  let shared = sqliteFiles.get(key);
  if (!shared) {
    shared = { kysely: openSqlite(key, options), handles: 0 };
    sqliteFiles.set(key, shared);
  }
  shared.handles += 1;
  const entry = shared;
  return {
    db: entry.kysely,
    async release() {
      entry.handles -= 1;
      if (entry.handles > 0) return;
      sqliteFiles.delete(key);
      await entry.kysely.destroy();
    },
  };
}

/**
 * Opens `url` (see ACCEPTED_URLS). Nothing is created until `migrate()`;
 * the returned Db holds its connections until `close()`. Handles on the same
 * SQLite file in one process share one connection (the first one's
 * busyTimeoutMs applies).
 */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const target = parseDatabaseUrl(url);
  const maxAttempts = options.queue?.maxAttempts ?? 3;
  const retryDelayMs = options.queue?.retryDelayMs ?? 0;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`queue.maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  if (!Number.isSafeInteger(retryDelayMs) || retryDelayMs < 0) {
    throw new RangeError(`queue.retryDelayMs must be a non-negative integer, got ${retryDelayMs}`);
  }
  const { db, release } = connect(target, options);
  let closed = false;
  const ctx: Ctx = {
    db,
    dialect: target.dialect,
    clock: options.clock ?? systemClock,
    maxAttempts,
    retryDelayMs,
    write: writeTransaction(db, target.dialect),
  };
  const assignments = createAssignmentsStore(ctx);
  const result: Db = {
    dialect: target.dialect,
    async migrate() {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error) {
        const failed = results.find((r) => r.status === 'Error');
        throw new Error(`migration ${failed?.migrationName ?? '(none)'} failed: ${String(error)}`, {
          cause: error,
        });
      }
      return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
    users: createUsersStore(ctx),
    sessions: createSessionsStore(ctx),
    exercises: createExercisesStore(ctx),
    drafts: createDraftsStore(ctx),
    submissions: createSubmissionsStore(ctx),
    queue: createGradingQueue(ctx),
    courses: createCoursesStore(ctx),
    assignments,
    dashboard: createDashboardStore(ctx, assignments),
    uploads: createUploadsStore(ctx),
    rateLimits: createRateLimitsStore(ctx),
  };
  registerKysely(result, db);
  return result;
}
