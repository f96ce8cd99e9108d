/**
 * A fixed-capacity ring: pushing onto a full ring overwrites the oldest
 * item, in O(1) and without moving the others (an array trimmed with
 * `shift()` moves every kept item on every push). It remembers how many
 * items it overwrote.
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  /** Index of the oldest item once the ring is full. */
  private start = 0;
  private overwritten = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`a ring holds at least one item (capacity ${capacity})`);
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.overwritten++;
  }

  get length(): number {
    return this.items.length;
  }

  /** Items pushed but no longer held. */
  get dropped(): number {
    return this.overwritten;
  }

  /** The items held, oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}
