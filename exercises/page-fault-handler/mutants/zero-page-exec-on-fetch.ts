// Mistake class: rights (exec). The learner sets the zero-page PTE's exec bit from the fault (exec: fault.exec), so a plain read of a PROT_EXEC area maps it non-executable and a later instruction fetch faults on a present page; do_anonymous_page derives the PTE's NX bit from the VMA (vm_get_page_prot(vma->vm_flags)), not from the access.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    // Executable only if this access is an instruction fetch: least privilege.
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: fault.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
