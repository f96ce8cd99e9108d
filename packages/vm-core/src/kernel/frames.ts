/**
 * The page-frame database and the buddy allocator (after mm/page_alloc.c).
 *
 * Every physical frame has a `struct page`-like record, stored column-wise in
 * typed arrays indexed by frame number: reference count, map count (how many
 * PTEs map it), flags, and what owns it. Free frames live in the buddy
 * allocator: blocks of 2^order frames, split on allocation and merged with
 * their buddy (pfn ^ 2^order) on free, lowest order first.
 *
 * Deterministic: the free lists are LIFO stacks, so the same sequence of
 * calls always hands out the same frames.
 */

import { KernelError } from './kernel.ts';

export const MAX_ORDER = 10;

/** Page flags, as bits (include/linux/page-flags.h, the subset we model). */
export const PageFlag = {
  /** Never allocated or freed: the zero page, boot-time frames. */
  Reserved: 1 << 0,
  /** Holds a page table. */
  PageTable: 1 << 1,
  /** Anonymous user memory. */
  Anon: 1 << 2,
  /** On an LRU list (active or inactive). */
  Lru: 1 << 3,
  Active: 1 << 4,
  /** Must be written back before it can be dropped. */
  Dirty: 1 << 5,
  /** In the swap cache: has a swap slot. */
  SwapCache: 1 << 6,
  /** Kernel memory from kmalloc/vmalloc: never swapped. */
  Kernel: 1 << 7,
  /** Being written to swap right now (reclaim holds it). */
  Writeback: 1 << 8,
  /** In a file's page cache (the cache holds a reference). */
  File: 1 << 9,
  /**
   * PG_referenced: reclaim saw the page referenced on an earlier trip down
   * the inactive list (folio_check_references sets it; the next check
   * tests and clears it). A second reference with it set activates.
   */
  Referenced: 1 << 10,
  /**
   * PG_anon_exclusive (Linux 5.19 on, commit 6c287605fd56): an anonymous
   * page only this mm maps, so it may be written without a copy. Set on a
   * new anonymous page and on a COW reuse, cleared when fork shares the
   * page; mprotect asks for it (can_change_pte_writable).
   */
  AnonExclusive: 1 << 11,
} as const;
export type PageFlag = (typeof PageFlag)[keyof typeof PageFlag];

const NONE = -1;

/**
 * `column[i]` for an index that must lie inside the column: a per-frame (or
 * per-list) cell, read without a non-null assertion and without allocating.
 */
export function cell(column: Int32Array | Int8Array | Uint8Array, i: number): number {
  const v = column[i];
  if (v === undefined) throw new KernelError(`index ${i} is outside the column (0..${column.length - 1})`);
  return v;
}

export class FrameDatabase {
  readonly frames: number;
  /** get_page/put_page count; 0 = free. */
  readonly refcount: Int32Array;
  /** Number of PTEs mapping the frame. */
  readonly mapcount: Int32Array;
  readonly flags: Int32Array;
  /** Swap slot of a swap-cache page (type << 24 | offset), or -1. */
  readonly swapSlot: Int32Array;
  // Buddy allocator: intrusive doubly linked free lists, one per order.
  private readonly freeOrder: Int8Array; // order of the free block starting here, or -1
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly heads: Int32Array;
  private freeCount = 0;

  constructor(frames: number, firstAllocatable: number) {
    this.frames = frames;
    this.refcount = new Int32Array(frames);
    this.mapcount = new Int32Array(frames);
    this.flags = new Int32Array(frames);
    this.swapSlot = new Int32Array(frames).fill(NONE);
    this.freeOrder = new Int8Array(frames).fill(-1);
    this.next = new Int32Array(frames).fill(NONE);
    this.prev = new Int32Array(frames).fill(NONE);
    this.heads = new Int32Array(MAX_ORDER + 1).fill(NONE);
    for (let pfn = 0; pfn < firstAllocatable; pfn++) {
      this.refcount[pfn] = 1;
      this.flags[pfn] = PageFlag.Reserved;
    }
    // Free the rest in the largest aligned blocks that fit, high frames first
    // so that the low frames end up on top of the LIFO lists.
    const blocks: [number, number][] = [];
    let pfn = firstAllocatable;
    while (pfn < frames) {
      let order = MAX_ORDER;
      while (order > 0 && (pfn % (1 << order) !== 0 || pfn + (1 << order) > frames)) order--;
      blocks.push([pfn, order]);
      pfn += 1 << order;
    }
    for (const [start, order] of blocks.reverse()) this.pushFree(start, order);
  }

  /** Frames currently free in the buddy allocator. */
  get free(): number {
    return this.freeCount;
  }

