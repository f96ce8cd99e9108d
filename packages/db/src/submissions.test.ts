import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { gradeNext, makeExercise, makeUser, result, submit } from '../test/fixtures.ts';
import { gradingResultFromReport } from './index.ts';

describe.each(DIALECTS)('submissions on %s', (dialect) => {
  const t = useTestDb(dialect);

  async function course() {
    const teacher = await makeUser(t.db, 'instructor');
    const c = await t.db.courses.create({ title: 'OS 101', ownerId: teacher.id });
    if (c.kind !== 'ok') throw new Error(c.reason);
    return c.course;
  }

  it('stores a submission as pending and enqueues its job in the same step', async () => {
    const u = await makeUser(t.db);
    const hash = await makeExercise(t.db, 'cow');
    const r = await t.db.submissions.create({
      userId: u.id,
      exerciseId: 'cow',
      exerciseHash: hash,
      code: 'my code',
    });
    expect(r).toEqual({
      kind: 'ok',
      submission: {
        id: expect.any(String),
        userId: u.id,
        exerciseId: 'cow',
        exerciseHash: hash,
        assignmentId: null,
        code: 'my code',
        status: 'pending',
        createdAt: START,
      },
    });
    if (r.kind !== 'ok') return;
    expect(await t.db.submissions.get(r.submission.id)).toEqual(r.submission);
    expect(await t.db.queue.pending()).toEqual({ waiting: 1, running: 0, stalled: 0 });
    expect((await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }))?.submissionId).toBe(r.submission.id);
  });

  it('tells a submission’s state alone: pending, then graded; null for one that does not exist', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    const id = await submit(t.db, u, 'cow');
    expect(await t.db.submissions.status(id)).toBe('pending');
    await gradeNext(t.db, result());
    expect(await t.db.submissions.status(id)).toBe('graded');
    expect(await t.db.submissions.status('no-such-submission')).toBeNull();
  });

  it('stores neither the submission nor a job when the submission cannot be stored', async () => {
    await makeExercise(t.db, 'cow');
    await expect(
      t.db.submissions.create({
        userId: 'no-such-user',
        exerciseId: 'cow',
        exerciseHash: 'cow-v1',
        code: 'x',
      }),
    ).rejects.toThrow();
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });
  });

  it('refuses a version that does not exist or is another exercise’s', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    const base = { userId: u.id, code: 'x' };
    expect(await t.db.submissions.create({ ...base, exerciseId: 'cow', exerciseHash: 'nope' })).toEqual({
      kind: 'err',
      reason: 'unknown-version',
    });
    expect(await t.db.submissions.create({ ...base, exerciseId: 'cow', exerciseHash: 'swap-v1' })).toEqual({
      kind: 'err',
      reason: 'version-of-another-exercise',
    });
  });

  it('checks an assignment: known, lists the exercise, released, and not past a refusing due date', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    const c = await course();
    const make = async (latePolicy: { kind: 'refuse' } | { kind: 'accept'; penaltyPercent: number }) => {
      const a = await t.db.assignments.create({
        courseId: c.id,
        title: 'Week 1',
        exerciseIds: ['cow'],
        releaseAt: START + 1000,
        dueAt: START + 2000,
        latePolicy,
        hiddenTests: 'points',
      });
      if (a.kind !== 'ok') throw new Error(a.reason);
      return a.assignment.id;
    };
    const refusing = await make({ kind: 'refuse' });
    const accepting = await make({ kind: 'accept', penaltyPercent: 20 });
    const base = { userId: u.id, exerciseId: 'cow', exerciseHash: 'cow-v1', code: 'x' };
    const create = (assignmentId: string, exerciseId = 'cow') =>
      t.db.submissions.create({ ...base, exerciseId, exerciseHash: `${exerciseId}-v1`, assignmentId });

    expect(await create('no-such-assignment')).toEqual({ kind: 'err', reason: 'unknown-assignment' });
    expect(await create(refusing, 'swap')).toEqual({ kind: 'err', reason: 'not-in-assignment' });
    expect(await create(refusing)).toEqual({ kind: 'err', reason: 'not-released' });
    t.clock.set(START + 1000);
    expect((await create(refusing)).kind).toBe('ok');
    t.clock.set(START + 2000); // the due moment itself is on time
    expect((await create(refusing)).kind).toBe('ok');
    t.clock.set(START + 2001);
    expect(await create(refusing)).toEqual({ kind: 'err', reason: 'past-due' });
    expect((await create(accepting)).kind).toBe('ok');
  });

  it('keeps a graded submission’s verdict, score, report and tests, and lists without them', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    const id = await submit(t.db, u, 'cow', { code: 'secret code' });
    t.clock.advance(777);
    await gradeNext(t.db, result(['hidden cow']));
    const s = await t.db.submissions.get(id);
    expect(s).toMatchObject({
      id,
      status: 'graded',
      verdict: 'fail',
      score: 20,
      maxScore: 30,
      gradedAt: START + 777,
      code: 'secret code',
    });
    const [listed] = await t.db.submissions.listForUser(u.id);
    expect(listed).toEqual({
      id,
      userId: u.id,
      exerciseId: 'cow',
      exerciseHash: 'cow-v1',
      assignmentId: null,
      createdAt: START,
      status: 'graded',
      verdict: 'fail',
      score: 20,
      maxScore: 30,
      gradedAt: START + 777,
    });
  });

  it('lists a user’s submissions newest first, filtered and limited', async () => {
    const u = await makeUser(t.db);
    const other = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    const ids: string[] = [];
    for (const ex of ['cow', 'swap', 'cow', 'swap', 'cow']) {
      ids.push(await submit(t.db, u, ex));
      t.clock.advance(1000);
    }
    await submit(t.db, other, 'cow');
    expect((await t.db.submissions.listForUser(u.id)).map((s) => s.id)).toEqual([...ids].reverse());
    expect((await t.db.submissions.listForUser(u.id, { exerciseId: 'cow' })).map((s) => s.id)).toEqual([
      ids[4],
      ids[2],
      ids[0],
    ]);
    expect((await t.db.submissions.listForUser(u.id, { limit: 2 })).map((s) => s.id)).toEqual([
      ids[4],
      ids[3],
    ]);
    expect(await t.db.submissions.listForUser('nobody')).toEqual([]);
  });

  it('sums up a learner’s best per exercise', async () => {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    await makeExercise(t.db, 'tlb');
    await submit(t.db, u, 'cow');
    await gradeNext(t.db, result(['hidden cow', 'hidden swap'])); // 10
    t.clock.advance(10);
    await submit(t.db, u, 'cow');
    await gradeNext(t.db, result([])); // 30, pass
    t.clock.advance(10);
    await submit(t.db, u, 'cow');
    await gradeNext(t.db, result(['hidden swap'])); // 20
    t.clock.advance(10);
    await submit(t.db, u, 'swap');
    await gradeNext(t.db, result(['visible basics'])); // 20, fail
    t.clock.advance(10);
    await submit(t.db, u, 'tlb'); // still pending
    expect(await t.db.submissions.bestByExercise(u.id)).toEqual([
      {
        exerciseId: 'cow',
        attempts: 3,
        bestScore: 30,
        maxScore: 30,
        passed: true,
        lastSubmittedAt: START + 20,
      },
      {
        exerciseId: 'swap',
        attempts: 1,
        bestScore: 20,
        maxScore: 30,
        passed: false,
        lastSubmittedAt: START + 30,
      },
      {
        exerciseId: 'tlb',
        attempts: 1,
        bestScore: null,
        maxScore: null,
        passed: false,
        lastSubmittedAt: START + 40,
      },
    ]);
  });

  it('shows instructors recent submissions with who made them and why grading failed', async () => {
    const ada = await makeUser(t.db, 'learner', 'ada');
    const bob = await makeUser(t.db, 'learner', 'bob');
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    const c = await course();
    const a = await t.db.assignments.create({
      courseId: c.id,
      title: 'Week 1',
      exerciseIds: ['cow'],
      releaseAt: START,
      dueAt: START + 1_000_000,
      latePolicy: { kind: 'none' },
      hiddenTests: 'hints',
    });
    if (a.kind !== 'ok') throw new Error(a.reason);
    const s1 = await submit(t.db, ada, 'cow', { assignmentId: a.assignment.id });
    t.clock.advance(1);
    const s2 = await submit(t.db, bob, 'cow');
    t.clock.advance(1);
    const s3 = await submit(t.db, bob, 'swap', { code: 'poison' });
    const job1 = (await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }))!;
    await t.db.queue.complete(job1, result([]));
    await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }); // s2 stays leased
    const job3 = (await t.db.queue.claim({ workerId: 'w', leaseMs: 1000 }))!;
    await t.db.queue.fail(job3, 'the worker could not load the exercise', { retry: false });

    const all = await t.db.submissions.recent({ limit: 10 });
    expect(all.map((s) => [s.id, s.userEmail, s.status])).toEqual([
      [s3, 'bob@example.edu', 'grading-failed'],
      [s2, 'bob@example.edu', 'pending'],
      [s1, 'ada@example.edu', 'graded'],
    ]);
    expect(all[0]).toMatchObject({
      userDisplayName: 'bob',
      verdict: 'error',
      failureReason: 'grading failed 1 time: the worker could not load the exercise',
    });
    expect((await t.db.submissions.recent({ courseId: c.id, limit: 10 })).map((s) => s.id)).toEqual([s1]);
    expect(
      (await t.db.submissions.recent({ assignmentId: a.assignment.id, limit: 10 })).map((s) => s.id),
    ).toEqual([s1]);
    expect((await t.db.submissions.recent({ userId: bob.id, limit: 10 })).map((s) => s.id)).toEqual([s3, s2]);
    expect((await t.db.submissions.recent({ exerciseId: 'cow', limit: 10 })).map((s) => s.id)).toEqual([
      s2,
      s1,
    ]);
    expect((await t.db.submissions.recent({ limit: 1 })).map((s) => s.id)).toEqual([s3]);

    // What a learner's own history shows of the failure: that it failed, not why.
    const [mine] = await t.db.submissions.listForUser(bob.id);
    expect(mine).toMatchObject({ status: 'grading-failed', verdict: 'error' });
    expect(mine).not.toHaveProperty('failureReason');
  });

  it('builds a result from a grader report, mapping its point names', () => {
    const report = {
      schemaVersion: 3,
      status: 'fail' as const,
      score: 5,
      maxScore: 15,
      exercise: 'cow',
      tests: [
        {
          name: 'a',
          status: 'pass' as const,
          points: 5,
          maxPoints: 5,
          visibility: 'visible' as const,
          message: '',
        },
        {
          name: 'b',
          status: 'timeout' as const,
          points: 0,
          maxPoints: 10,
          visibility: 'hidden' as const,
          message: 'x',
        },
      ],
    };
    expect(gradingResultFromReport(report)).toEqual({
      verdict: 'fail',
      score: 5,
      maxScore: 15,
      report,
      tests: [
        { name: 'a', visibility: 'visible', status: 'pass', points: 5, earned: 5 },
        { name: 'b', visibility: 'hidden', status: 'timeout', points: 10, earned: 0 },
      ],
    });
  });
});
