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
import { PteHalves, type PteHalvesOps } from './arch/pte-halves.ts';
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
  private readonly pageSize: number;
  /** The register `entryAddress` builds a new table pointer in. */
  private readonly pointer = new PteHalves();

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly frames: FrameDatabase,
    private readonly layout: KernelLayout,
    private readonly pte: PteHalvesOps,
  ) {
    this.c = compileFormat(layout.format);
    this.last = this.c.levels - 1;
    this.entryBytes = this.c.entryBytes;
    this.pageSize = memory.pageSize;
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
  entryAddress(pgdPfn: number, va: number, options?: { level?: number; create?: Mm | null }): number | null {
    return this.walkTo(pgdPfn, va, options?.level ?? this.last, options?.create);
  }

  /** The PTE's address, as `entryAddress` with `{ create }` finds it (`create` undefined: create nothing). */
  pteAddress(pgdPfn: number, va: number, create?: Mm | null): number | null {
    return this.walkTo(pgdPfn, va, this.last, create);
  }

  private walkTo(pgdPfn: number, va: number, level: number, create: Mm | null | undefined): number | null {
    const ops = this.pte;
    let table = pgdPfn * this.pageSize;
    for (let l = 0; ; l++) {
      const pa = table + this.index(va, l) * this.entryBytes;
      if (l === level) return pa;
      const lo = this.lo(pa);
      const hi = this.hi(pa);
      if (!ops.valid(lo, hi)) {
        if (create === undefined) return null;
        const pfn = this.allocateTable(create);
        const user = va >= 0 && va < this.layout.userEnd;
        const pointer = this.pointer;
        ops.makeTable(pfn, user, pointer);
        this.store(pa, pointer.lo, pointer.hi);
        table = pfn * this.pageSize;
        continue;
      }
      if (ops.leafAbove(lo, hi)) return null;
      table = ops.pfn(lo, hi) * this.pageSize;
    }
  }

  /**
   * The entry that maps `va` under `pgdPfn` — the last-level PTE, or a huge
   * leaf above it — or 0 when a table on the way is missing, into `out`:
   * what a software walk finds (the hardware's walk without its checks).
   */
  leafEntry(pgdPfn: number, va: number, out: PteHalves): PteHalves {
    this.walkToLeaf(pgdPfn, va, out);
    return out;
  }

  /** `leafEntry`'s walk: the entry into `out`, and the level it was found at. */
  private walkToLeaf(pgdPfn: number, va: number, out: PteHalves): number {
    const ops = this.pte;
    let table = pgdPfn * this.pageSize;
    for (let l = 0; ; l++) {
      const pa = table + this.index(va, l) * this.entryBytes;
      const lo = this.lo(pa);
      const hi = this.hi(pa);
      if (l === this.last || !ops.valid(lo, hi) || ops.leafAbove(lo, hi)) {
        out.set(lo, hi);
        return l;
      }
      table = ops.pfn(lo, hi) * this.pageSize;
    }
  }

  /** The entry mapping the page at `va` as a BigInt: `pageEntry`'s answer (a huge leaf's page as its PTE). */
  readPte(pgdPfn: number, va: number): bigint {
    const e = this.pageEntry(pgdPfn, va, this.read);
    return (BigInt(e.hi) << 32n) | BigInt(e.lo >>> 0);
  }

  /** The register `readPte` reads into. */
  private readonly read = new PteHalves();

  readAt(pa: number): bigint {
    return this.memory.readEntry(pa, this.entryBytes);
  }

  writeAt(pa: number, value: bigint): void {
    this.memory.writeEntry(pa, this.entryBytes, value);
  }

  // The entry at `pa` as halves, for addresses this class computed (entryAddress,
  // the visits below): unchecked, like the walker's reads.

  lo(pa: number): number {
    return this.memory.entryLo(pa, this.entryBytes);
  }

  hi(pa: number): number {
    return this.memory.entryHi(pa, this.entryBytes);
  }

  store(pa: number, lo: number, hi: number): void {
    this.memory.storeEntry(pa, this.entryBytes, lo, hi);
  }

  /**
   * Calls `visit` for every non-empty last-level entry mapping user addresses
   * in [start, end), in address order, with the entry as a BigInt.
   */
  forEachUserPte(
    pgdPfn: number,
    start: number,
    end: number,
    visit: (va: number, pa: number, pte: bigint) => void,
  ): void {
    this.forEachUserEntry(pgdPfn, start, end, (va, pa, lo, hi) =>
      visit(va, pa, (BigInt(hi) << 32n) | BigInt(lo)),
    );
  }

  /** `forEachUserPte` with the entry as its halves. */
  forEachUserEntry(
    pgdPfn: number,
    start: number,
    end: number,
    visit: (va: number, pa: number, lo: number, hi: number) => void,
  ): void {
    if (start < end) this.visitTable(pgdPfn, 0, 0, start, end, visit);
  }

  /** The entries of one table that overlap [start, end): only those are read. */
  private visitTable(
    tablePfn: number,
    level: number,
    base: number,
    start: number,
    end: number,
    visit: (va: number, pa: number, lo: number, hi: number) => void,
  ): void {
    const span = this.span(level);
    const first = Math.max(0, Math.floor((start - base) / span));
    const limit = Math.min(this.c.indexMask[level]! + 1, Math.ceil((end - base) / span));
    const table = tablePfn * this.pageSize;
    const ops = this.pte;
    for (let i = first; i < limit; i++) {
      const pa = table + i * this.entryBytes;
      const lo = this.lo(pa);
      const hi = this.hi(pa);
      if ((lo | hi) === 0) continue;
      const va = base + i * span;
      if (level === this.last) visit(va, pa, lo, hi);
      else if (ops.valid(lo, hi) && !ops.leafAbove(lo, hi))
        this.visitTable(ops.pfn(lo, hi), level + 1, va, start, end, visit);
      else if (level === this.last - 1 && va < this.layout.userEnd && ops.mapsFrame(lo, hi))
        this.visitHugeLeaf(va, pa, lo, hi, start, end, visit);
    }
  }

  /**
   * A transparent huge page's PMD, visited as the PTEs a split would make
   * of it — each with the address of the PMD itself, so a visitor that
   * stores into `pa` must split first (huge-memory.ts splitHugePmds).
   */
  private visitHugeLeaf(
    base: number,
    pa: number,
    lo: number,
    hi: number,
    start: number,
    end: number,
    visit: (va: number, pa: number, lo: number, hi: number) => void,
  ): void {
    const first = Math.max(0, Math.floor((start - base) / this.pageSize));
    const limit = Math.min(this.span(this.last - 1) / this.pageSize, Math.ceil((end - base) / this.pageSize));
    const e = this.synthesized;
    for (let i = first; i < limit; i++) {
      this.smallEntryOf(lo, hi, i, e);
      visit(base + i * this.pageSize, pa, e.lo, e.hi);
    }
  }

  /** The register a huge leaf's pages are built in for visits. */
  private readonly synthesized = new PteHalves();

  /**
   * The last-level entry for page `index` of the huge leaf (lo, hi): the
   * same frame offset by `index`, the same rights and state — what
   * __split_huge_pmd_locked writes for a huge page's subpage.
   */
  smallEntryOf(lo: number, hi: number, index: number, out: PteHalves): PteHalves {
    const ops = this.pte;
    ops.make(
      ops.pfn(lo, hi) + index,
      {
        read: ops.read?.(lo, hi) ?? true,
        writable: ops.write(lo, hi),
        user: ops.user(lo, hi),
        exec: ops.exec(lo, hi),
        dirty: ops.dirty(lo, hi),
        accessed: ops.young(lo, hi),
      },
      out,
    );
    return out;
  }

  /**
   * The entry that maps the page at `va`, as a last-level entry into
   * `out` (0 when nothing does): a PTE as it is, a user huge leaf as the
   * PTE of that page (smallEntryOf) — what a reader that thinks in 4 KiB
   * pages wants to see.
   */
  pageEntry(pgdPfn: number, va: number, out: PteHalves): PteHalves {
    const level = this.walkToLeaf(pgdPfn, va, out);
    if (level !== this.last - 1 || va >= this.layout.userEnd || !this.pte.valid(out.lo, out.hi)) return out;
    return this.smallEntryOf(out.lo, out.hi, Math.floor((va % this.span(level)) / this.pageSize), out);
  }

  /**
   * Frees the page-table pages under the user half of `mm`'s root (the
   * kernel half is shared and never freed here), clearing their entries.
   * Leaf pages must already have been released by the caller.
   */
  freeUserTables(mm: Mm): void {
    const ops = this.pte;
    const free = (tablePfn: number, level: number) => {
      const entries = this.c.indexMask[level]! + 1;
      const limit = level === 0 ? this.layout.kernelRootFirst : entries;
      for (let i = 0; i < limit; i++) {
        const pa = tablePfn * this.pageSize + i * this.entryBytes;
        const lo = this.lo(pa);
        const hi = this.hi(pa);
        if (!ops.valid(lo, hi) || level === this.last || ops.leafAbove(lo, hi)) continue;
        const child = ops.pfn(lo, hi);
        free(child, level + 1);
        this.store(pa, 0, 0);
        mm.tablePages.delete(child);
        this.frames.release(child);
      }
    };
    free(mm.pgdPfn, 0);
  }
}
