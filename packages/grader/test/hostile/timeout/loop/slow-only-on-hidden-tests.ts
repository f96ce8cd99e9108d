// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to be correct on the visible tests and stall only once the process has many pages (the hidden
 * "many pages" test), hoping a late timeout is scored as a pass or kills the whole run.
 * Must: the visible tests pass, the stalled test times out; overall status timeout, score < 26.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let faults = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  if (++faults > 20) for (;;) {}
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
}
