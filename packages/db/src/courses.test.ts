import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { makeExercise, makeUser } from '../test/fixtures.ts';
import { JOIN_CODE_ALPHABET, type NewAssignment } from './index.ts';

describe.each(DIALECTS)('courses and assignments on %s', (dialect) => {
  const t = useTestDb(dialect);

  async function course(title = 'Virtual memory') {
    const owner = await makeUser(t.db, 'instructor');
    const r = await t.db.courses.create({ title, ownerId: owner.id });
    if (r.kind !== 'ok') throw new Error(r.reason);
    return { owner, course: r.course };
  }

  it('creates a course with a typeable, unique join code; its owner is its instructor', async () => {
    const { owner, course: c } = await course();
    expect(c).toEqual({
      id: expect.any(String),
      title: 'Virtual memory',
      ownerId: owner.id,
      joinCode: expect.stringMatching(new RegExp(`^[${JOIN_CODE_ALPHABET}]{8}$`)),
      createdAt: START,
    });
    expect(await t.db.courses.roleIn(c.id, owner.id)).toBe('instructor');
    expect(await t.db.courses.get(c.id)).toEqual(c);
    const codes = new Set([c.joinCode]);
    for (let i = 0; i < 5; i++) codes.add((await course(`c${i}`)).course.joinCode);
    expect(codes.size).toBe(6);
  });

  it('only lets instructors and authors own a course', async () => {
    const learner = await makeUser(t.db, 'learner');
    const author = await makeUser(t.db, 'author');
    expect(await t.db.courses.create({ title: 'x', ownerId: learner.id })).toEqual({
      kind: 'err',
      reason: 'not-an-instructor',
    });
    expect(await t.db.courses.create({ title: 'x', ownerId: 'nobody' })).toEqual({
      kind: 'err',
      reason: 'unknown-user',
    });
    expect((await t.db.courses.create({ title: 'x', ownerId: author.id })).kind).toBe('ok');
  });

  it('joins by code (as typed, in any case), idempotently; an unknown code is refused', async () => {
    const { owner, course: c } = await course();
    const u = await makeUser(t.db, 'learner', 'lin');
    const typed = ` ${c.joinCode.slice(0, 4).toLowerCase()}-${c.joinCode.slice(4)} `;
    expect(await t.db.courses.byJoinCode(typed)).toEqual(c);
    t.clock.advance(60_000);
    expect(await t.db.courses.join(typed, u.id)).toEqual({
      kind: 'ok',
      course: c,
      role: 'learner',
      joined: true,
    });
    expect(await t.db.courses.join(c.joinCode, u.id)).toEqual({
      kind: 'ok',
      course: c,
      role: 'learner',
      joined: false,
    });
    // The owner joining by code stays an instructor.
    expect(await t.db.courses.join(c.joinCode, owner.id)).toEqual({
      kind: 'ok',
      course: c,
      role: 'instructor',
      joined: false,
    });
    expect(await t.db.courses.join('ZZZZZZZZ', u.id)).toEqual({ kind: 'err', reason: 'unknown-code' });
    expect(await t.db.courses.byJoinCode('ZZZZZZZZ')).toBeNull();

    const members = await t.db.courses.members(c.id);
    expect(members.map((m) => [m.user.id, m.role])).toEqual([
      [owner.id, 'instructor'],
      [u.id, 'learner'],
    ]);
    expect(members[1]!.joinedAt).toBe(START + 60_000);
    expect(await t.db.courses.roleIn(c.id, u.id)).toBe('learner');
    expect(await t.db.courses.roleIn(c.id, 'nobody')).toBeNull();
  });

  it('lists a user’s courses with their role, and adds a second instructor', async () => {
    const a = await course('B course');
    const b = await course('A course');
    const u = await makeUser(t.db, 'instructor');
    await t.db.courses.join(a.course.joinCode, u.id);
    await t.db.courses.addMember(b.course.id, u.id, 'instructor');
    expect(await t.db.courses.forUser(u.id)).toEqual([
      { course: b.course, role: 'instructor' },
      { course: a.course, role: 'learner' },
    ]);
    await t.db.courses.addMember(a.course.id, u.id, 'instructor');
    expect(await t.db.courses.roleIn(a.course.id, u.id)).toBe('instructor');
    expect(await t.db.courses.forUser('nobody')).toEqual([]);
  });

  describe('assignments', () => {
    async function withExercises() {
      const c = await course();
      await makeExercise(t.db, 'page-fault');
      await makeExercise(t.db, 'cow');
      await makeExercise(t.db, 'swap');
      return c;
    }

    const draft = (courseId: string, overrides: Partial<NewAssignment> = {}): NewAssignment => ({
      courseId,
      title: 'Week 1',
      exerciseIds: ['swap', 'page-fault', 'cow'],
      releaseAt: START + 1000,
      dueAt: START + 100_000,
      latePolicy: { kind: 'accept', penaltyPercent: 25 },
      hiddenTests: 'messages-after-due',
      ...overrides,
    });

    it('creates one with its exercises in order, and reads it back', async () => {
      const { course: c } = await withExercises();
      const r = await t.db.assignments.create(draft(c.id));
      expect(r).toEqual({
        kind: 'ok',
        assignment: {
          id: expect.any(String),
          courseId: c.id,
          title: 'Week 1',
          exerciseIds: ['swap', 'page-fault', 'cow'],
          releaseAt: START + 1000,
          dueAt: START + 100_000,
          latePolicy: { kind: 'accept', penaltyPercent: 25 },
          hiddenTests: 'messages-after-due',
          createdAt: START,
        },
      });
      if (r.kind !== 'ok') return;
      expect(await t.db.assignments.get(r.assignment.id)).toEqual(r.assignment);
      expect(await t.db.assignments.get('nope')).toBeNull();
    });

    it('refuses what cannot be an assignment', async () => {
      const { course: c } = await withExercises();
      const create = (o: Partial<NewAssignment>) => t.db.assignments.create(draft(c.id, o));
      expect(await create({ courseId: 'nope' })).toEqual({ kind: 'err', reason: 'unknown-course' });
      expect(await create({ exerciseIds: [] })).toEqual({ kind: 'err', reason: 'no-exercises' });
      expect(await create({ exerciseIds: ['cow', 'cow'] })).toEqual({
        kind: 'err',
        reason: 'duplicate-exercise',
      });
      expect(await create({ exerciseIds: ['cow', 'ghost'] })).toEqual({
        kind: 'err',
        reason: 'unknown-exercise',
        exerciseId: 'ghost',
      });
      expect(await create({ dueAt: START })).toEqual({ kind: 'err', reason: 'due-before-release' });
      expect(await create({ latePolicy: { kind: 'accept', penaltyPercent: 101 } })).toEqual({
        kind: 'err',
        reason: 'bad-penalty',
      });
      expect(await t.db.assignments.listForCourse(c.id)).toEqual([]);
    });

    it('lists a course’s assignments by due date, and a learner’s released ones', async () => {
      const { course: c } = await withExercises();
      const other = await course('Other');
      const u = await makeUser(t.db, 'learner');
      await t.db.courses.join(c.joinCode, u.id);
      await t.db.assignments.create(draft(c.id, { title: 'Later', dueAt: START + 200_000 }));
      const sooner = await t.db.assignments.create(
        draft(c.id, { title: 'Sooner', latePolicy: { kind: 'refuse' }, hiddenTests: 'points' }),
      );
      await t.db.assignments.create(
        draft(c.id, {
          title: 'Unreleased',
          releaseAt: START + 50_000,
          dueAt: START + 150_000,
          latePolicy: { kind: 'none' },
        }),
      );
      await t.db.assignments.create(draft(other.course.id, { title: 'Not my course' }));
      expect((await t.db.assignments.listForCourse(c.id)).map((a) => a.title)).toEqual([
        'Sooner',
        'Unreleased',
        'Later',
      ]);
      expect(await t.db.assignments.forLearner(u.id)).toEqual([]);
      t.clock.set(START + 1000);
      const mine = await t.db.assignments.forLearner(u.id);
      expect(mine.map((a) => [a.title, a.courseTitle, a.latePolicy])).toEqual([
        ['Sooner', 'Virtual memory', { kind: 'refuse' }],
        ['Later', 'Virtual memory', { kind: 'accept', penaltyPercent: 25 }],
      ]);
      if (sooner.kind !== 'ok') throw new Error(sooner.reason);
      expect(mine[0]).toEqual({ ...sooner.assignment, courseTitle: 'Virtual memory' });
      t.clock.set(START + 50_000);
      expect((await t.db.assignments.forLearner(u.id)).map((a) => a.title)).toEqual([
        'Sooner',
        'Unreleased',
        'Later',
      ]);
    });
  });
});
