/**
 * What every store is built from: the Kysely instance, which database it
 * talks to, the clock, and the one way to run a write transaction on both.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Clock } from './clock.ts';
import type { Schema } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Ctx {
  readonly db: Kysely<Schema>;
  readonly dialect: Dialect;
  readonly clock: Clock;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  /** Runs `fn` in one write transaction and returns what it returns; rolls back if it throws. */
  write<T>(fn: (trx: Kysely<Schema>) => Promise<T>): Promise<T>;
}

/**
 * SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so two processes
 * sharing the file wait for each other (busy_timeout) instead of failing when
 * a reader upgrades to a writer. Kysely's own SQLite transactions say plain
 * `BEGIN`. PostgreSQL: an ordinary READ COMMITTED transaction; the statements
 * that race (claims, completes) are written to be safe at that level.
 */
export function writeTransaction(db: Kysely<Schema>, dialect: Dialect) {
  if (dialect === 'postgres') {
    return <T>(fn: (trx: Kysely<Schema>) => Promise<T>) => db.transaction().execute(fn);
  }
  return <T>(fn: (trx: Kysely<Schema>) => Promise<T>) =>
    db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (error) {
        await sql`rollback`.execute(conn);
        throw error;
      }
    });
}

export const newId = (): string => randomUUID();

/** JSON from a column this package wrote. */
export function parseJson(text: string): unknown {
  return JSON.parse(text);
}

export function requireNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

export function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** A limit for list queries: a positive integer, at most `max`. */
export function clampLimit(limit: number | undefined, fallback: number, max = 1000): number {
  if (limit === undefined) return fallback;
  requirePositiveInteger('limit', limit);
  return Math.min(limit, max);
}

/**
 * PostgreSQL's text cannot hold U+0000 (SQLite's can): text that would be
 * stored on one database and refused by the other is refused on both (code,
 * exercise files) or has the character replaced (`scrubNul`).
 */
export const hasNul = (text: string): boolean => text.includes('\u0000');

/** Free text that is not code (names, titles, a worker's reason): U+0000 becomes U+FFFD rather than fail. */
export const scrubNul = (text: string): string => text.replaceAll('\u0000', '\uFFFD');
