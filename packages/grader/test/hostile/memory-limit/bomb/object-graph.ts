// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to exhaust memory with a linked graph of many small objects.
 * Must: memory-limit.
 * KNOWN BUG (packages/sandbox/src): today each test is an *error*, "threw Thrown: null", and the overall
 * status is fail. When memory is exhausted by many small allocations QuickJS cannot even allocate its
 * `InternalError: out of memory` and throws `null`; the prelude's describeThrown reports that as a thrown
 * value, and engine.ts's verdictForError only recognises InternalError "out of memory". hostile.test.ts
 * pins the current behaviour (KNOWN_BUGS) until the sandbox classifies it as memory-limit.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  let head = null;
  for (let i = 0; ; i++) head = { i, next: head, a: { b: { c: [i, i, i] } } };
}
