// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: mapping garbage frame numbers (NaN, -1, 2**60, a string, an object) in turn, uncaught.
 * Must: each call is refused with a learner-facing error before the kernel runs; each test is an error;
 * overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let calls = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const garbage = [Number.NaN, -1, 2 ** 60, '3', { pfn: 3 }, Number.POSITIVE_INFINITY, 1.5, null];
  kernel.mapPage(fault.mm, fault.address, garbage[calls++ % garbage.length], { writable: true, exec: false });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
