/**
 * Building and reading entries the way software does: encode a table pointer
 * or a leaf for a format, decode a raw entry into named flags for the UI and
 * for error messages, and the small pure helpers (`isValidEntry`,
 * `withAccessed`, …) the kernel uses. These work on BigInt values; the walker
 * has its own allocation-free path.
 *
 * A flag the format does not model is simply absent: encoding leaves it out
 * (an entry cannot ask for what its format cannot say), decoding lists it in
 * `notModelled` rather than as clear, and the helpers answer as the walker
 * behaves — without accessed bits nothing reads as accessed, without dirty
 * bits everything reads as dirty.
 */
import { formatHex } from './address.ts';
import {
  type EntryBits,
  type FlagBits,
  fieldCodec,
  fromBigInt,
  has,
  isModelled,
  maskOf,
  readField,
  toBigInt,
  writeField,
} from './entry-bits.ts';
import { validatePagingFormat } from './format-validation.ts';
import { FLAG_FIELDS, flagBitsOf, type PagingFormat } from './paging-format.ts';

export interface TableSpec {
  readonly kind: 'table';
  /** Frame holding the next-level table. */
  readonly pfn: number;
  /** x86: R/W and U/S of the pointer (both default to true, as Linux's _PAGE_TABLE). ARM64: APTable limits when false. */
  readonly writable?: boolean;
  readonly user?: boolean;
  readonly accessed?: boolean;
}

export interface LeafSpec {
  readonly kind: 'leaf';
  readonly pfn: number;
  /** RISC-V R (defaults to true); x86 and ARM pages are always readable. */
  readonly readable?: boolean;
  readonly writable?: boolean;
  readonly user?: boolean;
  /** Executable by the page's owner: user code for user pages, kernel code for kernel pages. */
  readonly executable?: boolean;
  readonly global?: boolean;
  readonly accessed?: boolean;
  readonly dirty?: boolean;
  /** x86 PKU key 0..15 (4-level paging only). */
  readonly protectionKey?: number;
  /** ARM64: a writable page starts clean (AP[2] = 1, DBM = 1) for hardware dirty tracking. */
  readonly dirtyBitModifier?: boolean;
}

export type EntrySpec = TableSpec | LeafSpec;

const set = (lo: number, hi: number, f: FlagBits, on: boolean | undefined): [number, number] =>
  on && f !== null ? [(lo | f.lo) >>> 0, (hi | f.hi) >>> 0] : [lo, hi];

/** Encodes an entry for `level` (0 = root) of `format`. Flags the format does not model are left out. */
export function encodeEntry(format: PagingFormat, level: number, spec: EntrySpec): bigint {
  validatePagingFormat(format);
  const lastLevel = format.levels.length - 1;
  if (!Number.isInteger(level) || level < 0 || level > lastLevel) {
    throw new RangeError(`${format.id} has levels 0..${lastLevel}, not ${level}`);
  }
  const levelFormat = format.levels[level]!;
  if (spec.kind === 'table' && level === lastLevel) {
    throw new RangeError(`${format.id}: a ${levelFormat.name} entry cannot point to another table`);
  }
  if (spec.kind === 'leaf' && !levelFormat.leaf && level !== lastLevel) {
    throw new RangeError(`${format.id}: a ${levelFormat.name} entry cannot map a page`);
  }
  const frame = fieldCodec(format.frame);
  let [lo, hi] = writeField(frame, 0, 0, spec.pfn);

  switch (format.family) {
    case 'x86': {
      const b = format.bits;
      [lo, hi] = set(lo, hi, b.present, true);
      [lo, hi] = set(lo, hi, b.accessed, spec.accessed);
      if (spec.kind === 'table') {
        [lo, hi] = set(lo, hi, b.writable, spec.writable ?? true);
        [lo, hi] = set(lo, hi, b.user, spec.user ?? true);
        break;
      }
      [lo, hi] = set(lo, hi, b.writable, spec.writable);
      [lo, hi] = set(lo, hi, b.user, spec.user);
      [lo, hi] = set(lo, hi, b.dirty, spec.dirty);
      [lo, hi] = set(lo, hi, b.global, spec.global);
      [lo, hi] = set(lo, hi, b.noExecute, !(spec.executable ?? false));
      if (level !== lastLevel) [lo, hi] = set(lo, hi, b.pageSize, true);
      if (spec.protectionKey !== undefined) {
        if (format.protectionKey === null) throw new RangeError(`${format.id} has no protection keys`);
        [lo, hi] = writeField(fieldCodec(format.protectionKey), lo, hi, spec.protectionKey);
      }
      break;
    }
    case 'riscv': {
      const b = format.bits;
      [lo, hi] = set(lo, hi, b.valid, true);
      if (spec.kind === 'table') break;
      [lo, hi] = set(lo, hi, b.read, spec.readable ?? true);
      [lo, hi] = set(lo, hi, b.write, spec.writable);
      [lo, hi] = set(lo, hi, b.execute, spec.executable);
      [lo, hi] = set(lo, hi, b.user, spec.user);
      [lo, hi] = set(lo, hi, b.global, spec.global);
      [lo, hi] = set(lo, hi, b.accessed, spec.accessed);
      [lo, hi] = set(lo, hi, b.dirty, spec.dirty);
      break;
    }
    case 'arm64': {
      const b = format.bits;
      [lo, hi] = set(lo, hi, b.valid, true);
      if (spec.kind === 'table') {
        [lo, hi] = set(lo, hi, b.tableOrPage, true);
        [lo, hi] = set(lo, hi, b.apTableReadOnly, spec.writable === false);
        [lo, hi] = set(lo, hi, b.apTableNoUser, spec.user === false);
        break;
      }
      [lo, hi] = set(lo, hi, b.tableOrPage, level === lastLevel);
      [lo, hi] = set(lo, hi, b.accessFlag, spec.accessed);
      [lo, hi] = set(lo, hi, b.apUser, spec.user);
      const clean = spec.writable === true && spec.dirtyBitModifier === true && spec.dirty !== true;
      [lo, hi] = set(lo, hi, b.apReadOnly, !spec.writable || clean);
      [lo, hi] = set(lo, hi, b.dirtyBitModifier, spec.dirtyBitModifier);
      [lo, hi] = set(lo, hi, b.notGlobal, !spec.global);
      // Linux marks user pages PXN and kernel pages UXN; `executable` opens
      // the other one for the page's owner.
      const exec = spec.executable ?? false;
      [lo, hi] = set(lo, hi, b.uxn, spec.user ? !exec : true);
      [lo, hi] = set(lo, hi, b.pxn, spec.user ? true : !exec);
      break;
    }
  }
  return toBigInt(lo, hi);
}

