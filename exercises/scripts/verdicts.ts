// Regenerates the exercises' committed verdicts (test/verdicts/<exercise>/…):
// grades every exercise's reference solution, starter and mutants through
// gradeInPool, as the CLI and the web app do, and writes each report with its
// durations zeroed. Files of submissions that no longer exist are removed.
// Run after changing an exercise or the grader's messages, then review the diff:
//   npx pnpm --filter @faultline/exercises verdicts:update
// (The grader's hostile corpus: npx pnpm --filter @faultline/grader verdicts:update.)
import { writeCommittedReports } from '@faultline/grader/testing';
import { createPool } from '@faultline/sandbox';
import { VERDICTS_DIR, verdictSubjects } from '../test/verdicts/subjects.ts';

const subjects = await verdictSubjects();
const pool = createPool({ size: 2 });
try {
  const { written, removed, retried } = await writeCommittedReports(pool, subjects, VERDICTS_DIR);
  for (const key of retried)
    console.error(`verdicts: ${key} needed a second attempt (a wall-clock limit stopped the first)`);
  console.log(`verdicts: wrote ${written} reports, removed ${removed} stale ones, under ${VERDICTS_DIR}`);
} finally {
  await pool.close();
}
