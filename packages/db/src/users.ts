/**
 * Accounts. The email is the login: stored lower-case and trimmed, unique.
 * Password hashes come from the caller (which owns the hashing scheme) and
 * leave the store only through `credentialsByEmail`, so a page that shows a
 * user cannot leak one by accident.
 */
import { type Ctx, newId, scrubNul } from './context.ts';
import type { UserRole, UsersTable } from './schema.ts';

export type { UserRole };
export const USER_ROLES: readonly UserRole[] = ['learner', 'instructor', 'author'];

export interface User {
  id: string;
  email: string;
  displayName: string;
  /** An author is an instructor who may also upload exercises. */
  role: UserRole;
  createdAt: number;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  displayName: string;
  role: UserRole;
}

export type CreateUserResult = { kind: 'ok'; user: User } | { kind: 'err'; reason: 'email-taken' };

export interface UsersStore {
  create(input: NewUser): Promise<CreateUserResult>;
  byEmail(email: string): Promise<User | null>;
  byId(id: string): Promise<User | null>;
  /** For signing in: the user and the stored hash, or null for an unknown email. */
  credentialsByEmail(email: string): Promise<{ user: User; passwordHash: string } | null>;
  setPasswordHash(userId: string, passwordHash: string): Promise<boolean>;
  /** False when there is no such user. */
  setRole(userId: string, role: UserRole): Promise<boolean>;
  /** How many users there are (with one of `roles`, when given). */
  count(filter?: { roles?: readonly UserRole[] }): Promise<number>;
}

export const normalizeEmail = (email: string): string => scrubNul(email.trim().toLowerCase());

/** Role checks in one place: authors can do everything instructors can. */
export const isInstructorRole = (role: UserRole): boolean => role === 'instructor' || role === 'author';

const USER_COLUMNS = ['id', 'email', 'display_name', 'role', 'created_at'] as const;

export function toUser(row: Pick<UsersTable, (typeof USER_COLUMNS)[number]>): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    createdAt: row.created_at,
  };
}

function requireRole(role: UserRole): void {
  if (!USER_ROLES.includes(role)) throw new TypeError(`unknown role ${JSON.stringify(role)}`);
}

export function createUsersStore(ctx: Ctx): UsersStore {
  const { db } = ctx;
  return {
    async create(input) {
      requireRole(input.role);
      const email = normalizeEmail(input.email);
      if (email === '') throw new TypeError('email must not be empty');
      const row: UsersTable = {
        id: newId(),
        email,
        password_hash: input.passwordHash,
        display_name: scrubNul(input.displayName.trim()),
        role: input.role,
        created_at: ctx.clock.now(),
      };
      // ON CONFLICT DO NOTHING rather than catching the driver's error: the
      // same on both databases, and it does not abort a PG transaction.
      const inserted = await db
        .insertInto('users')
        .values(row)
        .onConflict((oc) => oc.column('email').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return { kind: 'err', reason: 'email-taken' };
      return { kind: 'ok', user: toUser(row) };
    },

    async byEmail(email) {
      const row = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('email', '=', normalizeEmail(email))
        .executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async byId(id) {
      const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async credentialsByEmail(email) {
      const row = await db
        .selectFrom('users')
        .select([...USER_COLUMNS, 'password_hash'])
        .where('email', '=', normalizeEmail(email))
        .executeTakeFirst();
      return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
    },

    async setPasswordHash(userId, passwordHash) {
      const r = await db
        .updateTable('users')
        .set({ password_hash: passwordHash })
        .where('id', '=', userId)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async setRole(userId, role) {
      requireRole(role);
      const r = await db.updateTable('users').set({ role }).where('id', '=', userId).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async count(filter = {}) {
      let query = db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n'));
      if (filter.roles !== undefined) {
        if (filter.roles.length === 0) return 0;
        query = query.where('role', 'in', [...filter.roles]);
      }
      const r = await query.executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
