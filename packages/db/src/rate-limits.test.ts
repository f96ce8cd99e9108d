import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { makeUser } from '../test/fixtures.ts';

describe.each(DIALECTS)('rate limits and uploads on %s', (dialect) => {
  const t = useTestDb(dialect);
  const limit = { windowMs: 60_000, max: 3 };

  it('allows max hits in a window, refuses the next with the time left, and allows again after it', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'ok' });
      t.clock.advance(10_000);
    }
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'limited', retryAfterMs: 30_000 });
    // Other keys have their own windows.
    expect(await t.db.rateLimits.hit('login:bob', limit)).toEqual({ kind: 'ok' });
    t.clock.advance(29_999);
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'limited', retryAfterMs: 1 });
    t.clock.advance(1); // the window [START, START + 60 s) has closed
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'ok' });
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'ok' });
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'ok' });
    expect(await t.db.rateLimits.hit('login:ada', limit)).toEqual({ kind: 'limited', retryAfterMs: 60_000 });
  });

  it('peeks without counting: limited once max hits are in the open window, free again after it', async () => {
    const limit = { windowMs: 10_000, max: 2 };
    expect(await t.db.rateLimits.peek('fails:ada', limit)).toEqual({ kind: 'ok' });
    await t.db.rateLimits.hit('fails:ada', limit);
    expect(await t.db.rateLimits.peek('fails:ada', limit)).toEqual({ kind: 'ok' });
    await t.db.rateLimits.hit('fails:ada', limit);
    expect(await t.db.rateLimits.peek('fails:ada', limit)).toEqual({ kind: 'limited', retryAfterMs: 10_000 });
    expect(await t.db.rateLimits.peek('fails:ada', limit)).toEqual({ kind: 'limited', retryAfterMs: 10_000 });
    t.clock.advance(10_000);
    expect(await t.db.rateLimits.peek('fails:ada', limit)).toEqual({ kind: 'ok' });
  });

  it('counts every hit of several processes hitting at once', async () => {
    const other = t.open();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? t.db : other).rateLimits.hit('join:guess', { windowMs: 1000, max: 5 }),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'ok')).toHaveLength(5);
  });

  it('forgets a key on reset, and prunes closed windows', async () => {
    await t.db.rateLimits.hit('a', { windowMs: 1000, max: 1 });
    expect((await t.db.rateLimits.hit('a', { windowMs: 1000, max: 1 })).kind).toBe('limited');
    await t.db.rateLimits.reset('a');
    expect((await t.db.rateLimits.hit('a', { windowMs: 1000, max: 1 })).kind).toBe('ok');
    await t.db.rateLimits.hit('b', { windowMs: 5000, max: 1 });
    t.clock.advance(1000);
    expect(await t.db.rateLimits.prune()).toBe(1);
    expect((await t.db.rateLimits.hit('b', { windowMs: 5000, max: 1 })).kind).toBe('limited');
  });

  it('records uploads with the clock’s time and lists them newest first', async () => {
    const author = await makeUser(t.db, 'author');
    const other = await makeUser(t.db, 'author');
    const first = await t.db.uploads.record({
      userId: author.id,
      exerciseId: 'cow',
      contentHash: 'h1',
      outcome: 'accepted',
    });
    expect(first).toEqual({
      id: expect.any(String),
      userId: author.id,
      exerciseId: 'cow',
      contentHash: 'h1',
      outcome: 'accepted',
      createdAt: START,
    });
    t.clock.advance(1000);
    const second = await t.db.uploads.record({
      userId: author.id,
      contentHash: 'h2',
      outcome: 'rejected',
      errors: ['exercise.json: points must be positive', 'the reference solution fails "hidden cow"'],
    });
    expect(second).toMatchObject({ exerciseId: null, outcome: 'rejected', createdAt: START + 1000 });
    t.clock.advance(1000);
    await t.db.uploads.record({
      userId: other.id,
      exerciseId: 'swap',
      contentHash: 'h3',
      outcome: 'accepted',
    });
    expect((await t.db.uploads.list()).map((u) => u.contentHash)).toEqual(['h3', 'h2', 'h1']);
    expect(await t.db.uploads.list({ userId: author.id })).toEqual([second, first]);
    expect((await t.db.uploads.list({ exerciseId: 'cow' })).map((u) => u.id)).toEqual([first.id]);
    expect((await t.db.uploads.list({ limit: 1 })).map((u) => u.contentHash)).toEqual(['h3']);
  });
});
