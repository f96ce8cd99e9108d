/**
 * A dump of a whole page-table tree, read as software reads it and with no
 * side effects — the tree-shaped counterpart of `Mmu.inspect`, which walks
 * one address. Linux has the same tool for the same reason:
 * CONFIG_PTDUMP (mm/ptdump.c, arch/x86/mm/dump_pagetables.c) walks every
 * level of a page table to show it in debugfs without touching an accessed
 * bit, a TLB entry or the tables themselves. Here it feeds the visualiser.
 *
 * The dump descends exactly where the hardware walk would (walk.ts):
 *
 * - x86 (SDM Vol. 3A §4.5, Tables 4-14..4-20): an entry with P = 1 points to
 *   the next table unless it is at the last level or PS = 1 makes it a huge
 *   leaf. On 32-bit paging PS counts only when CR4.PSE = 1 (§4.3: "If
 *   CR4.PSE = 0 … bit 7 is ignored"); without PSE a PDE with PS set is
 *   still a pointer.
 * - RISC-V (Privileged Spec §4.3.2 step 4): V = 1 with R = W = X = 0 is a
 *   pointer to the next level; any of R/W/X makes a leaf, at any level.
 * - ARM64 (ARM ARM D8.3): bits[1:0] = 0b11 above level 3 is a table
 *   descriptor; 0b01 is a block.
 *
 * It never follows an entry the walk would fault on: a reserved encoding,
 * a set reserved bit (x86 MAXPHYADDR bits, RISC-V bits 63:54), a pointer
 * to a frame beyond installed memory. Those are listed with the reason they
 * were not followed, so a broken table shows up as broken, not as missing.
 * A table reached a second time (two pointers to one frame, or a loop) is
 * listed once.
 *
 * Entries that are all zero are left out (software's "none"); every other
 * entry is listed, including non-present ones that still hold bits (a swap
 * entry, PROT_NONE), decoded with `decodeEntry` (the decoded entries are
 * shared between dumps: read-only, as their type says).
 */

import { checkRoot, compileFormat } from './compiled-format.ts';
import { type DecodedEntry, decodeEntry } from './entry.ts';
import { fromBigInt } from './entry-bits.ts';
import type { PagingFormat } from './paging-format.ts';
import type { PhysicalMemory } from './physical-memory.ts';

export interface DumpOptions {
  /**
   * Addresses of interest, [from, to): only pointers whose range overlaps
   * them are followed. Entries outside are still listed, unfollowed (a
   * process's dump of its user half still shows that the root points to the
   * shared kernel half). Default: everything.
   */
  readonly from?: number;
  readonly to?: number;
  /** ARM64: `root` is TTBR1_EL1's table, translating the upper half (addresses below zero). */
  readonly high?: boolean;
  /** CR4.PSE, which 32-bit paging needs for 4 MiB pages (default true, as Linux runs). */
  readonly pse?: boolean;
  /** Most tables read (default 64): the dump stops descending there and says it is incomplete. */
  readonly maxTables?: number;
}

/** Why a pointer to a table was not followed. */
export type UnfollowedReason =
  /** Its range lies outside [from, to). */
  | 'outside-range'
  /** The frame it names is beyond installed memory (the walk's bus error). */
  | 'beyond-memory'
  /** Reserved bits are set: the walk faults with RSVD here. */
  | 'reserved-bits'
  /** The table was already listed (two pointers to one table, or a loop). */
  | 'seen'
  /** `maxTables` tables were already read. */
  | 'limit';

export interface DumpedEntry {
  readonly index: number;
  /** First virtual address the entry covers (signed for the upper half, as everywhere in vm-core). */
  readonly va: number;
  /** Bytes of address space it covers. */
  readonly span: number;
  readonly entryPa: number;
  readonly entry: DecodedEntry;
  /** Physical address of the table this entry points to, when that table is in the dump. */
  readonly next: number | null;
  /** For a pointer that was not followed, why. */
  readonly unfollowed?: UnfollowedReason;
}

export interface DumpedTable {
  /** Physical address of the table. */
  readonly pa: number;
  readonly pfn: number;
  /** 0 = root. */
  readonly level: number;
  /** The manual's name for a table at this level (PML4, PD, VPN[2], L0 …). */
  readonly levelName: string;
  /** First virtual address the table covers. */
  readonly va: number;
  /** Its non-zero entries, in index order. */
  readonly entries: readonly DumpedEntry[];
}

export interface PageTableDump {
  readonly format: string;
  readonly root: number;
  /** Depth first, parents before children; the root first. */
  readonly tables: readonly DumpedTable[];
  /** False when `maxTables` stopped the dump early. */
  readonly complete: boolean;
}

