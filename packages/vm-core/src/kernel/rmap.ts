/**
 * The reverse map (mm/rmap.c, much simplified): for each anonymous frame,
 * the (address space, virtual address) pairs whose PTEs map it. Reclaim uses
 * it to find and test the accessed bits of every mapping of a page, and to
 * unmap all of them when the page goes to swap.
 */
import { cell } from './frames.ts';
import type { Mm } from './mm.ts';

export interface Mapping {
  readonly mm: Mm;
  readonly va: number;
}

export class ReverseMap {
  private readonly byFrame = new Map<number, Mapping[]>();

  add(pfn: number, mm: Mm, va: number): void {
    const list = this.byFrame.get(pfn);
    if (list === undefined) this.byFrame.set(pfn, [{ mm, va }]);
    else list.push({ mm, va });
  }

  remove(pfn: number, mm: Mm, va: number): void {
    const list = this.byFrame.get(pfn);
    const i = list?.findIndex((m) => m.mm === mm && m.va === va) ?? -1;
    if (list === undefined || i < 0)
      throw new Error(`rmap: frame ${pfn} has no mapping at ${va} in mm ${mm.id}`);
    list.splice(i, 1);
    if (list.length === 0) this.byFrame.delete(pfn);
  }

  mappings(pfn: number): readonly Mapping[] {
    return this.byFrame.get(pfn) ?? [];
  }

  frames(): IterableIterator<number> {
    return this.byFrame.keys();
  }
}

/**
 * Active and inactive LRU lists of user pages (mm/vmscan.c, classic two-list
 * LRU), as intrusive doubly linked lists in typed arrays indexed by frame —
 * like the kernel's list_head in struct page. Every operation is O(1) and
 * allocates nothing; the head is the oldest page. New pages start inactive
 * (as anonymous pages do since Linux 5.9).
 */
const NONE = -1;
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
