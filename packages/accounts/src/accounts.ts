/**
 * Accounts over the database: sign up, sign in, sessions. The web app's
 * routes and `faultline user add` both come through here, so the rules (what
 * a password must be, how it is hashed, how long a session lasts) have one
 * owner.
 */
import type { Db, User } from '@faultline/db';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';
import { type FieldProblems, type Role, SignUpSchema, signUpProblems } from './signup.ts';
import { newToken, tokenHash } from './tokens.ts';

/** Two weeks from sign-in; signing in again starts a new one. */
export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export type CreateAccountResult =
  | { readonly kind: 'ok'; readonly user: User }
  | { readonly kind: 'err'; readonly problems: FieldProblems };

export async function createAccount(
  db: Db,
  input: {
    readonly email: unknown;
    readonly password: unknown;
    readonly displayName: unknown;
    readonly role: Role;
  },
): Promise<CreateAccountResult> {
  const parsed = SignUpSchema.safeParse(input);
  if (!parsed.success) return { kind: 'err', problems: signUpProblems(parsed.error) };
  const { email, password, displayName } = parsed.data;
  const created = await db.users.create({
    email,
    displayName,
    role: input.role,
    passwordHash: await hashPassword(password),
  });
  if (created.kind === 'err')
    return { kind: 'err', problems: { email: 'is already used by another account: sign in instead' } };
  return { kind: 'ok', user: created.user };
}

export type AuthenticateResult = { readonly kind: 'ok'; readonly user: User } | { readonly kind: 'err' };

/** The same answer, and about the same time, for an unknown email as for a wrong password. */
export async function authenticate(db: Db, email: unknown, password: unknown): Promise<AuthenticateResult> {
  if (typeof email !== 'string' || typeof password !== 'string' || password.length > 256) {
    await verifyPassword(await decoyHash(), 'x');
    return { kind: 'err' };
  }
  const found = await db.users.credentialsByEmail(email);
  if (found === null) {
    await verifyPassword(await decoyHash(), password);
    return { kind: 'err' };
  }
  return (await verifyPassword(found.passwordHash, password))
    ? { kind: 'ok', user: found.user }
    : { kind: 'err' };
}

export interface StartedSession {
  /** For the cookie only: the database keeps its hash. */
  readonly token: string;
  readonly expiresAt: number;
}

export async function startSession(db: Db, userId: string, now: number): Promise<StartedSession> {
  const token = newToken();
  const expiresAt = now + SESSION_TTL_MS;
  await db.sessions.create({ userId, tokenHash: tokenHash(token), expiresAt });
  return { token, expiresAt };
}

/** The signed-in user for a cookie's token, or null (unknown, expired or malformed). */
export async function sessionUser(db: Db, token: string | undefined): Promise<User | null> {
  if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const found = await db.sessions.find(tokenHash(token));
  return found === null ? null : found.user;
}

export async function endSession(db: Db, token: string | undefined): Promise<void> {
  if (token === undefined) return;
  await db.sessions.delete(tokenHash(token));
}
