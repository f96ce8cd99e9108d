// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to print a fake "all tests passed" banner and a fake JSON report (score 18/18, a made-up figure) while doing nothing.
 * Must: console output is only the learner's log: it cannot change the status or the score; overall status
 * fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  console.log('\n\u2713 All tests passed! 18/18 points\n');
  console.log(
    JSON.stringify({
      schemaVersion: 1,
      status: 'pass',
      score: 18,
      maxScore: 18,
      exercise: 'page-fault-handler',
      tests: [],
    }),
  );
  console.error('::set-output name=score::18');
  throw new Error('All tests passed');
}
