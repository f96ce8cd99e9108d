// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to exhaust memory by doubling a string (and keeping every copy).
 * Must: QuickJS concatenates lazily (ropes), so the doubling reaches the engine's maximum string length
 * long before memory runs out: the hook throws InternalError "string too long", each test is an error;
 * overall status fail, score 0. (memory-limit/bomb/flat-strings.ts is the string bomb that does fill memory.)
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const keep = [];
  let s = 'page fault ';
  for (;;) {
    s = s + s + String(keep.length);
    keep.push(s);
  }
}
