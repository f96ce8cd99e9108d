/**
 * The grading queue: the one interface the app and `faultline worker` grade
 * through. Jobs are rows of grading_jobs, enqueued by `submissions.create` in
 * the submission's own transaction.
 *
 * A claim is a lease: the job is the worker's until `leaseUntil` (by the
 * injected clock). A worker that crashes simply never completes; once the
 * lease has run out any worker may claim the job again, as the next attempt.
 * Each claim is an attempt. A job whose attempts are used up (3 by default) —
 * its last worker failed it, or let the lease run out — is never handed out
 * again: its submission gets verdict 'error' and a reason an instructor sees
 * ("grading failed 3 times: …"), so one poison submission cannot loop.
 *
 * Every state change is one conditional UPDATE on the job's row (`where
 * lease_token = mine and lease_until > now`), so of two racing calls exactly
 * one wins on either database; the loser is told why.
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import { type Ctx, newId, requirePositiveInteger, scrubNul } from './context.ts';
import type { JobState, Schema } from './schema.ts';
import { checkResult, type GradingResult, storeGradingFailure, storeResult } from './submissions.ts';

export interface ClaimedJob {
  readonly jobId: string;
  readonly submissionId: string;
  /** 1 for the first claim of this job, 2 for the next, … */
  readonly attempt: number;
  /** Proof of the lease; every later call on the job must carry it. */
  readonly leaseToken: string;
  /** Epoch ms; after this the job may be claimed by another worker. */
  readonly leaseUntil: number;
  readonly workerId: string;
}

/**
 * Why a call on a claimed job was refused.
 * - lease-lost: the lease ran out, or the job was failed back into the queue,
 *   or another worker claimed it since: this worker's result is stale.
 * - already-completed: this lease's result is already stored.
 * - gave-up: the job used up its attempts; its submission says 'error'.
 * - unknown-job: no such job.
 */
export type LeaseRefusal = 'lease-lost' | 'already-completed' | 'gave-up' | 'unknown-job';

export type CompleteResult = { kind: 'ok' } | { kind: 'err'; reason: LeaseRefusal };
export type FailResult =
  /** Back in the queue for another attempt. */
  | { kind: 'retry' }
  /** Attempts used up (or retry: false): the submission now has verdict 'error' and this reason. */
  | { kind: 'gave-up'; failureReason: string }
  | { kind: 'err'; reason: LeaseRefusal };
export type ExtendResult = { kind: 'ok'; job: ClaimedJob } | { kind: 'err'; reason: LeaseRefusal };

export interface QueueCounts {
  /** Queued, never claimed or failed back for another attempt. */
  waiting: number;
  /** Claimed, lease still running. */
  running: number;
  /** Claimed, lease run out: to be claimed again, or given up on if its attempts are used up. */
  stalled: number;
}

export interface GradingQueue {
  /** The oldest job that is free (or whose lease ran out), leased to this worker; null when none. */
  claim(options: { workerId: string; leaseMs: number }): Promise<ClaimedJob | null>;
  /** Stores the result on the submission, once, and only while the lease is held. */
  complete(job: ClaimedJob, result: GradingResult): Promise<CompleteResult>;
  /** Gives the job back for another attempt, or gives up on it once attempts are used up. */
  fail(job: ClaimedJob, reason: string, options?: { retry?: boolean | undefined }): Promise<FailResult>;
  /** Lengthens a held lease to `leaseMs` from now. */
  extend(job: ClaimedJob, leaseMs: number): Promise<ExtendResult>;
  pending(): Promise<QueueCounts>;
}

const times = (n: number) => (n === 1 ? '1 time' : `${n} times`);

