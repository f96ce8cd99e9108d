// Mistake class: recycled state. The learner keeps a pre-allocated, pre-cleared 'spare' frame in a module-level variable for the next write fault; that frame is owned by nobody, survives process exit (a leak) and even a fresh kernel, where its number means some other frame. Linux allocates the folio inside the fault and keeps no state between faults.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

let spare = -1;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  let pfn = spare;
  spare = -1;
  if (pfn < 0) {
    pfn = kernel.allocPage();
    if (pfn < 0) return { kind: 'oom' };
    kernel.clearPage(pfn);
  }
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  // Get the next write's frame ready now, so the next fault is faster.
  const next = kernel.allocPage();
  if (next >= 0) {
    kernel.clearPage(next);
    spare = next;
  }
  return { kind: 'resolved', resolution: 'demand-zero' };
}
