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
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Pool } from '@faultline/sandbox';
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
