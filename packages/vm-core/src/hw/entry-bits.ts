/**
 * Entries up to 64 bits wide are handled as two unsigned 32-bit halves, `lo`
 * and `hi`, so testing a flag is one AND on a small integer. A flag is named by
 * its masks into both halves (one of them zero); tests read
 * `(lo & f.lo) | (hi & f.hi)` — never a raw shift scattered through the walk.
 */

export interface EntryBits {
  readonly lo: number;
  readonly hi: number;
}

/** The empty mask: no bits at all (a RISC-V format with no reserved bits, the seed of a `union`). */
export const NO_BITS: EntryBits = { lo: 0, hi: 0 };

/**
 * A flag the format does not have. The rule that would read it does not
 * apply, so the machine behaves as if the flag always allowed the access:
 * without U/S every page is reachable from both privileges (and SMAP, SMEP,
 * PAN and SUM, which are about user pages, have nothing to act on); without
 * R/W everything is writable; without NX/XN everything is executable; without
 * accessed/dirty bits nothing is tracked — the walker never sets them and
 * never faults for them. Not the same as a bit that exists and is clear.
 */
export const NOT_MODELLED = null;
export type NotModelled = typeof NOT_MODELLED;

/** Where a flag lives in an entry, or `NOT_MODELLED` for a format that lacks it. */
export type FlagBits = EntryBits | NotModelled;

export function isModelled(flag: FlagBits): flag is EntryBits {
  return flag !== NOT_MODELLED;
}

/** The flag's masks, or `NO_BITS` for a flag that is not modelled: for code that sets or clears bits. */
export function maskOf(flag: FlagBits): EntryBits {
  return flag ?? NO_BITS;
}

/** The single bit `n` (0..63) of an entry. */
export function bit(n: number): EntryBits {
  if (!Number.isInteger(n) || n < 0 || n > 63) throw new RangeError(`bit ${n} is not in 0..63`);
  return n < 32 ? { lo: (1 << n) >>> 0, hi: 0 } : { lo: 0, hi: (1 << (n - 32)) >>> 0 };
}

/** Bits `from`..`to` inclusive. */
export function bits(from: number, to: number): EntryBits {
  let lo = 0;
  let hi = 0;
  for (let n = from; n <= to; n++) {
    const b = bit(n);
    lo |= b.lo;
    hi |= b.hi;
  }
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

export function union(...parts: readonly EntryBits[]): EntryBits {
  let lo = 0;
  let hi = 0;
  for (const p of parts) {
    lo |= p.lo;
    hi |= p.hi;
  }
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

export function has(lo: number, hi: number, f: EntryBits): boolean {
  return ((lo & f.lo) | (hi & f.hi)) !== 0;
}

/** A field of `width` bits starting at bit `shift`, such as the frame number. */
export interface BitField {
  readonly shift: number;
  readonly width: number;
}

/** Precomputed masks for reading and writing a field held across both halves. */
export interface FieldCodec {
  readonly loMask: number;
  readonly hiMask: number;
  /** Shift of the field's bit 0 within `lo` (0 when the field lives in `hi`). */
  readonly loShift: number;
  /** Shift of the field's first `hi` bit within `hi`. */
  readonly hiShift: number;
  /** Weight of that first `hi` bit in the field's value. */
  readonly hiScale: number;
  readonly max: number;
}

export function fieldCodec(field: BitField): FieldCodec {
  const { shift, width } = field;
  const m = bits(shift, shift + width - 1);
  const inLo = shift < 32;
  return {
    loMask: m.lo,
    hiMask: m.hi,
    loShift: inLo ? shift : 0,
    hiShift: inLo ? 0 : shift - 32,
    hiScale: inLo ? 2 ** (32 - shift) : 1,
    max: 2 ** width - 1,
  };
}

export function readField(c: FieldCodec, lo: number, hi: number): number {
  return ((lo & c.loMask) >>> c.loShift) + ((hi & c.hiMask) >>> c.hiShift) * c.hiScale;
}

/** Returns the halves with the field replaced by `value`. */
export function writeField(c: FieldCodec, lo: number, hi: number, value: number): [number, number] {
  if (!Number.isInteger(value) || value < 0 || value > c.max) {
    throw new RangeError(`${value} does not fit in a field of ${Math.log2(c.max + 1)} bits`);
  }
  const low = c.loMask === 0 ? 0 : value % c.hiScale;
  const high = c.loMask === 0 ? value : Math.floor(value / c.hiScale);
  return [
    ((lo & ~c.loMask) | ((low * 2 ** c.loShift) & c.loMask)) >>> 0,
    ((hi & ~c.hiMask) | ((high * 2 ** c.hiShift) & c.hiMask)) >>> 0,
  ];
}

export function toBigInt(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBigInt(value: bigint): [number, number] {
  const v = BigInt.asUintN(64, value);
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}
