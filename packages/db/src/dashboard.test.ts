import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { gradeNext, makeExercise, makeUser, result, submit } from '../test/fixtures.ts';
import { median } from './dashboard.ts';
import type { GradingResult, User } from './index.ts';

/** B's second swap attempt: stopped at a time limit in 'hidden cow'; 'hidden swap' never ran. */
const timedOut: GradingResult = {
  verdict: 'timeout',
  score: 10,
  maxScore: 30,
  report: { status: 'timeout' },
  tests: [
    { name: 'visible basics', visibility: 'visible', status: 'pass', points: 10, earned: 10 },
    { name: 'hidden cow', visibility: 'hidden', status: 'timeout', points: 10, earned: 0 },
    { name: 'hidden swap', visibility: 'hidden', status: 'skipped', points: 10, earned: 0 },
  ],
};

const DUE = START + 10_000;

describe.each(DIALECTS)('the assignment dashboard on %s', (dialect) => {
  const t = useTestDb(dialect);

  /**
   * The fixed data set. Learners a, b, c, d (d never submits) and the
   * instructor t, in a course; one assignment of cow and swap, due at DUE,
   * late work accepted at 50% off. Each line: who, exercise, which tests
   * fail (score = 30 - 10 per failing test), and whether it is late.
   *
   *   cow:  a fail(hidden cow)=20, a pass=30
   *         b pass=30
   *         c fail(hidden cow, hidden swap)=10, c fail(hidden cow)=20, c fail(visible basics)=20, c pass=30 LATE
   *         t pass (instructor: not counted)   a fail outside the assignment (not counted)
   *   swap: a fail(hidden swap)=20, a pass=30
   *         b fail(hidden swap)=20, b timeout=10 (hidden cow timed out, hidden swap skipped), b pending
   *         c pass=30 LATE
   */
  async function dataSet() {
    const teacher = await makeUser(t.db, 'instructor', 't');
    const c = await t.db.courses.create({ title: 'VM', ownerId: teacher.id });
    if (c.kind !== 'ok') throw new Error(c.reason);
    const learners: Record<string, User> = {};
    for (const name of ['c', 'a', 'd', 'b']) {
      learners[name] = await makeUser(t.db, 'learner', name);
      await t.db.courses.join(c.course.joinCode, learners[name].id);
    }
    await makeExercise(t.db, 'cow');
    await makeExercise(t.db, 'swap');
    const created = await t.db.assignments.create({
      courseId: c.course.id,
      title: 'Week 3',
      exerciseIds: ['cow', 'swap'],
      releaseAt: START,
      dueAt: DUE,
      latePolicy: { kind: 'accept', penaltyPercent: 50 },
      hiddenTests: 'hints',
    });
    if (created.kind !== 'ok') throw new Error(created.reason);
    const assignmentId = created.assignment.id;

    const ids: Record<string, string> = {};
    const at = async (
      label: string,
      time: number,
      who: User,
      exercise: string,
      r: GradingResult | null,
      inAssignment = true,
    ) => {
      t.clock.set(time);
      ids[label] = await submit(t.db, who, exercise, inAssignment ? { assignmentId } : {});
      if (r) await gradeNext(t.db, r);
    };
    const { a, b, c: cc } = learners as { a: User; b: User; c: User };
    await at('a-cow-1', START + 100, a, 'cow', result(['hidden cow']));
    await at('c-cow-1', START + 200, cc, 'cow', result(['hidden cow', 'hidden swap']));
    await at('b-cow-1', START + 300, b, 'cow', result([]));
    await at('a-cow-2', START + 400, a, 'cow', result([]));
    await at('c-cow-2', START + 500, cc, 'cow', result(['hidden cow']));
    await at('c-cow-3', START + 600, cc, 'cow', result(['visible basics']));
    await at('t-cow-1', START + 650, teacher, 'cow', result([]));
    await at('a-cow-x', START + 660, a, 'cow', result(['hidden cow']), false);
    await at('a-swap-1', START + 700, a, 'swap', result(['hidden swap']));
    await at('b-swap-1', START + 800, b, 'swap', result(['hidden swap']));
    await at('a-swap-2', START + 900, a, 'swap', result([]));
    await at('b-swap-2', START + 1000, b, 'swap', timedOut);
    await at('c-cow-4', DUE + 1, cc, 'cow', result([]));
    await at('c-swap-1', DUE + 2, cc, 'swap', result([]));
    await at('b-swap-3', DUE + 3, b, 'swap', null);
    return { assignmentId, ids, learners, created: created.assignment };
  }

  it('counts attempts, pass rates, the median attempts to pass and test failures', async () => {
    const { assignmentId, created } = await dataSet();
    const stats = await t.db.dashboard.assignment(assignmentId);
    expect(stats).toEqual({
      assignment: created,
      learners: 4,
      // cow 2 + 1 + 4, swap 2 + 3 + 1 (b's pending one counts as an attempt)
      attempts: 13,
      learnersAttempted: 3,
      // a and c passed both; b passed only cow
      learnersCompleted: 2,
      exercises: [
        {
          exerciseId: 'cow',
          attempts: 7,
          learnersAttempted: 3,
          learnersPassed: 3,
          passRate: 1,
          // attempts to pass: a 2, b 1, c 4 → sorted 1, 2, 4 → 2
          medianAttemptsToPass: 2,
          // 7 graded learner submissions, each running all three tests
          tests: [
            { name: 'hidden cow', visibility: 'hidden', runs: 7, failed: 3, failShare: 3 / 7 },
            { name: 'hidden swap', visibility: 'hidden', runs: 7, failed: 1, failShare: 1 / 7 },
            { name: 'visible basics', visibility: 'visible', runs: 7, failed: 1, failShare: 1 / 7 },
          ],
        },
        {
          exerciseId: 'swap',
          attempts: 6,
          learnersAttempted: 3,
          learnersPassed: 2,
          passRate: 2 / 3,
          // attempts to pass: a 2, c 1 → (1 + 2) / 2
          medianAttemptsToPass: 1.5,
          // 5 graded submissions; hidden swap was skipped in b's timed-out one
          tests: [
            { name: 'hidden swap', visibility: 'hidden', runs: 4, failed: 2, failShare: 0.5 },
            { name: 'hidden cow', visibility: 'hidden', runs: 5, failed: 1, failShare: 0.2 },
            { name: 'visible basics', visibility: 'visible', runs: 5, failed: 0, failShare: 0 },
          ],
        },
      ],
    });
  });

  it('exports each learner’s best per exercise, after the late penalty', async () => {
    const { assignmentId, ids, learners } = await dataSet();
    const rows = await t.db.dashboard.grades(assignmentId);
    const row = (who: string, exerciseId: string, attempts: number, best: unknown) => ({
      userId: learners[who]!.id,
      email: `${who}@example.edu`,
      displayName: who,
      exerciseId,
      attempts,
      best,
    });
    const best = (label: string, score: number, finalScore: number, submittedAt: number, late: boolean) => ({
      submissionId: ids[label],
      score,
      finalScore,
      maxScore: 30,
      submittedAt,
      late,
    });
    expect(rows).toEqual([
      row('a', 'cow', 2, best('a-cow-2', 30, 30, START + 400, false)),
      row('a', 'swap', 2, best('a-swap-2', 30, 30, START + 900, false)),
      row('b', 'cow', 1, best('b-cow-1', 30, 30, START + 300, false)),
      row('b', 'swap', 3, best('b-swap-1', 20, 20, START + 800, false)),
      // c's late pass is worth 30 × 50% = 15, less than the 20 on time (the earlier of two 20s)
      row('c', 'cow', 4, best('c-cow-2', 20, 20, START + 500, false)),
      row('c', 'swap', 1, best('c-swap-1', 30, 15, DUE + 2, true)),
      row('d', 'cow', 0, null),
      row('d', 'swap', 0, null),
    ]);
  });

  it('has nothing for an unknown assignment, and empty figures for one nobody tried', async () => {
    expect(await t.db.dashboard.assignment('nope')).toBeNull();
    expect(await t.db.dashboard.grades('nope')).toBeNull();
    const teacher = await makeUser(t.db, 'instructor');
    const c = await t.db.courses.create({ title: 'Empty', ownerId: teacher.id });
    if (c.kind !== 'ok') throw new Error(c.reason);
    await makeExercise(t.db, 'cow');
    const a = await t.db.assignments.create({
      courseId: c.course.id,
      title: 'Nobody',
      exerciseIds: ['cow'],
      releaseAt: START,
      dueAt: START,
      latePolicy: { kind: 'none' },
      hiddenTests: 'points',
    });
    if (a.kind !== 'ok') throw new Error(a.reason);
    expect((await t.db.dashboard.assignment(a.assignment.id))?.exercises).toEqual([
      {
        exerciseId: 'cow',
        attempts: 0,
        learnersAttempted: 0,
        learnersPassed: 0,
        passRate: null,
        medianAttemptsToPass: null,
        tests: [],
      },
    ]);
    expect(await t.db.dashboard.grades(a.assignment.id)).toEqual([]);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([4, 1, 2])).toBe(2);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});
