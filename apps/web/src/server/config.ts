/**
 * Where the app keeps its data and finds its exercises, from the
 * environment, with the embedded default: a SQLite file under .data/ and
 * the workspace's own exercises.
 *
 *   FAULTLINE_DATABASE_URL   sqlite:/abs/file.db (default .data/faultline.db) or postgres://…
 *   FAULTLINE_EXERCISES      folders of exercise folders, separated by ":" (default: the open curriculum)
 *   FAULTLINE_DATA_DIR       where grading workers write exercise versions out (default .data/)
 *   FAULTLINE_GRADING_JOBS   submissions graded at once in this process (default: one per core; 0: none, for a web-only process)
 *   FAULTLINE_GRADING_LEASE_MS how long a claimed submission stays this process's without a renewal
 *                            (default 15000): after a crash, how soon another process (or this
 *                            one, restarted) takes it up again
 *   FAULTLINE_SECURE_COOKIES "1" to mark cookies Secure (behind HTTPS)
 */
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export interface AppConfig {
  readonly databaseUrl: string;
  readonly exerciseRoots: readonly string[];
  readonly dataDir: string;
  readonly gradingJobs: number;
  readonly gradingLeaseMs: number;
  readonly secureCookies: boolean;
}

/** The workspace's exercises, from this app's folder (the app runs from apps/web). */
function defaultExercises(): string {
  return resolve(process.cwd(), '..', '..', 'exercises');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = resolve(env.FAULTLINE_DATA_DIR ?? join(process.cwd(), '.data'));
  const roots = (env.FAULTLINE_EXERCISES ?? defaultExercises())
    .split(delimiter)
    .filter((p) => p.length > 0)
    .map((p) => (isAbsolute(p) ? p : resolve(p)));
  const jobs =
    env.FAULTLINE_GRADING_JOBS === undefined ? availableParallelism() : Number(env.FAULTLINE_GRADING_JOBS);
  if (!Number.isInteger(jobs) || jobs < 0 || jobs > 64)
    throw new Error(
      `FAULTLINE_GRADING_JOBS must be a whole number from 0 to 64, not ${env.FAULTLINE_GRADING_JOBS}`,
    );
  const leaseMs = Number(env.FAULTLINE_GRADING_LEASE_MS ?? 15_000);
  if (!Number.isInteger(leaseMs) || leaseMs < 500 || leaseMs > 600_000)
    throw new Error(
      `FAULTLINE_GRADING_LEASE_MS must be a whole number of ms from 500 to 600000, not ${env.FAULTLINE_GRADING_LEASE_MS}`,
    );
  return {
    databaseUrl: env.FAULTLINE_DATABASE_URL ?? `sqlite:${join(dataDir, 'faultline.db')}`,
    exerciseRoots: roots,
    dataDir,
    gradingJobs: jobs,
    gradingLeaseMs: leaseMs,
    secureCookies: env.FAULTLINE_SECURE_COOKIES === '1',
  };
}
