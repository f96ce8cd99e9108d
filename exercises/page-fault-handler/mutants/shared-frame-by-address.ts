// Mistake class: private vs shared. The learner treats anonymous memory like shmem, remembering one frame per virtual page in a module-level map and handing it (getPage) to any process that writes the same address, so fork children and unrelated processes see each other's data; do_anonymous_page gives every private write fault a fresh frame of its own.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

const framesByPage = new Map<bigint, number>();

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const page = fault.address & ~0xfffn;
  const known = framesByPage.get(page);
  if (known !== undefined) {
    // Same page as someone already has: share it, like the page cache does.
    kernel.getPage(known);
    kernel.mapPage(mm, fault.address, known, { writable: vma.write, exec: vma.exec, dirty: fault.write });
    return { kind: 'resolved', resolution: 'demand-zero' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  framesByPage.set(page, pfn);
  return { kind: 'resolved', resolution: 'demand-zero' };
}
