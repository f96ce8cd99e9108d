// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to skip allocation by mapping a frame number it never allocated (the last frame), writable, for
 * every write.
 * Must: the kernel or the tests catch it (shared frames between pages/processes, refcounts); overall status
 * fail, score < 26.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  if (!fault.write && !vma.shared) {
    kernel.mapPage(fault.mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  kernel.mapPage(fault.mm, fault.address, 255, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
