// Mistake class: refcounts. After mapPage the learner drops 'their' reference with putPage, but mapPage took over that reference, so the mapped frame goes back to the free list and can be handed to another process while still mapped; in Linux the allocation's reference becomes the PTE's (folio_add_new_anon_rmap) and is not put.
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
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  // The page table holds the page now; release our allocation reference.
  kernel.putPage(pfn);
  return { kind: 'resolved', resolution: 'demand-zero' };
}
