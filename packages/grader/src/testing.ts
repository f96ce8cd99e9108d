/**
 * Helpers for tests that pin grading verdicts (`@faultline/grader/testing`):
 * the committed form of a report, the folder of committed reports, and
 * writing them again. The grader's own verdict test (its hostile corpus) and
 * the exercises' (every exercise's solution, starter and mutants) use them,
 * so both commit reports the same way. `workspaceRoot` finds the checkout a
 * test runs in, for the repository's own tools (scripts/busy.mjs), which
 * belong to no package and so cannot be imported.
 *
 * A committed report is the grader's report with every `durationMs` set to
 * 0: the only field that may differ between two gradings of one submission.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { createPool, type Pool } from '@faultline/sandbox';
import { type Report, ReportSchema } from './report.ts';
import { gradeInPool } from './runner/pooled.ts';

/** A submission whose verdict is committed. */
export interface VerdictSubject {
  /** Where its report is kept, relative to the folder of committed reports, e.g. `page-fault-handler/solution.json`. */
  readonly key: string;
  readonly exerciseDir: string;
  readonly source: string;
}

/** The committed form of a report: durations zeroed. */
export function committedReport(report: Report): Report {
  return ReportSchema.parse({ ...report, tests: report.tests.map((t) => ({ ...t, durationMs: 0 })) });
}

/** A committed report as its file holds it. */
export function committedReportText(report: Report): string {
  return `${JSON.stringify(committedReport(report), null, 2)}\n`;
}

/** Every file under `dir`, at any depth. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every committed report under `dir`, as keys (relative, `/`-separated), sorted. */
export function committedReportKeys(dir: string): string[] {
  return filesUnder(dir)
    .filter((path) => path.endsWith('.json'))
    .map((path) => relative(dir, path).split(sep).join('/'))
    .sort();
}

/**
 * Grades every subject through `gradeInPool` (as the CLI and the web app
 * grade) and writes its committed report under `dir`; removes the reports of
 * submissions that no longer exist. Returns what it did, and the keys of the
 * subjects that a wall-clock limit stopped once (graded again on a fresh
 * worker), which deserve a look.
 */
export async function writeCommittedReports(
  pool: Pool,
  subjects: readonly VerdictSubject[],
  dir: string,
): Promise<{ written: number; removed: number; retried: string[] }> {
  const retried: string[] = [];
  await Promise.all(
    subjects.map(async (subject) => {
      const graded = await gradeInPool(pool, {
        exerciseDir: subject.exerciseDir,
        learnerSource: subject.source,
      });
      if (graded.attempts !== 1) retried.push(subject.key);
      const file = join(dir, subject.key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, committedReportText(graded.report));
    }),
  );
  const keep = new Set(subjects.map((s) => s.key));
  const stale = committedReportKeys(dir).filter((key) => !keep.has(key));
  for (const key of stale) rmSync(join(dir, key));
  return { written: subjects.length, removed: stale.length, retried: retried.sort() };
}

/** The folder holding pnpm-workspace.yaml at or above `from`: the checkout's root. */
export function workspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`workspaceRoot: no pnpm-workspace.yaml at or above ${from}`);
  }
}

/** The parts of vitest the verdict suite uses (passed in, so this module does not import a test runner). */
export interface VerdictSuiteApi {
  describe(name: string, body: () => void): void;
  test: {
    (name: string, body: () => void | Promise<void>): void;
    each<T extends readonly unknown[]>(
      cases: readonly T[],
    ): (name: string, body: (...args: T) => Promise<void>) => void;
  };
  // biome-ignore lint/suspicious/noExplicitAny: vitest's expect, whose full type this module need not know
  expect: (actual: unknown, message?: string) => any;
  beforeAll(body: () => Promise<void>, timeout?: number): void;
  afterAll(body: () => Promise<void>): void;
}

/**
 * The verdict-stability suite: grades every subject through `gradeInPool`
 * (pool workers, the exercise's real limits, the real clock, the retry on a
 * fresh worker) while busy processes keep every core saturated, and requires
 * each report to equal the one committed under `dir` apart from its
 * durations — the same submission gets the same verdict on an idle machine
 * and on a saturated one. `update` is the command that rewrites the
 * committed reports, named in every failure.
 */
export function describeVerdictsUnderLoad(
  api: VerdictSuiteApi,
  options: {
    readonly subjects: readonly VerdictSubject[];
    readonly dir: string;
    readonly update: string;
    /** Where the test runs from (`import.meta.dirname`): the checkout's scripts/busy.mjs is found above it. */
    readonly from: string;
  },
): void {
  const { describe, test, expect, beforeAll, afterAll } = api;
  const { subjects, dir, update } = options;
  // The checkout's load generator: a tool of the repository, not of a package, so found from its root.
  const busyScript = join(workspaceRoot(options.from), 'scripts', 'busy.mjs');
  // Two busy processes per core: more runnable work than the machine has, for the whole grading.
  const busyProcs = 2 * availableParallelism();

  describe('verdicts under load', () => {
    let busy: ChildProcess;
    let pool: Pool;
    const graded = new Map<string, Promise<Report>>();

    beforeAll(async () => {
      // The spinners stop on their own after --seconds, and at once when this process dies.
      busy = spawn(process.execPath, [busyScript, '--procs', String(busyProcs), '--seconds', '900'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // busy.mjs says so on stderr once its spinners run: grade only after that.
      await new Promise<void>((resolve, reject) => {
        busy.stderr?.once('data', () => resolve());
        busy.once('exit', (code) =>
          reject(new Error(`busy.mjs exited with ${code} before the load started`)),
        );
      });
      busy.stderr?.resume();
      pool = createPool({ size: 2 });
      for (const subject of subjects) {
        graded.set(
          subject.key,
          gradeInPool(pool, { exerciseDir: subject.exerciseDir, learnerSource: subject.source }).then(
            (result) => result.report,
          ),
        );
      }
    });
    afterAll(async () => {
      busy.kill('SIGTERM');
      await pool.close();
    });

    test('every submission has a committed report, and every committed report a submission', () => {
      const keys = subjects.map((s) => s.key).sort();
      const missing = keys.filter((key) => !existsSync(join(dir, key)));
      expect(missing, `no committed report for these; run \`${update}\``).toEqual([]);
      expect(
        committedReportKeys(dir),
        `committed reports of submissions that no longer exist; run \`${update}\``,
      ).toEqual(keys);
    });

    test.each(subjects.map((s) => [s.key] as const))('%s', async (key) => {
      const report = await graded.get(key)!;
      const expected: unknown = JSON.parse(readFileSync(join(dir, key), 'utf8'));
      expect(
        committedReport(report),
        `the verdict differs from the committed one; if the change is intended, run \`${update}\``,
      ).toEqual(expected);
    });
  });
}
