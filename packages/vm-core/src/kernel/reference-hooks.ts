/**
 * The reference kernel: Linux's fault path, written against the hook API
 * only, so that it is exactly what a learner's replacement must match.
 * Where one hook hands over to another (the fault handler to cowBreak, to
 * swapIn, …) it calls the installed one, `k.hooks.…`, which may be a
 * learner's.
 *
 * Sources: arch/x86/mm/fault.c (do_user_addr_fault, do_kern_addr_fault,
 * access_error, kernelmode_fixup_or_oops), arch/arm64/mm/fault.c
 * (do_page_fault, do_translation_fault, __do_kernel_fault), mm/memory.c
 * (handle_mm_fault, do_anonymous_page, do_wp_page, wp_can_reuse_anon_folio);
 * RISC-V's front half (arch/riscv/mm/fault.c) is in reference-hooks-riscv.ts.
 */
import { accessError as archAccessError, userAccessViolation } from './arch/index.ts';
import type { FaultInfo, FaultOutcome, KernelApi, KernelHooks, VirtualAddress, VmaInfo } from './hooks.ts';
import { linuxAtLeast } from './linux-version.ts';
import { riscvDoPageFault } from './reference-hooks-riscv.ts';
import { referenceCopyFromUser, referenceCopyToUser } from './uaccess.ts';

const segv = (address: VirtualAddress, code: 'SEGV_MAPERR' | 'SEGV_ACCERR'): FaultOutcome => ({
  kind: 'signal',
  signal: { signal: 'SIGSEGV', code, address },
});

/**
 * A fault that user space caused and nothing can fix: SIGSEGV for a user-mode
 * access; for a kernel-mode one, the exception table's fixup or an oops
 * (kernelmode_fixup_or_oops).
 */
function badArea(k: KernelApi, f: FaultInfo, code: 'SEGV_MAPERR' | 'SEGV_ACCERR', why: string): FaultOutcome {
  if (f.user) return segv(f.address, code);
  const fixupIp = k.hooks.exceptionFixup(f);
  if (fixupIp !== null) return { kind: 'fixup', fixupIp };
  return { kind: 'oops', report: k.oopsReport(f, why) };
}

/**
 * access_error(): does the VMA forbid this access? By the architecture's
 * rule — x86 calls any present read fault an error, while on ARM64 a
 * present fault may be an access-flag fault on a page the VMA allows.
 */
function accessError(f: FaultInfo, vma: VmaInfo): boolean {
  return archAccessError(f.arch, f, vma);
}

export const referencePageFault: KernelHooks['pageFault'] = (k, f) => {
  // RISC-V's do_page_fault orders its checks differently and decides
  // access errors from the cause alone; handle_mm_fault below is shared.
  if (f.arch === 'riscv-sv39') return riscvDoPageFault(k, f, handleUserAddressFault);
  // Kernel addresses (do_kern_addr_fault).
  if (!k.isUserAddress(f.address)) {
    // Only a not-present kernel-mode fault can be a vmalloc sync.
    if (!f.user && !f.present && !f.reservedBit && k.isVmallocAddress(f.address)) {
      if (k.hooks.vmallocFault(f)) return { kind: 'resolved', resolution: 'vmalloc-sync' };
    }
    // A user access to the kernel half is, to user space, an unmapped address.
    return badArea(k, f, 'SEGV_MAPERR', 'kernel address not mapped or not accessible');
  }

  // do_user_addr_fault from here on.
  if (f.reservedBit) {
    return { kind: 'oops', report: k.oopsReport(f, 'reserved bit set in a page-table entry (pgtable_bad)') };
  }
  // SMAP / PAN / SUM: a supervisor access to user memory outside the
  // user-access window is a kernel bug; the exception table is deliberately
  // not consulted. (ARM64 asks only about EL1 permission faults, and only
  // for a task with an mm — see its userAccessAllowed.)
  if (!f.user && !f.userAccessOpen) {
    return { kind: 'oops', report: k.oopsReport(f, userAccessViolation(f.arch)) };
  }
  // A kernel thread has no user address space at all.
  if (f.mm === null) return badArea(k, f, 'SEGV_MAPERR', 'kernel thread touched a user address');

  const found = k.vmaForFault(f.mm, f.address);
  if (found === null) return badArea(k, f, 'SEGV_MAPERR', 'no VMA covers the address');
  const { vma, grew } = found;
  // A FOLL_FORCE fault reaches handle_mm_fault without access_error: GUP allowed it.
  if (!f.forced && accessError(f, vma))
    return badArea(k, f, 'SEGV_ACCERR', 'the VMA does not allow this access');

  const outcome = handleUserAddressFault(k, f, vma, grew);
  // In kernel mode (a uaccess routine), what would have been SIGBUS or an
  // OOM kill for user code goes to the exception table instead
  // (kernelmode_fixup_or_oops in do_sigbus and the VM_FAULT_OOM path).
  if (!f.user && (outcome.kind === 'signal' || outcome.kind === 'oom')) {
    return badArea(
      k,
      f,
      'SEGV_MAPERR',
      `${outcome.kind === 'oom' ? 'out of memory' : 'SIGBUS'} during a kernel access`,
    );
  }
  return outcome;
};

