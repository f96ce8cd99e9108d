/**
 * The reverse map (mm/rmap.c, much simplified): for each anonymous frame,
 * the (address space, virtual address) pairs whose PTEs map it. Reclaim uses
 * it to find and test the accessed bits of every mapping of a page, and to
 * unmap all of them when the page goes to swap.
 */
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
 * Active and inactive LRU lists of anonymous pages (mm/vmscan.c, classic
 * two-list LRU). Sets keep insertion order, so the first element is the
 * oldest. New pages start inactive (as anonymous pages do since Linux 5.9).
 */
export class LruLists {
  readonly active = new Set<number>();
  readonly inactive = new Set<number>();

  addNew(pfn: number): void {
    this.inactive.add(pfn);
  }

  activate(pfn: number): void {
    this.inactive.delete(pfn);
    this.active.delete(pfn);
    this.active.add(pfn);
  }

  deactivate(pfn: number): void {
    this.active.delete(pfn);
    this.inactive.delete(pfn);
    this.inactive.add(pfn);
  }

  /** Moves a page to the young end of the list it is on. */
  rotate(pfn: number): void {
    if (this.inactive.delete(pfn)) this.inactive.add(pfn);
    else if (this.active.delete(pfn)) this.active.add(pfn);
  }

  remove(pfn: number): void {
    this.active.delete(pfn);
    this.inactive.delete(pfn);
  }

  has(pfn: number): boolean {
    return this.active.has(pfn) || this.inactive.has(pfn);
  }

  get size(): number {
    return this.active.size + this.inactive.size;
  }
}
