// Mistake class: order (repeated touches). The learner remembers the last frame handed to (mm, page) in a module-level variable and, when the same process write-faults that page again (after munmap/MADV_DONTNEED and a new mmap at the same address), re-maps that stale, already freed frame; do_anonymous_page allocates a new zeroed frame on every first touch.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

let last: { mm: number; page: bigint; pfn: number } | null = null;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const page = fault.address & ~0xfffn;
  if (last !== null && last.mm === mm && last.page === page) {
    // A repeated touch of the page we just filled: reuse its frame.
    kernel.getPage(last.pfn);
    kernel.clearPage(last.pfn);
    kernel.mapPage(mm, fault.address, last.pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
    return { kind: 'resolved', resolution: 'demand-zero' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  last = { mm, page, pfn };
  return { kind: 'resolved', resolution: 'demand-zero' };
}
