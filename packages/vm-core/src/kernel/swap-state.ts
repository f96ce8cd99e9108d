/**
 * The swap cache, and bringing a swapped-out page back through it.
 *
 * Follows mm/swap_state.c (swap_cache_get_folio, read_swap_cache_async),
 * mm/memory.c (do_swap_page) and mm/swapfile.c (folio_free_swap,
 * free_swap_and_cache).
 */
import { formatAddress } from '../hw/address.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { PageFlag } from './frames.ts';
import { KernelError } from './kernel.ts';
import { allocPage, putPage } from './page-alloc.ts';
import { addMapping } from './page-rmap.ts';
import { emit, type FaultContext, type KernelState, mmById, PAGE, pageDown } from './state.ts';
import { VmFlag } from './vma.ts';

export function swapSlotOf(s: KernelState, pte: bigint): number {
  return s.arch.pte.swapOffset(pte);
}

/** The register do_swap_page builds the new PTE in. */
const SWAP_IN = new PteHalves();

/**
 * do_swap_page(): brings a swapped-out page back, from the swap cache if
 * it is still there, else from the device. A write by the only user takes
 * the page out of swap altogether; otherwise it stays cached and clean, so
 * reclaim can drop it again without writing.
 */
export function swapInPage(
  s: KernelState,
  fault: FaultContext | null,
  mmId: number,
  address: number,
  write: boolean,
): 'swap-in' | 'oom' {
  const mm = mmById(s, mmId);
  const swap = s.swap;
  const tables = s.tables;
  const ops = s.arch.pteHalves;
  const pa = tables.entryAddress(mm.pgdPfn, address);
  const lo = pa === null ? 0 : tables.lo(pa);
  const hi = pa === null ? 0 : tables.hi(pa);
  if (swap === null || ops.none(lo, hi) || ops.mapsFrame(lo, hi))
    throw new KernelError(`no swap entry at ${formatAddress(address)}`);
  const slot = ops.swapOffset(lo, hi);
  let pfn = s.swapCache.get(slot);
  if (pfn === undefined) {
    const fresh = allocPage(s, fault);
    if (fresh < 0) return 'oom';
    pfn = fresh;
    swap.read(slot, s.memory.bytes.subarray(pfn * PAGE, (pfn + 1) * PAGE));
    // The swap cache holds a reference to both the page and the slot.
    swap.duplicate(slot);
    s.frames.incRefcount(pfn);
    s.frames.set(pfn, PageFlag.SwapCache);
    s.frames.set(pfn, PageFlag.Anon);
    s.frames.swapSlot[pfn] = slot;
    s.swapCache.set(slot, pfn);
    s.lru.addNew(pfn);
    s.stats.swapIns++;
    if (s.listener !== null) emit(s, { type: 'swap-in', pid: -1, address, slot, fromCache: false });
  } else {
    s.frames.incRefcount(pfn);
    if (s.listener !== null) emit(s, { type: 'swap-in', pid: -1, address, slot, fromCache: true });
  }
  // This PTE gives up its reference to the slot and maps the page.
  swap.release(slot);
  mm.swapEntries--;
  const vma = mm.vmas.containing(address)!;
  const exclusive = swap.count[slot] === 1 && s.frames.mapcountOf(pfn) === 0;
  const writable = write && exclusive && (vma.flags & VmFlag.Write) !== 0;
  // do_swap_page's RMAP_EXCLUSIVE: nobody else holds the slot or maps the page.
  s.frames.set(pfn, PageFlag.AnonExclusive, exclusive);
  const e = SWAP_IN;
  ops.make(
    pfn,
    {
      user: true,
      read: (vma.flags & (VmFlag.Read | VmFlag.Write)) !== 0,
      writable,
      exec: (vma.flags & VmFlag.Exec) !== 0,
      dirty: writable,
    },
    e,
  );
  tables.store(pa!, e.lo, e.hi);
  addMapping(s, mm, pageDown(address), pfn);
  if (writable) tryFreeSwap(s, pfn);
  return 'swap-in';
}

/**
 * folio_free_swap(): drops a page from the swap cache and frees its slot
 * when no PTE still holds the slot. Returns whether it did.
 */
export function tryFreeSwap(s: KernelState, pfn: number): boolean {
  if (!s.frames.has(pfn, PageFlag.SwapCache)) return false;
  const slot = s.frames.swapSlotOf(pfn);
  if (s.swap!.count[slot] !== 1) return false;
  s.swap!.release(slot);
  s.swapCache.delete(slot);
  s.frames.set(pfn, PageFlag.SwapCache, false);
  s.frames.swapSlot[pfn] = -1;
  // The page now exists only in memory: it is dirty with respect to swap.
  s.frames.set(pfn, PageFlag.Dirty);
  putPage(s, pfn);
  return true;
}

/** Drops one PTE's reference to a swap slot; frees a cached page that nothing needs any more. */
export function releaseSwapReference(s: KernelState, slot: number): void {
  const swap = s.swap!;
  const left = swap.release(slot);
  const cached = s.swapCache.get(slot);
  if (left === 1 && cached !== undefined && s.frames.mapcountOf(cached) === 0) tryFreeSwap(s, cached);
}
