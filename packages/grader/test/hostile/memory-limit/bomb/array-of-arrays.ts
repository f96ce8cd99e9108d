// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to exhaust memory with ever-growing arrays.
 * Must: memory-limit (the sandbox's fixed-size WebAssembly memory), never the host's heap.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const hoard = [];
  for (;;) hoard.push(new Array(100_000).fill(hoard.length));
}
