/**
 * Page replacement on a reference string: the textbook policies FIFO, LRU,
 * OPT and Clock, simulated exactly so that a learner can check a hand-worked
 * trace step by step.
 *
 * The model (Silberschatz, Operating System Concepts, "Page Replacement"): a
 * process references pages in order. A reference to a resident page is a
 * hit; any other is a miss (a page fault). Memory starts empty, and a miss
 * fills the lowest-numbered empty frame while there is one; only when every
 * frame is full does the policy choose a victim, whose frame the new page
 * takes. Frames are never freed. The policies' rules live in
 * `victim-choosers.ts`.
 *
 * Pure and deterministic: no I/O, no clock, no randomness.
 */
import { FrameHistory } from './frame-history.ts';
import { clockChooser, fifoChooser, lruChooser, optChooser, type VictimChooser } from './victim-choosers.ts';

export type ReplacementPolicy = 'fifo' | 'lru' | 'opt' | 'clock';

export const REPLACEMENT_POLICIES: readonly ReplacementPolicy[] = ['fifo', 'lru', 'opt', 'clock'];

export const MAX_REPLACEMENT_FRAMES = 4096;
export const MAX_REPLACEMENT_REFERENCES = 1_000_000;

export interface ReplacementStep {
  /** Position in the reference string, from 0. */
  readonly index: number;
  readonly page: number;
  readonly hit: boolean;
  /** The page evicted to make room, or null (a hit, or a miss that found an empty frame). */
  readonly victim: number | null;
  /**
   * Frame contents after the step, null = empty frame. Rebuilt from a compact
   * history on each read (see `frame-history.ts`), so read it once per step.
   */
  readonly frames: readonly (number | null)[];
}

export interface ReplacementResult {
  readonly policy: ReplacementPolicy;
  readonly frames: number;
  readonly hits: number;
  readonly misses: number;
  readonly steps: readonly ReplacementStep[];
}

export function isReplacementPolicy(name: string): name is ReplacementPolicy {
  return (REPLACEMENT_POLICIES as readonly string[]).includes(name);
}

/**
 * Runs `policy` over `references` with `frameCount` initially empty frames.
 * Throws a RangeError for a policy it does not know, a frame count that is
 * not an integer from 1 to MAX_REPLACEMENT_FRAMES, more than MAX_REPLACEMENT_REFERENCES references,
 * or a reference that is not a non-negative safe integer.
 */
export function simulateReplacement(
  policy: ReplacementPolicy,
  frameCount: number,
  references: readonly number[],
): ReplacementResult {
  validate(policy, frameCount, references);
  const { pageIds, pages } = densePageIds(references);
  const chooser = chooserFor(policy, frameCount, pageIds);
  const history = new FrameHistory(frameCount, pageIds, pages);
  const NOT_RESIDENT = -1;
  const frameOfPage = new Int32Array(pages.length).fill(NOT_RESIDENT); // page id → frame
  const pageInFrame = new Int32Array(frameCount).fill(NOT_RESIDENT); // frame → page id
  let filledFrames = 0;
  let hits = 0;

  // One getter shared by every step: a step's frames are rebuilt when read,
  // not stored (see FrameHistory). It is an own, enumerable property, so
  // spreading, comparing and JSON.stringify all see `frames` like plain data.
  const framesProperty = {
    enumerable: true,
    get(this: { readonly index: number }) {
      return history.framesAfter(this.index);
    },
  };
  const steps: ReplacementStep[] = [];
  const record = (index: number, hit: boolean, victim: number | null) => {
    const step = { index, page: references[index]!, hit, victim };
    steps.push(Object.defineProperty(step, 'frames', framesProperty) as ReplacementStep);
  };

  for (let index = 0; index < pageIds.length; index++) {
    history.beforeStep(index, pageInFrame);
    const id = pageIds[index]!;
    const residentFrame = frameOfPage[id]!;
    if (residentFrame !== NOT_RESIDENT) {
      hits++;
      chooser.referenced(residentFrame, index);
      record(index, true, null);
      continue;
    }
    let frame: number;
    let victim: number | null = null;
    if (filledFrames < frameCount) {
      frame = filledFrames++;
    } else {
      frame = chooser.chooseVictim(index);
      const evictedId = pageInFrame[frame]!;
      frameOfPage[evictedId] = NOT_RESIDENT;
      victim = pages[evictedId]!;
    }
    pageInFrame[frame] = id;
    frameOfPage[id] = frame;
    chooser.loaded(frame, index);
    history.loaded(index, frame);
    record(index, false, victim);
  }
  return { policy, frames: frameCount, hits, misses: pageIds.length - hits, steps };
}

function validate(policy: string, frameCount: number, references: readonly number[]): void {
  if (!isReplacementPolicy(policy)) {
    throw new RangeError(
      `unknown replacement policy "${policy}" (expected ${REPLACEMENT_POLICIES.join(', ')})`,
    );
  }
  if (!Number.isInteger(frameCount) || frameCount < 1 || frameCount > MAX_REPLACEMENT_FRAMES) {
    throw new RangeError(
      `frameCount must be an integer from 1 to ${MAX_REPLACEMENT_FRAMES}, got ${frameCount}`,
    );
  }
  if (references.length > MAX_REPLACEMENT_REFERENCES) {
    throw new RangeError(
      `at most ${MAX_REPLACEMENT_REFERENCES} references are allowed, got ${references.length}`,
    );
  }
  for (let index = 0; index < references.length; index++) {
    const page = references[index];
    if (page === undefined || !Number.isSafeInteger(page) || page < 0) {
      throw new RangeError(`reference ${index} must be a non-negative safe integer page number, got ${page}`);
    }
  }
}

/**
 * Numbers the distinct pages 0, 1, 2, … in order of first reference, so the
 * simulation can index typed arrays by page instead of hashing every step.
 */
function densePageIds(references: readonly number[]): { pageIds: Int32Array; pages: number[] } {
  const idOf = new Map<number, number>();
  const pageIds = new Int32Array(references.length);
  const pages: number[] = [];
  for (let index = 0; index < references.length; index++) {
    const page = references[index]!;
    let id = idOf.get(page);
    if (id === undefined) {
      id = pages.length;
      idOf.set(page, id);
      pages.push(page);
    }
    pageIds[index] = id;
  }
  return { pageIds, pages };
}

function chooserFor(policy: ReplacementPolicy, frameCount: number, pageIds: Int32Array): VictimChooser {
  switch (policy) {
    case 'fifo':
      return fifoChooser(frameCount);
    case 'lru':
      return lruChooser(frameCount);
    case 'opt':
      return optChooser(frameCount, pageIds);
    case 'clock':
      return clockChooser(frameCount);
    default: {
      const _: never = policy;
      throw new RangeError(`unknown replacement policy "${String(_)}"`);
    }
  }
}
