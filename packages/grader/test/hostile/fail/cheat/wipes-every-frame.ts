// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: a handler that clears every physical frame on each fault (other processes' data, the zero page),
 * then answers correctly.
 * Must: it only hurts its own result: the isolation tests fail; overall status fail, score < 26.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  for (let pfn = 0; pfn < 256; pfn++) {
    try {
      kernel.clearPage(pfn);
    } catch {}
  }
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