export type DecodedKind = 'invalid' | 'table' | 'leaf' | 'reserved';

export interface DecodedEntry {
  /** The entry in hex, zero-padded to its width: "0x0000000000001067". */
  readonly raw: string;
  /** The same entry, exact: a value of `entryBytes × 8` bits, high bits included. */
  readonly value: bigint;
  readonly kind: DecodedKind;
  readonly pfn: number;
  /** Every flag the format has, set or not, in the manual's spelling. */
  readonly flags: Readonly<Record<string, boolean>>;
  /**
   * The family's flags this format does not model (tiny8: PS G NX): absent
   * from `flags`, since they are neither set nor clear. See NOT_MODELLED.
   */
  readonly notModelled: readonly string[];
  /** e.g. "leaf pfn 0x1234 P W U A D NX". */
  readonly summary: string;
}

/** One named flag of a format: the manual's spelling and the bits it occupies. */
export interface EntryFlag {
  readonly name: string;
  readonly bits: EntryBits;
  /** Its (lowest) bit position, 0..63. */
  readonly bit: number;
}

const flagLists = new WeakMap<
  PagingFormat,
  { flags: readonly EntryFlag[]; notModelled: readonly string[] }
>();

function flagsOf(format: PagingFormat): { flags: readonly EntryFlag[]; notModelled: readonly string[] } {
  const cached = flagLists.get(format);
  if (cached !== undefined) return cached;
  validatePagingFormat(format);
  const flags: EntryFlag[] = [];
  const notModelled: string[] = [];
  for (const field of FLAG_FIELDS[format.family]) {
    if (!field.listed) continue;
    const f = flagBitsOf(format, field.field);
    if (isModelled(f)) flags.push({ name: field.name, bits: f, bit: lowestBit(f) });
    else notModelled.push(field.name);
  }
  const lists = { flags, notModelled };
  flagLists.set(format, lists);
  return lists;
}

/**
 * The named flags of a format's entries, low bit first as the manuals draw
 * them — x86 P W U A D PS G NX (SDM Tables 4-14..4-20), RISC-V V R W X U G A D
 * (Privileged Spec §4.3.1), ARM64's descriptor bits (ARM ARM D8.3) — taken
 * from the descriptor's bit positions. A flag the format does not model (no
 * XD on 32-bit paging, no PS on tiny8) is left out; `notModelledFlags` names
 * those. `decodeEntry` names flags by this list, so a picture drawn from it
 * agrees with every summary.
 */
export function entryFlags(format: PagingFormat): readonly EntryFlag[] {
  return flagsOf(format).flags;
}

/** The family's flags that `format` does not model, in the manual's spelling (x86-32: NX). */
export function notModelledFlags(format: PagingFormat): readonly string[] {
  return flagsOf(format).notModelled;
}