/**
 * Decoded entries by format, level and value. A dump taken again and again
 * (a recording captures one after every change) meets the same few values
 * each time; decoding builds a BigInt summary and a flag record per entry,
 * which dominated the cost. Entries are immutable, so sharing them is safe;
 * the cache is dropped whole when it grows large.
 */
const decodedCache = new WeakMap<PagingFormat, Map<bigint, DecodedEntry>[]>();
const DECODED_CACHE_LIMIT = 8_192;

function decoded(format: PagingFormat, level: number, value: bigint): DecodedEntry {
  let levels = decodedCache.get(format);
  if (levels === undefined) {
    levels = format.levels.map(() => new Map());
    decodedCache.set(format, levels);
  }
  const cache = levels[level]!;
  let entry = cache.get(value);
  if (entry === undefined) {
    if (cache.size >= DECODED_CACHE_LIMIT) cache.clear();
    entry = decodeEntry(format, level, value);
    cache.set(value, entry);
  }
  return entry;
}

/**
 * Dumps the tree of tables under `root` (a physical address, as CR3, satp or
 * TTBR hold it). Reads memory only; throws a RangeError when the root is not
 * aligned to its table's size or the table is not wholly inside installed
 * memory (the checks the MMU makes when a root is loaded).
 */
export function dumpPageTables(
  format: PagingFormat,
  memory: PhysicalMemory,
  root: number,
  options: DumpOptions = {},
): PageTableDump {
  const c = compileFormat(format);
  const last = c.levels - 1;
  const tableBytes = (level: number) => c.tableBytes[level]!;
  checkRoot(c, memory.size, root);
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const maxTables = options.maxTables ?? 64;
  const pse = options.pse ?? true;
  const vaBits = c.indexShift[0]! + Math.log2(c.indexMask[0]! + 1);
  const tables: DumpedTable[] = [];
  const seen = new Set<number>();
  let complete = true;

  /** The first address of root entry `index`: the sign extension picks the half. */
  const rootVa = (index: number): number => {
    const va = index * c.leafSpan[0]!;
    if (!c.signed) return va;
    if (c.splitRoots) return options.high ? va - 2 ** vaBits : va;
    return index > c.indexMask[0]! >> 1 ? va - 2 ** vaBits : va;
  };

  const visit = (pa: number, level: number, base: number): void => {
    seen.add(pa);
    const entries: DumpedEntry[] = [];
    const table: DumpedTable = {
      pa,
      pfn: Math.floor(pa / memory.pageSize),
      level,
      levelName: format.levels[level]!.name,
      va: level === 0 ? rootVa(0) : base,
      entries,
    };
    tables.push(table);
    const span = c.leafSpan[level]!;
    const count = c.indexMask[level]! + 1;
    for (let index = 0; index < count; index++) {
      const entryPa = pa + index * c.entryBytes;
      // Most entries are zero: test the halves before building a BigInt (the table is inside memory).
      if (memory.entryLo(entryPa, c.entryBytes) === 0 && memory.entryHi(entryPa, c.entryBytes) === 0)
        continue;
      const value = memory.readEntry(entryPa, c.entryBytes);
      const va = level === 0 ? rootVa(index) : base + index * span;
      let entry = decoded(format, level, value);
      // 32-bit paging without CR4.PSE ignores PS: the PDE is still a pointer.
      if (
        format.family === 'x86' &&
        format.pageSizeNeedsPse &&
        !pse &&
        level < last &&
        entry.kind === 'leaf'
      ) {
        entry = { ...entry, kind: 'table', summary: entry.summary.replace(' leaf ', ' table ') };
      }
      const out: { -readonly [K in keyof DumpedEntry]: DumpedEntry[K] } = {
        index,
        va,
        span,
        entryPa,
        entry,
        next: null,
      };
      entries.push(out);
      if (entry.kind !== 'table') continue;
      const [lo, hi] = fromBigInt(value);
      const childPa = entry.pfn * memory.pageSize;
      if (((lo & c.reservedLo) | (hi & c.reservedHi)) !== 0) out.unfollowed = 'reserved-bits';
      else if (format.family === 'riscv' && (lo & c.pointerReservedLo) !== 0)
        // §4.3.2: D, A and U are reserved in a non-leaf PTE.
        out.unfollowed = 'reserved-bits';
      else if (va + span <= from || va >= to) out.unfollowed = 'outside-range';
      else if (entry.pfn >= memory.frameCount || childPa + tableBytes(level + 1) > memory.size)
        out.unfollowed = 'beyond-memory';
      else if (seen.has(childPa)) out.unfollowed = 'seen';
      else if (tables.length >= maxTables) {
        out.unfollowed = 'limit';
        complete = false;
      } else {
        out.next = childPa;
        visit(childPa, level + 1, va);
      }
    }
  };

  visit(root, 0, 0);
  return { format: format.id, root, tables, complete };
}
