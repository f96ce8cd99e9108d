/**
 * The four textbook replacement policies, each as the bookkeeping it needs to
 * pick a victim frame once every frame is full. The simulation loop
 * (`replacement.ts`) fills empty frames lowest index first and tells the
 * chooser about every hit and every load, so each chooser only encodes its
 * rule. Every operation is O(1) amortized, except OPT's O(log frames).
 */

export interface VictimChooser {
  /** The page in `frame` was referenced again at `step` (a hit). */
  referenced(frame: number, step: number): void;
  /** A page was loaded into `frame` at `step` (a miss). */
  loaded(frame: number, step: number): void;
  /** Every frame is full and `step` missed: the frame to replace. */
  chooseVictim(step: number): number;
}

/**
 * FIFO: replace the page that has been resident longest (Silberschatz,
 * Operating System Concepts, "FIFO Page Replacement"). Frames fill in index
 * order and a new page always takes the victim's frame, so load order is
 * always the circular frame order: the oldest page sits under a hand that
 * steps round the frames. Hits change nothing — which is why FIFO can show
 * Belady's anomaly.
 */
export function fifoChooser(frameCount: number): VictimChooser {
  let oldest = 0;
  return {
    referenced() {},
    loaded() {},
    chooseVictim() {
      const victim = oldest;
      oldest = (oldest + 1) % frameCount;
      return victim;
    },
  };
}

/**
 * LRU: replace the page whose last reference is furthest in the past
 * (Silberschatz, "LRU Page Replacement", the stack implementation): frames sit
 * in a doubly linked list from least to most recently used, and every
 * reference moves its frame to the most-recent end.
 */
export function lruChooser(frameCount: number): VictimChooser {
  const NONE = -1;
  const older = new Int32Array(frameCount).fill(NONE);
  const newer = new Int32Array(frameCount).fill(NONE);
  const listed = new Uint8Array(frameCount);
  let least = NONE;
  let most = NONE;

  const unlink = (frame: number) => {
    const before = older[frame]!;
    const after = newer[frame]!;
    if (before === NONE) least = after;
    else newer[before] = after;
    if (after === NONE) most = before;
    else older[after] = before;
  };
  const makeMostRecent = (frame: number) => {
    if (frame === most) return;
    if (listed[frame] === 1) unlink(frame);
    listed[frame] = 1;
    older[frame] = most;
    newer[frame] = NONE;
    if (most === NONE) least = frame;
    else newer[most] = frame;
    most = frame;
  };

  return {
    referenced: makeMostRecent,
    loaded: makeMostRecent,
    chooseVictim: () => least,
  };
}

/**
 * Clock, or second chance (Tanenbaum & Bos, Modern Operating Systems, "The
 * Clock Page Replacement Algorithm"; Silberschatz, "Second-Chance
 * Algorithm"). The rule, paraphrased: on a page fault, inspect the page under
 * the hand. If its reference (R) bit is 0, evict it, put the new page in its
 * frame and advance the hand one position; if R is 1, clear it, advance the
 * hand and inspect the next page — until a page with R = 0 turns up.
 *
 * The exact convention here, which hand-worked traces must follow too:
 * - the hand starts at frame 0 and does not move while empty frames are filled
 *   (they fill in index order, so it points at frame 0 when memory is full);
 * - a hit sets the frame's reference bit and does not move the hand;
 * - a newly loaded page starts with its bit set (the hardware sets R on the
 *   very reference that faulted it in), so right after the frames fill, the
 *   first miss sweeps a whole turn clearing bits and then takes frame 0;
 * - after a replacement the hand points at the frame after the victim.
 */
