/**
 * Installing, replacing and tearing down user PTEs: what the fault
 * handlers (through the hooks) and munmap/exit build on.
 *
 * Follows mm/memory.c (set_pte_at in finish_fault, wp_page_copy's
 * ptep_clear_flush, wp_page_reuse, zap_page_range) and mm/mmu_gather.c.
 */
import { formatAddress } from '../hw/address.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { releaseUnmappedShmem } from './filemap.ts';
import { PageFlag } from './frames.ts';
import type { PageMapOptions } from './hooks.ts';
import { splitHugePmdAt, zapHugePmds } from './huge-memory.ts';
import { KernelError } from './kernel.ts';
import { isUserAddress } from './layout.ts';
import { type Mm, OutOfMemory } from './mm.ts';
import { putPage } from './page-alloc.ts';
import { addMapping, dropMapping } from './page-rmap.ts';
import { checkPfn, type KernelState, mmById, pageDown } from './state.ts';
import { releaseSwapReference } from './swap-state.ts';
import { flushTlbMm, flushTlbPage } from './tlb-flush.ts';
import { VmFlag } from './vma.ts';

// Each function's own register for the entry it builds: none of them runs
// another while its entry is live, so one register each is enough.
const MAP_PAGE = new PteHalves();
/**
 * The protection mapPage builds a user page with (mk_pte reads it and keeps
 * nothing). Global and accessed stay unsaid: each arch's default for a user
 * page (x86 leaves A to the MMU; RISC-V and ARM64 map pages young).
 */
const MAP_PROT: { read: boolean; writable: boolean; user: boolean; exec: boolean; dirty: boolean } = {
  read: true,
  writable: false,
  user: true,
  exec: false,
  dirty: false,
};
const MAKE_WRITABLE = new PteHalves();
const SET_ACCESS_FLAGS = new PteHalves();

/** Maps `pfn` at `address` in a fresh PTE; the caller's reference to the page becomes the mapping's. */
export function mapPage(
  s: KernelState,
  mmId: number,
  address: number,
  pfn: number,
  options: PageMapOptions,
): void {
  const mm = mmById(s, mmId);
  checkPfn(s, pfn);
  // Hooks call this: refuse what would corrupt the machine, with a reason.
  if (!Number.isSafeInteger(address) || !isUserAddress(s.layout, address)) {
    throw new KernelError(`mapPage: ${formatAddress(address)} is not a user address`);
  }
  const vma = mm.vmas.containing(address);
  if (vma === null) {
    throw new KernelError(`mapPage: no VMA covers ${formatAddress(address)} — map pages only inside areas`);
  }
  if (pfn !== s.zeroPagePfn) {
    if (s.frames.isFree(pfn)) throw new KernelError(`mapPage: frame ${pfn} is free — allocate it first`);
    if (
      s.frames.has(pfn, PageFlag.Reserved) ||
      s.frames.has(pfn, PageFlag.PageTable) ||
      s.frames.has(pfn, PageFlag.Kernel)
    ) {
      throw new KernelError(`mapPage: frame ${pfn} belongs to the kernel (a page table or kernel memory)`);
    }
  }
  if (pfn === s.zeroPagePfn && options.writable)
    throw new KernelError('mapPage: the shared zero page may only be mapped read-only');
  splitHugePmdAt(s, mm, address);
  let pa: number;
  try {
    pa = s.tables.pteAddress(mm.pgdPfn, address, mm)!;
  } catch (error) {
    // No frame for the page table: the caller's page goes back, then VM_FAULT_OOM.
    if (error instanceof OutOfMemory && pfn !== s.zeroPagePfn) putPage(s, pfn);
    throw error;
  }
  const ops = s.arch.pteHalves;
  const tables = s.tables;
  if (!ops.none(tables.lo(pa), tables.hi(pa)))
    throw new KernelError(`map of ${formatAddress(address)}: a PTE is already there`);
  const e = MAP_PAGE;
  const prot = MAP_PROT;
  // Write implies read; an exec-only area maps exec-only where the
  // format can say so (RISC-V's PAGE_EXEC).
  prot.read = (vma.flags & (VmFlag.Read | VmFlag.Write)) !== 0;
  prot.writable = options.writable;
  prot.exec = options.exec;
  prot.dirty = options.dirty ?? false;
  ops.make(pfn, prot, e);
  tables.store(pa, e.lo, e.hi);
  if (pfn !== s.zeroPagePfn) {
    addMapping(s, mm, pageDown(address), pfn);
    // A page a hook maps is new to user space unless it is a file's: it
    // becomes anonymous and joins the LRU (folio_add_new_anon_rmap,
    // folio_add_lru_vma). The other mappers — fork, swap-in — map pages
    // that already are.
    if (!s.frames.has(pfn, PageFlag.File)) {
      s.frames.set(pfn, PageFlag.Anon);
      // anon_vma_prepare(): the area now holds anonymous memory, which fork must copy.
      vma.anonVma = true;
      // folio_add_new_anon_rmap(…, RMAP_EXCLUSIVE): a new private page is
      // this mm's alone. (Shared anonymous memory is shmem's, never exclusive.)
      if ((vma.flags & VmFlag.Shared) === 0) s.frames.set(pfn, PageFlag.AnonExclusive);
    }
    if (!s.lru.has(pfn)) s.lru.addNew(pfn);
  }
}

