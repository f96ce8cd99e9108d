/**
 * x86 page-table entries as the kernel manipulates them (arch/x86/include/asm/
 * pgtable_types.h): named bits and small pure helpers on BigInt values. The
 * same layout serves 32-bit and 4-level paging; XD exists only on the latter.
 */
import type { EntryBits } from '../hw/entry-bits.ts';
import { x86_64 } from '../hw/formats/x86-64.ts';

/** One flag of the paging format descriptor as a 64-bit mask. */
const b = (m: EntryBits) => (BigInt(m.hi) << 32n) | BigInt(m.lo);

// Bit positions come from the hardware's own descriptor (hw/formats/x86-64.ts,
// whose low flags x86-32 shares), so the kernel and the walker cannot disagree.
const x86 = x86_64.bits;

export const PTE_PRESENT = b(x86.present);
export const PTE_RW = b(x86.writable);
export const PTE_USER = b(x86.user);
export const PTE_ACCESSED = b(x86.accessed);
export const PTE_DIRTY = b(x86.dirty);
/** _PAGE_PSE: in a table above the last level, the entry is a huge leaf. */
export const PTE_PSE = b(x86.pageSize);
export const PTE_GLOBAL = b(x86.global);
export const PTE_NX = b(x86.noExecute);
/**
 * _PAGE_PROTNONE: a PROT_NONE page keeps its frame but clears P, so every
 * access faults; software tells it from a swap entry by this bit (the same
 * position as G, which only means something when P is set).
 */
export const PTE_PROTNONE = PTE_GLOBAL;

/** The frame field of a 4 KiB entry (physical-address bits 12..51), from the descriptor. */
const PFN_SHIFT = BigInt(x86_64.frame.shift);
const PFN_MASK = ((1n << BigInt(x86_64.frame.width)) - 1n) << PFN_SHIFT;

export function ptePresent(pte: bigint): boolean {
  return (pte & PTE_PRESENT) !== 0n;
}

/** Maps a frame: present, or PROT_NONE (pte_present() in Linux is true for both). */
export function pteMapsFrame(pte: bigint): boolean {
  return (pte & PTE_PRESENT) !== 0n || (pte & PTE_PROTNONE) !== 0n;
}

export function pteNone(pte: bigint): boolean {
  return pte === 0n;
}

export function ptePfn(pte: bigint): number {
  return Number((pte & PFN_MASK) >> PFN_SHIFT);
}

/** pte_huge(): PS is set (meaningful only above the last level). */
export function pteHuge(pte: bigint): boolean {
  return (pte & PTE_PSE) !== 0n;
}

export function pteWrite(pte: bigint): boolean {
  return (pte & PTE_RW) !== 0n;
}

export function pteDirty(pte: bigint): boolean {
  return (pte & PTE_DIRTY) !== 0n;
}

export function pteYoung(pte: bigint): boolean {
  return (pte & PTE_ACCESSED) !== 0n;
}

export interface LeafProt {
  readonly writable: boolean;
  readonly user: boolean;
  readonly exec: boolean;
  readonly global?: boolean;
  readonly dirty?: boolean;
  readonly accessed?: boolean;
}

/** mk_pte: a present leaf for `pfn`. `hasNx` is false on 32-bit paging (no XD bit). */
export function makePte(pfn: number, prot: LeafProt, hasNx: boolean): bigint {
  let pte = (BigInt(pfn) << PFN_SHIFT) | PTE_PRESENT;
  if (prot.writable) pte |= PTE_RW;
  if (prot.user) pte |= PTE_USER;
  if (prot.global) pte |= PTE_GLOBAL;
  if (prot.dirty) pte |= PTE_DIRTY;
  if (prot.accessed) pte |= PTE_ACCESSED;
  if (!prot.exec && hasNx) pte |= PTE_NX;
  return pte;
}

/** A pointer to a lower-level table: _PAGE_TABLE (user) or _KERNPG_TABLE (kernel). */
export function makeTableEntry(pfn: number, user: boolean): bigint {
  return (BigInt(pfn) << PFN_SHIFT) | PTE_PRESENT | PTE_RW | PTE_ACCESSED | (user ? PTE_USER : 0n);
}

export const pteWrprotect = (pte: bigint) => pte & ~PTE_RW;
export const pteMkwrite = (pte: bigint) => pte | PTE_RW;
export const pteMkdirty = (pte: bigint) => pte | PTE_DIRTY;
export const pteMkclean = (pte: bigint) => pte & ~PTE_DIRTY;
export const pteMkold = (pte: bigint) => pte & ~PTE_ACCESSED;
export const pteMkhuge = (pte: bigint) => pte | PTE_PSE;
