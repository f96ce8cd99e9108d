/**
 * Virtual memory areas (include/linux/mm_types.h, mm/mmap.c, mm/mprotect.c):
 * the ranges of an address space the process asked for, with what it may do
 * in them. Page tables are only a cache of these: a fault is legal if and
 * only if a VMA covers the address and allows the access.
 *
 * The list is kept sorted and non-overlapping; adjacent anonymous areas with
 * identical flags are merged, and partial munmap/mprotect split areas, as
 * Linux's vma_merge/split_vma do.
 */

/** VM_* flags, with Linux's values. */
export const VmFlag = {
  Read: 0x1,
  Write: 0x2,
  Exec: 0x4,
  Shared: 0x8,
  GrowsDown: 0x100,
  /** mlock(): the area's pages stay in memory (reclaim passes them by). */
  Locked: 0x2000,
} as const;

export interface Vma {
  start: number;
  end: number;
  flags: number;
  /** What the area is, for /proc/pid/maps-style listings. */
  name: string;
  /**
   * A file mapping: the file's name and the file page that `start` maps.
   * Shared anonymous memory is one too, of an unnamed shmem file, as in
   * Linux (shmem_zero_setup).
   */
  file?: { readonly name: string; pgoff: number };
  /**
   * Whether the area has an anon_vma: set when the first anonymous page is
   * mapped into it (a private write, a COW copy) and inherited by fork's
   * copy. fork copies the PTEs only of areas that have one — the others a
   * fault refills from the zero page or the page cache (vma_needs_copy).
   */
  anonVma?: true;
  /**
   * An anonymous area's vm_pgoff where it is not the area's own page
   * number: kept by an area mremap moved after it held pages (copy_vma
   * keeps the old pgoff, so the pages' rmap index stays valid). Merging
   * asks for contiguous pgoffs, so a moved area joins no neighbour by
   * accident of address.
   */
  anonPgoff?: number;
}

/** An area's vm_pgoff: the file page `start` maps, or for anonymous memory its own page number unless mremap moved it. */
export function vmaPgoff(vma: Vma): number {
  return vma.file?.pgoff ?? vma.anonPgoff ?? vma.start / 4096;
}

export function vmaAllows(vma: Vma, write: boolean, exec: boolean): boolean {
  if (write) return (vma.flags & VmFlag.Write) !== 0;
  if (exec) return (vma.flags & VmFlag.Exec) !== 0;
  // x86 cannot map write-only or exec-only pages readable-free: Linux treats
  // VM_WRITE and VM_EXEC as implying read for the access check (VM_ACCESS_FLAGS).
  return (vma.flags & (VmFlag.Read | VmFlag.Write | VmFlag.Exec)) !== 0;
}

/** "rw-p"-style permissions, as /proc/pid/maps prints them. */
export function vmaPermissions(vma: Vma): string {
  return (
    (vma.flags & VmFlag.Read ? 'r' : '-') +
    (vma.flags & VmFlag.Write ? 'w' : '-') +
    (vma.flags & VmFlag.Exec ? 'x' : '-') +
    (vma.flags & VmFlag.Shared ? 's' : 'p')
  );
}

export class VmaList {
  private readonly areas: Vma[] = [];

  get all(): readonly Vma[] {
    return this.areas;
  }

  /** The area containing `va`, or null. */
  containing(va: number): Vma | null {
    const i = this.indexAfter(va);
    const vma = this.areas[i];
    return vma !== undefined && vma.start <= va ? vma : null;
  }

  /** Linux's find_vma: the first area whose end is above `va` (it may start above `va`). */
  findVma(va: number): Vma | null {
    return this.areas[this.indexAfter(va)] ?? null;
  }

  /** The area just below `vma`, or null. */
  previous(vma: Vma): Vma | null {
    const i = this.areas.indexOf(vma);
    return i > 0 ? this.areas[i - 1]! : null;
  }

  /** True when [start, end) overlaps no area. */
  isFree(start: number, end: number): boolean {
    const next = this.findVma(start);
    return next === null || next.start >= end;
  }

