// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: endless recursion through the kernel: the hook asks the kernel to handle the anonymous fault,
 * which calls the learner's own hook again (guest → host → kernel → guest …, one nested sandbox call
 * per level).
 * Must: the nesting is cut at 8 levels with a verdict naming it, not a host stack overflow; each test is an
 * error; overall status fail, score 0; the host stays healthy.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  return kernel.hooks.anonymousFault(fault, vma);
}
