/**
 * The built web app as the tests run it: `apps/web/scripts/start.mjs` (the
 * same entry as `npm start`) on a free port, with a data folder of its own
 * (a fresh SQLite file), in a process group of its own so that stopping it
 * also stops the `next-server` child it starts — and a SIGKILL of the group
 * is a crash of the whole server, grading worker included.
 *
 * Readiness is the app answering its landing page: Next runs the app's
 * instrumentation (migrations, seeding the exercises, starting the grading
 * worker) before it serves a request.
 *
 * Everything the server prints goes to `server.log` in its data folder
 * (kept across restarts), which the fixtures attach to a failed test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXERCISES, REPO } from './paths.ts';

/** The app's own start script; in a copy of the build when global-setup.ts made one. */
const START_SCRIPT = join(
  process.env.FAULTLINE_E2E_WEB_DIR ?? join(REPO, 'apps', 'web'),
  'scripts',
  'start.mjs',
);
/** Only catches a server that never comes up: a cold start takes a second or two, a busy one a few more. */
const READY_TIMEOUT_MS = 90_000;
/** How long a SIGTERM may take before the group is killed. */
const STOP_GRACE_MS = 10_000;

export interface ServerOptions {
  /** Reuse a data folder (a restart); default: a new temporary one, removed by `dispose()`. */
  readonly dataDir?: string;
  /** Extra environment for the app (FAULTLINE_EXERCISES, FAULTLINE_GRADING_LEASE_MS, …). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Servers still running in this process, killed if the test runner's worker exits without stopping them. */
const live = new Set<AppServer>();
process.on('exit', () => {
  for (const server of live) server.killNow();
});

export class AppServer {
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly logFile: string;
  private readonly env: Readonly<Record<string, string>>;
  private readonly ownsDataDir: boolean;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private portNumber = 0;

  private constructor(options: ServerOptions) {
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'faultline-e2e-'));
    this.databaseUrl = `sqlite:${join(this.dataDir, 'faultline.db')}`;
    this.logFile = join(this.dataDir, 'server.log');
    this.env = options.env ?? {};
  }

  /** Starts a server and resolves once it answers. */
  static async start(options: ServerOptions = {}): Promise<AppServer> {
    const server = new AppServer(options);
    try {
      await server.launch(await freePort());
    } catch (error) {
      // Its log is in the error; a folder made for a server that never came up is not kept.
      await server.dispose();
      throw error;
    }
    return server;
  }

  get port(): number {
    return this.portNumber;
  }

  /** Where the browser reaches the app (the address the app checks Origin headers against). */
  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** The server's output so far (all starts on this data folder). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server as an operator would (SIGTERM), killing it if it does not go. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM', STOP_GRACE_MS);
  }

  /** A crash: SIGKILL to the whole process group, nothing gets to clean up. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL', STOP_GRACE_MS);
  }

  /** Starts the app again on the same data folder and port (the browser's pages keep their origin). */
  async restart(): Promise<void> {
    if (this.child !== null) await this.stop();
    await this.launch(this.portNumber);
  }

  /** Stops the server and removes its data folder if it made it. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit): SIGKILL to the group. */
  killNow(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private async launch(port: number): Promise<void> {
    this.portNumber = port;
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [START_SCRIPT], {
        cwd: REPO,
        detached: true, // its own process group: start.mjs and next-server are stopped together
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          NEXT_TELEMETRY_DISABLED: '1',
          PORT: String(port),
          FAULTLINE_DATA_DIR: this.dataDir,
          FAULTLINE_DATABASE_URL: this.databaseUrl,
          FAULTLINE_EXERCISES: EXERCISES,
          // Two cores, both busy: one grading slot is what CI can give.
          FAULTLINE_GRADING_JOBS: '1',
          ...this.env,
        },
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let exitedEarly = false;
    void this.exited.then(() => {
      exitedEarly = true;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitedEarly) {
        this.child = null;
        live.delete(this);
        throw new Error(`the web app exited before it answered; its log:\n${tail(this.log())}`);
      }
      if (await answers(this.url)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `the web app did not answer on ${this.url} within ${READY_TIMEOUT_MS / 1000} s; its log:\n${tail(this.log())}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async signalAndWait(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    const group = child.pid;
    try {
      process.kill(-group, signal);
    } catch {
      // the group is gone already
    }
    const deadline = Date.now() + graceMs;
    while (groupAlive(group)) {
      if (Date.now() > deadline) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone in the meantime
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.exited;
    this.child = null;
    live.delete(this);
  }
}

/** Whether any process of the group is still alive (zombies, which a container's init may never reap, count as gone). */
function groupAlive(group: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === group && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}
