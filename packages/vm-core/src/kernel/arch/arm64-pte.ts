/**
 * ARM64's page-table entries as Linux 6.1 builds and reads them
 * (arch/arm64/include/asm/pgtable.h, pgtable-hwdef.h, pgtable-prot.h,
 * arch/arm64/mm/mmap.c's protection_map), over the bit positions of the
 * hardware's own descriptor (hw/formats/arm64.ts), so the kernel and the
 * walker cannot disagree.
 *
 * Linux keeps "writable" and "dirty" apart from the hardware's AP[2]: a
 * writable page carries PTE_WRITE (which is DBM, bit 51) and stays AP[2] =
 * read-only until it is dirty — then the CPU's dirty-bit management (or,
 * without it, the fault handler) clears AP[2]. A page can also be dirty in
 * the software bit PTE_DIRTY, where pte_wrprotect() moves it.
 */
import { bit, bits, union } from '../../hw/entry-bits.ts';
import { arm64 } from '../../hw/formats/arm64.ts';
import type { LeafProt, VmaRights } from './arch.ts';
import {
  bigintPteOps,
  clearBits,
  flag,
  has,
  numberField,
  type PteHalves,
  type PteHalvesOps,
  setBits,
} from './pte-halves.ts';

// Hardware bits, from the descriptor the walker reads (hw/formats/arm64.ts);
// names as pgtable-hwdef.h gives them.
const b = arm64.bits;
const PTE_VALID = flag(b.valid);
/** PTE_TABLE_BIT / PMD_TABLE_BIT: a table (levels 0–2) or a page (level 3); clear in a block. */
const PTE_TABLE_BIT = flag(b.tableOrPage);
const PTE_TYPE_PAGE = union(PTE_VALID, PTE_TABLE_BIT);
const PMD_TYPE_TABLE = union(PTE_VALID, PTE_TABLE_BIT);
/** AP[1]: EL0 may access the page. */
const PTE_USER = flag(b.apUser);
/** AP[2]: read-only — until a write clears it (DBM), or the fault handler does. */
const PTE_RDONLY = flag(b.apReadOnly);
/** SH[1:0] = inner shareable. The walker does not model shareability; Linux sets it in every entry. */
const PTE_SHARED = bits(8, 9);
const PTE_AF = flag(b.accessFlag);
const PTE_NG = flag(b.notGlobal);
/** PTE_DBM, which Linux also uses as its software write bit (pgtable-prot.h: PTE_WRITE = PTE_DBM). */
const PTE_WRITE = flag(b.dirtyBitModifier);
const PTE_PXN = flag(b.pxn);
const PTE_UXN = flag(b.uxn);
const PMD_TABLE_PXN = flag(b.pxnTable);
const PMD_TABLE_UXN = flag(b.uxnTable);
// Software bits (pgtable-prot.h), in bits the hardware ignores.
const PTE_DIRTY = bit(55);
/** Only when PTE_VALID is clear: a PROT_NONE page, which keeps its frame. */
const PTE_PROT_NONE = bit(58);
/** _PROT_DEFAULT; PTE_ATTRINDX(MT_NORMAL) is 0 (MT_NORMAL must be index 0, memory.h). */
const PROT_DEFAULT = union(PTE_TYPE_PAGE, PTE_AF, PTE_SHARED);
const VALID_OR_PROT_NONE = union(PTE_VALID, PTE_PROT_NONE);
/** What PAGE_NONE takes away, and what it sets. */
const PAGE_NONE_CLEARS = union(PTE_VALID, PTE_USER, PTE_WRITE);
const PAGE_NONE_SETS = union(PTE_PROT_NONE, PTE_RDONLY, PTE_NG, PTE_PXN, PTE_UXN);
/** What every user protection with some right sets. */
const USER_SETS = union(PTE_VALID, PTE_USER, PTE_PXN);
const USER_LEAF = union(PTE_USER, PTE_RDONLY, PTE_NG, PTE_PXN);

/** PTE_ADDR_LOW: output-address bits 47:12 (no 52-bit PA). */
const PFN = numberField(arm64.frame);

// Swap entries (pgtable.h, 6.1): bits 1:0 clear (not valid, not a table),
// bit 2 PTE_SWP_EXCLUSIVE, type in 7:3, offset in 57:8, bit 58 (PROT_NONE)
// clear. Linux 5.10 and 5.11 had no exclusive bit: __SWP_TYPE_SHIFT was 2.
// The simulation never sets PTE_SWP_EXCLUSIVE (it does not track which
// anonymous pages were exclusive when swapped out).
const SWP_TYPE_SHIFT = 3;
const SWP_TYPE_BITS = 5;
const SWP_OFFSET_BITS = 50;
const SWP_TYPE_MASK = 2 ** SWP_TYPE_BITS - 1;
const SWP_OFFSET_SHIFT = SWP_TYPE_BITS + SWP_TYPE_SHIFT;
/** Offset bits in the low half (24), and the mask of the rest in the high half (26). */
const SWP_OFFSET_LO_BITS = 32 - SWP_OFFSET_SHIFT;
const SWP_OFFSET_HI_MASK = 2 ** (SWP_OFFSET_BITS - SWP_OFFSET_LO_BITS) - 1;

// pte_hw_dirty(): writable and AP[2] clear, which DBM makes the first write do.
const hwDirty = (lo: number, hi: number) => has(lo, hi, PTE_WRITE) && !has(lo, hi, PTE_RDONLY);
function mkdirty(e: PteHalves): void {
  setBits(e, PTE_DIRTY);
  if (has(e.lo, e.hi, PTE_WRITE)) clearBits(e, PTE_RDONLY);
}

