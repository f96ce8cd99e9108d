// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: returning an outcome whose fields are getters (which could map pages while the host reads them),
 * or a function.
 * Must: invalid-value (getters and functions cannot cross); no getter runs; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let calls = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  calls++;
  if (calls % 2 === 0) return (() => ({ kind: 'resolved', resolution: 'zero-page' })) as never;
  return {
    get kind() {
      kernel.mapPage(fault.mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
      return 'resolved';
    },
    get resolution() {
      return 'zero-page';
    },
  };
}
