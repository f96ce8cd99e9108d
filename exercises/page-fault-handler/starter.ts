// The anonymous page fault handler (Linux: do_anonymous_page in mm/memory.c).
// The kernel calls it for the first touch of a page of anonymous memory: the
// address is inside a VMA that allows the access, and no PTE exists yet.
// See README.md for what it must do. The global `kernel` is your kernel API:
// its methods do the work (kernel.mapPage, kernel.allocPage, …); those under
// kernel.hooks run an installed hook instead, which may be learner code.
import type { FaultInfo, FaultOutcome, KernelApi, VmaInfo } from '@faultline/vm-core';

declare const kernel: KernelApi;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  // TODO: map the shared zero page for a read,
  // or allocate, clear and map a fresh frame for a write.
  console.log('anonymousFault', fault.address, vma.start, typeof kernel);
  throw new Error('anonymousFault is not implemented yet');
}