function handleUserAddressFault(k: KernelApi, f: FaultInfo, vma: VmaInfo, grew: boolean): FaultOutcome {
  const mm = f.mm!;
  // Transparent huge pages are decided a level up, at the PMD.
  const huge = k.hugePmdFault(f);
  if (huge !== null) return huge;
  const pte = k.hooks.walkPageTable(mm, f.address);
  switch (pte.kind) {
    case 'none': {
      const outcome = vma.file ? k.fileFault(f) : k.hooks.anonymousFault(f, vma);
      if (grew && outcome.kind === 'resolved') return { kind: 'resolved', resolution: 'stack-growth' };
      return outcome;
    }
    case 'swap':
      return k.hooks.swapIn(f);
    case 'present':
      // A shared mapping is written in place: the first write to a clean
      // page only makes the PTE writable (and the page dirty).
      if (f.write && !pte.writable && vma.shared) {
        k.makeWritable(mm, f.address);
        return { kind: 'resolved', resolution: 'page-mkwrite' };
      }
      if (f.write && !pte.writable) return k.hooks.cowBreak(f, pte.pfn);
      // The tables allow it. handle_pte_fault marks the entry young (and
      // dirty, for a write): where hardware leaves that to software (ARM64
      // without FEAT_HAFDBS, RISC-V Svade) this is why the fault happened.
      // If nothing changed, another CPU fixed it first or a stale TLB entry
      // faulted: a spurious fault.
      return k.setAccessFlags(mm, f.address, f.write)
        ? { kind: 'resolved', resolution: 'access-flags' }
        : { kind: 'resolved', resolution: 'spurious' };
  }
}

