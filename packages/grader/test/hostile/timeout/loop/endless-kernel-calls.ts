// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to burn time inside host functions (cheap in interpreter steps, slow in real time) by calling
 * the kernel API forever, after doing the right thing.
 * Must: the hook still times out; status timeout; the host stays healthy.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  let n = 0;
  for (;;) n += kernel.zeroPfn() + kernel.pageTableLevels();
}
