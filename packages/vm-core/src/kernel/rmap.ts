/**
 * The reverse map (mm/rmap.c, much simplified): for each anonymous frame,
 * the (address space, virtual address) pairs whose PTEs map it. Reclaim uses
 * it to find and test the accessed bits of every mapping of a page, and to
 * unmap all of them when the page goes to swap. Kept in typed arrays, like
 * the LRU below: adding and removing a mapping allocates nothing.
 */
import { cell } from './frames.ts';
import type { Mm } from './mm.ts';

const NONE = -1;

export interface Mapping {
  readonly mm: Mm;
  readonly va: number;
}

export class ReverseMap {
  // One record per mapping, in columns; each frame's records are chained in
  // the order they were added (a freed record goes on a free list).
  private recordMm: (Mm | null)[] = [];
  private recordVa = new Float64Array(64);
  private recordNext = new Int32Array(64);
  private freeRecord = NONE;
  private used = 0;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  // The frames that have mappings, in the order their first one was added
  // (what iterating a Map keyed by frame gave).
  private readonly frameNext: Int32Array;
  private readonly framePrev: Int32Array;
  private firstFrame = NONE;
  private lastFrame = NONE;

  constructor(frames: number) {
    this.head = new Int32Array(frames).fill(NONE);
    this.tail = new Int32Array(frames).fill(NONE);
    this.frameNext = new Int32Array(frames).fill(NONE);
    this.framePrev = new Int32Array(frames).fill(NONE);
  }

  add(pfn: number, mm: Mm, va: number): void {
    const r = this.newRecord(mm, va);
    const tail = cell(this.tail, pfn);
    if (tail === NONE) {
      this.head[pfn] = r;
      this.listFrame(pfn);
    } else this.recordNext[tail] = r;
    this.tail[pfn] = r;
  }

  remove(pfn: number, mm: Mm, va: number): void {
    let prev = NONE;
    let r = cell(this.head, pfn);
    while (r !== NONE && !(this.recordMm[r] === mm && this.recordVa[r] === va)) {
      prev = r;
      r = cell(this.recordNext, r);
    }
    if (r === NONE) throw new Error(`rmap: frame ${pfn} has no mapping at ${va} in mm ${mm.id}`);
    const next = cell(this.recordNext, r);
    if (prev === NONE) this.head[pfn] = next;
    else this.recordNext[prev] = next;
    if (next === NONE) this.tail[pfn] = prev;
    this.freeRecordAt(r);
    if (next === NONE && prev === NONE) this.unlistFrame(pfn);
  }

  /** The mapping of `pfn` at `fromVa` in `mm` is now at `toVa` (mremap moved its PTE); it keeps its place in the chain. */
  move(pfn: number, mm: Mm, fromVa: number, toVa: number): void {
    let r = cell(this.head, pfn);
    while (r !== NONE && !(this.recordMm[r] === mm && this.recordVa[r] === fromVa))
      r = cell(this.recordNext, r);
    if (r === NONE) throw new Error(`rmap: frame ${pfn} has no mapping at ${fromVa} in mm ${mm.id}`);
    this.recordVa[r] = toVa;
  }

  // A cursor over one frame's mappings, for loops that must not allocate:
  // `first(pfn)`, then `next(record)` until NONE (-1), reading each record's
  // `mmAt` and `vaAt`.

  first(pfn: number): number {
    return cell(this.head, pfn);
  }

  next(record: number): number {
    return cell(this.recordNext, record);
  }

  mmAt(record: number): Mm {
    return this.recordMm[record]!;
  }

  vaAt(record: number): number {
    return this.recordVa[record]!;
  }

  /** The frame's mappings, oldest first (a new array: the caller may change the map while using it). */
  mappings(pfn: number): readonly Mapping[] {
    const list: Mapping[] = [];
    for (let r = cell(this.head, pfn); r !== NONE; r = cell(this.recordNext, r)) {
      list.push({ mm: this.recordMm[r]!, va: this.recordVa[r]! });
    }
    return list;
  }

  *frames(): IterableIterator<number> {
    for (let pfn = this.firstFrame; pfn !== NONE; ) {
      // Read the successor first: the caller may unmap this frame meanwhile.
      const next = cell(this.frameNext, pfn);
      yield pfn;
      pfn = next;
    }
  }

  private newRecord(mm: Mm, va: number): number {
    let r = this.freeRecord;
    if (r !== NONE) this.freeRecord = cell(this.recordNext, r);
    else {
      r = this.used++;
      if (r === this.recordVa.length) this.grow();
    }
    this.recordMm[r] = mm;
    this.recordVa[r] = va;
    this.recordNext[r] = NONE;
    return r;
  }

