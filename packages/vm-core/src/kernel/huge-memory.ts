/**
 * Transparent huge pages for anonymous memory: one fault maps a whole
 * 2 MiB block with a single PMD — a new huge page for a write, the huge
 * zero page for a read — and whatever changes part of a block splits its
 * PMD back into 512 PTEs.
 *
 * Follows mm/huge_memory.c of Linux 6.1 (do_huge_pmd_anonymous_page,
 * set_huge_zero_page, do_huge_pmd_wp_page, huge_pmd_set_accessed,
 * __split_huge_pmd_locked) and the PMD step of __handle_mm_fault in
 * mm/memory.c. Modelled: enabled = always with use_zero_page = 1 (as the
 * conformance probe sets them), anonymous private areas only (shmem's own
 * THP setting stays "never"), no khugepaged.
 *
 * Fork shares a huge PMD write-protected (copy_huge_pmd), mprotect of a
 * whole block changes it in place (change_huge_pmd) and mremap of an
 * aligned block moves it (move_huge_pmd), as Linux does. Where Linux keeps
 * a block huge and this kernel splits it instead — the reverse-map walks
 * of reclaim (Linux tests the PMD's accessed bit and splits only a page it
 * reclaims), GUP of a huge page — user space sees the same faults. A
 * split also splits the page itself into 512 order-0 pages at once,
 * where Linux keeps one folio (split_huge_page waits for memory
 * pressure, a partly unmapped huge page on the deferred-split queue): so a
 * later write to one of its pages that only this mm still maps is a reuse
 * here and a copy in 6.1 (whose do_wp_page counts the folio's references
 * from all 512 pages' mappings) — one fault either way.
 */
import { formatAddress } from '../hw/address.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { PageFlag } from './frames.ts';
import type { FaultInfo, FaultOutcome } from './hooks.ts';
import type { Mm } from './mm.ts';
import { addMapping, dropMapping, moveMapping } from './page-rmap.ts';
import { emit, type HugePmd, type KernelState, mmById, PAGE } from './state.ts';
import { flushTlbMm } from './tlb-flush.ts';
import { type Vma, VmFlag } from './vma.ts';

/** log2 of the pages in a huge page (HPAGE_PMD_ORDER): 9 for 2 MiB of 4 KiB pages. */
export function hugeOrder(s: KernelState): number {
  return Math.log2(s.tables.span(pmdLevel(s)) / PAGE);
}

/** The level of the page directory whose entries map huge pages (the PMD). */
function pmdLevel(s: KernelState): number {
  return s.tables.levels - 2;
}

const PMD = new PteHalves();
const PTE = new PteHalves();

/**
 * The PMD step of __handle_mm_fault for a fault in `vma` (access already
 * checked): the fault's resolution when the PMD level resolves it, or
 * null when the PTE level must (handle_pte_fault) — no huge page here,
 * or the huge mapping was just split (VM_FAULT_FALLBACK). Forced faults
 * (GUP's FOLL_FORCE) always go to the PTE level, after a split.
 */
export function hugePmdFault(s: KernelState, f: FaultInfo): FaultOutcome | null {
  if (s.thp === 'never' && s.hugePmds.size === 0) return null;
  const mm = mmById(s, f.mm!);
  const address = s.va.fromVirtual(f.address, 'hugePmdFault');
  const vma = mm.vmas.containing(address);
  if (vma === null) return null;
  const huge = hugePmdOf(s, mm, address);
  if (huge !== null) {
    if (f.forced) {
      splitHugePmd(s, huge);
      return null;
    }
    if (f.write && !s.arch.pteHalves.write(s.tables.lo(huge), s.tables.hi(huge)))
      return hugePmdWpFault(s, mm, huge);
    return hugePmdSetAccessed(s, mm, huge, f.write);
  }
  if (f.forced || !thpSuitable(s, vma, address)) return null;
  const start = address - (address % s.tables.span(pmdLevel(s)));
  const pmdPa = s.tables.entryAddress(mm.pgdPfn, address, { level: pmdLevel(s), create: mm })!;
  if (!s.arch.pteHalves.none(s.tables.lo(pmdPa), s.tables.hi(pmdPa))) return null;
  return f.write ? mapHugePage(s, mm, vma, pmdPa, start) : mapHugeZeroPage(s, mm, vma, pmdPa, start);
}

