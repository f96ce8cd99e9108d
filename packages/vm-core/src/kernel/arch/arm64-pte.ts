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
import type { EntryBits } from '../../hw/entry-bits.ts';
import { arm64 } from '../../hw/formats/arm64.ts';
import type { LeafProt, PteOps, VmaRights } from './arch.ts';

const mask = (m: EntryBits) => (BigInt(m.hi) << 32n) | BigInt(m.lo);

// Hardware bits, from the descriptor the walker reads (hw/formats/arm64.ts);
// names as pgtable-hwdef.h gives them.
const b = arm64.bits;
const PTE_VALID = mask(b.valid);
/** PTE_TABLE_BIT / PMD_TABLE_BIT: a table (levels 0–2) or a page (level 3); clear in a block. */
const PTE_TABLE_BIT = mask(b.tableOrPage);
const PTE_TYPE_PAGE = PTE_VALID | PTE_TABLE_BIT;
const PMD_TYPE_TABLE = PTE_VALID | PTE_TABLE_BIT;
/** AP[1]: EL0 may access the page. */
const PTE_USER = mask(b.apUser);
/** AP[2]: read-only — until a write clears it (DBM), or the fault handler does. */
const PTE_RDONLY = mask(b.apReadOnly);
/** SH[1:0] = inner shareable. The walker does not model shareability; Linux sets it in every entry. */
const PTE_SHARED = 3n << 8n;
const PTE_AF = mask(b.accessFlag);
const PTE_NG = mask(b.notGlobal);
/** PTE_DBM, which Linux also uses as its software write bit (pgtable-prot.h: PTE_WRITE = PTE_DBM). */
const PTE_WRITE = mask(b.dirtyBitModifier);
const PTE_PXN = mask(b.pxn);
const PTE_UXN = mask(b.uxn);
const PMD_TABLE_PXN = mask(b.pxnTable);
const PMD_TABLE_UXN = mask(b.uxnTable);
// Software bits (pgtable-prot.h), in bits the hardware ignores.
const PTE_DIRTY = 1n << 55n;
/** Only when PTE_VALID is clear: a PROT_NONE page, which keeps its frame. */
const PTE_PROT_NONE = 1n << 58n;
/** _PROT_DEFAULT; PTE_ATTRINDX(MT_NORMAL) is 0 (MT_NORMAL must be index 0, memory.h). */
const PROT_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED;

const PFN_SHIFT = BigInt(arm64.frame.shift);
/** PTE_ADDR_LOW: output-address bits 47:12 (no 52-bit PA). */
const PTE_ADDR_MASK = ((1n << BigInt(arm64.frame.width)) - 1n) << PFN_SHIFT;

// Swap entries (pgtable.h, 6.1): bits 1:0 clear (not valid, not a table),
// bit 2 PTE_SWP_EXCLUSIVE, type in 7:3, offset in 57:8, bit 58 (PROT_NONE)
// clear. Linux 5.10 and 5.11 had no exclusive bit: __SWP_TYPE_SHIFT was 2.
// The simulation never sets PTE_SWP_EXCLUSIVE (it does not track which
// anonymous pages were exclusive when swapped out).
const SWP_TYPE_SHIFT = 3n;
const SWP_TYPE_BITS = 5n;
const SWP_OFFSET_BITS = 50n;
const SWP_TYPE_MASK = (1n << SWP_TYPE_BITS) - 1n;
const SWP_OFFSET_SHIFT = SWP_TYPE_BITS + SWP_TYPE_SHIFT;
const SWP_OFFSET_MASK = (1n << SWP_OFFSET_BITS) - 1n;

// pte_hw_dirty(): writable and AP[2] clear, which DBM makes the first write do.
const hwDirty = (pte: bigint) => (pte & PTE_WRITE) !== 0n && (pte & PTE_RDONLY) === 0n;
const mkdirty = (pte: bigint) => {
  const next = pte | PTE_DIRTY;
  return (next & PTE_WRITE) !== 0n ? next & ~PTE_RDONLY : next;
};

