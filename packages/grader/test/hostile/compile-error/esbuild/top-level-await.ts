// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: top-level await (valid TypeScript in an ES module) to wait for a dynamic import of the reference
 * solution before the module finishes loading.
 * Must: the sandbox's CommonJS transpilation refuses top-level await: a compile-error report, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

const reference = await import('../solution');

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  return reference.anonymousFault(fault, vma);
}
