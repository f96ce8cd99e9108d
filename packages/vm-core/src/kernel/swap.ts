/**
 * A swap device (mm/swapfile.c): numbered slots, a use count per slot
 * (swap_map: one per PTE that holds the entry, plus one while the page sits
 * in the swap cache), and the bytes written out. Slot 0 is never used, as in
 * Linux, where it holds the swap header.
 *
 * The entries that name a slot live in non-present PTEs, in each
 * architecture's own layout (PteOps.swapEntry in kernel/arch/).
 */

const PAGE = 4096;

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