  private freeRecordAt(r: number): void {
    this.recordMm[r] = null;
    this.recordNext[r] = this.freeRecord;
    this.freeRecord = r;
  }

  private grow(): void {
    const va = new Float64Array(this.recordVa.length * 2);
    va.set(this.recordVa);
    this.recordVa = va;
    const next = new Int32Array(this.recordNext.length * 2);
    next.set(this.recordNext);
    this.recordNext = next;
  }

  private listFrame(pfn: number): void {
    this.framePrev[pfn] = this.lastFrame;
    this.frameNext[pfn] = NONE;
    if (this.lastFrame === NONE) this.firstFrame = pfn;
    else this.frameNext[this.lastFrame] = pfn;
    this.lastFrame = pfn;
  }

  private unlistFrame(pfn: number): void {
    const prev = cell(this.framePrev, pfn);
    const next = cell(this.frameNext, pfn);
    if (prev === NONE) this.firstFrame = next;
    else this.frameNext[prev] = next;
    if (next === NONE) this.lastFrame = prev;
    else this.framePrev[next] = prev;
    this.frameNext[pfn] = NONE;
    this.framePrev[pfn] = NONE;
  }
}

/**
 * Active and inactive LRU lists of user pages (mm/vmscan.c, classic two-list
 * LRU), as intrusive doubly linked lists in typed arrays indexed by frame —
 * like the kernel's list_head in struct page. Every operation is O(1) and
 * allocates nothing; the head is the oldest page. New pages start inactive
 * (as anonymous pages do since Linux 5.9).
 */
const NOT_LISTED = 0;
const ACTIVE = 1;
const INACTIVE = 2;
type ListId = typeof ACTIVE | typeof INACTIVE;

export class LruLists {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly list: Uint8Array;
  private readonly head = new Int32Array([NONE, NONE, NONE]);
  private readonly tail = new Int32Array([NONE, NONE, NONE]);
  private readonly count = new Int32Array(3);

  constructor(frames: number) {
    this.next = new Int32Array(frames).fill(NONE);
    this.prev = new Int32Array(frames).fill(NONE);
    this.list = new Uint8Array(frames);
  }

  get activeSize(): number {
    return cell(this.count, ACTIVE);
  }

  get inactiveSize(): number {
    return cell(this.count, INACTIVE);
  }

  get size(): number {
    return cell(this.count, ACTIVE) + cell(this.count, INACTIVE);
  }

  /** The oldest active page, or -1. */
  oldestActive(): number {
    return cell(this.head, ACTIVE);
  }

  /** The oldest inactive page, or -1. */
  oldestInactive(): number {
    return cell(this.head, INACTIVE);
  }

  has(pfn: number): boolean {
    return this.list[pfn] !== NOT_LISTED;
  }

  isActive(pfn: number): boolean {
    return this.list[pfn] === ACTIVE;
  }

  addNew(pfn: number): void {
    this.moveTo(pfn, INACTIVE);
  }

  activate(pfn: number): void {
    this.moveTo(pfn, ACTIVE);
  }

  deactivate(pfn: number): void {
    this.moveTo(pfn, INACTIVE);
  }

  /** Moves a page to the young end of the list it is on. */
  rotate(pfn: number): void {
    const id = cell(this.list, pfn);
    if (id !== NOT_LISTED) this.moveTo(pfn, id as ListId);
  }

  remove(pfn: number): void {
    const id = cell(this.list, pfn);
    if (id === NOT_LISTED) return;
    const n = cell(this.next, pfn);
    const p = cell(this.prev, pfn);
    if (p === NONE) this.head[id] = n;
    else this.next[p] = n;
    if (n === NONE) this.tail[id] = p;
    else this.prev[n] = p;
    this.next[pfn] = NONE;
    this.prev[pfn] = NONE;
    this.list[pfn] = NOT_LISTED;
    this.count[id] = cell(this.count, id) - 1;
  }

  /** The pages of one list, oldest first (for inspection and tests). */
  members(which: 'active' | 'inactive'): number[] {
    const out: number[] = [];
    for (let p = cell(this.head, which === 'active' ? ACTIVE : INACTIVE); p !== NONE; p = cell(this.next, p))
      out.push(p);
    return out;
  }

  private moveTo(pfn: number, id: ListId): void {
    this.remove(pfn);
    const t = cell(this.tail, id);
    this.prev[pfn] = t;
    this.next[pfn] = NONE;
    if (t === NONE) this.head[id] = pfn;
    else this.next[t] = pfn;
    this.tail[id] = pfn;
    this.list[pfn] = id;
    this.count[id] = cell(this.count, id) + 1;
  }
}
