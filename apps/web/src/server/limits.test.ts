import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDatabase, type User } from '@faultline/db';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { RATE_LIMITS, rateLimited } from './limits.ts';

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

test('sign-ins are counted per address and, whatever address is claimed, per account', async () => {
  const { max } = RATE_LIMITS.signinAccount;
  for (let i = 0; i < max; i++)
    expect(
      await rateLimited(db, request(`198.51.100.${i}`), 'signinAccount', { email: 'Ada@Example.org ' }),
    ).toBeNull();
  expect(
    (await rateLimited(db, request('192.0.2.1'), 'signinAccount', { email: 'ada@example.org' }))?.status,
  ).toBe(429);
  // Another account is not held up by it.
  expect(
    await rateLimited(db, request('192.0.2.1'), 'signinAccount', { email: 'bob@example.org' }),
  ).toBeNull();
});