/** The entries pgtable.h builds and reads, on halves. */
export const arm64PteHalves: PteHalvesOps = {
  none: (lo, hi) => (lo | hi) === 0,
  valid: (lo, hi) => has(lo, hi, PTE_VALID),
  mapsFrame: (lo, hi) => has(lo, hi, VALID_OR_PROT_NONE),
  pfn: PFN.read,
  // Above level 3, a valid descriptor without the table bit is a block.
  leafAbove: (lo, hi) => !has(lo, hi, PTE_TABLE_BIT),
  write: (lo, hi) => has(lo, hi, PTE_WRITE),
  dirty: (lo, hi) => has(lo, hi, PTE_DIRTY) || hwDirty(lo, hi),
  young: (lo, hi) => has(lo, hi, PTE_AF),
  user: (lo, hi) => has(lo, hi, PTE_USER),
  exec: (lo, hi) => !has(lo, hi, PTE_UXN),
  make,
  // mk_pmd_sect_prot(): the same attributes, table bit clear (PMD_TYPE_SECT).
  makeHuge: (pfn, prot, e) => {
    make(pfn, prot, e);
    clearBits(e, PTE_TABLE_BIT);
  },
  // pmd_populate() / pud_populate() for a user mm: PXNTable (no EL1 fetch
  // below); pmd_populate_kernel() and the init_mm levels: UXNTable. (The
  // linear map's own tables also get PXNTable in 6.1, map_mem's
  // NO_EXEC_MAPPINGS; its blocks are PXN themselves, so nothing changes.)
  makeTable: (pfn, user, e) => {
    e.set(0, 0);
    PFN.write(e, pfn);
    setBits(e, PMD_TYPE_TABLE);
    setBits(e, user ? PMD_TABLE_PXN : PMD_TABLE_UXN);
  },
  // pte_wrprotect(): a hardware-dirty entry keeps its dirtiness in PTE_DIRTY.
  wrprotect: (e) => {
    if (hwDirty(e.lo, e.hi)) mkdirty(e);
    clearBits(e, PTE_WRITE);
    setBits(e, PTE_RDONLY);
  },
  mkwrite: (e) => {
    setBits(e, PTE_WRITE);
    clearBits(e, PTE_RDONLY);
  },
  mkdirty,
  mkclean: (e) => {
    clearBits(e, PTE_DIRTY);
    setBits(e, PTE_RDONLY);
  },
  mkold: (e) => clearBits(e, PTE_AF),
  mkyoung: (e) => setBits(e, PTE_AF),
  modify,
  swapEntry: (type, offset, e) =>
    e.set(
      ((type & SWP_TYPE_MASK) << SWP_TYPE_SHIFT) | (offset << SWP_OFFSET_SHIFT),
      Math.floor(offset / 2 ** SWP_OFFSET_LO_BITS) & SWP_OFFSET_HI_MASK,
    ),
  swapType: (lo) => (lo >>> SWP_TYPE_SHIFT) & SWP_TYPE_MASK,
  swapOffset: (lo, hi) => (lo >>> SWP_OFFSET_SHIFT) + (hi & SWP_OFFSET_HI_MASK) * 2 ** SWP_OFFSET_LO_BITS,
};

export const arm64Pte = bigintPteOps(arm64PteHalves);

/**
 * mk_pte() with the protection_map entry for the rights (arch/arm64/mm/mmap.c):
 * user pages are PAGE_READONLY(_EXEC) or PAGE_SHARED(_EXEC) — EL0-accessible,
 * not global, never executable at EL1, and AP[2] set: a writable page starts
 * clean (PTE_WRITE | PTE_RDONLY) and pte_mkdirty() makes it hardware-dirty.
 * Kernel pages are PAGE_KERNEL (PROT_NORMAL): writable and dirty from the
 * start, PXN | UXN, global (no KPTI: arm64_use_ng_mappings is false).
 * PROT_DEFAULT includes PTE_AF: a page is mapped young.
 */
function make(pfn: number, prot: LeafProt, e: PteHalves): void {
  e.set(0, 0);
  PFN.write(e, pfn);
  setBits(e, PROT_DEFAULT);
  if (prot.accessed === false) clearBits(e, PTE_AF);
  if (!prot.user) {
    setBits(e, PTE_UXN);
    if (!prot.exec) setBits(e, PTE_PXN);
    setBits(e, prot.writable ? PTE_WRITE : PTE_RDONLY);
    if (prot.global === false) setBits(e, PTE_NG);
    return;
  }
  setBits(e, USER_LEAF);
  if (!prot.exec) setBits(e, PTE_UXN);
  if (prot.writable) setBits(e, PTE_WRITE);
  if (prot.dirty === true) mkdirty(e);
}

/**
 * pte_modify() with the new protection_map entry. Rights taken away go at
 * once; as on x86, write permission is never given back here (the next
 * write fault reuses or copies the page), which is what change_pte_range
 * amounts to for a page it cannot prove exclusive.
 */
function modify(e: PteHalves, rights: VmaRights): void {
  // "preserve the hardware dirty information"
  if (hwDirty(e.lo, e.hi)) mkdirty(e);
  if (!rights.read && !rights.write && !rights.exec) {
    // PAGE_NONE: valid clear, PTE_PROT_NONE set, no EL0 access, never executable.
    clearBits(e, PAGE_NONE_CLEARS);
    setBits(e, PAGE_NONE_SETS);
    return;
  }
  clearBits(e, PTE_PROT_NONE);
  setBits(e, USER_SETS);
  (rights.exec ? clearBits : setBits)(e, PTE_UXN);
  if (!rights.write) {
    clearBits(e, PTE_WRITE);
    setBits(e, PTE_RDONLY);
  }
}
