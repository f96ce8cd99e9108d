// Regenerates the committed verdicts (test/verdicts/<exercise>/…): grades
// every exercise's reference solution, starter and mutants and the hostile
// corpus through gradeInPool, as the CLI and the web app do, and writes each
// report with its durations zeroed. Files of submissions that no longer exist
// are removed. Run after changing an exercise, a fixture or the grader's
// messages, then review the diff:
//   npx pnpm --filter @faultline/grader verdicts:update
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPool } from '@faultline/sandbox';
import { gradeInPool } from '../src/index.ts';
import { committedKeys, serialize, VERDICTS_DIR, verdictSubjects } from '../test/verdicts/subjects.ts';

const subjects = await verdictSubjects();
const pool = createPool({ size: 2 });
let written = 0;
try {
  await Promise.all(
    subjects.map(async (subject) => {
      const graded = await gradeInPool(pool, {
        exerciseDir: subject.exerciseDir,
        learnerSource: subject.source,
      });
      if (graded.attempts !== 1)
        console.error(
          `verdicts: ${subject.key} needed a second attempt (a wall-clock limit stopped the first)`,
        );
      const file = join(VERDICTS_DIR, subject.key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, serialize(graded.report));
      written += 1;
    }),
  );
} finally {
  await pool.close();
}
const keep = new Set(subjects.map((s) => s.key));
const stale = committedKeys().filter((key) => !keep.has(key));
for (const key of stale) rmSync(join(VERDICTS_DIR, key));
console.log(`verdicts: wrote ${written} reports, removed ${stale.length} stale ones, under ${VERDICTS_DIR}`);
