/**
 * An address space (struct mm_struct) and the kernel's handling of its page
 * tables: allocating table pages on demand, finding the PTE for an address,
 * visiting every user PTE (for fork, exit and reclaim), and freeing tables.
 *
 * Every page-table page comes from the buddy allocator and is recorded in
 * the mm that owns it, so a leak is visible to the invariant checker.
 */
import type { PhysicalMemory } from '../hw/physical-memory.ts';
import { type CompiledFormat, compileFormat } from '../hw/walk.ts';
import type { PteOps } from './arch/arch.ts';
import { type FrameDatabase, PageFlag } from './frames.ts';
import type { KernelLayout } from './layout.ts';
import { VmaList } from './vma.ts';

export class Mm {
  readonly vmas = new VmaList();
  /** Page-table pages below the root (the root is `pgdPfn`). */
  readonly tablePages = new Set<number>();
  /** CPUs that have loaded this mm since its TLB entries were last flushed everywhere (mm_cpumask). */
  readonly cpus = new Set<number>();
  /** Tasks using it (threads share one mm). */
  users = 1;
  brkStart: number;
  brk: number;
  /** Anonymous pages currently mapped (RSS). */
  rss = 0;
  /** Swap entries currently held by its PTEs. */
  swapEntries = 0;

  constructor(
    readonly id: number,
    readonly pgdPfn: number,
    readonly asid: number,
    brkStart: number,
  ) {
    this.brkStart = brkStart;
    this.brk = brkStart;
  }
}

/** Why a table walk that should create tables could not. */
export class OutOfMemory extends Error {}

export class PageTables {
  private readonly c: CompiledFormat;
  private readonly last: number;
  private readonly entryBytes: number;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly frames: FrameDatabase,
    private readonly layout: KernelLayout,
    private readonly pte: PteOps,
  ) {
    this.c = compileFormat(layout.format);
    this.last = this.c.levels - 1;
    this.entryBytes = this.c.entryBytes;
  }

  get levels(): number {
    return this.c.levels;
  }

  /** Index of `va` in the table at `level`. */
  index(va: number, level: number): number {
    return Math.floor(va * this.c.indexScale[level]!) & this.c.indexMask[level]!;
  }

  /** Bytes one entry at `level` covers. */
  span(level: number): number {
    return this.c.leafSpan[level]!;
  }

  /** A zeroed page-table page, or throws OutOfMemory. */
  /**
   * Where table pages come from: by default straight from the buddy
   * allocator; the kernel installs one that reclaims first, as Linux's
   * __pte_alloc goes through the page allocator's slow path.
   */
  allocateFrame: () => number = () => this.frames.allocate();

  allocateTable(owner: Mm | null): number {
    const pfn = this.allocateFrame();
    if (pfn < 0) throw new OutOfMemory('no free frame for a page table');
    this.frames.set(pfn, PageFlag.PageTable);
    this.memory.zeroFrame(pfn);
    owner?.tablePages.add(pfn);
    return pfn;
  }

  /**
   * Physical address of the entry for `va` at `level` (default: the PTE), or
   * null when a table on the way is missing and `create` is false. A huge
   * leaf above `level` also yields null. Creating allocates tables for
   * `owner` and may throw OutOfMemory.
   */
  entryAddress(
    pgdPfn: number,
    va: number,
    options: { level?: number; create?: Mm | null } = {},
  ): number | null {
    const level = options.level ?? this.last;
    let table = pgdPfn * this.memory.pageSize;
    for (let l = 0; ; l++) {
      const pa = table + this.index(va, l) * this.entryBytes;
      if (l === level) return pa;
      const entry = this.memory.readEntry(pa, this.entryBytes);
      if (!this.pte.valid(entry)) {
        if (options.create === undefined) return null;
        const pfn = this.allocateTable(options.create);
        const user = va >= 0 && va < this.layout.userEnd;
        this.memory.writeEntry(pa, this.entryBytes, this.pte.makeTable(pfn, user));
        table = pfn * this.memory.pageSize;
        continue;
      }
      if (this.pte.leafAbove(entry)) return null;
      table = this.pte.pfn(entry) * this.memory.pageSize;
    }
  }

  /**
   * The entry that maps `va` under `pgdPfn` — the last-level PTE, or a huge
   * leaf above it — or 0 when a table on the way is missing: what a
   * software walk finds (the hardware's walk without its checks).
   */
  leafEntry(pgdPfn: number, va: number): bigint {
    let table = pgdPfn * this.memory.pageSize;
    for (let l = 0; ; l++) {
      const entry = this.memory.readEntry(table + this.index(va, l) * this.entryBytes, this.entryBytes);
      if (l === this.last || !this.pte.valid(entry) || this.pte.leafAbove(entry)) return entry;
      table = this.pte.pfn(entry) * this.memory.pageSize;
    }
  }

  readPte(pgdPfn: number, va: number): bigint {
    const pa = this.entryAddress(pgdPfn, va);
    return pa === null ? 0n : this.memory.readEntry(pa, this.entryBytes);
  }

  readAt(pa: number): bigint {
    return this.memory.readEntry(pa, this.entryBytes);
  }

  writeAt(pa: number, value: bigint): void {
    this.memory.writeEntry(pa, this.entryBytes, value);
  }

  /**
   * Calls `visit` for every non-empty last-level entry mapping user addresses
   * in [start, end), in address order.
   */
  forEachUserPte(
    pgdPfn: number,
    start: number,
    end: number,
    visit: (va: number, pa: number, pte: bigint) => void,
  ): void {
    const walkTable = (tablePfn: number, level: number, base: number) => {
      const span = this.span(level);
      const entries = this.c.indexMask[level]! + 1;
      for (let i = 0; i < entries; i++) {
        const va = base + i * span;
        if (va + span <= start || va >= end) continue;
        const pa = tablePfn * this.memory.pageSize + i * this.entryBytes;
        const entry = this.memory.readEntry(pa, this.entryBytes);
        if (entry === 0n) continue;
        if (level === this.last) visit(va, pa, entry);
        else if (this.pte.valid(entry) && !this.pte.leafAbove(entry))
          walkTable(this.pte.pfn(entry), level + 1, va);
      }
    };
    walkTable(pgdPfn, 0, 0);
  }

  /**
   * Frees the page-table pages under the user half of `mm`'s root (the
   * kernel half is shared and never freed here), clearing their entries.
   * Leaf pages must already have been released by the caller.
   */
  freeUserTables(mm: Mm): void {
    const free = (tablePfn: number, level: number) => {
      const entries = this.c.indexMask[level]! + 1;
      const limit = level === 0 ? this.layout.kernelRootFirst : entries;
      for (let i = 0; i < limit; i++) {
        const pa = tablePfn * this.memory.pageSize + i * this.entryBytes;
        const entry = this.memory.readEntry(pa, this.entryBytes);
        if (!this.pte.valid(entry) || level === this.last || this.pte.leafAbove(entry)) continue;
        const child = this.pte.pfn(entry);
        free(child, level + 1);
        this.memory.writeEntry(pa, this.entryBytes, 0n);
        mm.tablePages.delete(child);
        this.frames.release(child);
      }
    };
    free(mm.pgdPfn, 0);
  }
}