/**
 * hugepage_vma_check() and transhuge_vma_suitable() for a fault: THP is
 * on, the area is private anonymous memory, and the 2 MiB block around
 * `address` lies wholly inside it.
 */
function thpSuitable(s: KernelState, vma: Vma, address: number): boolean {
  if (s.thp !== 'always') return false;
  if (vma.file !== undefined || (vma.flags & VmFlag.Shared) !== 0) return false;
  const span = s.tables.span(pmdLevel(s));
  const start = address - (address % span);
  return start >= vma.start && start + span <= vma.end;
}

/** __do_huge_pmd_anonymous_page: a zeroed huge page, mapped writable and dirty where the area allows writes. */
function mapHugePage(s: KernelState, mm: Mm, vma: Vma, pmdPa: number, start: number): FaultOutcome | null {
  const order = hugeOrder(s);
  const pages = 2 ** order;
  // vma_alloc_folio(GFP_TRANSHUGE_LIGHT…): with defrag's default the fault
  // neither reclaims nor compacts — no free block of 512 frames above the
  // low watermark, and the fault falls back to a 4 KiB page
  // (THP_FAULT_FALLBACK).
  if (s.frames.free - pages < s.watermarks.low) return null;
  const pfn = s.frames.allocate(order);
  if (pfn < 0) return null;
  const table = depositTable(s, mm);
  if (table < 0) {
    s.frames.release(pfn, order);
    return { kind: 'oom' };
  }
  for (let i = 0; i < pages; i++) s.memory.zeroFrame(pfn + i);
  const ops = s.arch.pteHalves;
  ops.makeHuge(
    pfn,
    {
      read: true,
      writable: (vma.flags & VmFlag.Write) !== 0,
      user: true,
      exec: (vma.flags & VmFlag.Exec) !== 0,
      dirty: true,
    },
    PMD,
  );
  s.tables.store(pmdPa, PMD.lo, PMD.hi);
  s.hugePmds.set(pmdPa, { mm, start, table, zero: false });
  // folio_add_new_anon_rmap + add_mm_counter(MM_ANONPAGES, HPAGE_PMD_NR):
  // each of the 512 pages is this mm's, exclusively, and on the LRU.
  for (let i = 0; i < pages; i++) {
    addMapping(s, mm, start + i * PAGE, pfn + i);
    s.frames.set(pfn + i, PageFlag.Anon);
    s.frames.set(pfn + i, PageFlag.AnonExclusive);
    s.lru.addNew(pfn + i);
  }
  vma.anonVma = true;
  if (s.listener !== null) emit(s, { type: 'frame-alloc', pfn, order, purpose: 'user page' });
  return { kind: 'resolved', resolution: 'huge-page' };
}

/** set_huge_zero_page: the huge zero page, read-only, for a read of untouched memory. */
function mapHugeZeroPage(
  s: KernelState,
  mm: Mm,
  vma: Vma,
  pmdPa: number,
  start: number,
): FaultOutcome | null {
  const zero = hugeZeroPage(s);
  // mm_get_huge_zero_page failed: THP_FAULT_FALLBACK, a 4 KiB zero page.
  if (zero < 0) return null;
  const table = depositTable(s, mm);
  if (table < 0) return { kind: 'oom' };
  s.arch.pteHalves.makeHuge(
    zero,
    { read: true, writable: false, user: true, exec: (vma.flags & VmFlag.Exec) !== 0 },
    PMD,
  );
  s.tables.store(pmdPa, PMD.lo, PMD.hi);
  s.hugePmds.set(pmdPa, { mm, start, table, zero: true });
  vma.anonVma = true;
  return { kind: 'resolved', resolution: 'huge-zero-page' };
}

/**
 * get_huge_zero_page(): allocated on first use — 512 zeroed frames, never
 * freed here (Linux's shrinker frees it once nothing maps it) — or -1.
 */
