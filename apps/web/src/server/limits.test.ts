import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDatabase, type User } from '@faultline/db';
import { afterEach, beforeEach, expect, test } from 'vitest';
import {
  countFailedSignIn,
  forgetFailedSignIns,
  RATE_LIMITS,
  rateLimited,
  tooManyFailedSignIns,
} from './limits.ts';

let dir: string;
let db: Db;
let now = 1_700_000_000_000;
let user: User;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-limits-'));
  db = await openDatabase(`sqlite:${join(dir, 'test.db')}`, { clock: { now: () => now } });
  await db.migrate();
  const created = await db.users.create({
    email: 'l@example.org',
    passwordHash: 'x',
    displayName: 'L',
    role: 'learner',
  });
  if (created.kind !== 'ok') throw new Error('setup');
  user = created.user;
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const request = (ip = '203.0.113.7') =>
  new Request('http://localhost/api/x', { headers: { 'x-forwarded-for': ip } });

test('submissions: the limit per learner, then a 429 that says when to come back, then allowed again', async () => {
  const { max, windowMs } = RATE_LIMITS.submit;
  for (let i = 0; i < max; i++) expect(await rateLimited(db, request(), 'submit', { user })).toBeNull();
  const refused = await rateLimited(db, request(), 'submit', { user });
  if (refused === null) throw new Error(`submission ${max + 1} was let through`);
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe(String(windowMs / 1000));
  expect(((await refused.json()) as { error: string }).error).toBe(
    `Too many submissions: at most ${max} per minute. Try again in ${windowMs / 1000} s.`,
  );
  now += windowMs;
  expect(await rateLimited(db, request(), 'submit', { user })).toBeNull();
});

test('failed sign-ins lock the account they name, whatever address is claimed; a success starts the count again', async () => {
  const { max } = RATE_LIMITS.signinFailures;
  for (let i = 0; i < max - 1; i++) await countFailedSignIn(db, 'Ada@Example.org ');
  // One more failure is allowed; a success now would forget them all.
  expect(await tooManyFailedSignIns(db, 'ada@example.org')).toBeNull();
  await forgetFailedSignIns(db, 'ada@example.org');
  for (let i = 0; i < max; i++) await countFailedSignIn(db, 'ada@example.org');
  const locked = await tooManyFailedSignIns(db, 'ada@example.org');
  expect(locked?.status).toBe(429);
  expect(((await locked?.json()) as { error: string } | undefined)?.error).toMatch(
    /^Too many failed sign-ins for this account/,
  );
  // Another account is not held up by it, and the lock ends with its window.
  expect(await tooManyFailedSignIns(db, 'bob@example.org')).toBeNull();
  now += RATE_LIMITS.signinFailures.windowMs;
  expect(await tooManyFailedSignIns(db, 'ada@example.org')).toBeNull();
});

test('a made-up address per request still meets the limit on everyone', async () => {
  const { max } = RATE_LIMITS.signupEveryone;
  for (let i = 0; i < max; i++)
    expect(
      await rateLimited(db, request(`198.51.${i >> 8}.${i & 255}`), 'signupEveryone', 'everyone'),
    ).toBeNull();
  expect((await rateLimited(db, request('192.0.2.99'), 'signupEveryone', 'everyone'))?.status).toBe(429);
});