/** Replaces the page mapped at `address` by `pfn` (COW copy): drops the old mapping's reference and flushes. */
export function replacePage(
  s: KernelState,
  mmId: number,
  address: number,
  pfn: number,
  options: PageMapOptions,
): void {
  const mm = mmById(s, mmId);
  splitHugePmdAt(s, mm, address);
  const tables = s.tables;
  const pa = tables.entryAddress(mm.pgdPfn, address);
  const lo = pa === null ? 0 : tables.lo(pa);
  const hi = pa === null ? 0 : tables.hi(pa);
  const ops = s.arch.pteHalves;
  if (!ops.valid(lo, hi))
    throw new KernelError(`replace at ${formatAddress(address)}: nothing is mapped there`);
  // ptep_clear_flush: no CPU may keep using the old page after this.
  tables.store(pa!, 0, 0);
  flushTlbPage(s, mmId, address);
  const oldPfn = ops.pfn(lo, hi);
  if (oldPfn !== s.zeroPagePfn) dropMapping(s, mm, pageDown(address), oldPfn, ops.dirty(lo, hi));
  mapPage(s, mmId, address, pfn, options);
}

/**
 * Makes the present PTE writable and dirty (COW reuse, wp_page_reuse) —
 * writable as maybe_mkwrite() makes it: only where the area allows writes,
 * so a FOLL_FORCE write that reuses a page in a read-only private area
 * leaves the entry read-only (and dirty).
 */
export function makeWritable(s: KernelState, mmId: number, address: number): void {
  const mm = mmById(s, mmId);
  splitHugePmdAt(s, mm, address);
  const tables = s.tables;
  const pa = tables.entryAddress(mm.pgdPfn, address);
  const ops = s.arch.pteHalves;
  const e = MAKE_WRITABLE.set(pa === null ? 0 : tables.lo(pa), pa === null ? 0 : tables.hi(pa));
  if (!ops.valid(e.lo, e.hi))
    throw new KernelError(`make writable at ${formatAddress(address)}: nothing is mapped there`);
  const pfn = ops.pfn(e.lo, e.hi);
  if (pfn === s.zeroPagePfn)
    throw new KernelError('makeWritable: the shared zero page must never become writable — copy it');
  const vma = mm.vmas.containing(address);
  const shared = vma !== null && (vma.flags & VmFlag.Shared) !== 0;
  const file = s.frames.has(pfn, PageFlag.File);
  if (file && !shared)
    throw new KernelError('makeWritable: a page-cache page in a private mapping must be copied, not written');
  // More rights need no flush on x86: a stale read-only entry just faults
  // once more and the CPU re-walks. ARM64's wp_page_reuse goes through
  // ptep_set_access_flags, which flushes the stale read-only entry.
  if (vma === null || (vma.flags & VmFlag.Write) !== 0) ops.mkwrite(e);
  ops.mkdirty(e);
  // wp_page_reuse after page_move_anon_rmap: the reused private page is now exclusive.
  if (vma !== null && !shared && !file && s.frames.has(pfn, PageFlag.Anon))
    s.frames.set(pfn, PageFlag.AnonExclusive);
  // wp_page_reuse()'s pte_mkyoung: where software keeps A (Svade), an old
  // PTE left old would cost the retried write a second fault Linux never
  // takes. Where hardware keeps it, the retry's walk sets it (and shows so).
  if (s.accessFlags === 'software') ops.mkyoung(e);
  tables.store(pa!, e.lo, e.hi);
  if (s.arch.tlb?.setDirtyFlushes === true) flushTlbPage(s, mmId, address);
}

