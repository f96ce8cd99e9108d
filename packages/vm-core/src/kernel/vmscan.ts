/**
 * Reclaim: the LRU scan with its second chance, kswapd and direct reclaim,
 * and taking one anonymous page out to swap.
 *
 * Follows mm/vmscan.c (shrink_lruvec, shrink_active_list,
 * shrink_folio_list, folio_check_references, kswapd's balance_pgdat) and
 * mm/rmap.c (folio_referenced, try_to_unmap). The two-list LRU of 6.1
 * without the multi-generational LRU (CONFIG_LRU_GEN off or disabled).
 */
import { PteHalves } from './arch/pte-halves.ts';
import { evictFilePage, swapBacked } from './filemap.ts';
import { PageFlag } from './frames.ts';
import type { ReclaimCandidate } from './hooks.ts';
import { hugePmdOf, splitHugePmdAt } from './huge-memory.ts';
import { linuxAtLeast } from './linux-version.ts';
import { putPage } from './page-alloc.ts';
import { folioReferenced, type References, removeMapping } from './page-rmap.ts';
import { checkPfn, emit, type KernelState, PAGE } from './state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import type { ReclaimCheck } from './types.ts';
import { VmFlag } from './vma.ts';

/**
 * shrink_lruvec(), simplified: scans the inactive list from its old end and
 * asks the reclaimDecision hook about each page (the reference one is
 * folio_check_references: a page referenced again, or through several
 * PTEs, is activated; referenced once, kept for another trip; not at all,
 * reclaimed). Reclaimed pages go to swap — written out if dirty, simply
 * dropped if clean — or back to their file. The active list refills the
 * inactive one when it runs low. Returns the frames freed.
 */
export function reclaim(s: KernelState, target: number, who: 'kswapd' | 'direct' | 'manual'): number {
  let freed = 0;
  const scannedBefore = s.stats.pagesScanned;
  let budget = 2 * s.lru.size + 2;
  while (freed < target && budget-- > 0) {
    if (s.lru.inactiveSize === 0 || s.lru.inactiveSize < s.lru.activeSize / 2) {
      const oldest = s.lru.oldestActive();
      if (oldest >= 0) {
        // shrink_active_list: demote the oldest active page. Its accessed
        // bits are left alone, so a page used meanwhile gets its second
        // chance when the inactive scan tests them.
        s.lru.deactivate(oldest);
        continue;
      }
    }
    const pfn = s.lru.oldestInactive();
    if (pfn < 0) break;
    s.stats.pagesScanned++;
    const decision = s.hooks.reclaimDecision(s.api, checkReferences(s, pfn));
    if (decision === 'activate') {
      s.lru.activate(pfn);
      continue;
    }
    if (decision === 'keep' || !swapOut(s, pfn)) {
      s.lru.rotate(pfn);
      continue;
    }
    freed++;
  }
  if (s.listener !== null)
    emit(s, { type: 'reclaim', who, scanned: s.stats.pagesScanned - scannedBefore, freed });
  return freed;
}

/** Runs kswapd if an allocation woke it: reclaim until the high watermark. */
export function runKswapd(s: KernelState): number {
  if (!s.kswapdWoken) return 0;
  s.kswapdWoken = false;
  s.stats.kswapdRuns++;
  const want = s.watermarks.high - s.frames.free;
  return want > 0 ? reclaim(s, want, 'kswapd') : 0;
}

/** The allocating task reclaims for itself, up to the high watermark (at least one page). */
export function directReclaim(s: KernelState): void {
  s.stats.directReclaims++;
  reclaim(s, Math.max(1, s.watermarks.high - s.frames.free), 'direct');
}

/**
 * folio_check_references()'s reading of a page, with its side effects:
 * the accessed bits are cleared (folio_referenced) and PG_referenced is
 * tested and cleared (folio_test_clear_referenced); then, if a PTE was
 * referenced, PG_referenced is set again — "mark it and spare it for
 * another trip around the inactive list" — for every page since 5.9; in
 * older kernels an anonymous page returned PAGEREF_ACTIVATE before the
 * flag was set, so only file pages carried it (b518154e59aa, "mm/vmscan:
 * protect the workingset on anonymous LRU", 5.9). The flag is kept as
 * Linux keeps it whatever the installed policy answers.
 */
function checkReferences(s: KernelState, pfn: number): ReclaimCandidate {
  const refs = folioReferenced(s, pfn, true);
  const pageReferenced = s.frames.has(pfn, PageFlag.Referenced);
  s.frames.set(pfn, PageFlag.Referenced, false);
  const anon = !s.frames.has(pfn, PageFlag.File);
  if (refs.ptes > 0 && (!anon || linuxAtLeast(s.linux, '5.9'))) s.frames.set(pfn, PageFlag.Referenced);
  return candidate(s, pfn, refs, pageReferenced, anon);
}

/** What checkReferences would find for `pfn` now, changing nothing (the scan-only reclaim's view). */
export function reclaimCandidate(s: KernelState, pfn: number): ReclaimCandidate {
  checkPfn(s, pfn);
  return candidate(
    s,
    pfn,
    folioReferenced(s, pfn, false),
    s.frames.has(pfn, PageFlag.Referenced),
    !s.frames.has(pfn, PageFlag.File),
  );
}

function candidate(
  s: KernelState,
  pfn: number,
  refs: References,
  pageReferenced: boolean,
  anon: boolean,
): ReclaimCandidate {
  return {
    pfn,
    referenced: refs.ptes > 0,
    dirty: isPageDirty(s, pfn),
    referencedPtes: refs.ptes,
    pageReferenced,
    anon,
    exec: refs.exec,
    linux: s.linux,
  };
}