function lowestBit(f: EntryBits): number {
  return f.lo !== 0 ? 31 - Math.clz32(f.lo & -f.lo) : 63 - Math.clz32(f.hi & -f.hi);
}

/** Reads a raw entry as software would: kind, frame and named flags. */
export function decodeEntry(format: PagingFormat, level: number, value: bigint): DecodedEntry {
  const [lo, hi] = fromBigInt(value);
  const last = level === format.levels.length - 1;
  const pfn = readField(fieldCodec(format.frame), lo, hi);
  const lists = flagsOf(format);
  const flags: Record<string, boolean> = {};
  for (const f of lists.flags) flags[f.name] = has(lo, hi, f.bits);
  let kind: DecodedKind;
  switch (format.family) {
    case 'x86': {
      const huge = !last && flags.PS === true;
      kind = !flags.P ? 'invalid' : last || huge ? 'leaf' : 'table';
      if (kind === 'leaf' && huge && !format.levels[level]!.leaf) kind = 'reserved';
      break;
    }
    case 'riscv': {
      if (!flags.V) kind = 'invalid';
      else if (flags.W && !flags.R) kind = 'reserved';
      else kind = flags.R || flags.W || flags.X ? 'leaf' : 'table';
      break;
    }
    case 'arm64': {
      const tp = flags['table/page'] === true;
      if (!flags.valid) kind = 'invalid';
      else if (last) kind = tp ? 'leaf' : 'reserved';
      else if (tp) kind = 'table';
      else kind = format.levels[level]!.leaf ? 'leaf' : 'reserved';
      break;
    }
  }
  const on = Object.entries(flags)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .join(' ');
  const raw = formatHex(value, format.entryBytes);
  return {
    raw,
    value: BigInt.asUintN(format.entryBytes * 8, value),
    kind,
    pfn,
    flags,
    notModelled: lists.notModelled,
    summary:
      kind === 'invalid' ? `${raw} not present` : `${raw} ${kind} pfn 0x${pfn.toString(16)} ${on}`.trim(),
  };
}

/** Bits that mean "this entry is valid" (P / V / descriptor bit 0). */
function validBits(format: PagingFormat): EntryBits {
  switch (format.family) {
    case 'x86':
      return format.bits.present;
    case 'riscv':
      return format.bits.valid;
    case 'arm64':
      return format.bits.valid;
  }
}

function accessedBits(format: PagingFormat): FlagBits {
  return format.family === 'arm64' ? format.bits.accessFlag : format.bits.accessed;
}

export function isValidEntry(format: PagingFormat, value: bigint): boolean {
  const [lo, hi] = fromBigInt(value);
  return has(lo, hi, validBits(format));
}

/** Whether the accessed flag is set; false where the format does not track accesses (nothing recorded one). */
export function isAccessed(format: PagingFormat, value: bigint): boolean {
  const [lo, hi] = fromBigInt(value);
  return has(lo, hi, maskOf(accessedBits(format)));
}

/**
 * Whether a leaf has been written since it was last cleaned: x86/RISC-V D;
 * ARM64 a writable-clean (DBM) page whose AP[2] hardware has cleared. Where
 * the format does not track writes (no D, or ARM64 without DBM or AP[2]),
 * no page can be shown clean: every one counts as dirty.
 */
export function isDirty(format: PagingFormat, value: bigint): boolean {
  const [lo, hi] = fromBigInt(value);
  if (format.family === 'arm64') {
    const { dirtyBitModifier: dbm, apReadOnly: ro } = format.bits;
    if (!isModelled(dbm) || !isModelled(ro)) return true;
    return has(lo, hi, dbm) && !has(lo, hi, ro);
  }
  const dirty = format.bits.dirty;
  return !isModelled(dirty) || has(lo, hi, dirty);
}

const mask64 = (f: FlagBits): bigint => {
  const m = maskOf(f);
  return toBigInt(m.lo, m.hi);
};

/** Sets or clears the accessed flag; unchanged where the format does not model it. */
export function withAccessed(format: PagingFormat, value: bigint, on: boolean): bigint {
  const mask = mask64(accessedBits(format));
  return on ? value | mask : value & ~mask;
}

/** Sets or clears the dirty state; unchanged where the format does not model it. */
export function withDirty(format: PagingFormat, value: bigint, on: boolean): bigint {
  if (format.family === 'arm64') {
    const ro = mask64(format.bits.apReadOnly);
    return on ? value & ~ro : value | ro;
  }
  const mask = mask64(format.bits.dirty);
  return on ? value | mask : value & ~mask;
}

export function entryFrame(format: PagingFormat, value: bigint): number {
  const [lo, hi] = fromBigInt(value);
  return readField(fieldCodec(format.frame), lo, hi);
}
