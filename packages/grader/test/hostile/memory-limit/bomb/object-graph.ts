// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to exhaust memory with a linked graph of many small objects.
 * Must: memory-limit.
 * When memory is exhausted by many small allocations QuickJS cannot even allocate its
 * `InternalError: out of memory` and throws `null`; the engine tells that from a learner's own
 * `throw null` by whether the heap reached the end of the sandbox's memory.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  let head = null;
  for (let i = 0; ; i++) head = { i, next: head, a: { b: { c: [i, i, i] } } };
}