function hugeZeroPage(s: KernelState): number {
  if (s.hugeZeroPfn >= 0) return s.hugeZeroPfn;
  const order = hugeOrder(s);
  const pfn = s.frames.allocate(order);
  if (pfn < 0) return -1;
  for (let i = 0; i < 2 ** order; i++) {
    s.memory.zeroFrame(pfn + i);
    s.frames.set(pfn + i, PageFlag.Reserved);
  }
  s.hugeZeroPfn = pfn;
  if (s.listener !== null) emit(s, { type: 'frame-alloc', pfn, order, purpose: 'huge zero page' });
  return pfn;
}

/** pte_alloc_one + pgtable_trans_huge_deposit: the PTE table a split will use, or -1. */
function depositTable(s: KernelState, mm: Mm): number {
  try {
    return s.tables.allocateTable(mm);
  } catch {
    return -1;
  }
}

/**
 * do_huge_pmd_wp_page: a write to a write-protected huge PMD in a
 * writable area. A huge page only this mm maps (PageAnonExclusive — what
 * mprotect's round trip to read-only and back leaves: 6.1's
 * change_huge_pmd does not make it writable at once) is reused whole;
 * the huge zero page, or a page shared with another mm, is split and the
 * write retried on its 4 KiB PTE (VM_FAULT_FALLBACK).
 */
function hugePmdWpFault(s: KernelState, mm: Mm, pmdPa: number): FaultOutcome | null {
  const huge = s.hugePmds.get(pmdPa)!;
  const ops = s.arch.pteHalves;
  const lo = s.tables.lo(pmdPa);
  const hi = s.tables.hi(pmdPa);
  const pfn = ops.pfn(lo, hi);
  if (huge.zero || !hugePageIsOurs(s, pfn)) {
    splitHugePmd(s, pmdPa);
    return null;
  }
  for (let i = 0; i < 2 ** hugeOrder(s); i++) s.frames.set(pfn + i, PageFlag.AnonExclusive);
  const e = PMD.set(lo, hi);
  ops.mkwrite(e);
  ops.mkdirty(e);
  ops.mkyoung(e);
  s.tables.store(pmdPa, e.lo, e.hi);
  if (s.arch.tlb?.setDirtyFlushes === true) flushTlbMm(s, mm);
  return { kind: 'resolved', resolution: 'cow-reuse' };
}

/**
 * Whether every page of the huge page at `pfn` is this PMD's alone —
 * exclusive, or no longer shared (the fork's other side has gone: 6.1's
 * folio_ref_count 1). Each page is asked: after the other side split its
 * PMD, its pages are counted one by one, and some may still be shared.
 */
function hugePageIsOurs(s: KernelState, pfn: number): boolean {
  for (let i = 0; i < 2 ** hugeOrder(s); i++) {
    const page = pfn + i;
    if (s.frames.has(page, PageFlag.AnonExclusive)) continue;
    if (s.frames.refcountOf(page) !== 1 || s.frames.mapcountOf(page) !== 1) return false;
  }
  return true;
}

/**
 * Splits every huge PMD of `mm` whose block an area boundary at one of
 * `addresses` would cut (vma_adjust_trans_huge, before __split_vma): a
 * huge PMD always lies inside one area.
 */
export function splitHugePmdsAcross(s: KernelState, mm: Mm, addresses: readonly number[]): void {
  if (s.hugePmds.size === 0) return;
  const span = s.tables.span(pmdLevel(s));
  for (const [pa, huge] of s.hugePmds)
    if (huge.mm === mm && addresses.some((a) => a > huge.start && a < huge.start + span)) splitHugePmd(s, pa);
}

/**
 * change_pmd_range's huge step, for mprotect: every huge PMD of `mm`
 * wholly inside [start, end) takes the area's new rights in place
 * (change_huge_pmd, pmd_modify) and stays huge; one only partly inside is
 * split for the 4 KiB path. In a private area write is taken away, even
 * when the new rights keep it (pmd_modify with vm_page_prot, which has no
 * write there), and never granted — 6.1 has no can_change_pmd_writable
 * (6.2) — so the next write faults once and reuses the page
 * (hugePmdWpFault). PROT_NONE
 * splits too: the PMD Linux keeps is invalid to the MMU, and the 4 KiB
 * path knows that state.
 */