export const arm64Pte: PteOps = {
  none: (pte) => pte === 0n,
  valid: (pte) => (pte & PTE_VALID) !== 0n,
  mapsFrame: (pte) => (pte & (PTE_VALID | PTE_PROT_NONE)) !== 0n,
  pfn: (pte) => Number((pte & PTE_ADDR_MASK) >> PFN_SHIFT),
  // Above level 3, a valid descriptor without the table bit is a block.
  leafAbove: (pte) => (pte & PTE_TABLE_BIT) === 0n,
  write: (pte) => (pte & PTE_WRITE) !== 0n,
  dirty: (pte) => (pte & PTE_DIRTY) !== 0n || hwDirty(pte),
  young: (pte) => (pte & PTE_AF) !== 0n,
  user: (pte) => (pte & PTE_USER) !== 0n,
  exec: (pte) => (pte & PTE_UXN) === 0n,
  make,
  // mk_pmd_sect_prot(): the same attributes, table bit clear (PMD_TYPE_SECT).
  makeHuge: (pfn, prot) => make(pfn, prot) & ~PTE_TABLE_BIT,
  // pmd_populate() / pud_populate() for a user mm: PXNTable (no EL1 fetch
  // below); pmd_populate_kernel() and the init_mm levels: UXNTable. (The
  // linear map's own tables also get PXNTable in 6.1, map_mem's
  // NO_EXEC_MAPPINGS; its blocks are PXN themselves, so nothing changes.)
  makeTable: (pfn, user) =>
    (BigInt(pfn) << PFN_SHIFT) | PMD_TYPE_TABLE | (user ? PMD_TABLE_PXN : PMD_TABLE_UXN),
  // pte_wrprotect(): a hardware-dirty entry keeps its dirtiness in PTE_DIRTY.
  wrprotect: (pte) => ((hwDirty(pte) ? mkdirty(pte) : pte) & ~PTE_WRITE) | PTE_RDONLY,
  mkwrite: (pte) => (pte | PTE_WRITE) & ~PTE_RDONLY,
  mkdirty,
  mkclean: (pte) => (pte & ~PTE_DIRTY) | PTE_RDONLY,
  mkold: (pte) => pte & ~PTE_AF,
  mkyoung: (pte) => pte | PTE_AF,
  modify,
  swapEntry: (type, offset) =>
    ((BigInt(type) & SWP_TYPE_MASK) << SWP_TYPE_SHIFT) |
    ((BigInt(offset) & SWP_OFFSET_MASK) << SWP_OFFSET_SHIFT),
  swapType: (pte) => Number((pte >> SWP_TYPE_SHIFT) & SWP_TYPE_MASK),
  swapOffset: (pte) => Number((pte >> SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK),
};

/**
 * mk_pte() with the protection_map entry for the rights (arch/arm64/mm/mmap.c):
 * user pages are PAGE_READONLY(_EXEC) or PAGE_SHARED(_EXEC) — EL0-accessible,
 * not global, never executable at EL1, and AP[2] set: a writable page starts
 * clean (PTE_WRITE | PTE_RDONLY) and pte_mkdirty() makes it hardware-dirty.
 * Kernel pages are PAGE_KERNEL (PROT_NORMAL): writable and dirty from the
 * start, PXN | UXN, global (no KPTI: arm64_use_ng_mappings is false).
 * PROT_DEFAULT includes PTE_AF: a page is mapped young.
 */
function make(pfn: number, prot: LeafProt): bigint {
  let pte = (BigInt(pfn) << PFN_SHIFT) | PROT_DEFAULT;
  if (prot.accessed === false) pte &= ~PTE_AF;
  if (!prot.user) {
    pte |= PTE_UXN | (prot.exec ? 0n : PTE_PXN);
    pte |= prot.writable ? PTE_WRITE : PTE_RDONLY;
    return prot.global === false ? pte | PTE_NG : pte;
  }
  pte |= PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | (prot.exec ? 0n : PTE_UXN);
  if (prot.writable) pte |= PTE_WRITE;
  return prot.dirty === true ? mkdirty(pte) : pte;
}

/**
 * pte_modify() with the new protection_map entry. Rights taken away go at
 * once; as on x86, write permission is never given back here (the next
 * write fault reuses or copies the page), which is what change_pte_range
 * amounts to for a page it cannot prove exclusive.
 */
function modify(pte: bigint, rights: VmaRights): bigint {
  // "preserve the hardware dirty information"
  let next = hwDirty(pte) ? mkdirty(pte) : pte;
  if (!rights.read && !rights.write && !rights.exec) {
    // PAGE_NONE: valid clear, PTE_PROT_NONE set, no EL0 access, never executable.
    return (
      (next & ~(PTE_VALID | PTE_USER | PTE_WRITE)) | PTE_PROT_NONE | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN
    );
  }
  next = (next & ~PTE_PROT_NONE) | PTE_VALID | PTE_USER | PTE_PXN;
  next = rights.exec ? next & ~PTE_UXN : next | PTE_UXN;
  if (!rights.write) next = (next & ~PTE_WRITE) | PTE_RDONLY;
  return next;
}
