/**
 * Every store test runs once per dialect: `describe.each(DIALECTS)` and, in
 * it, `useTestDb(dialect)`. Per test file and dialect there is one database —
 * a SQLite file in the OS temp dir, or a fresh database in the run's
 * PostgreSQL cluster — migrated once and emptied before each test; the clock
 * is reset to START before each test too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type Db, type OpenOptions, openDatabase } from '../src/index.ts';
import { createTestDatabase, type ManualClock, manualClock, resetDatabase } from '../src/testing.ts';

export const DIALECTS = ['sqlite', 'postgres'] as const;

/** 2030-01-01T00:00:00.123Z: an arbitrary start, with milliseconds so they are seen to survive. */
export const START = Date.UTC(2030, 0, 1, 0, 0, 0, 123);

export interface TestDb {
  /** The database opened with the test clock. */
  readonly db: Db;
  readonly clock: ManualClock;
  readonly url: string;
  /** Another handle on the same database (as a second process would have), closed after the file. */
  open(options?: OpenOptions): Db;
}

/** A new, empty database (nothing migrated) and how to delete it. */
export async function emptyDatabase(
  dialect: (typeof DIALECTS)[number],
): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-db-'));
    return {
      url: `sqlite:${join(dir, 'test.db')}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const database = await createTestDatabase(inject('postgresAdminUrl'));
  return { url: database.url, cleanup: database.drop };
}

export function useTestDb(
  dialect: (typeof DIALECTS)[number],
  options: Omit<OpenOptions, 'clock'> = {},
): TestDb {
  const clock = manualClock(START);
  const handles: Db[] = [];
  let db: Db | undefined;
  let url = '';
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    ({ url, cleanup } = await emptyDatabase(dialect));
    db = openDatabase(url, { ...options, clock });
    handles.push(db);
    await db.migrate();
  });

  beforeEach(async () => {
    clock.set(START);
    await resetDatabase(db!);
  });

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await cleanup();
  });

  return {
    get db() {
      if (!db) throw new Error('the test database is opened in beforeAll');
      return db;
    },
    clock,
    get url() {
      return url;
    },
    open(extra = {}) {
      const handle = openDatabase(url, { ...options, clock, ...extra });
      handles.push(handle);
      return handle;
    },
  };
}
