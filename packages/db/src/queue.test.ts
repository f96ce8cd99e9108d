import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { makeExercise, makeUser, result, submit } from '../test/fixtures.ts';
import type { ClaimedJob, Db } from './index.ts';

describe.each(DIALECTS)('the grading queue on %s', (dialect) => {
  const t = useTestDb(dialect);

  async function setup(n = 1): Promise<string[]> {
    const u = await makeUser(t.db);
    await makeExercise(t.db, 'cow');
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) t.clock.advance(1); // so that they have an order
      ids.push(await submit(t.db, u, 'cow'));
    }
    return ids;
  }

  it('hands out nothing when empty', async () => {
    expect(await t.db.queue.claim({ workerId: 'w1', leaseMs: 1000 })).toBeNull();
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });
  });

  it('hands out the oldest job first, each once, with a lease', async () => {
    const [first, second] = await setup(2);
    expect(await t.db.queue.pending()).toEqual({ waiting: 2, running: 0, stalled: 0 });
    const now = t.clock.now();
    const a = await t.db.queue.claim({ workerId: 'w1', leaseMs: 30_000 });
    expect(a).toEqual({
      jobId: expect.any(String),
      submissionId: first,
      attempt: 1,
      leaseToken: expect.any(String),
      leaseUntil: now + 30_000,
      workerId: 'w1',
    });
    const b = await t.db.queue.claim({ workerId: 'w2', leaseMs: 30_000 });
    expect(b?.submissionId).toBe(second);
    expect(await t.db.queue.claim({ workerId: 'w3', leaseMs: 30_000 })).toBeNull();
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 2, stalled: 0 });
  });

  it('stores the result once, with its per-test rows, and refuses a second complete', async () => {
    const [id] = await setup();
    const job = (await t.db.queue.claim({ workerId: 'w1', leaseMs: 30_000 }))!;
    t.clock.advance(2500);
    expect(await t.db.queue.complete(job, result(['hidden swap']))).toEqual({ kind: 'ok' });
    expect(await t.db.queue.complete(job, result([]))).toEqual({ kind: 'err', reason: 'already-completed' });
    expect(await t.db.queue.fail(job, 'late')).toEqual({ kind: 'err', reason: 'already-completed' });
    const s = await t.db.submissions.get(id!);
    expect(s).toMatchObject({
      status: 'graded',
      verdict: 'fail',
      score: 20,
      maxScore: 30,
      gradedAt: START + 2500,
    });
    if (s?.status !== 'graded') return;
    expect(s.tests).toEqual([
      { name: 'visible basics', visibility: 'visible', status: 'pass', points: 10, earned: 10 },
      { name: 'hidden cow', visibility: 'hidden', status: 'pass', points: 10, earned: 10 },
      { name: 'hidden swap', visibility: 'hidden', status: 'fail', points: 0 + 10, earned: 0 },
    ]);
    expect(s.report).toEqual(result(['hidden swap']).report);
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });
  });

  it('lets another worker reclaim a job whose worker crashed, once the lease ran out', async () => {
    const [id] = await setup();
    const crashed = (await t.db.queue.claim({ workerId: 'crashes', leaseMs: 10_000 }))!;
    t.clock.advance(9_999);
    expect(await t.db.queue.claim({ workerId: 'w2', leaseMs: 10_000 })).toBeNull();
    t.clock.advance(1);
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 1 });
    const second = await t.db.queue.claim({ workerId: 'w2', leaseMs: 10_000 });
    expect(second).toMatchObject({ jobId: crashed.jobId, submissionId: id, attempt: 2, workerId: 'w2' });
    expect(second!.leaseToken).not.toBe(crashed.leaseToken);

    // The crashed worker comes back with a late result: refused, the new lease-holder's stands.
    expect(await t.db.queue.complete(crashed, result([]))).toEqual({ kind: 'err', reason: 'lease-lost' });
    expect(await t.db.queue.extend(crashed, 10_000)).toEqual({ kind: 'err', reason: 'lease-lost' });
    expect(await t.db.queue.fail(crashed, 'late')).toEqual({ kind: 'err', reason: 'lease-lost' });
    expect(await t.db.queue.complete(second!, result(['hidden cow']))).toEqual({ kind: 'ok' });
    expect(await t.db.queue.complete(crashed, result([]))).toEqual({ kind: 'err', reason: 'lease-lost' });
    expect(await t.db.submissions.get(id!)).toMatchObject({ status: 'graded', verdict: 'fail', score: 20 });
  });

  it('refuses a result that arrives after the lease ran out, even before anyone reclaimed the job', async () => {
    const [id] = await setup();
    const job = (await t.db.queue.claim({ workerId: 'slow', leaseMs: 1000 }))!;
    t.clock.advance(1000);
    expect(await t.db.queue.complete(job, result([]))).toEqual({ kind: 'err', reason: 'lease-lost' });
    expect((await t.db.submissions.get(id!))?.status).toBe('pending');
    expect((await t.db.queue.claim({ workerId: 'w2', leaseMs: 1000 }))?.attempt).toBe(2);
  });

  it('extends a held lease', async () => {
    await setup();
    const job = (await t.db.queue.claim({ workerId: 'w1', leaseMs: 1000 }))!;
    t.clock.advance(900);
    const extended = await t.db.queue.extend(job, 5000);
    expect(extended).toEqual({ kind: 'ok', job: { ...job, leaseUntil: t.clock.now() + 5000 } });
    t.clock.advance(4000);
    expect(await t.db.queue.claim({ workerId: 'w2', leaseMs: 1000 })).toBeNull();
    // The old job object carries the same token: it is still good.
    expect(await t.db.queue.complete(job, result([]))).toEqual({ kind: 'ok' });
  });

  it('retries a failed job, then gives up after 3 attempts with a reason, and never hands it out again', async () => {
    const [poison, healthy] = await setup(2);
    const reasons = ['sandbox crashed', 'worker out of memory', 'sandbox crashed again'];
    for (const [i, reason] of reasons.entries()) {
      const job = (await t.db.queue.claim({ workerId: `w${i}`, leaseMs: 1000 }))!;
      expect(job).toMatchObject({ submissionId: poison, attempt: i + 1 });
      t.clock.advance(10);
      const outcome = await t.db.queue.fail(job, reason);
      if (i < 2) expect(outcome).toEqual({ kind: 'retry' });
      else {
        expect(outcome).toEqual({
          kind: 'gave-up',
          failureReason: 'grading failed 3 times: sandbox crashed again',
        });
        expect(await t.db.queue.complete(job, result([]))).toEqual({ kind: 'err', reason: 'gave-up' });
      }
    }
    const s = await t.db.submissions.get(poison!);
    expect(s).toMatchObject({
      status: 'grading-failed',
      verdict: 'error',
      failureReason: 'grading failed 3 times: sandbox crashed again',
      gradedAt: START + 1 + 30,
    });
    // The next claim is the healthy submission, then nothing: the poison one never comes back.
    const next = await t.db.queue.claim({ workerId: 'w9', leaseMs: 1000 });
    expect(next).toMatchObject({ submissionId: healthy, attempt: 1 });
    expect(await t.db.queue.claim({ workerId: 'w9', leaseMs: 1000 })).toBeNull();
    t.clock.advance(1_000_000);
    expect(await t.db.queue.claim({ workerId: 'w9', leaseMs: 1000 })).toMatchObject({
      submissionId: healthy,
      attempt: 2,
    });
    expect(await t.db.queue.claim({ workerId: 'w9', leaseMs: 1000 })).toBeNull();
  });

  it('gives up on a job whose third lease ran out, saying so, and hands it out no more', async () => {
    const [id] = await setup();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await t.db.queue.claim({ workerId: `crash-${attempt}`, leaseMs: 1000 });
      expect(job?.attempt).toBe(attempt);
      if (attempt === 1) await t.db.queue.fail(job!, 'the sandbox died');
      else t.clock.advance(1000); // the worker crashed: the lease runs out
    }
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 1 });
    expect(await t.db.queue.claim({ workerId: 'w4', leaseMs: 1000 })).toBeNull();
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });
    const s = await t.db.submissions.get(id!);
    expect(s?.status).toBe('grading-failed');
    if (s?.status !== 'grading-failed') return;
    expect(s.verdict).toBe('error');
    expect(s.failureReason).toMatch(/^grading failed 3 times: /);
    expect(s.failureReason).toContain('crash-3');
    expect(s.failureReason).toContain('lease');
    expect(s.failureReason).toContain('the sandbox died');
    expect(s.gradedAt).toBe(START + 2000);
  });

  it('gives up at once when the worker says retrying is pointless', async () => {
    const [id] = await setup();
    const job = (await t.db.queue.claim({ workerId: 'w1', leaseMs: 1000 }))!;
    expect(await t.db.queue.fail(job, 'exercise version has no files', { retry: false })).toEqual({
      kind: 'gave-up',
      failureReason: 'grading failed 1 time: exercise version has no files',
    });
    expect(await t.db.queue.claim({ workerId: 'w1', leaseMs: 1000 })).toBeNull();
    expect((await t.db.submissions.get(id!))?.status).toBe('grading-failed');
  });

  it('refuses calls with a job it does not know', async () => {
    await setup();
    const job = (await t.db.queue.claim({ workerId: 'w1', leaseMs: 1000 }))!;
    const forged: ClaimedJob = { ...job, leaseToken: 'forged' };
    expect(await t.db.queue.complete(forged, result([]))).toEqual({ kind: 'err', reason: 'lease-lost' });
    const unknown: ClaimedJob = { ...job, jobId: 'no-such-job' };
    expect(await t.db.queue.complete(unknown, result([]))).toEqual({ kind: 'err', reason: 'unknown-job' });
    await expect(t.db.queue.complete(job, { ...result([]), score: 31 })).rejects.toThrow(/score/);
    await expect(t.db.queue.claim({ workerId: 'w1', leaseMs: 0 })).rejects.toThrow(/leaseMs/);
  });

  it('waits retryDelayMs before a failed job is handed out again, and honours maxAttempts', async () => {
    const db: Db = t.open({ queue: { maxAttempts: 2, retryDelayMs: 5000 } });
    const [id] = await setup();
    const first = (await db.queue.claim({ workerId: 'w1', leaseMs: 1000 }))!;
    expect(await db.queue.fail(first, 'flaky')).toEqual({ kind: 'retry' });
    expect(await db.queue.pending()).toEqual({ waiting: 1, running: 0, stalled: 0 });
    t.clock.advance(4999);
    expect(await db.queue.claim({ workerId: 'w1', leaseMs: 1000 })).toBeNull();
    t.clock.advance(1);
    const second = (await db.queue.claim({ workerId: 'w1', leaseMs: 1000 }))!;
    expect(second.attempt).toBe(2);
    expect(await db.queue.fail(second, 'flaky')).toEqual({
      kind: 'gave-up',
      failureReason: 'grading failed 2 times: flaky',
    });
    expect((await db.submissions.get(id!))?.status).toBe('grading-failed');
  });

  it('never hands the same job to two workers claiming at once', async () => {
    const ids = await setup(12);
    // Two handles, as two worker processes would have; on PostgreSQL each has
    // its own pool, so these claims really run at the same time.
    const other = t.open();
    const handles = [t.db, other];
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        handles[i % 2]!.queue.claim({ workerId: `w${i}`, leaseMs: 60_000 }),
      ),
    );
    const got = claims.filter((c) => c !== null);
    expect(got).toHaveLength(12);
    expect(new Set(got.map((c) => c.jobId)).size).toBe(12);
    expect(new Set(got.map((c) => c.submissionId))).toEqual(new Set(ids));

    // Racing completes of one job: exactly one result is stored.
    const job = got[0]!;
    const outcomes = await Promise.all(handles.map((h) => h.queue.complete(job, result([]))));
    expect(outcomes.filter((o) => o.kind === 'ok')).toHaveLength(1);
    expect(outcomes).toContainEqual({ kind: 'err', reason: 'already-completed' });

    // Racing reclaims of expired leases: each job goes to exactly one worker.
    t.clock.advance(60_000);
    const again = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        handles[i % 2]!.queue.claim({ workerId: `v${i}`, leaseMs: 60_000 }),
      ),
    );
    const regot = again.filter((c) => c !== null);
    expect(regot).toHaveLength(11);
    expect(new Set(regot.map((c) => c.jobId)).size).toBe(11);
    expect(regot.every((c) => c.attempt === 2)).toBe(true);
  });

  it('gives up on a used-up job once when many workers find it at the same moment', async () => {
    const [id] = await setup();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await t.db.queue.claim({ workerId: `w${attempt}`, leaseMs: 1000 });
      t.clock.advance(1000);
    }
    const other = t.open();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? t.db : other).queue.claim({ workerId: `v${i}`, leaseMs: 1000 }),
      ),
    );
    expect(claims.every((c) => c === null)).toBe(true);
    const s = await t.db.submissions.get(id!);
    expect(s).toMatchObject({ status: 'grading-failed', verdict: 'error', gradedAt: START + 3000 });
    expect(await t.db.queue.pending()).toEqual({ waiting: 0, running: 0, stalled: 0 });
  });
});
