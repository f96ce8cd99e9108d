/**
 * A paging format is data: geometry (page size, levels, index bits, entry
 * width) plus where each flag lives in an entry. One generic walker
 * (`walk.ts`) reads these descriptors; the architecture-specific *rules* that
 * cannot be expressed as bit positions (how a leaf is recognised, how
 * permissions combine across levels) are chosen by `family`.
 *
 * A flag is either one bit (`bit(n)`) or `NOT_MODELLED` (entry-bits.ts): the
 * format has no such flag and the rule that reads it does not apply. The
 * bits that decide whether an entry is valid, and what kind it is, must
 * exist. `validatePagingFormat` (format-validation.ts) checks a descriptor;
 * everything that compiles one (the MMU, the dump, the editor) calls it.
 *
 * Tables: entry i of a table sits at base + i × entryBytes. Every table
 * below the root fits in one page (an entry names it by one frame number); a
 * table may be smaller than its page (tiny8's 4-byte tables, x86 PAE's
 * 32-byte PDPT). The root table may also span several consecutive pages
 * (concatenated root tables, as ARM's stage 2 and RISC-V's Sv39x4 have); a
 * root must be aligned to its table's size.
 */
import { type BitField, type EntryBits, type FlagBits, isModelled } from './entry-bits.ts';

/** Most levels a walk reads (x86 5-level paging, RISC-V Sv57). */
export const MAX_LEVELS = 5;

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
    /** R/W, ANDed down the levels. Not modelled: everything is writable. */
    readonly writable: FlagBits;
    /** U/S, ANDed down the levels. Not modelled: every page is reachable from both privileges. */
    readonly user: FlagBits;
    /** Not modelled: accesses are not tracked (never set, never a fault). */
    readonly accessed: FlagBits;
    /** Not modelled: writes are not tracked; every page counts as dirty. */
    readonly dirty: FlagBits;
    /** PS: in a non-last entry, marks a huge leaf. Not modelled: no huge pages. */
    readonly pageSize: FlagBits;
    /** Not modelled: no page is global. */
    readonly global: FlagBits;
    /** XD (bit 63); not modelled on 32-bit paging, where everything is executable. */
    readonly noExecute: FlagBits;
    /** PAT bit of a huge leaf (bit 12), which sits inside the frame field. */
    readonly hugePat: FlagBits;
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
    /** R: with W and X, tells a leaf from a pointer, so it must exist. */
    readonly read: EntryBits;
    /** Not modelled: every leaf is writable. */
    readonly write: FlagBits;
    /** Not modelled: every leaf is executable. */
    readonly execute: FlagBits;
    /** Not modelled: every page is reachable from both privileges. */
    readonly user: FlagBits;
    readonly global: FlagBits;
    /** Not modelled (with `dirty`): never set, never a fault, under Svade or Svadu alike. */
    readonly accessed: FlagBits;
    readonly dirty: FlagBits;
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
    /** AP[1]: accessible from EL0. Not modelled: every page is reachable from both ELs. */
    readonly apUser: FlagBits;
    /** AP[2]: read-only. Not modelled: everything is writable. */
    readonly apReadOnly: FlagBits;
    /** AF. Not modelled: never set, never an Access flag fault. */
    readonly accessFlag: FlagBits;
    /** nG. Not modelled: every entry is tagged with its ASID (no global pages). */
    readonly notGlobal: FlagBits;
    readonly dirtyBitModifier: FlagBits;
    readonly pxn: FlagBits;
    readonly uxn: FlagBits;
    readonly pxnTable: FlagBits;
    readonly uxnTable: FlagBits;
    /** APTable[0]: no EL0 access below this table. */
    readonly apTableNoUser: FlagBits;
    /** APTable[1]: no writes below this table. */
    readonly apTableReadOnly: FlagBits;
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

/** Bytes of a table at `level` (0 = root): its entry count times the entry width. */
export function tableBytes(format: PagingFormat, level: number): number {
  return 2 ** format.levels[level]!.indexBits * format.entryBytes;
}

/** One flag of a family's descriptors: its field in `bits`, and what the walker needs of it. */
export interface FlagField {
  /** Its key in the descriptor's `bits`. */
  readonly field: string;
  /** The manual's spelling, as `entryFlags` and `decodeEntry` name it. */
  readonly name: string;
  /** Decides whether an entry is valid or what kind it is: cannot be `NOT_MODELLED`. */
  readonly required: boolean;
  /**
   * The entry half the walker tests it in: 'lo' = bits 0..31, 'hi' = 32..63,
   * 'any' = either. Testing each flag in one half keeps a walk step to one
   * AND per flag.
   */
  readonly half: 'lo' | 'hi' | 'any';
  /** Listed by `entryFlags` (false for x86 PAT, which sits inside the frame field of a huge leaf). */
  readonly listed: boolean;
}

const flag = (
  field: string,
  name: string,
  half: FlagField['half'],
  required = false,
  listed = true,
): FlagField => ({ field, name, required, half, listed });

/** Every family's flags, low bit first as the manuals draw them. */
export const FLAG_FIELDS: Readonly<Record<Family, readonly FlagField[]>> = {
  // SDM Vol. 3A Tables 4-14..4-20.
  x86: [
    flag('present', 'P', 'lo', true),
    flag('writable', 'W', 'lo'),
    flag('user', 'U', 'lo'),
    flag('accessed', 'A', 'lo'),
    flag('dirty', 'D', 'lo'),
    flag('pageSize', 'PS', 'lo'),
    flag('global', 'G', 'lo'),
    flag('noExecute', 'NX', 'any'),
    flag('hugePat', 'PAT', 'lo', false, false),
  ],
  // Privileged Spec §4.3.1.
  riscv: [
    flag('valid', 'V', 'lo', true),
    flag('read', 'R', 'lo', true),
    flag('write', 'W', 'lo'),
    flag('execute', 'X', 'lo'),
    flag('user', 'U', 'lo'),
    flag('global', 'G', 'lo'),
    flag('accessed', 'A', 'lo'),
    flag('dirty', 'D', 'lo'),
  ],
  // ARM ARM D8.3.
  arm64: [
    flag('valid', 'valid', 'lo', true),
    flag('tableOrPage', 'table/page', 'lo', true),
    flag('apUser', 'AP[1] (EL0)', 'lo'),
    flag('apReadOnly', 'AP[2] (RO)', 'lo'),
    flag('accessFlag', 'AF', 'lo'),
    flag('notGlobal', 'nG', 'lo'),
    flag('dirtyBitModifier', 'DBM', 'hi'),
    flag('pxn', 'PXN', 'hi'),
    flag('uxn', 'UXN', 'hi'),
    flag('pxnTable', 'PXNTable', 'hi'),
    flag('uxnTable', 'UXNTable', 'hi'),
    flag('apTableNoUser', 'APTable[0]', 'hi'),
    flag('apTableReadOnly', 'APTable[1]', 'hi'),
  ],
};

/** The flag in `field` of a format's `bits`. */
export function flagBitsOf(format: PagingFormat, field: string): FlagBits {
  return (format.bits as unknown as Readonly<Record<string, FlagBits>>)[field] ?? null;
}

/**
 * Whether the format tells user pages from supervisor pages (x86 U/S,
 * RISC-V U, ARM64 AP[1]). Without that flag every page is reachable from
 * both privileges, and the rules about user pages (SMAP, SMEP, PAN, SUM,
 * protection keys) have nothing to act on.
 */
export function modelsPrivilege(format: PagingFormat): boolean {
  return isModelled(format.family === 'arm64' ? format.bits.apUser : format.bits.user);
}