function isPageDirty(s: KernelState, pfn: number): boolean {
  if (s.frames.has(pfn, PageFlag.Dirty)) return true;
  const tables = s.tables;
  const rmap = s.rmap;
  for (let r = rmap.first(pfn); r !== -1; r = rmap.next(r)) {
    const pa =
      hugePmdOf(s, rmap.mmAt(r), rmap.vaAt(r)) ?? tables.entryAddress(rmap.mmAt(r).pgdPfn, rmap.vaAt(r));
    if (pa !== null && s.arch.pteHalves.dirty(tables.lo(pa), tables.hi(pa))) return true;
  }
  return false;
}

/**
 * Whether reclaiming `pfn` now would free it — the checks shrink_folio_list
 * (swapOut below) makes once the policy said "reclaim", read without
 * changing anything. `swapSlotsTaken`: slots a caller counting several
 * pages in a row has already promised to earlier ones (a scan that
 * reclaims nothing).
 */
export function reclaimCheck(s: KernelState, pfn: number, swapSlotsTaken: number): ReclaimCheck {
  // A page someone holds a reference to beyond its mappings and the caches
  // (a COW copy in progress, a uaccess) cannot be reclaimed now.
  const pins = (s.frames.has(pfn, PageFlag.SwapCache) ? 1 : 0) + (s.frames.has(pfn, PageFlag.File) ? 1 : 0);
  if (s.frames.refcountOf(pfn) > s.frames.mapcountOf(pfn) + pins) return { frees: false, why: 'pinned' };
  // try_to_unmap meets VM_LOCKED and keeps the page (Linux moves it to the unevictable list).
  for (const { mm, va } of s.rmap.mappings(pfn))
    if (((mm.vmas.containing(va)?.flags ?? 0) & VmFlag.Locked) !== 0) return { frees: false, why: 'mlocked' };
  // A file page goes back to its file: no swap needed — unless the file is
  // memory. A tmpfs page leaves only for swap (shmem_writepage), so without
  // a free slot it stays. (Its data is kept with the file here, standing in
  // for the slot, which is not taken.)
  if (s.frames.has(pfn, PageFlag.File)) {
    if (swapBacked(s, pfn)) {
      if (s.swap === null) return { frees: false, why: 'no-swap' };
      if (s.swap.free - swapSlotsTaken <= 0) return { frees: false, why: 'swap-full' };
    }
    return { frees: true, swapSlot: false };
  }
  if (s.swap === null) return { frees: false, why: 'no-swap' };
  if (!s.frames.has(pfn, PageFlag.Anon)) return { frees: false, why: 'not-anonymous' };
  // A page already in the swap cache has its slot; any other needs a new one.
  if (s.frames.has(pfn, PageFlag.SwapCache)) return { frees: true, swapSlot: false };
  if (s.swap.free - swapSlotsTaken <= 0) return { frees: false, why: 'swap-full' };
  return { frees: true, swapSlot: true };
}

/** shrink_folio_list for one page: into the swap cache, unmapped everywhere, written if dirty, freed. */
function swapOut(s: KernelState, pfn: number): boolean {
  if (!reclaimCheck(s, pfn, 0).frees) return false;
  if (s.frames.has(pfn, PageFlag.File)) return evictFilePage(s, pfn);
  const swap = s.swap!;
  if (!s.frames.has(pfn, PageFlag.SwapCache)) {
    const slot = swap.allocate(); // count 1: the swap cache's reference
    if (slot < 0) return false;
    s.frames.set(pfn, PageFlag.SwapCache);
    s.frames.swapSlot[pfn] = slot;
    s.frames.incRefcount(pfn);
    s.swapCache.set(slot, pfn);
    // A page that was never written to swap must be written now.
    s.frames.set(pfn, PageFlag.Dirty);
  }
  const slot = s.frames.swapSlotOf(pfn);
  // try_to_unmap: every PTE gets the swap entry, and every CPU forgets the old translation.
  const tables = s.tables;
  const ops = s.arch.pteHalves;
  const entry = new PteHalves();
  ops.swapEntry(0, slot, entry);
  for (const { mm, va } of [...s.rmap.mappings(pfn)]) {
    splitHugePmdAt(s, mm, va);
    const pa = tables.entryAddress(mm.pgdPfn, va)!;
    if (ops.dirty(tables.lo(pa), tables.hi(pa))) s.frames.set(pfn, PageFlag.Dirty);
    tables.store(pa, entry.lo, entry.hi);
    flushTlbPage(s, mm.id, va);
    swap.duplicate(slot);
    mm.swapEntries++;
    // The PTE's reference goes with it; the swap cache's keeps the page until it is written.
    removeMapping(s, mm, va, pfn);
    s.frames.decRefcount(pfn);
  }
  if (s.frames.has(pfn, PageFlag.Dirty)) {
    swap.write(slot, s.memory.bytes.subarray(pfn * PAGE, (pfn + 1) * PAGE));
    s.frames.set(pfn, PageFlag.Dirty, false);
    s.stats.swapOuts++;
    if (s.listener !== null) emit(s, { type: 'swap-out', pfn, slot });
  }
  // Leave the swap cache: the slot keeps the data, the frame goes free.
  s.swapCache.delete(slot);
  swap.release(slot);
  s.frames.set(pfn, PageFlag.SwapCache, false);
  s.frames.swapSlot[pfn] = -1;
  putPage(s, pfn);
  return true;
}
