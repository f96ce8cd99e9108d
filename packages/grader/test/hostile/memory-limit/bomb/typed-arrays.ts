// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to exhaust memory with 1 MiB typed arrays (ArrayBuffers live outside the JS heap in some engines).
 * Must: memory-limit.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const buffers = [];
  for (;;) buffers.push(new Float64Array(128 * 1024).fill(1));
}
