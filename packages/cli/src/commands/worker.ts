/**
 * `faultline worker` — grades submissions from a Faultline database's
 * queue, beside the web app's own worker or instead of it (a web process
 * with FAULTLINE_GRADING_JOBS=0), as many of them as there are machines.
 *
 *   faultline worker --database URL [--jobs N] [--data-dir DIR] [--lease-ms N]
 *
 * Runs until SIGINT or SIGTERM, then stops claiming, stores the grades in
 * hand and exits 0 (a job it could not finish goes back to the queue when
 * its lease runs out). Exit 2 for a usage error or a database it cannot
 * open.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, type Io } from '../io.ts';

const USAGE = 'usage: faultline worker --database URL [--jobs N] [--data-dir DIR] [--lease-ms N]';

export interface WorkerRun {
  readonly databaseUrl: string;
  readonly jobs: number;
  readonly dataDir: string;
  readonly leaseMs: number;
}

export function parseWorkerArgs(
  argv: readonly string[],
): { kind: 'ok'; run: WorkerRun } | { kind: 'err'; message: string } {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        database: { type: 'string' },
        jobs: { type: 'string' },
        'data-dir': { type: 'string' },
        'lease-ms': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'err', message: (error as Error).message };
  }
  const databaseUrl = values.database ?? process.env.FAULTLINE_DATABASE_URL;
  if (databaseUrl === undefined)
    return { kind: 'err', message: 'which database? Give --database URL or set FAULTLINE_DATABASE_URL' };
  const jobs = Number(values.jobs ?? availableParallelism());
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    return { kind: 'err', message: `--jobs must be 1 to 64, not ${values.jobs}` };
  const leaseMs = Number(values['lease-ms'] ?? 15_000);
  if (!Number.isInteger(leaseMs) || leaseMs < 500 || leaseMs > 600_000)
    return { kind: 'err', message: `--lease-ms must be 500 to 600000, not ${values['lease-ms']}` };
  const dataDir = resolve(values['data-dir'] ?? join(tmpdir(), 'faultline-worker'));
  return { kind: 'ok', run: { databaseUrl, jobs, dataDir, leaseMs } };
}

/** Grades from the queue until `signal` aborts, then stops cleanly. */
export async function runWorker(run: WorkerRun, io: Io, signal: AbortSignal): Promise<ExitCode> {
  const { openDatabase } = await import('@faultline/db');
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase(run.databaseUrl);
    await db.migrate();
  } catch (error) {
    io.err.write(`faultline worker: cannot open the database: ${(error as Error).message}\n`);
    return ExitCode.Usage;
  }
  const { startGradingWorker } = await import('../worker/grading-worker.ts');
  const worker = await startGradingWorker({
    db,
    cacheDir: join(run.dataDir, 'exercise-versions'),
    jobs: run.jobs,
    leaseMs: run.leaseMs,
    log: (line) => io.err.write(`${line}\n`),
  });
  io.err.write(`faultline worker ${worker.workerId}: grading ${run.jobs} at a time; stop with Ctrl-C\n`);
  await new Promise<void>((done) => {
    if (signal.aborted) done();
    else signal.addEventListener('abort', () => done(), { once: true });
  });
  await worker.stop();
  await db.close();
  io.err.write(`faultline worker ${worker.workerId}: stopped\n`);
  return ExitCode.Ok;
}

export async function worker(argv: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseWorkerArgs(argv);
  if (parsed.kind === 'err') {
    io.err.write(`faultline worker: ${parsed.message}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const stop = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => stop.abort());
  return runWorker(parsed.run, io, stop.signal);
}
