import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDatabase } from '@faultline/db';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  authenticate,
  createAccount,
  endSession,
  SESSION_TTL_MS,
  sessionUser,
  startSession,
} from './accounts.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { tokenHash } from './tokens.ts';

let dir: string;
let db: Db;
let now = 1_700_000_000_000;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-accounts-'));
  db = await openDatabase(`sqlite:${join(dir, 'test.db')}`, { clock: { now: () => now } });
  await db.migrate();
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const ada = {
  email: '  Ada@Example.org ',
  password: 'correct horse battery',
  displayName: 'Ada',
  role: 'learner',
} as const;

describe('sign up', () => {
  test('creates a learner with a normalised email and an Argon2id hash, never the password', async () => {
    const created = await createAccount(db, ada);
    expect(created.kind).toBe('ok');
    const stored = await db.users.credentialsByEmail('ada@example.org');
    expect(stored?.user.email).toBe('ada@example.org');
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored?.passwordHash).not.toContain('correct horse');
  });

  test('each field problem is named by its field', async () => {
    const created = await createAccount(db, {
      email: 'nope',
      password: 'short',
      displayName: ' ',
      role: 'learner',
    });
    expect(created).toEqual({
      kind: 'err',
      problems: {
        email: 'must be an email address, like ada@example.org',
        password: 'must be at least 10 characters',
        displayName: 'must not be empty',
      },
    });
  });

  test('a second account with the same email (in any case) is refused', async () => {
    await createAccount(db, ada);
    const again = await createAccount(db, { ...ada, email: 'ADA@example.org' });
    expect(again).toEqual({
      kind: 'err',
      problems: { email: 'is already used by another account: sign in instead' },
    });
  });

  test('wrong types are field problems, not crashes', async () => {
    const created = await createAccount(db, { email: 42, password: null, displayName: {}, role: 'learner' });
    expect(created.kind === 'err' && Object.keys(created.problems).sort()).toEqual([
      'displayName',
      'email',
      'password',
    ]);
  });
});

describe('sign in', () => {
  test('the right password signs in; a wrong one, an unknown email and junk do not', async () => {
    await createAccount(db, ada);
    expect((await authenticate(db, 'ADA@example.org', ada.password)).kind).toBe('ok');
    expect(await authenticate(db, 'ada@example.org', 'correct horse battery!')).toEqual({ kind: 'err' });
    expect(await authenticate(db, 'bob@example.org', ada.password)).toEqual({ kind: 'err' });
    expect(await authenticate(db, undefined, undefined)).toEqual({ kind: 'err' });
    expect(await authenticate(db, 'ada@example.org', 'x'.repeat(10_000))).toEqual({ kind: 'err' });
  });

  test('a stored hash that is not one never verifies and never throws', async () => {
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
    expect(await verifyPassword(await hashPassword('x'), 'x')).toBe(true);
  });
});

describe('sessions', () => {
  test('a session finds its user until it expires or ends; the database keeps only the token hash', async () => {
    const created = await createAccount(db, ada);
    if (created.kind !== 'ok') throw new Error('setup');
    const session = await startSession(db, created.user.id, now);
    expect(session.expiresAt).toBe(now + SESSION_TTL_MS);
    expect((await sessionUser(db, session.token))?.id).toBe(created.user.id);
    expect(await db.sessions.find(session.token)).toBeNull();
    expect((await db.sessions.find(tokenHash(session.token)))?.user.id).toBe(created.user.id);

    now += SESSION_TTL_MS + 1;
    expect(await sessionUser(db, session.token)).toBeNull();

    now -= SESSION_TTL_MS;
    const second = await startSession(db, created.user.id, now);
    await endSession(db, second.token);
    expect(await sessionUser(db, second.token)).toBeNull();
  });

  test('malformed tokens are no one', async () => {
    expect(await sessionUser(db, undefined)).toBeNull();
    expect(await sessionUser(db, '')).toBeNull();
    expect(await sessionUser(db, "' OR 1=1 --")).toBeNull();
  });
});
