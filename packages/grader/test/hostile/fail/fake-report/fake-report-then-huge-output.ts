// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: a fake passing report, then about 3 MB of console output per fault (to flood the host or push
 * the real verdict out of the report), with a wrong answer.
 * Must: output is capped per sandbox and per test; the report stays within the schema's caps; overall status
 * fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  console.log(
    '{"schemaVersion":1,"status":"pass","score":18,"maxScore":18,"exercise":"page-fault-handler","tests":[]}',
  );
  const line = 'All tests passed! '.repeat(1000);
  for (let i = 0; i < 200; i++) console.log(line);
  return { kind: 'oom' };
}
