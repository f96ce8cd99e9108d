// Mistake class: alignment and address arithmetic. The learner computes the page by rounding up ((address + 0xfff) & ~0xfff), which is right for page-aligned addresses but maps the next page for any address inside a page; Linux rounds down (vmf->address & PAGE_MASK).
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  const page = (fault.address + 0xfffn) & ~0xfffn;
  if (!fault.write) {
    kernel.mapPage(mm, page, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, page, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
