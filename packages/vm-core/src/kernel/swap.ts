/**
 * A swap device (mm/swapfile.c): numbered slots, a use count per slot
 * (swap_map: one per PTE that holds the entry, plus one while the page sits
 * in the swap cache), and the bytes written out. Slot 0 is never used, as in
 * Linux, where it holds the swap header.
 *
 * Swap entries live in non-present PTEs. On x86-64 (arch/x86/include/asm/
 * pgtable_64.h) the type sits in bits 63:59 and the offset, inverted (an
 * L1TF mitigation: a stray speculative load of an inverted offset points at
 * no real memory), in bits 58:9; bit 0 (P) and bit 8 (PROTNONE) stay clear.
 * 32-bit paging keeps the type in bits 5:1 and the offset from bit 9.
 */

const PAGE = 4096;
// The layout's fields, named as arch/x86/include/asm/pgtable_64.h names them.
const SWP_TYPE_BITS = 5n;
/** _PAGE_BIT_PROTNONE + 1: the offset starts above the bits that must stay clear. */
const SWP_OFFSET_FIRST_BIT = 9n;
/** __swp_type() on x86-64: `val >> (64 - SWP_TYPE_BITS)`, bits 63:59. */
const SWP_TYPE_SHIFT_64 = 64n - SWP_TYPE_BITS;
const OFFSET_BITS_64 = SWP_TYPE_SHIFT_64 - SWP_OFFSET_FIRST_BIT;
const OFFSET_MASK_64 = (1n << OFFSET_BITS_64) - 1n;
/** __swp_type() on 32-bit paging (pgtable-2level.h): from _PAGE_BIT_PRESENT + 1, bits 5:1. */
const SWP_TYPE_FIRST_BIT_32 = 1n;
const SWP_TYPE_MASK_32 = (1n << SWP_TYPE_BITS) - 1n;

export type SwapEntryLayout = 'x86-64' | 'x86-32';

export function encodeSwapEntry(layout: SwapEntryLayout, type: number, offset: number): bigint {
  if (layout === 'x86-64')
    return ((~BigInt(offset) & OFFSET_MASK_64) << SWP_OFFSET_FIRST_BIT) | (BigInt(type) << SWP_TYPE_SHIFT_64);
  return (BigInt(type) << SWP_TYPE_FIRST_BIT_32) | (BigInt(offset) << SWP_OFFSET_FIRST_BIT);
}

export function decodeSwapEntry(layout: SwapEntryLayout, pte: bigint): { type: number; offset: number } {
  if (layout === 'x86-64') {
    return {
      type: Number(pte >> SWP_TYPE_SHIFT_64),
      offset: Number(~(pte >> SWP_OFFSET_FIRST_BIT) & OFFSET_MASK_64),
    };
  }
  return {
    type: Number((pte >> SWP_TYPE_FIRST_BIT_32) & SWP_TYPE_MASK_32),
    offset: Number(pte >> SWP_OFFSET_FIRST_BIT),
  };
}

export class SwapDevice {
  readonly slots: number;
  /** swap_map: references to each slot. */
  readonly count: Int32Array;
  private readonly storage: Uint8Array;
  private nextFree = 1;
  private used = 0;
  writes = 0;
  reads = 0;

  constructor(slots: number) {
    if (!Number.isInteger(slots) || slots < 2 || slots > 1 << 20)
      throw new RangeError('swap slots must be 2..1048576');
    this.slots = slots;
    this.count = new Int32Array(slots);
    this.storage = new Uint8Array(slots * PAGE);
  }

  get inUse(): number {
    return this.used;
  }

  /** Slots allocate() can still hand out (slot 0 is never one). */
  get free(): number {
    return this.slots - 1 - this.used;
  }

  /** get_swap_page(): a free slot with count 1 (the swap cache's reference), or -1 when swap is full. */
  allocate(): number {
    for (let n = 0; n < this.slots - 1; n++) {
      const slot = 1 + ((this.nextFree - 1 + n) % (this.slots - 1));
      if (this.count[slot] === 0) {
        this.count[slot] = 1;
        this.nextFree = slot + 1 >= this.slots ? 1 : slot + 1;
        this.used++;
        return slot;
      }
    }
    return -1;
  }

  duplicate(slot: number): void {
    this.check(slot);
    this.count[slot]!++;
  }

  /** Drops one reference; returns the count left (0 = the slot is free again). */
  release(slot: number): number {
    this.check(slot);
    const left = --this.count[slot]!;
    if (left < 0) throw new Error(`swap slot ${slot} released more often than taken`);
    if (left === 0) this.used--;
    return left;
  }

  write(slot: number, page: Uint8Array): void {
    this.check(slot);
    this.storage.set(page, slot * PAGE);
    this.writes++;
  }

  read(slot: number, into: Uint8Array): void {
    this.check(slot);
    into.set(this.storage.subarray(slot * PAGE, (slot + 1) * PAGE));
    this.reads++;
  }

  private check(slot: number): void {
    if (!Number.isInteger(slot) || slot < 1 || slot >= this.slots)
      throw new RangeError(`swap slot ${slot} does not exist`);
  }
}
