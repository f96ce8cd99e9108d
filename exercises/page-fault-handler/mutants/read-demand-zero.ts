// Mistake class: resolution names. The learner maps the zero page correctly for a read but reports it as 'demand-zero' (it is zero-filled on demand, after all); the zero-page path is a distinct resolution, 'zero-page', and no frame was allocated.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'demand-zero' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
