/**
 * do_page_fault() as RISC-V Linux 6.1 has it (arch/riscv/mm/fault.c), for
 * the reference page-fault hook: the same mm/memory.c underneath as on x86,
 * a different front. In order:
 *
 *   1. vmalloc area: vmalloc_fault() — SIGSEGV from U-mode; from the kernel,
 *      copy init_mm's top-level entry into the root satp points at, or
 *      no_context() when init_mm has nothing there. It checks before
 *      anything else, whatever the PTE said. (6.5 preallocates the entries
 *      and takes no vmalloc fault on 64-bit; there this finds nothing to
 *      copy and ends in no_context(), where 6.5 arrives through bad_area().)
 *   2. No mm (a kernel thread): no_context() — the exception table or an oops.
 *   3. A kernel access below TASK_SIZE with sstatus.SUM clear: the exception
 *      table, else die_kernel_fault("access to user memory without uaccess
 *      routines"). (The fixup_exception() call arrived with 416721ff05fd,
 *      "riscv, mm: Perform BPF exhandler fixup on page fault", in 6.3 and the
 *      stable trees of March 2023 — 5.15.99 and the 6.2 queue on record —
 *      so in the 6.1.y Debian 12 ships; 6.1.0 died at once.)
 *   4. find_vma / expand_stack, then access_error(): from the cause and the
 *      VMA's flags alone — a fetch needs VM_EXEC, a load VM_READ or
 *      VM_WRITE, a store VM_WRITE. Unlike x86 it never asks whether the PTE
 *      was present: an accessed-bit fault on a readable page is not an
 *      access error.
 *   5. handle_mm_fault(); in kernel mode an OOM or SIGBUS goes to
 *      no_context() (mm_fault_error).
 */
import { userAccessViolation } from './arch/index.ts';
import type { FaultInfo, FaultOutcome, KernelApi, VirtualAddress, VmaInfo } from './hooks.ts';

/** RISC-V's exception causes for page faults (asm/csr.h). */
const EXC_INST_PAGE_FAULT = 12;
const EXC_LOAD_PAGE_FAULT = 13;
const EXC_STORE_PAGE_FAULT = 15;

/** handle_mm_fault() with the VMA found: the architecture-independent half, shared with x86. */
export type HandleMmFault = (k: KernelApi, f: FaultInfo, vma: VmaInfo, grew: boolean) => FaultOutcome;

export function riscvDoPageFault(k: KernelApi, f: FaultInfo, handleMmFault: HandleMmFault): FaultOutcome {
  if (k.isVmallocAddress(f.address)) {
    // vmalloc_fault(): "User mode accesses just cause a SIGSEGV".
    if (f.user) return segv(f.address, 'SEGV_MAPERR');
    if (k.hooks.vmallocFault(f)) return { kind: 'resolved', resolution: 'vmalloc-sync' };
    return noContext(k, f, 'vmalloc address not mapped in init_mm');
  }
  // faulthandler_disabled() || !mm
  if (f.mm === null) return noContext(k, f, 'kernel thread (no mm) faulted');
  if (!f.user && k.isUserAddress(f.address) && !f.userAccessOpen) {
    const fixupIp = k.hooks.exceptionFixup(f);
    if (fixupIp !== null) return { kind: 'fixup', fixupIp };
    // The reason is the architecture's message, which its oops prints as the headline.
    return { kind: 'oops', report: k.oopsReport(f, userAccessViolation(f.arch)) };
  }
  // find_vma() finds nothing above TASK_SIZE: kernel and non-canonical
  // addresses are bad areas, not a separate exception as x86's #GP.
  const found = k.isUserAddress(f.address) ? k.vmaForFault(f.mm, f.address) : null;
  if (found === null) return badArea(k, f, 'SEGV_MAPERR', 'no VMA covers the address');
  // A FOLL_FORCE fault reaches handle_mm_fault without access_error: GUP allowed it.
  if (!f.forced && accessError(f, found.vma))
    return badArea(k, f, 'SEGV_ACCERR', 'the VMA does not allow this access');
  const outcome = handleMmFault(k, f, found.vma, found.grew);
  if (!f.user && (outcome.kind === 'signal' || outcome.kind === 'oom')) {
    return noContext(k, f, `${outcome.kind === 'oom' ? 'out of memory' : 'SIGBUS'} during a kernel access`);
  }
  return outcome;
}

/** access_error(cause, vma). */
function accessError(f: FaultInfo, vma: VmaInfo): boolean {
  switch (f.errorCode) {
    case EXC_INST_PAGE_FAULT:
      return !vma.exec;
    case EXC_LOAD_PAGE_FAULT:
      // "Write implies read"
      return !(vma.read || vma.write);
    case EXC_STORE_PAGE_FAULT:
      return !vma.write;
    default:
      throw new RangeError(`access_error: unhandled cause ${f.errorCode}`);
  }
}

const segv = (address: VirtualAddress, code: 'SEGV_MAPERR' | 'SEGV_ACCERR'): FaultOutcome => ({
  kind: 'signal',
  signal: { signal: 'SIGSEGV', code, address },
});

/** bad_area(): SIGSEGV for U-mode, no_context() for the kernel. */
function badArea(k: KernelApi, f: FaultInfo, code: 'SEGV_MAPERR' | 'SEGV_ACCERR', why: string): FaultOutcome {
  return f.user ? segv(f.address, code) : noContext(k, f, why);
}

/** no_context(): the exception table's fixup, else die_kernel_fault(). */
function noContext(k: KernelApi, f: FaultInfo, why: string): FaultOutcome {
  const fixupIp = k.hooks.exceptionFixup(f);
  if (fixupIp !== null) return { kind: 'fixup', fixupIp };
  return { kind: 'oops', report: k.oopsReport(f, why) };
}
