// Mutant: ignores vma.exec, so every page it maps is no-execute.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write && !vma.shared) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: false });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: false, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
