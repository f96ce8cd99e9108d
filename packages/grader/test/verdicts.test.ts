// Verdict stability: the same submission gets the same verdict on an idle
// machine and on a saturated one. The whole hostile corpus is graded the way
// the CLI and the web app grade, under saturating load, and each report must
// equal the one committed under test/verdicts/ apart from its durations
// (`describeVerdictsUnderLoad`). The committed reports are made by
// `npx pnpm --filter @faultline/grader verdicts:update` (see
// test/verdicts/subjects.ts). The exercises workspace does the same for
// every exercise's solution, starter and mutants.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeVerdictsUnderLoad } from '../src/testing.ts';
import { VERDICTS_DIR, verdictSubjects } from './verdicts/subjects.ts';

describeVerdictsUnderLoad(
  { describe, test, expect, beforeAll, afterAll },
  {
    subjects: verdictSubjects(),
    dir: VERDICTS_DIR,
    update: 'npx pnpm --filter @faultline/grader verdicts:update',
    from: import.meta.dirname,
  },
);
