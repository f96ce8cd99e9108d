// Mutant: forgets clearPage, so a recycled frame leaks its old contents.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write && !vma.shared) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
