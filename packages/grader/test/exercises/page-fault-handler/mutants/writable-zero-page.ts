// Mutant: maps the shared zero page writable, so a later write lands in the
// page every process shares instead of breaking copy-on-write.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write && !vma.shared) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: vma.write, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
