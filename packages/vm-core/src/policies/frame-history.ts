/**
 * What the frames held after every step of a replacement run, kept in memory
 * proportional to the number of references rather than references × frames.
 *
 * A copy of the frames per step would cost one number per frame per miss:
 * four billion for a million references over 4096 frames. Instead the history
 * records which frame each step loaded (or none, on a hit) plus a full
 * snapshot every `interval` steps, and rebuilds the frames of any step from
 * the snapshot before it. With `interval` ≥ the frame count the snapshots
 * together hold at most about one number per reference, and a rebuild costs
 * O(frames + interval).
 */

/** Marks an empty frame in the snapshots, and a step that loaded nothing (a hit). */
const NONE = -1;

/** Below this, a snapshot per step would be cheap anyway; it keeps rebuilds short for a few frames. */
const MIN_INTERVAL = 64;

export class FrameHistory {
  private readonly frameCount: number;
  private readonly interval: number;
  /** The dense id of the page referenced at each step (see `pages`). */
  private readonly pageIds: Int32Array;
  /** Dense page id → page number. */
  private readonly pages: readonly number[];
  /** Per step: the frame the step loaded its page into, or NONE for a hit. */
  private readonly loadedFrame: Int32Array;
  /** Snapshot k: the page ids in every frame just before step k × interval. */
  private readonly snapshots: Int32Array;

  constructor(frameCount: number, pageIds: Int32Array, pages: readonly number[]) {
    this.frameCount = frameCount;
    this.interval = Math.max(frameCount, MIN_INTERVAL);
    this.pageIds = pageIds;
    this.pages = pages;
    this.loadedFrame = new Int32Array(pageIds.length).fill(NONE);
    this.snapshots = new Int32Array(Math.ceil(pageIds.length / this.interval) * frameCount);
  }

  /** Call before simulating each step, with the frames as they are (page ids, -1 = empty). */
  beforeStep(step: number, residentIds: Int32Array): void {
    if (step % this.interval === 0) this.snapshots.set(residentIds, (step / this.interval) * this.frameCount);
  }

  /** Records that `step` loaded its page into `frame` (a miss). Hits need no record. */
  loaded(step: number, frame: number): void {
    this.loadedFrame[step] = frame;
  }

  /** The frame contents after `step`: page numbers, null for an empty frame. */
  framesAfter(step: number): (number | null)[] {
    const snapshot = Math.floor(step / this.interval);
    const start = snapshot * this.frameCount;
    const ids = this.snapshots.slice(start, start + this.frameCount);
    for (let s = snapshot * this.interval; s <= step; s++) {
      const frame = this.loadedFrame[s]!;
      if (frame !== NONE) ids[frame] = this.pageIds[s]!;
    }
    return Array.from(ids, (id) => (id === NONE ? null : this.pages[id]!));
  }
}