export function clockChooser(frameCount: number): VictimChooser {
  const referencedBit = new Uint8Array(frameCount);
  let hand = 0;
  return {
    referenced(frame) {
      referencedBit[frame] = 1;
    },
    loaded(frame) {
      referencedBit[frame] = 1;
    },
    chooseVictim() {
      // Terminates within one turn: each pass over a set bit clears it.
      while (referencedBit[hand] === 1) {
        referencedBit[hand] = 0;
        hand = (hand + 1) % frameCount;
      }
      const victim = hand;
      hand = (hand + 1) % frameCount;
      return victim;
    },
  };
}

/**
 * OPT, Belady's optimal policy: replace the page that will not be used for the
 * longest time (Silberschatz, "Optimal Page Replacement"; Belady 1966). A page
 * never referenced again is the farthest of all. Among several such pages the
 * lowest frame index is replaced — note that this is not always the page
 * loaded earliest. Any choice among them gives the same number of misses;
 * the rule just makes the frames deterministic.
 *
 * The next use of every reference is precomputed in one backward pass, and
 * the resident pages sit in a max-heap keyed by their next use, so each step
 * costs O(log frames).
 */
export function optChooser(frameCount: number, pageIds: Int32Array): VictimChooser {
  const nextUse = nextUseIndices(pageIds);
  const heap = new FarthestNextUseHeap(frameCount);
  const update = (frame: number, step: number) => heap.set(frame, nextUse[step]!);
  return {
    referenced: update,
    loaded: update,
    chooseVictim: () => heap.top(),
  };
}

/**
 * For each step, the index of the next reference to the same page, or
 * `pageIds.length` ("never", later than every real index) if there is none.
 */
export function nextUseIndices(pageIds: Int32Array): Int32Array {
  const never = pageIds.length;
  const nextUse = new Int32Array(pageIds.length);
  let distinct = 0;
  for (const id of pageIds) distinct = Math.max(distinct, id + 1);
  const seenAt = new Int32Array(distinct).fill(never);
  for (let step = pageIds.length - 1; step >= 0; step--) {
    const id = pageIds[step]!;
    nextUse[step] = seenAt[id]!;
    seenAt[id] = step;
  }
  return nextUse;
}

/**
 * An indexed binary max-heap of frames: the top is the frame whose page is
 * next used latest, the lower frame index first among equal keys. Keys are
 * equal only for pages never used again: two resident pages cannot share a
 * next-use index.
 */
class FarthestNextUseHeap {
  private readonly heap: Int32Array; // heap slot → frame
  private readonly slotOf: Int32Array; // frame → heap slot, -1 when absent
  private readonly key: Int32Array; // frame → next use of its page
  private size = 0;

  constructor(frameCount: number) {
    this.heap = new Int32Array(frameCount);
    this.slotOf = new Int32Array(frameCount).fill(-1);
    this.key = new Int32Array(frameCount);
  }

  top(): number {
    return this.heap[0]!;
  }

  set(frame: number, nextUse: number): void {
    this.key[frame] = nextUse;
    let slot = this.slotOf[frame]!;
    if (slot === -1) {
      slot = this.size++;
      this.place(frame, slot);
    }
    this.siftDown(this.siftUp(slot));
  }

  /** True if frame `a` should be evicted before frame `b`. */
  private evictsBefore(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka > kb || (ka === kb && a < b);
  }

  private place(frame: number, slot: number): void {
    this.heap[slot] = frame;
    this.slotOf[frame] = slot;
  }

  private siftUp(slot: number): number {
    const frame = this.heap[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = this.heap[parentSlot]!;
      if (!this.evictsBefore(frame, parent)) break;
      this.place(parent, slot);
      slot = parentSlot;
    }
    this.place(frame, slot);
    return slot;
  }

  private siftDown(slot: number): void {
    const frame = this.heap[slot]!;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= this.size) break;
      const right = child + 1;
      if (right < this.size && this.evictsBefore(this.heap[right]!, this.heap[child]!)) child = right;
      const childFrame = this.heap[child]!;
      if (!this.evictsBefore(childFrame, frame)) break;
      this.place(childFrame, slot);
      slot = child;
    }
    this.place(frame, slot);
  }
}