export const referenceAnonymousFault: KernelHooks['anonymousFault'] = (k, f, vma) => {
  const mm = f.mm!;
  // A read of untouched private memory maps the shared zero page,
  // read-only: no memory is used until the first write. (Shared anonymous
  // memory is shmem in Linux: it always gets a real page.)
  if (!f.write && !vma.shared) {
    k.mapPage(mm, f.address, k.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = k.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  k.clearPage(pfn);
  // do_anonymous_page: writable and dirty only where the area allows writes.
  k.mapPage(mm, f.address, pfn, { writable: vma.write, exec: vma.exec, dirty: f.write && vma.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
};

export const referenceCowBreak: KernelHooks['cowBreak'] = (k, f, pfn) => {
  const mm = f.mm!;
  // A page still in the swap cache is also referenced by the cache; if no
  // other PTE holds its slot, drop it from swap first (it is about to change).
  k.tryFreeSwap(pfn);
  const page = k.pageInfo(pfn);
  // Since Linux 5.9 the decision is by reference count alone: a page nobody
  // else holds is ours to write (wp_can_reuse_anon_folio). The zero page and
  // page-cache pages are never reused by a private mapping.
  if (!page.zero && !page.file && page.refcount === 1) {
    k.makeWritable(mm, f.address);
    return { kind: 'resolved', resolution: 'cow-reuse' };
  }
  // Hold the old page while allocating: the allocation may reclaim, and
  // reclaim must not take a page we are about to copy (wp_page_copy holds a
  // folio reference for exactly this).
  k.getPage(pfn);
  try {
    const copy = k.allocPage();
    if (copy < 0) return { kind: 'oom' };
    if (page.zero) k.clearPage(copy);
    else k.copyPage(pfn, copy);
    const vma = k.findVma(mm, f.address)!;
    // maybe_mkwrite(): writable only where the area allows writes — a
    // FOLL_FORCE write into a read-only private area gets its copy read-only.
    k.replacePage(mm, f.address, copy, { writable: vma.write, exec: vma.exec, dirty: true });
    return { kind: 'resolved', resolution: 'cow-copy' };
  } finally {
    k.putPage(pfn);
  }
};

export const referenceVmallocFault: KernelHooks['vmallocFault'] = (k, f) =>
  k.syncKernelMapping(f.mm, f.address);

export const referenceSwapIn: KernelHooks['swapIn'] = (k, f) =>
  k.swapInPage(f.mm!, f.address, f.write) === 'swap-in'
    ? { kind: 'resolved', resolution: 'swap-in' }
    : { kind: 'oom' };

export const referenceExceptionFixup: KernelHooks['exceptionFixup'] = (k, f) => k.searchExceptionTable(f.ip);

/**
 * flush_tlb_page(): invalidate locally and, by IPI, on every other CPU that
 * may hold the translation (mm_cpumask). Flushing only the local CPU leaves
 * the others' stale entries working — the classic SMP bug. (Linux arm64
 * sends no IPIs: one TLBI VALE1IS, broadcast by the hardware to every CPU
 * in the inner-shareable domain, does what this loop does.)
 */
export const referenceFlushTlbPage: KernelHooks['flushTlbPage'] = (k, { mm, address }) => {
  for (const cpu of k.cpusThatMayCache(mm)) k.invalidateTlbEntry(cpu, mm, address);
};

/** follow_pte(): walk from the root, one level at a time, as the MMU does. */
export const referenceWalkPageTable: KernelHooks['walkPageTable'] = (k, { mm, address }) => {
  let table = k.pageTableRoot(mm);
  const levels = k.pageTableLevels();
  for (let level = 0; level < levels; level++) {
    const entry = k.readTableEntry(table + k.tableIndex(address, level) * k.entrySize(), level);
    switch (entry.kind) {
      case 'none':
        return { kind: 'none' };
      case 'swap':
        return { kind: 'swap', slot: entry.slot };
      case 'leaf':
        return {
          kind: 'present',
          pfn: entry.pfn + pageInLeaf(k, address, level, levels),
          writable: entry.writable,
          user: entry.user,
          exec: entry.exec,
          accessed: entry.accessed,
          dirty: entry.dirty,
        };
      case 'table':
        table = entry.pfn * 4096;
        break;
    }
  }
  return { kind: 'none' };
};

/**
 * Which of a huge leaf's pages `address` falls in (0 for a last-level
 * PTE): the indexes the lower levels would have used, as a number of
 * pages — for a 2 MiB PMD leaf, pte_index(address).
 */
function pageInLeaf(k: KernelApi, address: VirtualAddress, level: number, levels: number): number {
  const perTable = 4096 / k.entrySize();
  let page = 0;
  for (let lower = level + 1; lower < levels; lower++) page = page * perTable + k.tableIndex(address, lower);
  return page;
}

/**
 * mm/vmscan.c folio_check_references (page_check_references before 5.18),
 * for the page at the old end of the inactive list:
 *
 * 1. Referenced through a PTE since the last scan:
 *    - before 5.9, a swap-backed (anonymous) page is activated at once;
 *    - "All mapped pages start out with page table references from the
 *      instantiating fault, so we need to look twice": activate if it was
 *      seen referenced before too (PG_referenced) or through more than one
 *      PTE — since 5.9 for anonymous pages as well (b518154e59aa);
 *    - a file page mapped executable is activated after first use (VM_EXEC;
 *      since 5.9 only file pages: `folio_is_file_lru`);
 *    - otherwise kept on the inactive list for another trip (PAGEREF_KEEP;
 *      the kernel has set PG_referenced).
 * 2. Not referenced: reclaimed. (A file page with PG_referenced set gets
 *    PAGEREF_RECLAIM_CLEAN, "reclaim if clean, defer dirty pages to
 *    writeback"; there is no flusher here — reclaim writes a dirty page
 *    back itself — so it is reclaimed like the rest.)
 */
export const referenceReclaimDecision: KernelHooks['reclaimDecision'] = (_k, page) => {
  if (page.referencedPtes === 0) return 'reclaim';
  const since59 = linuxAtLeast(page.linux, '5.9');
  if (page.anon && !since59) return 'activate';
  if (page.pageReferenced || page.referencedPtes > 1) return 'activate';
  if (page.exec && !page.anon) return 'activate';
  return 'keep';
};

export const referenceHooks: KernelHooks = {
  pageFault: referencePageFault,
  anonymousFault: referenceAnonymousFault,
  cowBreak: referenceCowBreak,
  vmallocFault: referenceVmallocFault,
  copyFromUser: referenceCopyFromUser,
  copyToUser: referenceCopyToUser,
  reclaimDecision: referenceReclaimDecision,
  flushTlbPage: referenceFlushTlbPage,
  walkPageTable: referenceWalkPageTable,
  swapIn: referenceSwapIn,
  exceptionFixup: referenceExceptionFixup,
};
