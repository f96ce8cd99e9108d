// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: a file with types only (they vanish when transpiled), so the module exports nothing at all.
 * Must: "does not export anonymousFault"; overall status error (nothing ran), score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

interface Handler {
  anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome;
}
type Resolution = Extract<FaultOutcome, { kind: 'resolved' }>['resolution'];
declare const handler: Handler;
declare const resolutions: readonly Resolution[];
