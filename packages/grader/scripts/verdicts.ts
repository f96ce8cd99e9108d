// Regenerates the grader's committed verdicts (test/verdicts/<exercise>/hostile/…):
// grades the hostile corpus through gradeInPool, as the CLI and the web app
// do, and writes each report with its durations zeroed. Files of submissions
// that no longer exist are removed. Run after changing a fixture or the
// grader's messages, then review the diff:
//   npx pnpm --filter @faultline/grader verdicts:update
// (The exercises' verdicts: npx pnpm --filter @faultline/exercises verdicts:update.)
import { createPool } from '@faultline/sandbox';
import { writeCommittedReports } from '../src/testing.ts';
import { VERDICTS_DIR, verdictSubjects } from '../test/verdicts/subjects.ts';

const pool = createPool({ size: 2 });
try {
  const { written, removed, retried } = await writeCommittedReports(pool, verdictSubjects(), VERDICTS_DIR);
  for (const key of retried)
    console.error(`verdicts: ${key} needed a second attempt (a wall-clock limit stopped the first)`);
  console.log(`verdicts: wrote ${written} reports, removed ${removed} stale ones, under ${VERDICTS_DIR}`);
} finally {
  await pool.close();
}
