/**
 * x86 page-table entries as the kernel manipulates them (arch/x86/include/asm/
 * pgtable_types.h): named bits and small pure helpers on BigInt values. The
 * same layout serves 32-bit and 4-level paging; XD exists only on the latter.
 */
import { bit } from '../hw/entry-bits.ts';

const b = (n: number) => {
  const m = bit(n);
  return (BigInt(m.hi) << 32n) | BigInt(m.lo);
};

export const PTE_PRESENT = b(0);
export const PTE_RW = b(1);
export const PTE_USER = b(2);
export const PTE_ACCESSED = b(5);
export const PTE_DIRTY = b(6);
export const PTE_PSE = b(7);
export const PTE_GLOBAL = b(8);
export const PTE_NX = b(63);
/**
 * _PAGE_PROTNONE: a PROT_NONE page keeps its frame but clears P, so every
 * access faults; software tells it from a swap entry by this bit (the same
 * position as G, which only means something when P is set).
 */
export const PTE_PROTNONE = b(8);

/** Physical-address bits 12..51 of a 4 KiB entry. */
const PFN_MASK = ((1n << 52n) - 1n) & ~0xfffn;

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
  return Number((pte & PFN_MASK) >> 12n);
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
  let pte = (BigInt(pfn) << 12n) | PTE_PRESENT;
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
  return (BigInt(pfn) << 12n) | PTE_PRESENT | PTE_RW | PTE_ACCESSED | (user ? PTE_USER : 0n);
}

export const pteWrprotect = (pte: bigint) => pte & ~PTE_RW;
export const pteMkwrite = (pte: bigint) => pte | PTE_RW;
export const pteMkdirty = (pte: bigint) => pte | PTE_DIRTY;
export const pteMkclean = (pte: bigint) => pte & ~PTE_DIRTY;
export const pteMkold = (pte: bigint) => pte & ~PTE_ACCESSED;
