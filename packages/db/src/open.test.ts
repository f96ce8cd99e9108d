import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS, useTestDb } from '../test/databases.ts';
import { makeExercise, makeUser, result, submit } from '../test/fixtures.ts';
import { openDatabase, parseDatabaseUrl } from './index.ts';

describe('database URLs', () => {
  it('accepts SQLite files, SQLite in memory and PostgreSQL', () => {
    expect(parseDatabaseUrl('sqlite:/var/lib/faultline/data.db')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/faultline/data.db',
    });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('postgres://u:p@db:5432/faultline')).toEqual({
      dialect: 'postgres',
      url: 'postgres://u:p@db:5432/faultline',
    });
    expect(parseDatabaseUrl('postgresql://db/faultline').dialect).toBe('postgres');
  });

  it('refuses anything else, naming the accepted forms and hiding passwords', () => {
    for (const bad of [
      '',
      'data.db',
      'sqlite:data.db',
      'sqlite:',
      'mysql://root:hunter2@db/x',
      'postgres:/x',
    ]) {
      expect(() => openDatabase(bad)).toThrow(
        /sqlite:\/absolute\/path\/file\.db, sqlite::memory:, postgres:\/\//,
      );
    }
    expect(() => openDatabase('mysql://root:hunter2@db/x')).toThrow(/root:\*\*\*@db/);
    expect(() => openDatabase('mysql://root:hunter2@db/x')).not.toThrow(/hunter2/);
  });

  it('refuses queue options that make no sense', () => {
    expect(() => openDatabase('sqlite::memory:', { queue: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
    expect(() => openDatabase('sqlite::memory:', { queue: { retryDelayMs: -1 } })).toThrow(/retryDelayMs/);
  });

  it('opens SQLite in memory, and a file in WAL mode with foreign keys on, creating its folder', async () => {
    const mem = openDatabase('sqlite::memory:');
    expect(await mem.migrate()).toEqual({ applied: ['0001-initial'] });
    expect(await mem.users.count()).toBe(0);
    await mem.close();

    const dir = mkdtempSync(join(tmpdir(), 'faultline-db-'));
    try {
      const path = join(dir, 'nested', 'faultline.db');
      const db = openDatabase(`sqlite:${path}`);
      await db.migrate();
      await expect(
        db.sessions.create({ userId: 'no-such-user', tokenHash: 'h', expiresAt: 1 }),
      ).rejects.toThrow(/FOREIGN KEY/);
      await db.close();
      await db.close(); // twice is fine
      const Sqlite = (await import('better-sqlite3')).default;
      const raw = new Sqlite(path);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(DIALECTS)('values on %s', (dialect) => {
  const t = useTestDb(dialect);

  it('gives back times exactly as the clock gave them, as numbers', async () => {
    // Milliseconds, a time past 2038 and past 2^32 seconds' worth of ms, and the year 2200.
    for (const time of [1_700_000_000_123, 2_147_483_648_001, 7_258_118_400_999]) {
      t.clock.set(time);
      const u = await makeUser(t.db);
      expect((await t.db.users.byId(u.id))?.createdAt).toBe(time);
      await t.db.sessions.create({ userId: u.id, tokenHash: `h${time}`, expiresAt: time + 1 });
      const found = await t.db.sessions.find(`h${time}`);
      expect(found?.session).toEqual({
        tokenHash: `h${time}`,
        userId: u.id,
        createdAt: time,
        lastSeenAt: time,
        expiresAt: time + 1,
      });
      expect(typeof found?.session.expiresAt).toBe('number');
    }
  });

  it('gives back counts as numbers, fractional scores and text as stored', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    const code = 'ünïcødé ✓ 𝄞 "quotes" \'and\' \\ backslashes\n\ttabs';
    const id = await submit(t.db, u, 'cow', { code });
    const job = (await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }))!;
    const r = result([]);
    await t.db.queue.complete(job, {
      ...r,
      score: 12.5,
      maxScore: 30,
      tests: r.tests.map((x, i) => (i === 0 ? { ...x, earned: 2.5 } : x)),
    });
    const s = await t.db.submissions.get(id);
    expect(s?.code).toBe(code);
    expect(s).toMatchObject({ score: 12.5 });
    if (s?.status === 'graded') expect(s.tests[0]?.earned).toBe(2.5);
    const [progress] = await t.db.submissions.bestByExercise(u.id);
    expect(progress).toEqual({
      exerciseId: 'cow',
      attempts: 1,
      bestScore: 12.5,
      maxScore: 30,
      passed: true,
      lastSubmittedAt: t.clock.now(),
    });
    expect(typeof (await t.db.users.count())).toBe('number');
    const pending = await t.db.queue.pending();
    expect(Object.values(pending).every((n) => typeof n === 'number')).toBe(true);
  });

  it('refuses U+0000 in text on both databases alike (PostgreSQL cannot store it)', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    const code = 'before\u0000after';
    expect(
      await t.db.submissions.create({ userId: u.id, exerciseId: 'cow', exerciseHash: 'cow-v1', code }),
    ).toEqual({ kind: 'err', reason: 'code-contains-nul' });
    expect(await t.db.drafts.save(u.id, 'cow', code)).toEqual({ kind: 'err', reason: 'code-contains-nul' });
    expect(
      await t.db.exercises.putVersion({
        exerciseId: 'cow',
        hash: 'cow-v2',
        meta: {},
        readme: '',
        starter: '',
        files: { 'ok.ts': 'fine', 'tests/bad.ts': code },
        source: 'upload',
      }),
    ).toEqual({ kind: 'err', reason: 'text-contains-nul', path: 'tests/bad.ts' });
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });

    // A worker's reason may quote what the sandbox printed: kept, with the character replaced.
    await submit(t.db, u, 'cow');
    const job = (await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }))!;
    expect(await t.db.queue.fail(job, 'crashed: \u0000', { retry: false })).toEqual({
      kind: 'gave-up',
      failureReason: 'grading failed 1 time: crashed: \uFFFD',
    });
  });
});
