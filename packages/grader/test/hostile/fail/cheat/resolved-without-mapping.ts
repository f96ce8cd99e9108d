// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: a correct-looking handler that returns the expected resolution without mapping anything.
 * Must: the kernel notices (or the tests do); no test that touches memory passes; overall status fail, score < 26.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  if (!fault.write && !vma.shared) return { kind: 'resolved', resolution: 'zero-page' };
  return { kind: 'resolved', resolution: 'demand-zero' };
}
