/**
 * The grading worker: takes submissions from the database's grading queue,
 * grades each against the exercise version it was written for, and stores
 * the report — the web app runs one in its own process (the embedded
 * default), and `faultline worker` runs one beside any number of others.
 *
 * Each job is leased: the lease is renewed while the grade runs, and a
 * worker that dies simply stops renewing it, so after `leaseMs` another
 * worker (or this one, restarted) claims the job again. The queue counts
 * the claims and gives up after its attempts (an `error` verdict the
 * instructor sees), so one poison submission cannot crash-loop a server.
 *
 * An exercise version is written out from the database into
 * `cacheDir/<hash>/<id>` the first time a job needs it, so a worker on
 * another machine grades exactly the files the submission was made
 * against; a version's folder never changes.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ClaimedJob, type Db, gradingResultFromReport } from '@faultline/db';
import type { PooledGrade } from '@faultline/grader';
import { loadGrader } from '../commands/grade.ts';

export interface GradingWorkerOptions {
  readonly db: Db;
  /** Where exercise versions are written out to grade from. */
  readonly cacheDir: string;
  /** Submissions graded at once (each on a sandbox worker thread of its own). */
  readonly jobs: number;
  /** Names this worker in the queue's leases (default: a random id). */
  readonly workerId?: string;
  /** A claimed job's lease; renewed every third of it while the job runs (default 15 s). */
  readonly leaseMs?: number;
  /** How often an idle slot asks the queue for work (default 100 ms). */
  readonly pollMs?: number;
  /** One line per event (graded, retried, gave up, not stored). Default: stderr. */
  readonly log?: (line: string) => void;
  /** Between grading a job and storing its result; tests use it to stop a worker exactly there. */
  readonly beforeStore?: (job: ClaimedJob) => Promise<void>;
}

export interface GradingWorker {
  readonly workerId: string;
  /** Stops claiming, waits for the jobs in hand to be stored, and closes the sandbox pool. */
  stop(): Promise<void>;
}

/**
 * The folder of one exercise version, written out from the database the
 * first time it is asked for (`cacheDir/<hash>/<id>`); null when the
 * database has no such version. The grader grades from it; the web app
 * bundles its visible tests for the browser from it.
 */
export async function versionFolder(
  db: Db,
  cacheDir: string,
  exerciseId: string,
  hash: string,
): Promise<string | null> {
  const dir = join(cacheDir, hash, exerciseId);
  if (existsSync(join(dir, 'exercise.json'))) return dir;
  const files = await db.exercises.versionFiles(hash);
  if (files === null) return null;
  const { writeExerciseContent } = await import('@faultline/grader/exercise');
  await writeExerciseContent({ files, hash }, dir);
  return dir;
}

export async function startGradingWorker(options: GradingWorkerOptions): Promise<GradingWorker> {
  const { grader, sandbox, driver } = await loadGrader();
  const workerId = options.workerId ?? `worker-${randomUUID()}`;
  const leaseMs = options.leaseMs ?? 15_000;
  const pollMs = options.pollMs ?? 100;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pool = sandbox.createPool({ size: Math.max(1, options.jobs) });
  const { db } = options;
  let stopping = false;
  const sleepers = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });

  async function grade(job: ClaimedJob): Promise<void> {
    const submission = await db.submissions.get(job.submissionId);
    if (submission === null) {
      await db.queue.fail(job, 'the submission is missing from the database', { retry: false });
      return;
    }
    const exerciseDir = await versionFolder(
      db,
      options.cacheDir,
      submission.exerciseId,
      submission.exerciseHash,
    );
    if (exerciseDir === null) {
      await db.queue.fail(job, `exercise version ${submission.exerciseHash} is missing from the database`, {
        retry: false,
      });
      return;
    }

    // Renew the lease while grading, so a long grade is not taken for a dead worker's.
    let held = job;
    const renew = setInterval(async () => {
      const extended = await db.queue.extend(held, leaseMs).catch(() => null);
      if (extended?.kind === 'ok') held = extended.job;
    }, leaseMs / 3);
    let graded: PooledGrade;
    try {
      graded = await grader.gradeInPool(pool, {
        exerciseDir,
        learnerSource: submission.code,
        // Every failed test's picture (page tables and frames at each event):
        // learners see their visible tests' (the view rules strip the rest),
        // instructors all.
        record: 'all',
        ...(driver === undefined ? {} : { driver }),
      });
    } finally {
      clearInterval(renew);
    }
    await options.beforeStore?.(held);
    if (graded.kind === 'grader-failed') {
      const failed = await db.queue.fail(held, graded.reason);
      log(
        `grading ${job.submissionId} (attempt ${job.attempt}): the grader failed (${grader.oneLine(graded.reason)}); ${failed.kind === 'retry' ? 'it goes back in the queue' : failed.kind === 'gave-up' ? 'gave up' : `not recorded: ${failed.reason}`}`,
      );
      return;
    }
    const { report } = graded;
    const stored = await db.queue.complete(held, gradingResultFromReport(report));
    log(
      stored.kind === 'ok'
        ? `graded ${job.submissionId} (attempt ${job.attempt}): ${report.status} ${report.score}/${report.maxScore}`
        : `grading ${job.submissionId}: result not stored (${stored.reason})`,
    );
  }

  async function slot(): Promise<void> {
    while (!stopping) {
      let job: ClaimedJob | null = null;
      try {
        job = await db.queue.claim({ workerId, leaseMs });
      } catch (error) {
        log(`grading worker ${workerId}: cannot claim a job (${(error as Error).message})`);
      }
      if (job === null) {
        await sleep(pollMs);
        continue;
      }
      try {
        await grade(job);
      } catch (error) {
        // A bug of ours, or the database went away: the job goes back for another attempt.
        log(
          `grading ${job.submissionId} (attempt ${job.attempt}) failed: ${(error as Error).stack ?? error}`,
        );
        await db.queue.fail(job, (error as Error).message).catch(() => undefined);
      }
    }
  }

  const slots = Array.from({ length: Math.max(1, options.jobs) }, () => slot());
  return {
    workerId,
    async stop() {
      stopping = true;
      for (const wake of [...sleepers]) wake();
      await Promise.all(slots);
      await pool.close();
    },
  };
}
