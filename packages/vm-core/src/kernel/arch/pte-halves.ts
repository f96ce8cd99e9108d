/**
 * Page-table entries on the kernel's hot paths: two unsigned 32-bit halves,
 * as the walker reads them (hw/entry-bits.ts), so that pte_present(),
 * pte_wrprotect() and the rest are one AND or OR on small integers and a
 * fork, a fault or a reclaim scan builds no BigInt. Every flag is a pair of
 * masks taken from the paging format descriptor (`flag`), so the kernel and
 * the walker still cannot disagree.
 *
 * Each architecture writes its pgtable.h once, in this form (x86.ts,
 * riscv.ts, arm64-pte.ts); the BigInt vocabulary (`PteOps`, arch.ts) that
 * tests, the hooks' views and cold paths use is derived from it
 * (`bigintPteOps`), so the two forms cannot disagree either.
 */
import { type BitField, type EntryBits, type FlagBits, maskOf } from '../../hw/entry-bits.ts';
import type { LeafProt, PteOps, VmaRights } from './arch.ts';

/** An entry as its halves: the register a hot path builds or changes an entry in. */
export class PteHalves {
  lo = 0;
  hi = 0;

  /** Loads both halves (`hi` 0 for entries of 32 bits or fewer). */
  set(lo: number, hi: number): this {
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }
}

/**
 * `PteOps` on halves. Tests take the halves as arguments; builders and
 * modifiers write the register they are given (`out`, or `e` in place), and
 * leave both halves unsigned.
 */
export interface PteHalvesOps {
  none(lo: number, hi: number): boolean;
  valid(lo: number, hi: number): boolean;
  mapsFrame(lo: number, hi: number): boolean;
  pfn(lo: number, hi: number): number;
  leafAbove(lo: number, hi: number): boolean;
  write(lo: number, hi: number): boolean;
  read?(lo: number, hi: number): boolean;
  dirty(lo: number, hi: number): boolean;
  young(lo: number, hi: number): boolean;
  user(lo: number, hi: number): boolean;
  exec(lo: number, hi: number): boolean;
  make(pfn: number, prot: LeafProt, out: PteHalves): void;
  makeHuge(pfn: number, prot: LeafProt, out: PteHalves): void;
  makeTable(pfn: number, user: boolean, out: PteHalves): void;
  wrprotect(e: PteHalves): void;
  mkwrite(e: PteHalves): void;
  mkdirty(e: PteHalves): void;
  mkclean(e: PteHalves): void;
  mkold(e: PteHalves): void;
  mkyoung(e: PteHalves): void;
  modify(e: PteHalves, rights: VmaRights): void;
  swapEntry(type: number, offset: number, out: PteHalves): void;
  swapType(lo: number, hi: number): number;
  swapOffset(lo: number, hi: number): number;
}

/** A flag of the descriptor as its two masks (no bits at all where the format does not model it). */
export const flag = (f: FlagBits): EntryBits => maskOf(f);

/** Any bit of `f` set in the entry. */
export const has = (lo: number, hi: number, f: EntryBits): boolean => ((lo & f.lo) | (hi & f.hi)) !== 0;

export function setBits(e: PteHalves, f: EntryBits): void {
  e.lo = (e.lo | f.lo) >>> 0;
  e.hi = (e.hi | f.hi) >>> 0;
}

export function clearBits(e: PteHalves, f: EntryBits): void {
  e.lo = (e.lo & ~f.lo) >>> 0;
  e.hi = (e.hi & ~f.hi) >>> 0;
}

/** A number field of the entry (the frame number), read and written on halves. */
export interface NumberField {
  read(lo: number, hi: number): number;
  /** Stores `value` in `e` over whatever the field held. */
  write(e: PteHalves, value: number): void;
}

/**
 * The field at `f.shift`, `f.width` bits wide, for fields that start in the
 * low half (every frame field: x86 bit 12, RISC-V bit 10, ARM64 bit 12).
 * Values are exact up to 2^53 — frame numbers are far below.
 */
export function numberField(f: BitField): NumberField {
  if (f.shift >= 32 || f.shift + f.width > 64)
    throw new RangeError('a number field must start in the low half');
  const loBits = Math.min(32 - f.shift, f.width);
  const hiBits = f.width - loBits;
  const loMask = loBits === 32 ? 0xffffffff : (2 ** loBits - 1) * 2 ** f.shift;
  const loMaskInt = loMask | 0;
  const hiMask = hiBits === 0 ? 0 : hiBits === 32 ? -1 : (1 << hiBits) - 1;
  const hiScale = 2 ** loBits;
  const shift = f.shift;
  return {
    read: (lo, hi) => ((lo & loMaskInt) >>> shift) + (hi & hiMask) * hiScale,
    write(e, value) {
      e.lo = ((e.lo & ~loMaskInt) | ((value << shift) & loMaskInt)) >>> 0;
      e.hi = ((e.hi & ~hiMask) | (Math.floor(value / hiScale) & hiMask)) >>> 0;
    },
  };
}

/** The BigInt vocabulary over the halves one: each value is split, handed over and joined again. */
export function bigintPteOps(h: PteHalvesOps): PteOps {
  const e = new PteHalves();
  const load = (pte: bigint) => {
    const v = BigInt.asUintN(64, pte);
    return e.set(Number(v & 0xffffffffn), Number(v >> 32n));
  };
  const value = () => (BigInt(e.hi) << 32n) | BigInt(e.lo);
  const test =
    (f: (lo: number, hi: number) => boolean) =>
    (pte: bigint): boolean => {
      load(pte);
      return f(e.lo, e.hi);
    };
  const number =
    (f: (lo: number, hi: number) => number) =>
    (pte: bigint): number => {
      load(pte);
      return f(e.lo, e.hi);
    };
  const change =
    (f: (e: PteHalves) => void) =>
    (pte: bigint): bigint => {
      f(load(pte));
      return value();
    };
  const read = h.read;
  return {
    none: test(h.none),
    valid: test(h.valid),
    mapsFrame: test(h.mapsFrame),
    pfn: number(h.pfn),
    leafAbove: test(h.leafAbove),
    write: test(h.write),
    ...(read === undefined ? {} : { read: test(read) }),
    dirty: test(h.dirty),
    young: test(h.young),
    user: test(h.user),
    exec: test(h.exec),
    make: (pfn, prot) => {
      h.make(pfn, prot, e);
      return value();
    },
    makeHuge: (pfn, prot) => {
      h.makeHuge(pfn, prot, e);
      return value();
    },
    makeTable: (pfn, user) => {
      h.makeTable(pfn, user, e);
      return value();
    },
    wrprotect: change(h.wrprotect),
    mkwrite: change(h.mkwrite),
    mkdirty: change(h.mkdirty),
    mkclean: change(h.mkclean),
    mkold: change(h.mkold),
    mkyoung: change(h.mkyoung),
    modify: (pte, rights) => {
      h.modify(load(pte), rights);
      return value();
    },
    swapEntry: (type, offset) => {
      h.swapEntry(type, offset, e);
      return value();
    },
    swapType: number(h.swapType),
    swapOffset: number(h.swapOffset),
  };
}
