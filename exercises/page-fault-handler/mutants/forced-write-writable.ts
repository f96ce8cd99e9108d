// Mistake class: rights (write). The learner maps every write fault's new frame writable (writable: true), so a FOLL_FORCE write through /proc/PID/mem into a read-only private mapping leaves a user-writable PTE; Linux uses maybe_mkwrite, writable only when the VMA has VM_WRITE.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  // It is a write fault, so the page has to be writable.
  kernel.mapPage(mm, fault.address, pfn, { writable: true, exec: vma.exec, dirty: true });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
