/**
 * A paging format is data: geometry (page size, levels, index bits, entry
 * width) plus where each flag lives in an entry. One generic walker
 * (`walk.ts`) reads these descriptors; the architecture-specific *rules* that
 * cannot be expressed as bit positions (how a leaf is recognised, how
 * permissions combine across levels) are chosen by `family`.
 */
import type { BitField, EntryBits } from './entry-bits.ts';

export interface LevelFormat {
  /** The manual's name for a table at this level: PML4, PDPT, PD, PT; L0..L3; VPN[2]..VPN[0]. */
  readonly name: string;
  readonly indexBits: number;
  /** Whether an entry at this level may map memory: the last level always; above it, a huge page or block. */
  readonly leaf: boolean;
}

interface CommonFormat {
  readonly id: string;
  readonly title: string;
  /** log2 of the page size. */
  readonly pageShift: number;
  readonly entryBytes: 1 | 2 | 4 | 8;
  /** Root table first. */
  readonly levels: readonly LevelFormat[];
  /**
   * 'unsigned': addresses run 0..2^vaBits-1 (x86-32, teaching formats).
   * 'sign-extended': bits above the top implemented bit must copy it
   * (x86-64 canonical form, RISC-V Sv39, ARM64's TTBR0/TTBR1 halves).
   */
  readonly addressing: 'unsigned' | 'sign-extended';
  /** Physical address width the format can express (MAXPHYADDR, PA size). */
  readonly physAddrBits: number;
  /** Where the frame number sits in an entry. */
  readonly frame: BitField;
}

/**
 * x86 family: 32-bit paging, 4-level paging, and the teaching formats (which
 * follow x86's rules so learners meet one error-code layout).
 */
export interface X86Format extends CommonFormat {
  readonly family: 'x86';
  readonly bits: {
    readonly present: EntryBits;
    readonly writable: EntryBits;
    readonly user: EntryBits;
    readonly accessed: EntryBits;
    readonly dirty: EntryBits;
    /** PS: in a non-last entry, marks a huge leaf. */
    readonly pageSize: EntryBits;
    readonly global: EntryBits;
    /** XD (bit 63); absent from 32-bit paging. */
    readonly noExecute: EntryBits;
    /** PAT bit of a huge leaf (bit 12), which sits inside the frame field. */
    readonly hugePat: EntryBits;
  };
  /** Protection key of a leaf (bits 62:59 on 4-level paging), or null. */
  readonly protectionKey: BitField | null;
  /** 32-bit paging honours PS only when CR4.PSE = 1; PAE and 4-level paging always do. */
  readonly pageSizeNeedsPse: boolean;
}

export interface RiscvFormat extends CommonFormat {
  readonly family: 'riscv';
  readonly bits: {
    readonly valid: EntryBits;
    readonly read: EntryBits;
    readonly write: EntryBits;
    readonly execute: EntryBits;
    readonly user: EntryBits;
    readonly global: EntryBits;
    readonly accessed: EntryBits;
    readonly dirty: EntryBits;
    /** Bits reserved for future standard use (and PBMT/N without Svpbmt/Svnapot): set → page fault. */
    readonly reserved: EntryBits;
  };
}

export interface Arm64Format extends CommonFormat {
  readonly family: 'arm64';
  readonly bits: {
    readonly valid: EntryBits;
    /** Bit 1: table (levels 0–2) or page (level 3); clear above level 3 means block. */
    readonly tableOrPage: EntryBits;
    /** AP[1]: accessible from EL0. */
    readonly apUser: EntryBits;
    /** AP[2]: read-only. */
    readonly apReadOnly: EntryBits;
    readonly accessFlag: EntryBits;
    readonly notGlobal: EntryBits;
    readonly dirtyBitModifier: EntryBits;
    readonly pxn: EntryBits;
    readonly uxn: EntryBits;
    readonly pxnTable: EntryBits;
    readonly uxnTable: EntryBits;
    /** APTable[0]: no EL0 access below this table. */
    readonly apTableNoUser: EntryBits;
    /** APTable[1]: no writes below this table. */
    readonly apTableReadOnly: EntryBits;
  };
}

export type PagingFormat = X86Format | RiscvFormat | Arm64Format;
export type Family = PagingFormat['family'];

export function virtualAddressBits(format: PagingFormat): number {
  return format.levels.reduce((sum, level) => sum + level.indexBits, format.pageShift);
}

/** Bytes mapped by one leaf entry at `level` (0 = root). */
export function leafSpan(format: PagingFormat, level: number): number {
  let shift = format.pageShift;
  for (let l = level + 1; l < format.levels.length; l++) shift += format.levels[l]!.indexBits;
  return 2 ** shift;
}