export function changeHugePmds(
  s: KernelState,
  mm: Mm,
  start: number,
  end: number,
  rights: { readonly read: boolean; readonly write: boolean; readonly exec: boolean },
): void {
  if (s.hugePmds.size === 0) return;
  const span = s.tables.span(pmdLevel(s));
  const ops = s.arch.pteHalves;
  const none = !rights.read && !rights.write && !rights.exec;
  let changed = false;
  for (const [pa, huge] of s.hugePmds) {
    if (huge.mm !== mm || huge.start >= end || huge.start + span <= start) continue;
    if (none || huge.start < start || huge.start + span > end) {
      splitHugePmd(s, pa);
      continue;
    }
    const e = PMD.set(s.tables.lo(pa), s.tables.hi(pa));
    ops.modify(e, rights);
    // pmd_modify with a private area's vm_page_prot (PAGE_COPY: no write).
    if ((mm.vmas.containing(huge.start)!.flags & VmFlag.Shared) === 0) ops.wrprotect(e);
    s.tables.store(pa, e.lo, e.hi);
    changed = true;
  }
  if (changed) flushTlbMm(s, mm);
}

/**
 * zap_pmd_range's huge step, for munmap, MADV_DONTNEED and exit: a huge
 * PMD wholly inside [start, end) goes at once (zap_huge_pmd) — cleared,
 * the TLB flushed, then its pages' mappings dropped and its deposited
 * table freed; one only partly inside is split for the 4 KiB path.
 */
export function zapHugePmds(s: KernelState, mm: Mm, start: number, end: number): void {
  if (s.hugePmds.size === 0) return;
  const span = s.tables.span(pmdLevel(s));
  const ops = s.arch.pteHalves;
  const pages = 2 ** hugeOrder(s);
  const zapped: { huge: HugePmd; lo: number; hi: number }[] = [];
  for (const [pa, huge] of s.hugePmds) {
    if (huge.mm !== mm || huge.start >= end || huge.start + span <= start) continue;
    if (huge.start < start || huge.start + span > end) {
      splitHugePmd(s, pa);
      continue;
    }
    zapped.push({ huge, lo: s.tables.lo(pa), hi: s.tables.hi(pa) });
    s.tables.store(pa, 0, 0);
    s.hugePmds.delete(pa);
  }
  if (zapped.length === 0) return;
  flushTlbMm(s, mm);
  for (const { huge, lo, hi } of zapped) {
    if (!huge.zero) {
      const pfn = ops.pfn(lo, hi);
      for (let i = 0; i < pages; i++) dropMapping(s, mm, huge.start + i * PAGE, pfn + i, ops.dirty(lo, hi));
    }
    // pgtable_trans_huge_withdraw + pte_free.
    mm.tablePages.delete(huge.table);
    s.frames.release(huge.table);
  }
}

/**
 * copy_huge_pmd, for fork: the huge PMD of `from` at `start` is shared
 * with `child` — write-protected in both (for a private writable area),
 * old in the child, each of its pages with one more reference and mapping
 * and no longer exclusive (page_try_dup_anon_rmap); the huge zero page's
 * PMD is copied as it is. The child's PMD entry and the table it deposits
 * are allocated first, and that may reclaim — which may split this very
 * PMD (copy_huge_pmd re-reads *src_pmd after pte_alloc_one and returns
 * -EAGAIN): then the table becomes the child's PTE table, and 'split'
 * tells the caller to copy PTEs. 'write-protected': the parent's PMD lost
 * its write right (its TLB needs a flush). Throws OutOfMemory when the
 * child's tables cannot be had, with nothing counted.
 */
