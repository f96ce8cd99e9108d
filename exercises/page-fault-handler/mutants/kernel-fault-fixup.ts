// Mistake class: caller context. For a kernel-mode fault (fault.user false, e.g. copy_to_user into fresh mmap memory) the learner jumps to the exception-table fixup, so the syscall fails with -EFAULT instead of the page being faulted in; Linux's do_anonymous_page does not care who touched the page and maps it just the same.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const mm = fault.mm!;
  if (!fault.user) {
    // The kernel touched user memory: let the uaccess fixup handle it.
    const fixupIp = kernel.searchExceptionTable(fault.ip);
    if (fixupIp !== null) return { kind: 'fixup', fixupIp };
  }
  if (!fault.write) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
