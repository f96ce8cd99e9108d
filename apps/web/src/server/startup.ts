/**
 * What the server does once, at start. Kept out of instrumentation.ts so
 * that file stays free of Node-only imports (Next evaluates it for every
 * runtime).
 */
import { join } from 'node:path';
import { readConfig } from './config.ts';
import { getDb } from './db.ts';
import { seedExercises } from './seed.ts';
import { loadWorkerModule } from './worker-module.ts';

const KEY = Symbol.for('faultline.web.worker');
type Holder = { [KEY]?: { stop(): Promise<void> } };

export async function startServerSide(): Promise<void> {
  const config = readConfig();
  const db = await getDb();
  const seeded = await seedExercises(db, config.exerciseRoots);
  const changed = seeded.seeded.filter((s) => s.changed).map((s) => s.id);
  console.log(
    `faultline: ${seeded.seeded.length} exercise${seeded.seeded.length === 1 ? '' : 's'} from ${config.exerciseRoots.join(', ')}${changed.length > 0 ? ` (new versions: ${changed.join(', ')})` : ''}`,
  );
  for (const skip of seeded.skipped) console.error(`faultline: skipped ${skip.dir}: ${skip.reason}`);
  const cli = await loadWorkerModule();
  if (!(await hasInstructor(db)))
    console.log(
      `faultline: no instructor account yet. Create one (from the repository's folder) with\n  ${cli.firstInstructorCommand(config.databaseUrl)}`,
    );

  // Closed rate-limit windows and expired sessions are rows no one reads again.
  const tidy = setInterval(() => {
    Promise.all([db.rateLimits.prune(), db.sessions.deleteExpired()]).catch((error: unknown) =>
      console.error('faultline: tidying the database failed', error),
    );
  }, 60 * 60_000);
  tidy.unref();

  const holder = globalThis as Holder;
  if (config.gradingJobs > 0 && holder[KEY] === undefined) {
    holder[KEY] = await cli.startGradingWorker({
      db,
      cacheDir: join(config.dataDir, 'exercise-versions'),
      jobs: config.gradingJobs,
      leaseMs: config.gradingLeaseMs,
      workerId: `web-${process.pid}`,
    });
    console.log(
      `faultline: grading ${config.gradingJobs} submission${config.gradingJobs === 1 ? '' : 's'} at a time in this process`,
    );
  }
}

async function hasInstructor(db: Awaited<ReturnType<typeof getDb>>): Promise<boolean> {
  return (await db.users.count({ roles: ['instructor', 'author'] })) > 0;
}
