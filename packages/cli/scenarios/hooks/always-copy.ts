// A cowBreak that is right but wasteful: it copies the page on every write
// fault, even when the writer is the page's last user and could take the
// page over (cow-reuse). Used by ../cow-always-copy.yaml; it runs in the
// sandbox through the kernel bridge, exactly as a learner's submission does.
import type { FaultInfo, FaultOutcome, KernelApi } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function cowBreak(fault: FaultInfo, pfn: number): FaultOutcome {
  const mm = fault.mm!;
  // Hold the old page while allocating: the allocation may reclaim.
  kernel.getPage(pfn);
  try {
    const copy = kernel.allocPage();
    if (copy < 0) return { kind: 'oom' };
    kernel.copyPage(pfn, copy);
    const vma = kernel.findVma(mm, fault.address)!;
    kernel.replacePage(mm, fault.address, copy, { writable: true, exec: vma.exec, dirty: true });
    return { kind: 'resolved', resolution: 'cow-copy' };
  } finally {
    kernel.putPage(pfn);
  }
}
