/**
 * Virtual addresses as plain JavaScript numbers, so the hot path never touches
 * a BigInt.
 *
 * A 64-bit address is held as its *signed* value: the x86-64 kernel half
 * 0xffff_8000_0000_0000.. is the negative range -2^47.., exactly as the CPU's
 * sign extension of bit 47 defines it (Intel SDM Vol. 1 §3.3.7.1, canonical
 * addressing). Every canonical address of a 48-bit (or 39-bit Sv39) space is
 * therefore an exact integer well inside 2^53, and a non-canonical one such as
 * 0x0000_8000_0000_0000 (= 2^47) is still representable — and detectably
 * outside the canonical range. 32-bit and teaching formats use unsigned values.
 */

const TWO_64 = 1n << 64n;

/** Parses "0xffff888000000000", "4096", a number or a bigint into a signed address. */
export function toAddress(value: number | bigint | string): number {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`address ${value} is not a safe integer`);
    return value;
  }
  if (typeof value === 'string') {
    const text = value.replaceAll('_', '').trim();
    if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) throw new RangeError(`"${value}" is not an address`);
    big = BigInt(text);
  } else {
    big = value;
  }
  if (big < -(1n << 63n) || big >= TWO_64) throw new RangeError(`address ${value} does not fit in 64 bits`);
  const signed = BigInt.asIntN(64, big);
  const asNumber = Number(signed);
  if (!Number.isSafeInteger(asNumber)) {
    // Only non-canonical addresses land here; no paging format we model can
    // translate them, so saturating keeps them non-canonical.
    return signed < 0n ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  }
  return asNumber;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The register value `value` (an exact 64-bit address, as the kernel API's
 * bigints are) as the MMU's number: read as signed on sign-extended formats,
 * unsigned otherwise — or null when no safe integer holds it, which makes it
 * non-canonical on every format of at most 53 address bits.
 */
export function narrowAddress(value: bigint, signed: boolean): number | null {
  if (value < -(1n << 63n) || value >= TWO_64)
    throw new RangeError(`address ${value} does not fit in 64 bits`);
  const v = signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value);
  return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : null;
}

/** Like narrowAddress, but a value no number holds saturates (it stays non-canonical, on the same side). */
export function nearestAddress(value: bigint, signed: boolean): number {
  const narrow = narrowAddress(value, signed);
  if (narrow !== null) return narrow;
  const negative = signed && BigInt.asIntN(64, value) < 0n;
  return negative ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
}

/** Formats a signed address the way a debugger prints it: 0xffff888000001000. */
export function formatAddress(address: number | bigint, width: 32 | 64 = 64): string {
  if (typeof address === 'number' && Number.isSafeInteger(address)) {
    // Two's complement from the halves: no BigInt, one string built.
    const lo = address >>> 0;
    return width === 32 ? hex32(lo) : hex64(Math.floor(address / 2 ** 32) >>> 0, lo);
  }
  const unsigned = BigInt.asUintN(width, BigInt(address));
  return `0x${unsigned.toString(16).padStart(width / 4, '0')}`;
}

/** The character code of one hex digit (lower case). */
const digit = (nibble: number) => nibble + (nibble < 10 ? 48 : 87);

/** "0x" and eight hex digits of an unsigned 32-bit value. */
function hex32(v: number): string {
  return String.fromCharCode(
    48,
    120,
    digit(v >>> 28),
    digit((v >>> 24) & 15),
    digit((v >>> 20) & 15),
    digit((v >>> 16) & 15),
    digit((v >>> 12) & 15),
    digit((v >>> 8) & 15),
    digit((v >>> 4) & 15),
    digit(v & 15),
  );
}

/** "0x" and sixteen hex digits of the value whose unsigned halves are `hi` and `lo`. */
function hex64(hi: number, lo: number): string {
  return String.fromCharCode(
    48,
    120,
    digit(hi >>> 28),
    digit((hi >>> 24) & 15),
    digit((hi >>> 20) & 15),
    digit((hi >>> 16) & 15),
    digit((hi >>> 12) & 15),
    digit((hi >>> 8) & 15),
    digit((hi >>> 4) & 15),
    digit(hi & 15),
    digit(lo >>> 28),
    digit((lo >>> 24) & 15),
    digit((lo >>> 20) & 15),
    digit((lo >>> 16) & 15),
    digit((lo >>> 12) & 15),
    digit((lo >>> 8) & 15),
    digit((lo >>> 4) & 15),
    digit(lo & 15),
  );
}

/**
 * How wide a debugger prints this format's addresses: 32 bits where they
 * are unsigned (x86-32's 0xc0000000, the teaching formats), 64 where they
 * are sign-extended (x86-64, ARM64, RISC-V Sv39).
 */
export function addressWidth(format: { readonly addressing: 'unsigned' | 'sign-extended' }): 32 | 64 {
  return format.addressing === 'unsigned' ? 32 : 64;
}

/** Hex for a page-table entry or other raw register value. */
export function formatHex(value: bigint | number, bytes: number): string {
  const big = BigInt.asUintN(bytes * 8, BigInt(value));
  return `0x${big.toString(16).padStart(bytes * 2, '0')}`;
}