/**
 * ptep_set_access_flags() after handle_pte_fault's pte_mkyoung (and
 * pte_mkdirty for a write): the state hardware that does not manage it
 * leaves to software. Only ever adds A or D, so x86 needs no TLB flush —
 * a stale entry just faults again; ARM64's flushes after making an entry
 * dirty ("Invalidate a stale read-only entry"). True if the entry changed.
 */
export function setAccessFlags(s: KernelState, mmId: number, address: number, write: boolean): boolean {
  const mm = mmById(s, mmId);
  splitHugePmdAt(s, mm, address);
  const tables = s.tables;
  const pa = tables.entryAddress(mm.pgdPfn, address);
  const ops = s.arch.pteHalves;
  const lo = pa === null ? 0 : tables.lo(pa);
  const hi = pa === null ? 0 : tables.hi(pa);
  if (!ops.valid(lo, hi))
    throw new KernelError(`setAccessFlags at ${formatAddress(address)}: nothing is mapped there`);
  if (write && !ops.write(lo, hi))
    throw new KernelError(
      `setAccessFlags at ${formatAddress(address)}: the PTE is read-only — a write fault here is COW (cowBreak) or page-mkwrite, not a missing dirty bit`,
    );
  const e = SET_ACCESS_FLAGS.set(lo, hi);
  ops.mkyoung(e);
  if (write) ops.mkdirty(e);
  if (e.lo === lo && e.hi === hi) return false;
  tables.store(pa!, e.lo, e.hi);
  if (write && s.arch.tlb?.setDirtyFlushes === true) flushTlbPage(s, mmId, address);
  return true;
}

/** zap_page_range + vma removal: unmaps every page in [start, end) and drops the areas. */
export function unmapRange(
  s: KernelState,
  mm: Mm,
  start: number,
  end: number,
  options: { keepVmas?: boolean } = {},
): void {
  // zap_pmd_range: a huge PMD wholly inside goes at once, one partly inside is split.
  zapHugePmds(s, mm, start, end);
  // The shmem files of the areas going away, freed below once nothing maps them.
  const shmem: string[] = [];
  if (options.keepVmas !== true) {
    for (const v of mm.vmas.all)
      if (
        v.file !== undefined &&
        v.start < end &&
        v.end > start &&
        s.files.get(v.file.name)?.kind === 'shmem'
      )
        shmem.push(v.file.name);
    mm.vmas.remove(start, end);
  }
  // mmu_gather: clear the PTEs, flush every TLB that may cache them, and
  // only then free the pages — so no CPU can reach a page after it is reused.
  // The gathered entries: address, low half, high half, three numbers each.
  const gathered: number[] = [];
  const tables = s.tables;
  tables.forEachUserEntry(mm.pgdPfn, start, end, (va, pa, lo, hi) => {
    tables.store(pa, 0, 0);
    gathered.push(va, lo, hi);
  });
  if (gathered.length === 0) {
    releaseUnmappedShmem(s, shmem);
    return;
  }
  flushTlbMm(s, mm);
  const ops = s.arch.pteHalves;
  for (let i = 0; i < gathered.length; i += 3) {
    const va = gathered[i]!;
    const lo = gathered[i + 1]!;
    const hi = gathered[i + 2]!;
    if (!ops.mapsFrame(lo, hi)) {
      mm.swapEntries--;
      releaseSwapReference(s, ops.swapOffset(lo, hi));
      continue;
    }
    const pfn = ops.pfn(lo, hi);
    if (pfn !== s.zeroPagePfn) dropMapping(s, mm, va, pfn, ops.dirty(lo, hi));
  }
  releaseUnmappedShmem(s, shmem);
}
