// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to swallow the CPU interrupt with try/catch/finally and keep spinning.
 * Must: the interrupt fires again at once past the deadline, so the hook still times out; status timeout.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  for (;;) {
    try {
      try {
        for (;;) {}
      } finally {
        for (;;) {}
      }
    } catch (e) {
      // keep going
    }
  }
}
