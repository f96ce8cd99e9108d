// Verdict stability: the same submission gets the same verdict on an idle
// machine and on a saturated one. Every exercise's reference solution,
// starter and mutants are graded the way the CLI and the web app grade
// (gradeInPool: pool workers, the exercise's real limits, the real clock,
// the retry on a fresh worker) while busy processes keep every core
// saturated, and each report must equal the one committed under
// test/verdicts/ apart from its durations. The committed reports are made by
// `npx pnpm --filter @faultline/exercises verdicts:update` (see
// test/verdicts/subjects.ts). The grader does the same for its hostile corpus.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { gradeInPool, type Report } from '@faultline/grader';
import { committedReport, committedReportKeys, workspaceRoot } from '@faultline/grader/testing';
import { createPool, type Pool } from '@faultline/sandbox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VERDICTS_DIR, verdictSubjects } from './verdicts/subjects.ts';

/** The checkout's load generator: a tool of the repository, not of a package, so found from its root. */
const BUSY_SCRIPT = join(workspaceRoot(import.meta.dirname), 'scripts', 'busy.mjs');
const UPDATE = 'npx pnpm --filter @faultline/exercises verdicts:update';

const subjects = await verdictSubjects();
/** Two busy processes per core: more runnable work than the machine has, for the whole grading. */
const BUSY_PROCS = 2 * availableParallelism();

describe('verdicts under load', () => {
  let busy: ChildProcess;
  let pool: Pool;
  const graded = new Map<string, Promise<Report>>();

  beforeAll(async () => {
    // The spinners stop on their own after --seconds, and at once when this process dies.
    busy = spawn(process.execPath, [BUSY_SCRIPT, '--procs', String(BUSY_PROCS), '--seconds', '900'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // busy.mjs says so on stderr once its spinners run: grade only after that.
    await new Promise<void>((resolve, reject) => {
      busy.stderr?.once('data', () => resolve());
      busy.once('exit', (code) => reject(new Error(`busy.mjs exited with ${code} before the load started`)));
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
    const missing = keys.filter((key) => !existsSync(join(VERDICTS_DIR, key)));
    expect(missing, `no committed report for these; run \`${UPDATE}\``).toEqual([]);
    expect(
      committedReportKeys(VERDICTS_DIR),
      `committed reports of submissions that no longer exist; run \`${UPDATE}\``,
    ).toEqual(keys);
  });

  test.each(subjects.map((s) => [s.key, s] as const))('%s', async (key) => {
    const report = await graded.get(key)!;
    const expected: unknown = JSON.parse(readFileSync(join(VERDICTS_DIR, key), 'utf8'));
    expect(
      committedReport(report),
      `the verdict differs from the committed one; if the change is intended, run \`${UPDATE}\``,
    ).toEqual(expected);
  });
});
