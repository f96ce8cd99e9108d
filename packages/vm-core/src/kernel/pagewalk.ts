/**
 * Reading page tables for the hooks: the walk itself is a hook
 * (walkPageTable), built on these raw reads of one entry at a time.
 *
 * Follows mm/pagewalk.c and the pgd/p4d/pud/pmd/pte accessors of
 * the architecture's pgtable.h (kernel/arch/).
 */
import type { PteInfo, TableEntry } from './hooks.ts';
import { KernelError } from './kernel.ts';
import { type KernelState, mmById, PAGE } from './state.ts';

/** The PTE behind `address` in `mmId`, as the walk hook finds it. */
export function readPte(s: KernelState, mmId: number, address: number): PteInfo {
  mmById(s, mmId);
  return s.hooks.walkPageTable(s.api, { mm: mmId, address: s.va.toVirtual(address) });
}

/** Physical address of the mm's root table (its CR3). */
export function pageTableRoot(s: KernelState, mmId: number): number {
  return mmById(s, mmId).pgdPfn * PAGE;
}

/** Index of `address` in a table at `level` (0 = root). */
export function tableIndex(s: KernelState, address: number, level: number): number {
  if (!Number.isSafeInteger(address)) throw new KernelError(`address ${address} is not an integer`);
  if (!Number.isInteger(level) || level < 0 || level >= s.tables.levels) {
    throw new KernelError(`level ${level} is not 0..${s.tables.levels - 1}`);
  }
  return s.tables.index(address, level);
}

/** One entry of a table at `level`, decoded: none, a swap entry, a lower table, or a leaf. */
export function readTableEntry(s: KernelState, pa: number, level: number): TableEntry {
  const size = s.layout.format.entryBytes;
  if (!Number.isInteger(pa) || pa < 0 || pa + size > s.memory.size || pa % size !== 0) {
    throw new KernelError(`readTableEntry: ${pa} is not an aligned entry address inside physical memory`);
  }
  const lo = s.tables.lo(pa);
  const hi = s.tables.hi(pa);
  const ops = s.arch.pteHalves;
  const last = level === s.tables.levels - 1;
  if (ops.none(lo, hi)) return NONE;
  if (!ops.mapsFrame(lo, hi)) return last ? { kind: 'swap', slot: ops.swapOffset(lo, hi) } : NONE;
  if (!last && !ops.leafAbove(lo, hi)) return tableEntry(ops.pfn(lo, hi));
  return {
    kind: 'leaf',
    pfn: ops.pfn(lo, hi),
    writable: ops.write(lo, hi),
    user: ops.user(lo, hi),
    exec: ops.exec(lo, hi),
    accessed: ops.young(lo, hi),
    dirty: ops.dirty(lo, hi),
  };
}

// Entries that are values and nothing else — nothing there, a pointer to the
// table in frame n — are made once and shared, frozen: a walk down to a
// leaf then allocates only the leaf's own entry.
const NONE: TableEntry = Object.freeze({ kind: 'none' });
const tables: TableEntry[] = [];

function tableEntry(pfn: number): TableEntry {
  let entry = tables[pfn];
  if (entry === undefined) {
    entry = Object.freeze({ kind: 'table', pfn });
    tables[pfn] = entry;
  }
  return entry;
}