export function copyHugePmd(
  s: KernelState,
  from: Mm,
  child: Mm,
  start: number,
): 'copied' | 'write-protected' | 'split' {
  const level = pmdLevel(s);
  const dest = s.tables.entryAddress(child.pgdPfn, start, { level, create: child })!;
  const table = s.tables.allocateTable(child);
  const ops = s.arch.pteHalves;
  const pa = s.tables.entryAddress(from.pgdPfn, start, { level });
  const huge = pa === null ? undefined : s.hugePmds.get(pa);
  if (pa === null || huge === undefined) {
    ops.makeTable(table, true, PMD);
    s.tables.store(dest, PMD.lo, PMD.hi);
    return 'split';
  }
  const lo = s.tables.lo(pa);
  const hi = s.tables.hi(pa);
  if (!huge.zero) {
    const pfn = ops.pfn(lo, hi);
    for (let i = 0; i < 2 ** hugeOrder(s); i++) {
      s.frames.incRefcount(pfn + i);
      addMapping(s, child, start + i * PAGE, pfn + i);
      s.frames.set(pfn + i, PageFlag.AnonExclusive, false);
    }
  }
  const e = PMD.set(lo, hi);
  let writeProtected = false;
  if (ops.write(lo, hi)) {
    ops.wrprotect(e);
    s.tables.store(pa, e.lo, e.hi);
    writeProtected = true;
  }
  ops.mkold(e);
  s.tables.store(dest, e.lo, e.hi);
  s.hugePmds.set(dest, { mm: child, start, table, zero: huge.zero });
  return writeProtected ? 'write-protected' : 'copied';
}

/**
 * The huge PMDs mremap moves whole (move_page_tables' HPAGE_PMD extent):
 * those of `mm` wholly inside [from, from + length) whose block lands on a
 * 2 MiB boundary at `to`'s side, where no page table is in the way
 * (move_huge_pmd wants pmd_none there). The others are split and move as
 * PTEs.
 */
export function hugePmdsToMove(s: KernelState, mm: Mm, from: number, length: number, to: number): number[] {
  if (s.hugePmds.size === 0) return [];
  const span = s.tables.span(pmdLevel(s));
  if ((to - from) % span !== 0) return [];
  const moving: number[] = [];
  for (const [pa, huge] of s.hugePmds) {
    if (huge.mm !== mm || huge.start < from || huge.start + span > from + length) continue;
    const dest = s.tables.entryAddress(mm.pgdPfn, huge.start - from + to, { level: pmdLevel(s) });
    if (dest === null || s.arch.pteHalves.none(s.tables.lo(dest), s.tables.hi(dest))) moving.push(pa);
  }
  return moving;
}

/**
 * Makes the PMD entries the moving huge PMDs go to (pmd_alloc), before
 * anything moves; throws OutOfMemory when a table cannot be had.
 */
export function prepareHugePmdMoves(
  s: KernelState,
  mm: Mm,
  moving: readonly number[],
  from: number,
  to: number,
): void {
  for (const pa of moving)
    s.tables.entryAddress(mm.pgdPfn, s.hugePmds.get(pa)!.start - from + to, {
      level: pmdLevel(s),
      create: mm,
    });
}

/**
 * move_huge_pmd: the PMD, its deposited table with it, cleared at the old
 * address and set unchanged at the new one; the 512 pages' reverse map
 * learns where they are. The old 2 MiB translation is flushed.
 */
export function moveHugePmds(
  s: KernelState,
  mm: Mm,
  moving: readonly number[],
  from: number,
  to: number,
): void {
  const pages = 2 ** hugeOrder(s);
  const ops = s.arch.pteHalves;
  for (const pa of moving) {
    const huge = s.hugePmds.get(pa)!;
    const start = huge.start - from + to;
    const dest = s.tables.entryAddress(mm.pgdPfn, start, { level: pmdLevel(s) })!;
    const lo = s.tables.lo(pa);
    const hi = s.tables.hi(pa);
    s.tables.store(pa, 0, 0);
    s.tables.store(dest, lo, hi);
    s.hugePmds.delete(pa);
    s.hugePmds.set(dest, { ...huge, start });
    if (!huge.zero) {
      const pfn = ops.pfn(lo, hi);
      for (let i = 0; i < pages; i++) moveMapping(s, mm, huge.start + i * PAGE, start + i * PAGE, pfn + i);
    }
  }
  if (moving.length > 0) flushTlbMm(s, mm);
}

