/**
 * The bookkeeping of one PTE mapping one page — the page's mapcount, the
 * mm's rss and the reverse map, which must always agree (invariants.ts
 * checks them) — done in exactly one pair of functions; what it means for
 * a PTE to stop mapping a page; and the reverse-map walk that tests a
 * page's accessed bits in every PTE that maps it.
 *
 * Follows mm/rmap.c (folio_add_anon_rmap_pte, folio_remove_rmap_pte,
 * folio_referenced), the rss counters of include/linux/mm.h
 * (inc_mm_counter) and mm/swapfile.c (free_swap_and_cache).
 */
import { PteHalves } from './arch/pte-halves.ts';
import { PageFlag } from './frames.ts';
import { hugePmdOf, splitHugePmdAt } from './huge-memory.ts';
import type { Mm } from './mm.ts';
import { putPage } from './page-alloc.ts';
import type { KernelState } from './state.ts';
import { tryFreeSwap } from './swap-state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import { VmFlag } from './vma.ts';

/**
 * A PTE of `mm` at `va` now maps `pfn` (never the zero page, which is not
 * counted). The reference the mapping holds is the caller's business: a
 * fault hands its freshly allocated page over, fork takes a new one.
 */
export function addMapping(s: KernelState, mm: Mm, va: number, pfn: number): void {
  s.frames.incMapcount(pfn);
  s.rmap.add(pfn, mm, va);
  mm.rss++;
}

/** The PTE of `mm` at `va` no longer maps `pfn`; the mapping's reference is left for the caller to drop. */
export function removeMapping(s: KernelState, mm: Mm, va: number, pfn: number): void {
  s.frames.decMapcount(pfn);
  mm.rss--;
  s.rmap.remove(pfn, mm, va);
}

/**
 * The PTE of `mm` mapping `pfn` moved from `fromVa` to `toVa` (mremap's
 * move_ptes): the same mapping, so mapcount and rss stay; only the reverse
 * map learns the new address.
 */
export function moveMapping(s: KernelState, mm: Mm, fromVa: number, toVa: number, pfn: number): void {
  s.rmap.move(pfn, mm, fromVa, toVa);
}

/** page_remove_rmap + put_page for one PTE that no longer maps `pfn`. */
export function dropMapping(s: KernelState, mm: Mm, va: number, pfn: number, dirty: boolean): void {
  removeMapping(s, mm, va, pfn);
  if (dirty) s.frames.set(pfn, PageFlag.Dirty);
  putPage(s, pfn);
  // An unmapped page kept only by the swap cache, whose slot nobody else
  // references, is of no use to anyone: free both (free_swap_and_cache).
  if (s.frames.mapcountOf(pfn) === 0 && s.frames.has(pfn, PageFlag.SwapCache)) tryFreeSwap(s, pfn);
}

/** The register folioReferenced clears an accessed bit in. */
const YOUNG = new PteHalves();

/** What folio_referenced() found: how many mappings had the accessed bit set, and whether one of them is executable. */
export interface References {
  readonly ptes: number;
  readonly exec: boolean;
}

/**
 * folio_referenced(): tests (and, with `clear`, clears) the accessed bit in
 * every PTE mapping the page, counting the mappings that had it set and
 * gathering their VMAs' flags (folio_referenced_one adds vm_flags only for
 * a VMA through which the page was referenced).
 */
export function folioReferenced(s: KernelState, pfn: number, clear: boolean): References {
  let ptes = 0;
  let exec = false;
  const tables = s.tables;
  const ops = s.arch.pteHalves;
  const rmap = s.rmap;
  // The successor is read before the flush below, which runs a hook.
  for (let r = rmap.first(pfn), next = -1; r !== -1; r = next) {
    next = rmap.next(r);
    const mm = rmap.mmAt(r);
    const va = rmap.vaAt(r);
    // A huge page's accessed bit is its PMD's: asking reads it there.
    // Clearing it is reclaim deciding about this page — one of the 512
    // the LRU holds separately, where Linux decides once for the folio —
    // so the huge page is split first and each page keeps the bit
    // (and gets its own second chance).
    if (clear) splitHugePmdAt(s, mm, va);
    const pa = (clear ? null : hugePmdOf(s, mm, va)) ?? tables.entryAddress(mm.pgdPfn, va)!;
    const lo = tables.lo(pa);
    const hi = tables.hi(pa);
    if (!ops.young(lo, hi)) continue;
    ptes++;
    if (((mm.vmas.containing(va)?.flags ?? 0) & VmFlag.Exec) !== 0) exec = true;
    if (!clear) continue;
    // x86 clears the bit without a flush (ptep_clear_flush_young): a TLB
    // entry still cached keeps the bit from being set again, so a hot
    // page can look cold for a while — a deliberate trade. ARM64's
    // flushes the entry (flush_tlb_page_nosync), so the next access walks
    // again — and, with the access flag left to software, faults.
    const old = YOUNG.set(lo, hi);
    ops.mkold(old);
    tables.store(pa, old.lo, old.hi);
    if (s.arch.tlb?.clearYoungFlushes === true) flushTlbPage(s, mm.id, va);
  }
  return { ptes, exec };
}
