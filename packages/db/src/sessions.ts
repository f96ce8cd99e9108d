/**
 * Sign-in sessions. Only the hash of a session token is stored (the caller
 * hashes, so a leaked table signs nobody in); an expired session is never
 * found, whether or not `deleteExpired` has swept it yet.
 */
import type { Ctx } from './context.ts';
import type { SessionsTable } from './schema.ts';
import { toUser, type User } from './users.ts';

export interface Session {
  tokenHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionsStore {
  create(input: { userId: string; tokenHash: string; expiresAt: number }): Promise<Session>;
  /** The live session and its user; null when unknown or expired. */
  find(tokenHash: string): Promise<{ session: Session; user: User } | null>;
  /** Records activity now; false when the session is unknown or expired. */
  touch(tokenHash: string): Promise<boolean>;
  /** Moves a live session's expiry (and records activity); false when unknown or expired. */
  extend(tokenHash: string, expiresAt: number): Promise<boolean>;
  delete(tokenHash: string): Promise<boolean>;
  /** Signs a user out everywhere (but `exceptTokenHash`); returns how many sessions ended. */
  deleteForUser(userId: string, options?: { exceptTokenHash?: string | undefined }): Promise<number>;
  /** Removes expired sessions; returns how many. */
  deleteExpired(): Promise<number>;
}

function toSession(row: SessionsTable): Session {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}

export function createSessionsStore(ctx: Ctx): SessionsStore {
  const { db, clock } = ctx;
  return {
    async create({ userId, tokenHash, expiresAt }) {
      const now = clock.now();
      const row: SessionsTable = {
        token_hash: tokenHash,
        user_id: userId,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      };
      await db.insertInto('sessions').values(row).execute();
      return toSession(row);
    },

    async find(tokenHash) {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select([
          'sessions.token_hash',
          'sessions.user_id',
          'sessions.created_at as session_created_at',
          'sessions.last_seen_at',
          'sessions.expires_at',
          'users.id',
          'users.email',
          'users.display_name',
          'users.role',
          'users.created_at',
        ])
        .where('sessions.token_hash', '=', tokenHash)
        .where('sessions.expires_at', '>', clock.now())
        .executeTakeFirst();
      if (!row) return null;
      return {
        session: toSession({ ...row, created_at: row.session_created_at }),
        user: toUser(row),
      };
    },

    async touch(tokenHash) {
      const now = clock.now();
      const r = await db
        .updateTable('sessions')
        .set({ last_seen_at: now })
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async extend(tokenHash, expiresAt) {
      const now = clock.now();
      const r = await db
        .updateTable('sessions')
        .set({ last_seen_at: now, expires_at: expiresAt })
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async delete(tokenHash) {
      const r = await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },

    async deleteForUser(userId, options = {}) {
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (options.exceptTokenHash !== undefined) q = q.where('token_hash', '<>', options.exceptTokenHash);
      const r = await q.executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async deleteExpired() {
      const r = await db.deleteFrom('sessions').where('expires_at', '<=', clock.now()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