export function createGradingQueue(ctx: Ctx): GradingQueue {
  const { db, clock, maxAttempts } = ctx;

  /**
   * PostgreSQL: lock the rows picked, skipping rows another transaction has
   * locked, so two workers' claims pass each other instead of queueing (or
   * both taking the same job). SQLite has one writer at a time (BEGIN
   * IMMEDIATE), which serialises claims by itself.
   */
  const skipLocked = <Q extends SelectQueryBuilder<Schema, 'grading_jobs', { id: string }>>(q: Q) =>
    ctx.dialect === 'postgres' ? q.forUpdate().skipLocked() : q;

  /** Why `job`'s lease no longer holds (called after a conditional update matched nothing). */
  async function refusal(job: ClaimedJob): Promise<LeaseRefusal> {
    const row = await db
      .selectFrom('grading_jobs')
      .select(['state', 'lease_token'])
      .where('id', '=', job.jobId)
      .executeTakeFirst();
    if (!row) return 'unknown-job';
    if (row.lease_token !== job.leaseToken) return 'lease-lost';
    if (row.state === 'done') return 'already-completed';
    if (row.state === 'gave-up') return 'gave-up';
    return 'lease-lost';
  }

  return {
    async claim({ workerId, leaseMs }) {
      requirePositiveInteger('leaseMs', leaseMs);
      return ctx.write(async (trx) => {
        const now = clock.now();
        // First, the jobs whose last allowed attempt let its lease run out:
        // given up on, never handed out again.
        const outOfAttempts = skipLocked(
          trx
            .selectFrom('grading_jobs')
            .select('id')
            .where('state', '=', 'leased')
            .where('lease_until', '<=', now)
            .where('attempts', '>=', maxAttempts),
        );
        const expired = await trx
          .updateTable('grading_jobs')
          .set({ state: 'gave-up', finished_at: now })
          .where('id', 'in', outOfAttempts)
          .where('state', '=', 'leased')
          .returning(['submission_id', 'attempts', 'worker_id', 'last_error'])
          .execute();
        for (const job of expired) {
          const earlier =
            job.last_error === null ? '' : `; an earlier attempt failed with: ${job.last_error}`;
          const reason = `grading failed ${times(job.attempts)}: the last attempt's worker (${job.worker_id}) did not report a result before its lease ran out${earlier}`;
          await storeGradingFailure(trx, job.submission_id, reason, now);
        }

        const next = skipLocked(
          trx
            .selectFrom('grading_jobs')
            .select('id')
            .where('attempts', '<', maxAttempts)
            .where((eb) =>
              eb.or([
                eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', now)]),
                eb.and([eb('state', '=', 'leased'), eb('lease_until', '<=', now)]),
              ]),
            )
            .orderBy('created_at')
            .orderBy('id')
            .limit(1),
        );
        const leaseToken = newId();
        const claimed = await trx
          .updateTable('grading_jobs')
          .set((eb) => ({
            state: 'leased',
            attempts: eb('attempts', '+', 1),
            lease_token: leaseToken,
            lease_until: now + leaseMs,
            worker_id: workerId,
          }))
          .where('id', '=', next)
          .returning(['id', 'submission_id', 'attempts', 'lease_until'])
          .executeTakeFirst();
        if (!claimed) return null;
        return {
          jobId: claimed.id,
          submissionId: claimed.submission_id,
          attempt: claimed.attempts,
          leaseToken,
          leaseUntil: claimed.lease_until!,
          workerId,
        };
      });
    },

    async complete(job, result) {
      checkResult(result);
      const outcome = await ctx.write(async (trx) => {
        const now = clock.now();
        const won = await trx
          .updateTable('grading_jobs')
          .set({ state: 'done', finished_at: now })
          .where('id', '=', job.jobId)
          .where('lease_token', '=', job.leaseToken)
          .where('state', '=', 'leased')
          .where('lease_until', '>', now)
          .returning('submission_id')
          .executeTakeFirst();
        if (!won) return 'refused' as const;
        await storeResult(trx, won.submission_id, result, now);
        return 'stored' as const;
      });
      return outcome === 'stored' ? { kind: 'ok' } : { kind: 'err', reason: await refusal(job) };
    },

    async fail(job, rawReason, options = {}) {
      const reason = scrubNul(rawReason);
      const retry = options.retry ?? true;
      const outcome = await ctx.write(async (trx) => {
        const now = clock.now();
        const held = await trx
          .updateTable('grading_jobs')
          .set({
            state: retry
              ? sql<JobState>`case when attempts < ${maxAttempts} then 'queued' else 'gave-up' end`
              : 'gave-up',
            last_error: reason,
            available_at: now + ctx.retryDelayMs,
          })
          .where('id', '=', job.jobId)
          .where('lease_token', '=', job.leaseToken)
          .where('state', '=', 'leased')
          .where('lease_until', '>', now)
          .returning(['state', 'attempts', 'submission_id'])
          .executeTakeFirst();
        if (!held) return null;
        if (held.state === 'queued') return { kind: 'retry' } as const;
        const failureReason = `grading failed ${times(held.attempts)}: ${reason}`;
        await trx.updateTable('grading_jobs').set({ finished_at: now }).where('id', '=', job.jobId).execute();
        await storeGradingFailure(trx, held.submission_id, failureReason, now);
        return { kind: 'gave-up', failureReason } as const;
      });
      return outcome ?? { kind: 'err', reason: await refusal(job) };
    },

    async extend(job, leaseMs) {
      requirePositiveInteger('leaseMs', leaseMs);
      const now = clock.now();
      const row = await db
        .updateTable('grading_jobs')
        .set({ lease_until: now + leaseMs })
        .where('id', '=', job.jobId)
        .where('lease_token', '=', job.leaseToken)
        .where('state', '=', 'leased')
        .where('lease_until', '>', now)
        .returning('lease_until')
        .executeTakeFirst();
      if (!row) return { kind: 'err', reason: await refusal(job) };
      return { kind: 'ok', job: { ...job, leaseUntil: row.lease_until! } };
    },

    async pending() {
      const now = clock.now();
      const row = await db
        .selectFrom('grading_jobs')
        .select((eb) => [
          eb.fn.countAll<number>().filterWhere('state', '=', 'queued').as('waiting'),
          eb.fn
            .countAll<number>()
            .filterWhere((f) => f.and([f('state', '=', 'leased'), f('lease_until', '>', now)]))
            .as('running'),
          eb.fn
            .countAll<number>()
            .filterWhere((f) => f.and([f('state', '=', 'leased'), f('lease_until', '<=', now)]))
            .as('stalled'),
        ])
        .where('state', 'in', ['queued', 'leased'])
        .executeTakeFirstOrThrow();
      return { waiting: row.waiting, running: row.running, stalled: row.stalled };
    },
  };
}