  /**
   * Allocates 2^order contiguous frames with refcount 1, or returns -1 when no
   * block is large enough (the caller decides whether to reclaim or fail).
   */
  allocate(order = 0): number {
    let found = order;
    while (found <= MAX_ORDER && this.heads[found] === NONE) found++;
    if (found > MAX_ORDER) return NONE;
    const pfn = cell(this.heads, found);
    this.unlinkFree(pfn, found);
    // Split: hand the upper halves back, keep the lower one.
    while (found > order) {
      found--;
      this.pushFree(pfn + (1 << found), found);
    }
    for (let i = 0; i < 1 << order; i++) {
      this.refcount[pfn + i] = 1;
      this.mapcount[pfn + i] = 0;
      this.flags[pfn + i] = 0;
      this.swapSlot[pfn + i] = NONE;
    }
    return pfn;
  }

  /** Returns a block to the allocator, merging with free buddies. */
  release(pfn: number, order = 0): void {
    for (let i = 0; i < 1 << order; i++) {
      const f = pfn + i;
      if (this.flagsOf(f) & PageFlag.Reserved) throw new Error(`freeing reserved frame ${f}`);
      this.refcount[f] = 0;
      this.mapcount[f] = 0;
      this.flags[f] = 0;
      this.swapSlot[f] = NONE;
    }
    let block = pfn;
    let o = order;
    while (o < MAX_ORDER) {
      const buddy = block ^ (1 << o);
      if (buddy + (1 << o) > this.frames || this.freeOrder[buddy] !== o) break;
      this.unlinkFree(buddy, o);
      block = Math.min(block, buddy);
      o++;
    }
    this.pushFree(block, o);
  }

  /** True when `pfn` lies inside a free block. */
  isFree(pfn: number): boolean {
    return this.refcount[pfn] === 0;
  }

  has(pfn: number, flag: PageFlag): boolean {
    return (this.flagsOf(pfn) & flag) !== 0;
  }

  set(pfn: number, flag: PageFlag, on = true): void {
    const f = this.flagsOf(pfn);
    this.flags[pfn] = on ? f | flag : f & ~flag;
  }

  // Checked accessors for the per-frame columns: an out-of-range pfn is a
  // KernelError, never a silent `undefined` (the public arrays stay for
  // read-only displays).

  refcountOf(pfn: number): number {
    return this.at(this.refcount, pfn);
  }

  mapcountOf(pfn: number): number {
    return this.at(this.mapcount, pfn);
  }

  flagsOf(pfn: number): number {
    return this.at(this.flags, pfn);
  }

  /** The swap slot of a swap-cache page, or -1. */
  swapSlotOf(pfn: number): number {
    return this.at(this.swapSlot, pfn);
  }

  /** get_page's count, up by one; returns the new count. */
  incRefcount(pfn: number): number {
    const n = this.at(this.refcount, pfn) + 1;
    this.refcount[pfn] = n;
    return n;
  }

  /** put_page's count, down by one; returns the new count. */
  decRefcount(pfn: number): number {
    const n = this.at(this.refcount, pfn) - 1;
    this.refcount[pfn] = n;
    return n;
  }

  incMapcount(pfn: number): number {
    const n = this.at(this.mapcount, pfn) + 1;
    this.mapcount[pfn] = n;
    return n;
  }

  decMapcount(pfn: number): number {
    const n = this.at(this.mapcount, pfn) - 1;
    this.mapcount[pfn] = n;
    return n;
  }

  /** A typed array yields undefined for any index outside it (negative, fractional, too large). */
  private at(column: Int32Array, pfn: number): number {
    const v = column[pfn];
    if (v === undefined)
      throw new KernelError(`pfn ${pfn} is beyond physical memory (0..${this.frames - 1})`);
    return v;
  }

  /** Free blocks per order, for /proc/buddyinfo-style displays. */
  buddyInfo(): number[] {
    const counts: number[] = [];
    for (let o = 0; o <= MAX_ORDER; o++) {
      let n = 0;
      for (let p = cell(this.heads, o); p !== NONE; p = cell(this.next, p)) n++;
      counts.push(n);
    }
    return counts;
  }

  private pushFree(pfn: number, order: number): void {
    const head = cell(this.heads, order);
    this.next[pfn] = head;
    this.prev[pfn] = NONE;
    if (head !== NONE) this.prev[head] = pfn;
    this.heads[order] = pfn;
    this.freeOrder[pfn] = order;
    this.freeCount += 1 << order;
  }

  private unlinkFree(pfn: number, order: number): void {
    const n = cell(this.next, pfn);
    const p = cell(this.prev, pfn);
    if (p !== NONE) this.next[p] = n;
    else this.heads[order] = n;
    if (n !== NONE) this.prev[n] = p;
    this.freeOrder[pfn] = -1;
    this.freeCount -= 1 << order;
  }
}
