/**
 * Rate limits shared by every web process: a fixed window per key. The first
 * hit opens a window of `windowMs`; hits in it are counted, and the one that
 * makes the count exceed `max` is refused with the time until the window
 * closes; the first hit after it opens a new one. (A fixed window lets a
 * burst of 2×max straddle a boundary; for sign-in and join-code guessing that
 * is fine, and it costs one row per key.)
 *
 * Each hit is one upsert — `insert … on conflict (key) do update … returning`
 * — atomic on both databases, so concurrent hits from several processes
 * never lose a count.
 */
import { sql } from 'kysely';
import { type Ctx, requirePositiveInteger } from './context.ts';

export type RateLimitResult = { kind: 'ok' } | { kind: 'limited'; retryAfterMs: number };

export interface RateLimitsStore {
  hit(key: string, options: { windowMs: number; max: number }): Promise<RateLimitResult>;
  /** Whether the key is over `max` in its open window, without counting a hit. */
  peek(key: string, options: { max: number }): Promise<RateLimitResult>;
  /** Forgets a key (e.g. after a successful sign-in). */
  reset(key: string): Promise<void>;
  /** Removes keys whose window has closed; returns how many. */
  prune(): Promise<number>;
}

export function createRateLimitsStore(ctx: Ctx): RateLimitsStore {
  const { db, clock } = ctx;
  return {
    async hit(key, { windowMs, max }) {
      requirePositiveInteger('windowMs', windowMs);
      requirePositiveInteger('max', max);
      const now = clock.now();
      const resetAt = now + windowMs;
      // The old row's values on the right of SET (as in any UPDATE), so the
      // two CASEs agree on whether the window had closed.
      const closed = sql<boolean>`rate_limits.reset_at <= ${now}`;
      const row = await db
        .insertInto('rate_limits')
        .values({ key, hits: 1, reset_at: resetAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            hits: sql<number>`case when ${closed} then 1 else rate_limits.hits + 1 end`,
            reset_at: sql<number>`case when ${closed} then ${resetAt} else rate_limits.reset_at end`,
          }),
        )
        .returning(['hits', 'reset_at'])
        .executeTakeFirstOrThrow();
      if (row.hits <= max) return { kind: 'ok' };
      return { kind: 'limited', retryAfterMs: row.reset_at - now };
    },

    async peek(key, { max }) {
      requirePositiveInteger('max', max);
      const now = clock.now();
      const row = await db
        .selectFrom('rate_limits')
        .select(['hits', 'reset_at'])
        .where('key', '=', key)
        .where('reset_at', '>', now)
        .executeTakeFirst();
      if (row === undefined || Number(row.hits) < max) return { kind: 'ok' };
      return { kind: 'limited', retryAfterMs: Number(row.reset_at) - now };
    },

    async reset(key) {
      await db.deleteFrom('rate_limits').where('key', '=', key).execute();
    },

    async prune() {
      const r = await db.deleteFrom('rate_limits').where('reset_at', '<=', clock.now()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
