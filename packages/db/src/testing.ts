/**
 * Test helpers (`@faultline/db/testing`): a throwaway PostgreSQL cluster, a
 * fresh database in it per test file, a clock tests move by hand, and a reset
 * between tests. Nothing here is for production code.
 *
 * `startPostgres` runs Debian's server binaries (initdb, pg_ctl) on a temp
 * directory and a free port. initdb refuses to run as root, so as root the
 * cluster belongs to the `postgres` user and every command runs through
 * `runuser -u postgres --`. The cluster is stopped by `stop()`, on process
 * exit, and — should the process be killed outright — by a small watchdog
 * that stops it once this process is gone, so no postgres outlives a test run.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import type { Clock } from './clock.ts';
import { kyselyOf } from './internal.ts';
import type { Db } from './open.ts';
import type { Schema } from './schema.ts';

const run = promisify(execFile);

export interface PostgresCluster {
  /** Superuser URL of the cluster's `postgres` database (no password: trust auth on 127.0.0.1). */
  url: string;
  dataDir: string;
  /** Stops the server and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

export const POSTGRES_MISSING =
  "PostgreSQL's server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH. " +
  "Install Debian's `postgresql` package (apt-get install -y postgresql; `npm test` installs it when run as root).";

/**
 * The directory holding initdb and pg_ctl: Debian's newest
 * /usr/lib/postgresql/N/bin, else the first directory on PATH that has both.
 */
export function findPostgresBin(search: { debianRoot?: string; path?: string } = {}): string {
  const root = search.debianRoot ?? '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const candidates = [
    ...versions.map((v) => join(root, v, 'bin')),
    ...(search.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error(POSTGRES_MISSING);
  return found;
}

const isRoot = () => process.getuid?.() === 0;

/** The command line that runs `bin` as the cluster's owner. */
function asOwner(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function postgresUser(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      `running as root, the cluster must belong to the \`postgres\` user, and there is none. ${POSTGRES_MISSING}`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a throwaway cluster; ready when the promise resolves (about a second). */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  const base = mkdtempSync(join(tmpdir(), 'faultline-pg-'));
  const dataDir = join(base, 'data');
  const log = join(base, 'log');
  if (isRoot()) {
    const { uid, gid } = postgresUser();
    chownSync(base, uid, gid);
  }
  const pgCtl = join(bin, 'pg_ctl');
  let watchdog: ChildProcess | undefined;
  let stopped = false;

  const stopNow = () => {
    // The last resort, on exit: synchronous, immediate shutdown.
    if (stopped) return;
    stopped = true;
    const [cmd, args] = asOwner(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, args, { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
    watchdog?.kill();
  };

  try {
    const [initCmd, initArgs] = asOwner(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    await run(initCmd, initArgs).catch((error: { stderr?: string }) => {
      // A command that could not start at all (runuser not on PATH: ENOENT) has no stderr; say why.
      throw new Error(
        `initdb failed (${[initCmd, ...initArgs].join(' ')}): ${error.stderr?.trim() || String(error)}`,
      );
    });

    // A port free a moment ago may be taken by the time the server binds: try a few.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${base}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      const [cmd, args] = asOwner(pgCtl, [
        '-D',
        dataDir,
        '-l',
        log,
        '-o',
        options,
        '-w',
        '-t',
        '60',
        'start',
      ]);
      const started = await run(cmd, args).then(
        () => true,
        () => false,
      );
      if (started) break;
      if (attempt === 3) throw new Error(`PostgreSQL did not start; its log ends:\n${tail(log)}`);
    }

    process.once('exit', stopNow);
    // Stops the cluster if this process dies without running exit handlers (SIGKILL, OOM).
    const [stopCmd, stopArgs] = asOwner(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    const quoted = [stopCmd, ...stopArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    watchdog = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${quoted} >/dev/null 2>&1; rm -rf '${base}'`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();

    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', stopNow);
        const [cmd, args] = asOwner(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        try {
          await run(cmd, args);
        } finally {
          watchdog?.kill();
          rmSync(base, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    stopNow();
    process.removeListener('exit', stopNow);
    throw error;
  }
}

export interface TestDatabase {
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** A new, empty database in the cluster at `adminUrl` (a superuser URL such as startPostgres' `url`). */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `faultline_test_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`drop database if exists "${name}" with (force)`),
  };
}

/** Every table, children before parents. */
const TABLES: readonly (keyof Schema)[] = [
  'rate_limits',
  'uploads',
  'grading_jobs',
  'submission_tests',
  'submissions',
  'assignment_exercises',
  'assignments',
  'course_members',
  'courses',
  'drafts',
  'exercises',
  'exercise_files',
  'exercise_versions',
  'sessions',
  'users',
];

/** Deletes every row (keeping the schema), for a clean slate between tests. */
export async function resetDatabase(db: Db): Promise<void> {
  const k = kyselyOf(db);
  if (db.dialect === 'postgres') {
    await sql`truncate ${sql.join(TABLES.map((t) => sql.table(t)))}`.execute(k);
    return;
  }
  for (const table of TABLES) await k.deleteFrom(table).execute();
}

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  let now = start;
  return {
    now: () => now,
    set(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}