  /** Inserts an area into a free range, merging with equal neighbours. */
  insert(vma: Vma): Vma {
    if (!this.isFree(vma.start, vma.end)) throw new Error(`VMA [${vma.start}, ${vma.end}) overlaps another`);
    const i = this.indexAfter(vma.start);
    this.areas.splice(i, 0, vma);
    return this.mergeAround(vma);
  }

  /**
   * Removes [start, end) from every area it touches, splitting those that
   * straddle the edges. Returns the pieces removed (for unmapping pages).
   */
  remove(start: number, end: number): Vma[] {
    this.splitAt(start);
    this.splitAt(end);
    const removed = this.areas.filter((v) => v.start >= start && v.end <= end);
    for (const v of removed) this.areas.splice(this.areas.indexOf(v), 1);
    return removed;
  }

  /** Applies `change` to the flags of every area inside [start, end), splitting at the edges. */
  changeFlags(start: number, end: number, change: (flags: number) => number): Vma[] {
    this.splitAt(start);
    this.splitAt(end);
    const touched = this.areas.filter((v) => v.start >= start && v.end <= end);
    for (const v of touched) v.flags = change(v.flags);
    for (const v of [...touched]) if (this.areas.includes(v)) this.mergeAround(v);
    return touched;
  }

  /** Highest free range of `length` bytes between `low` and `high`, top-down (arch_get_unmapped_area_topdown). */
  findFreeTopDown(length: number, low: number, high: number): number | null {
    let top = high;
    for (let i = this.areas.length - 1; i >= -1; i--) {
      const vma = this.areas[i];
      const bottom = vma === undefined ? low : Math.max(low, vma.end);
      if (vma !== undefined && vma.start >= high) continue;
      if (top - bottom >= length) return top - length;
      if (vma === undefined) break;
      top = Math.min(top, vma.start);
    }
    return null;
  }

  clone(): VmaList {
    const copy = new VmaList();
    for (const v of this.areas) copy.areas.push({ ...v, ...(v.file ? { file: { ...v.file } } : {}) });
    return copy;
  }

  private splitAt(va: number): void {
    const vma = this.containing(va);
    if (vma === null || vma.start === va) return;
    const upper: Vma = { ...vma, start: va };
    if (vma.file !== undefined)
      upper.file = { name: vma.file.name, pgoff: vma.file.pgoff + (va - vma.start) / 4096 };
    if (vma.anonPgoff !== undefined) upper.anonPgoff = vma.anonPgoff + (va - vma.start) / 4096;
    vma.end = va;
    this.areas.splice(this.areas.indexOf(vma) + 1, 0, upper);
  }

  private mergeAround(vma: Vma): Vma {
    let current = vma;
    const i = this.areas.indexOf(current);
    const next = this.areas[i + 1];
    if (next !== undefined && mergeable(current, next)) {
      current.end = next.end;
      // is_mergeable_anon_vma: an area without an anon_vma may join one with one, which keeps it.
      if (next.anonVma === true) current.anonVma = true;
      this.areas.splice(i + 1, 1);
    }
    const prev = i > 0 ? this.areas[i - 1] : undefined;
    if (prev !== undefined && mergeable(prev, current)) {
      prev.end = current.end;
      if (current.anonVma === true) prev.anonVma = true;
      this.areas.splice(i, 1);
      current = prev;
    }
    return current;
  }

  /** Index of the first area with end > va (binary search). */
  private indexAfter(va: number): number {
    let lo = 0;
    let hi = this.areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.areas[mid]!.end <= va) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function mergeable(a: Vma, b: Vma): boolean {
  if (a.end !== b.start || a.flags !== b.flags || a.name !== b.name) return false;

  if ((a.file === undefined) !== (b.file === undefined)) return false;
  if (a.file !== undefined && a.file.name !== b.file?.name) return false;
  // Areas merge only when the second continues the first: in the file, or
  // in anonymous page offsets (is_mergeable_vma, can_vma_merge_after).
  return vmaPgoff(a) + (a.end - a.start) / 4096 === vmaPgoff(b);
}
