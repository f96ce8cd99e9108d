// Mutant: does the right thing but reports every fault as demand-zero, so the
// kernel's statistics and the learner's fault timeline are wrong.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write && !vma.shared) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
  } else {
    const pfn = kernel.allocPage();
    if (pfn < 0) return { kind: 'oom' };
    kernel.clearPage(pfn);
    kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  }
  return { kind: 'resolved', resolution: 'demand-zero' };
}
