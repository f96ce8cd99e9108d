// Verdict stability: the same submission gets the same verdict on an idle
// machine and on a saturated one. Every exercise's reference solution,
// starter and mutants are graded the way the CLI and the web app grade,
// under saturating load, and each report must equal the one committed under
// test/verdicts/ apart from its durations (`describeVerdictsUnderLoad`). The
// committed reports are made by `npx pnpm --filter @faultline/exercises
// verdicts:update` (see test/verdicts/subjects.ts). The grader does the same
// for its hostile corpus.
import { describeVerdictsUnderLoad } from '@faultline/grader/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VERDICTS_DIR, verdictSubjects } from './verdicts/subjects.ts';

describeVerdictsUnderLoad(
  { describe, test, expect, beforeAll, afterAll },
  {
    subjects: await verdictSubjects(),
    dir: VERDICTS_DIR,
    update: 'npx pnpm --filter @faultline/exercises verdicts:update',
    from: import.meta.dirname,
  },
);
