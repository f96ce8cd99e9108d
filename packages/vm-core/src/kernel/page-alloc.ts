/**
 * User pages from the frame allocator, with the watermarks in the loop,
 * and their reference counts.
 *
 * Follows mm/page_alloc.c (__alloc_pages and its slow path: direct reclaim,
 * then the OOM killer) and mm/swap.c (get_page, put_page, __folio_put).
 */
import { PageFlag } from './frames.ts';
import type { PageInfo } from './hooks.ts';
import { KernelError } from './kernel.ts';
import { oomKill } from './oom-kill.ts';
import { checkPfn, emit, type FaultContext, type KernelState } from './state.ts';
import { directReclaim } from './vmscan.ts';

/**
 * __alloc_pages for one user page: -1 if even the OOM killer cannot make
 * room. `fault` is the fault being handled, if any: an OOM victim that is
 * the faulting task dies when the fault returns, not here.
 */
export function allocPage(s: KernelState, fault: FaultContext | null): number {
  // Below the min watermark the allocating task reclaims itself; if nothing
  // can be reclaimed, the OOM killer makes room.
  if (s.frames.free <= s.watermarks.min) directReclaim(s);
  let pfn = s.frames.allocate();
  if (pfn < 0) {
    directReclaim(s);
    pfn = s.frames.allocate();
  }
  while (pfn < 0 && oomKill(s, fault?.task ?? null) === 'freed') pfn = s.frames.allocate();
  if (pfn < 0) return -1;
  if (s.frames.free < s.watermarks.low) s.kswapdWoken = true;
  if (s.listener !== null) emit(s, { type: 'frame-alloc', pfn, order: 0, purpose: 'user page' });
  return pfn;
}

export function pageInfo(s: KernelState, pfn: number): PageInfo {
  checkPfn(s, pfn);
  return {
    refcount: s.frames.refcountOf(pfn),
    mapcount: s.frames.mapcountOf(pfn),
    zero: pfn === s.zeroPagePfn,
    anon: s.frames.has(pfn, PageFlag.Anon),
    file: s.frames.has(pfn, PageFlag.File),
  };
}

export function clearPage(s: KernelState, pfn: number): void {
  checkPfn(s, pfn);
  if (pfn === s.zeroPagePfn) throw new KernelError('clear_page on the shared zero page');
  s.memory.zeroFrame(pfn);
}

export function copyPage(s: KernelState, fromPfn: number, toPfn: number): void {
  checkPfn(s, fromPfn);
  checkPfn(s, toPfn);
  s.memory.copyFrame(fromPfn, toPfn);
}

/** get_page(): the zero page is never counted. */
export function getPage(s: KernelState, pfn: number): void {
  checkPfn(s, pfn);
  if (pfn === s.zeroPagePfn) return;
  if (s.frames.isFree(pfn)) throw new KernelError(`get_page on free frame ${pfn}`);
  s.frames.incRefcount(pfn);
}

/** put_page(): the last reference takes the page off the LRU and frees it. */
export function putPage(s: KernelState, pfn: number): void {
  checkPfn(s, pfn);
  if (pfn === s.zeroPagePfn) return;
  if (
    s.frames.has(pfn, PageFlag.Reserved) ||
    s.frames.has(pfn, PageFlag.PageTable) ||
    s.frames.has(pfn, PageFlag.Kernel)
  ) {
    throw new KernelError(`put_page on frame ${pfn}, which is not a user page`);
  }
  if (s.frames.refcountOf(pfn) <= 0) throw new KernelError(`put_page on free frame ${pfn}`);
  const left = s.frames.decRefcount(pfn);
  if (left === 0) {
    s.lru.remove(pfn);
    s.frames.release(pfn);
    if (s.listener !== null) emit(s, { type: 'frame-free', pfn, order: 0 });
  }
}
