// Mistake class: refcounts and leaks (read path). The learner allocates the frame before testing for a read, then maps the zero page and returns without putPage, so every first read leaks a frame (and a read can fail with OOM); do_anonymous_page allocates only on the write path.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
