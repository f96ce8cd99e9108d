import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { makeUser } from '../test/fixtures.ts';

describe.each(DIALECTS)('users and sessions on %s', (dialect) => {
  const t = useTestDb(dialect);

  it('creates a user with a normalised email and finds it by email and id', async () => {
    const r = await t.db.users.create({
      email: '  Ada.Lovelace@Example.EDU ',
      passwordHash: 'argon2id$…',
      displayName: ' Ada ',
      role: 'author',
    });
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.user).toEqual({
      id: expect.any(String),
      email: 'ada.lovelace@example.edu',
      displayName: 'Ada',
      role: 'author',
      createdAt: START,
    });
    expect(await t.db.users.byEmail('ADA.LOVELACE@example.edu')).toEqual(r.user);
    expect(await t.db.users.byId(r.user.id)).toEqual(r.user);
    expect(await t.db.users.byId('nobody')).toBeNull();
    expect(await t.db.users.byEmail('nobody@example.edu')).toBeNull();
    // The hash is only given out for signing in.
    expect(r.user).not.toHaveProperty('passwordHash');
    expect(await t.db.users.credentialsByEmail(' ada.lovelace@example.edu')).toEqual({
      user: r.user,
      passwordHash: 'argon2id$…',
    });
    expect(await t.db.users.setPasswordHash(r.user.id, 'new-hash')).toBe(true);
    expect((await t.db.users.credentialsByEmail('ada.lovelace@example.edu'))?.passwordHash).toBe('new-hash');
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    await makeUser(t.db, 'learner', 'grace');
    const again = await t.db.users.create({
      email: 'GRACE@example.edu',
      passwordHash: 'x',
      displayName: 'Grace 2',
      role: 'learner',
    });
    expect(again).toEqual({ kind: 'err', reason: 'email-taken' });
    expect(await t.db.users.count()).toBe(1);
  });

  it('changes roles and counts users', async () => {
    expect(await t.db.users.count()).toBe(0);
    const u = await makeUser(t.db, 'learner');
    await makeUser(t.db, 'instructor');
    expect(await t.db.users.count()).toBe(2);
    expect(await t.db.users.count({ roles: ['instructor', 'author'] })).toBe(1);
    expect(await t.db.users.count({ roles: [] })).toBe(0);
    expect(await t.db.users.setRole(u.id, 'instructor')).toBe(true);
    expect(await t.db.users.count({ roles: ['instructor'] })).toBe(2);
    expect((await t.db.users.byId(u.id))?.role).toBe('instructor');
    expect(await t.db.users.setRole('nobody', 'author')).toBe(false);
  });

  it('finds a live session with its user, never an expired one', async () => {
    const u = await makeUser(t.db);
    const session = await t.db.sessions.create({ userId: u.id, tokenHash: 'h1', expiresAt: START + 1000 });
    expect(session).toEqual({
      tokenHash: 'h1',
      userId: u.id,
      createdAt: START,
      lastSeenAt: START,
      expiresAt: START + 1000,
    });
    expect(await t.db.sessions.find('h1')).toEqual({ session, user: u });
    expect(await t.db.sessions.find('unknown')).toBeNull();

    t.clock.advance(999);
    expect(await t.db.sessions.touch('h1')).toBe(true);
    expect((await t.db.sessions.find('h1'))?.session.lastSeenAt).toBe(START + 999);
    t.clock.advance(1); // exactly at expiresAt: expired
    expect(await t.db.sessions.find('h1')).toBeNull();
    expect(await t.db.sessions.touch('h1')).toBe(false);
    expect(await t.db.sessions.extend('h1', START + 10_000)).toBe(false);
  });

  it('extends a live session', async () => {
    const u = await makeUser(t.db);
    await t.db.sessions.create({ userId: u.id, tokenHash: 'h1', expiresAt: START + 1000 });
    t.clock.advance(500);
    expect(await t.db.sessions.extend('h1', START + 5000)).toBe(true);
    t.clock.advance(2000);
    expect((await t.db.sessions.find('h1'))?.session).toMatchObject({
      expiresAt: START + 5000,
      lastSeenAt: START + 500,
    });
  });

  it('deletes one session, a user’s sessions, and expired ones', async () => {
    const a = await makeUser(t.db);
    const b = await makeUser(t.db);
    await t.db.sessions.create({ userId: a.id, tokenHash: 'a1', expiresAt: START + 100 });
    await t.db.sessions.create({ userId: a.id, tokenHash: 'a2', expiresAt: START + 10_000 });
    await t.db.sessions.create({ userId: a.id, tokenHash: 'a3', expiresAt: START + 10_000 });
    await t.db.sessions.create({ userId: b.id, tokenHash: 'b1', expiresAt: START + 100 });
    await t.db.sessions.create({ userId: b.id, tokenHash: 'b2', expiresAt: START + 10_000 });

    expect(await t.db.sessions.delete('a3')).toBe(true);
    expect(await t.db.sessions.delete('a3')).toBe(false);
    t.clock.advance(100);
    expect(await t.db.sessions.deleteExpired()).toBe(2);
    expect(await t.db.sessions.deleteForUser(b.id)).toBe(1);
    expect(await t.db.sessions.find('a2')).not.toBeNull();
    await t.db.sessions.create({ userId: a.id, tokenHash: 'a4', expiresAt: START + 10_000 });
    expect(await t.db.sessions.deleteForUser(a.id, { exceptTokenHash: 'a4' })).toBe(1);
    expect(await t.db.sessions.find('a4')).not.toBeNull();
  });
});