/** huge_pmd_set_accessed: the PMD made young (and dirty, for a write) — the state software keeps where hardware does not. */
function hugePmdSetAccessed(s: KernelState, mm: Mm, pmdPa: number, write: boolean): FaultOutcome {
  const ops = s.arch.pteHalves;
  const lo = s.tables.lo(pmdPa);
  const hi = s.tables.hi(pmdPa);
  const e = PMD.set(lo, hi);
  ops.mkyoung(e);
  if (write) ops.mkdirty(e);
  if (e.lo === lo && e.hi === hi) return { kind: 'resolved', resolution: 'spurious' };
  s.tables.store(pmdPa, e.lo, e.hi);
  if (write && s.arch.tlb?.setDirtyFlushes === true) flushTlbMm(s, mm);
  return { kind: 'resolved', resolution: 'access-flags' };
}

/** The physical address of the huge PMD mapping `address` in `mm`, or null. */
export function hugePmdOf(s: KernelState, mm: Mm, address: number): number | null {
  if (s.hugePmds.size === 0) return null;
  const pa = s.tables.entryAddress(mm.pgdPfn, address, { level: pmdLevel(s) });
  return pa !== null && s.hugePmds.has(pa) ? pa : null;
}

/**
 * split_huge_pmd() for the huge PMD that maps `address` in `mm`, if one
 * does: for code about to work on that one 4 KiB page's PTE. A lookup at
 * the PMD, not a search — it runs on every mapPage and COW.
 */
export function splitHugePmdAt(s: KernelState, mm: Mm, address: number): void {
  const pa = hugePmdOf(s, mm, address);
  if (pa !== null) splitHugePmd(s, pa);
}

/**
 * split_huge_pmd() for every huge PMD of `mm` that maps any of
 * [start, end): each becomes a table of 512 PTEs, so that code working on
 * 4 KiB pages can change part of the block. Free when there is nothing
 * huge (the common case).
 */
export function splitHugePmds(
  s: KernelState,
  mm: Mm,
  start: number,
  end: number,
  except: readonly number[] = [],
): void {
  if (s.hugePmds.size === 0) return;
  const span = s.tables.span(pmdLevel(s));
  for (const [pa, huge] of s.hugePmds)
    if (huge.mm === mm && huge.start < end && huge.start + span > start && !except.includes(pa))
      splitHugePmd(s, pa);
}

/**
 * __split_huge_pmd_locked: the deposited table gets a PTE per page — the
 * huge page's own pages with the PMD's rights, young and dirty state, or
 * the small zero page 512 times for the huge zero page — and the PMD now
 * points at it. The TLB may hold the 2 MiB translation: it is flushed.
 */
function splitHugePmd(s: KernelState, pmdPa: number): void {
  const huge: HugePmd | undefined = s.hugePmds.get(pmdPa);
  if (huge === undefined) throw new Error(`no huge PMD at ${formatAddress(pmdPa)}`);
  const ops = s.arch.pteHalves;
  const tables = s.tables;
  const lo = tables.lo(pmdPa);
  const hi = tables.hi(pmdPa);
  const bytes = s.layout.format.entryBytes;
  const pages = 2 ** hugeOrder(s);
  const base = huge.table * PAGE;
  if (huge.zero) {
    // __split_huge_zero_page_pmd: the small zero page, read-only, with the area's exec right.
    ops.make(
      s.zeroPagePfn,
      { read: true, writable: false, user: true, exec: ops.exec(lo, hi), accessed: ops.young(lo, hi) },
      PTE,
    );
    for (let i = 0; i < pages; i++) tables.store(base + i * bytes, PTE.lo, PTE.hi);
  } else {
    for (let i = 0; i < pages; i++) {
      tables.smallEntryOf(lo, hi, i, PTE);
      tables.store(base + i * bytes, PTE.lo, PTE.hi);
    }
  }
  ops.makeTable(huge.table, true, PMD);
  tables.store(pmdPa, PMD.lo, PMD.hi);
  s.hugePmds.delete(pmdPa);
  flushTlbMm(s, huge.mm);
  if (s.listener !== null)
    emit(s, { type: 'thp-split', mm: huge.mm.id, address: huge.start, zero: huge.zero });
}
