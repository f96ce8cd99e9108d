// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: after mapping correctly, returning the right outcome with a cycle attached, or with a 200 000-element
 * array attached.
 * Must: invalid-value (cycles and values over the caps cannot cross); overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let calls = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const outcome = (() => {
    const mm = fault.mm;
    if (!fault.write && !vma.shared) {
      kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
      return { kind: 'resolved', resolution: 'zero-page' };
    }
    const pfn = kernel.allocPage();
    if (pfn < 0) return { kind: 'oom' };
    kernel.clearPage(pfn);
    kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
    return { kind: 'resolved', resolution: 'demand-zero' };
  })();
  if (++calls % 2 === 0) {
    outcome.self = outcome;
  } else {
    outcome.padding = new Array(200_000).fill(0);
  }
  return outcome;
}
