import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  MAX_REPLACEMENT_REFERENCES,
  REPLACEMENT_POLICIES,
  type ReplacementPolicy,
  type ReplacementStep,
  simulateReplacement,
} from './replacement.ts';

/** A step as a hand-worked table row: [page, hit, victim, frames after]. */
type Row = [page: number, hit: boolean, victim: number | null, frames: (number | null)[]];

const rows = (steps: readonly ReplacementStep[]): Row[] =>
  steps.map((s) => [s.page, s.hit, s.victim, [...s.frames]]);

const missesOf = (policy: ReplacementPolicy, frames: number, references: readonly number[]) =>
  simulateReplacement(policy, frames, references).misses;

// One short trace, worked by hand for every policy with 3 frames.
const SHORT = [1, 2, 3, 1, 4, 2, 5, 1];

describe('hand-checked traces (3 frames, 1 2 3 1 4 2 5 1)', () => {
  test('FIFO replaces in load order; the hit on 2 does not save it', () => {
    const result = simulateReplacement('fifo', 3, SHORT);
    expect(rows(result.steps)).toEqual<Row[]>([
      [1, false, null, [1, null, null]],
      [2, false, null, [1, 2, null]],
      [3, false, null, [1, 2, 3]],
      [1, true, null, [1, 2, 3]],
      [4, false, 1, [4, 2, 3]],
      [2, true, null, [4, 2, 3]],
      [5, false, 2, [4, 5, 3]],
      [1, false, 3, [4, 5, 1]],
    ]);
    expect([result.hits, result.misses]).toEqual([2, 6]);
  });

  test('LRU replaces the page whose last use is oldest', () => {
    const result = simulateReplacement('lru', 3, SHORT);
    expect(rows(result.steps)).toEqual<Row[]>([
      [1, false, null, [1, null, null]],
      [2, false, null, [1, 2, null]],
      [3, false, null, [1, 2, 3]],
      [1, true, null, [1, 2, 3]],
      [4, false, 2, [1, 4, 3]],
      [2, false, 3, [1, 4, 2]],
      [5, false, 1, [5, 4, 2]],
      [1, false, 4, [5, 1, 2]],
    ]);
    expect([result.hits, result.misses]).toEqual([1, 7]);
  });

  test('OPT replaces the page used farthest ahead, a never-used page first', () => {
    const result = simulateReplacement('opt', 3, SHORT);
    expect(rows(result.steps)).toEqual<Row[]>([
      [1, false, null, [1, null, null]],
      [2, false, null, [1, 2, null]],
      [3, false, null, [1, 2, 3]],
      [1, true, null, [1, 2, 3]],
      [4, false, 3, [1, 2, 4]], // 3 is never used again; 1 and 2 are
      [2, true, null, [1, 2, 4]],
      [5, false, 2, [1, 5, 4]], // 2 and 4 are never used again: the lower frame (1) goes
      [1, true, null, [1, 5, 4]],
    ]);
    expect([result.hits, result.misses]).toEqual([3, 5]);
  });

  test('Clock gives a referenced page a second chance', () => {
    const result = simulateReplacement('clock', 3, SHORT);
    expect(rows(result.steps)).toEqual<Row[]>([
      [1, false, null, [1, null, null]],
      [2, false, null, [1, 2, null]],
      [3, false, null, [1, 2, 3]],
      [1, true, null, [1, 2, 3]],
      // All bits set: the hand clears frames 0, 1, 2, comes back to 0 and replaces it; hand → 1.
      [4, false, 1, [4, 2, 3]],
      [2, true, null, [4, 2, 3]], // sets frame 1's bit again
      // Frame 1 (page 2) has its bit set: cleared and skipped; frame 2 is clear: replaced; hand → 0.
      [5, false, 3, [4, 2, 5]],
      // Frame 0 (page 4) was loaded with its bit set: cleared; frame 1 is clear now: replaced.
      [1, false, 2, [4, 1, 5]],
    ]);
    expect([result.hits, result.misses]).toEqual([2, 6]);
  });

  test('OPT breaks ties between never-used pages by the lowest frame, not the earliest load', () => {
    const result = simulateReplacement('opt', 3, [1, 2, 3, 4, 2, 5]);
    expect(rows(result.steps).slice(3)).toEqual<Row[]>([
      [4, false, 1, [4, 2, 3]], // 1 and 3 are never used again: frame 0 goes
      [2, true, null, [4, 2, 3]],
      [5, false, 4, [5, 2, 3]], // all three are never used again: frame 0 (page 4, the newest) goes
    ]);
  });

  test('each step carries its index, and an empty string gives no steps', () => {
    expect(simulateReplacement('lru', 2, [7, 7]).steps.map((s) => s.index)).toEqual([0, 1]);
    expect(simulateReplacement('opt', 2, [])).toEqual({
      policy: 'opt',
      frames: 2,
      hits: 0,
      misses: 0,
      steps: [],
    });
  });
});

describe('textbook numbers', () => {
  // Silberschatz, Operating System Concepts, "Page Replacement": the running example.
  const SILBERSCHATZ = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];

  test('the Silberschatz reference string with 3 frames: FIFO 15, OPT 9, LRU 12 faults; Clock 14', () => {
    expect(missesOf('fifo', 3, SILBERSCHATZ)).toBe(15);
    expect(missesOf('opt', 3, SILBERSCHATZ)).toBe(9);
    expect(missesOf('lru', 3, SILBERSCHATZ)).toBe(12);
    expect(missesOf('clock', 3, SILBERSCHATZ)).toBe(14);
  });

  // Belady, Nelson & Shedler (1969): more frames can mean more faults under FIFO.
  const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

  test("Belady's anomaly: FIFO misses 9 times with 3 frames and 10 times with 4", () => {
    expect(missesOf('fifo', 3, BELADY)).toBe(9);
    expect(missesOf('fifo', 4, BELADY)).toBe(10);
    expect(rows(simulateReplacement('fifo', 4, BELADY).steps).map(([, , victim]) => victim)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      1,
      2,
      3,
      4,
      5,
      1,
    ]);
  });

  test('LRU and OPT are stack algorithms: no anomaly on the same string', () => {
    expect([missesOf('lru', 3, BELADY), missesOf('lru', 4, BELADY)]).toEqual([10, 8]);
    expect([missesOf('opt', 3, BELADY), missesOf('opt', 4, BELADY)]).toEqual([7, 6]);
  });
});

describe('properties', () => {
  // size: 'max' — without it fast-check keeps arrays to about ten elements
  // whatever maxLength says, and no trace would reach the frame history's
  // first snapshot (64 steps) or fill 60 frames.
  const trace = (maxPage: number, maxLength: number) =>
    fc.array(fc.nat(maxPage), { minLength: 0, maxLength, size: 'max' });

  test('OPT never misses more than FIFO, LRU or Clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), trace(12, 200), (frames, references) => {
        const opt = missesOf('opt', frames, references);
        for (const policy of ['fifo', 'lru', 'clock'] as const) {
          expect(opt).toBeLessThanOrEqual(missesOf(policy, frames, references));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('LRU with at least as many frames as distinct pages misses only on first references', () => {
    fc.assert(
      fc.property(trace(20, 200), fc.nat(5), (references, spare) => {
        const distinct = new Set(references).size;
        const result = simulateReplacement('lru', Math.max(1, distinct + spare), references);
        expect(result.misses).toBe(distinct);
        const firstUse = references.map((page, i) => references.indexOf(page) === i);
        expect(result.steps.map((s) => !s.hit)).toEqual(firstUse);
        expect(result.steps.every((s) => s.victim === null)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('LRU misses never grow with more frames (no Belady anomaly)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), trace(10, 150), (frames, references) => {
        expect(missesOf('lru', frames + 1, references)).toBeLessThanOrEqual(
          missesOf('lru', frames, references),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('every policy matches a straightforward textbook implementation, step by step', () => {
    // Long enough traces and enough frames to cross the frame history's snapshots (every 64+ steps).
    fc.assert(
      fc.property(
        fc.constantFrom(...REPLACEMENT_POLICIES),
        fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 60, max: 80 })),
        fc.oneof(trace(8, 300), trace(120, 400)),
        (policy, frames, references) => {
          const result = simulateReplacement(policy, frames, references);
          const expected = textbook(policy, frames, references);
          expect(rows(result.steps)).toEqual(expected);
          expect(result.hits).toBe(expected.filter(([, hit]) => hit).length);
          expect(result.hits + result.misses).toBe(references.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

// The same loop at the limits — a million references over 4096 frames — is
// benchmarked, and its outcome checked again, in bench/replacement.bench.ts.
describe('a loop one page larger than memory', () => {
  /** `length` references cycling through `frames + 1` pages: the textbook worst case for LRU and FIFO. */
  const loopOver = (frames: number, length: number) => Array.from({ length }, (_, i) => i % (frames + 1));

  // A few hundred frames, and the largest frame count over a few turns of the loop.
  describe.each([
    { frames: 300, references: 30_000 },
    { frames: 4096, references: 3 * 4097 },
  ])('$frames frames, $references references', ({ frames, references }) => {
    const loop = loopOver(frames, references);

    test.each(['fifo', 'lru', 'clock'] as const)('%s misses on every reference', (policy) => {
      const result = simulateReplacement(policy, frames, loop);
      expect(result.misses).toBe(references);
      expect(new Set(result.steps.at(-1)!.frames)).toEqual(new Set(loop.slice(-frames)));
    });

    test('OPT misses once per `frames` references after the cold misses, never more than the others', () => {
      // After the cold misses, each miss evicts the page referenced just before the faulting one
      // comes round again, so the next miss is exactly `frames` references later: misses at
      // 0 … frames − 1, then at frames, 2 × frames, …, i.e. frames + ⌊(references − 1) / frames⌋.
      const opt = missesOf('opt', frames, loop);
      expect(opt).toBe(frames + Math.floor((references - 1) / frames));
      for (const policy of ['fifo', 'lru', 'clock'] as const) {
        expect(opt).toBeLessThanOrEqual(missesOf(policy, frames, loop));
      }
    });
  });

  test('the miss count of OPT on the loop agrees with the textbook implementation', () => {
    const small = loopOver(5, 100);
    expect(textbook('opt', 5, small).filter(([, hit]) => !hit)).toHaveLength(5 + Math.floor(99 / 5));
    expect(missesOf('opt', 5, small)).toBe(24);
  });

  test.each(REPLACEMENT_POLICIES)(
    '%s on the loop matches the textbook implementation, step by step',
    (policy) => {
      // 64 frames over 1000 references crosses the frame history's snapshots (every 64 steps) 15 times.
      const loop = loopOver(64, 1000);
      expect(rows(simulateReplacement(policy, 64, loop).steps)).toEqual(textbook(policy, 64, loop));
    },
  );
});

describe('input validation', () => {
  test.each([0, -1, 1.5, 4097, Number.NaN])('frame count %s is a RangeError', (frames) => {
    expect(() => simulateReplacement('fifo', frames, [1])).toThrow(
      new RangeError(`frameCount must be an integer from 1 to 4096, got ${frames}`),
    );
  });

  test.each([
    { references: [1, -1], index: 1, page: -1 },
    { references: [0.5], index: 0, page: 0.5 },
    { references: [2 ** 53], index: 0, page: 2 ** 53 },
    { references: [Number.NaN], index: 0, page: Number.NaN },
  ])('reference $index of $references is a RangeError', ({ references, index, page }) => {
    expect(() => simulateReplacement('lru', 3, references)).toThrow(
      new RangeError(`reference ${index} must be a non-negative safe integer page number, got ${page}`),
    );
  });

  test('more than a million references is a RangeError', () => {
    expect(() =>
      simulateReplacement('clock', 3, new Array<number>(MAX_REPLACEMENT_REFERENCES + 1).fill(0)),
    ).toThrow(new RangeError('at most 1000000 references are allowed, got 1000001'));
  });

  test('an unknown policy (from untyped callers) is a RangeError', () => {
    expect(() => simulateReplacement('lfu' as ReplacementPolicy, 3, [1])).toThrow(
      new RangeError('unknown replacement policy "lfu" (expected fifo, lru, opt, clock)'),
    );
  });
});

describe('steps are plain data', () => {
  test('frames survive JSON, spreading and comparison, and are rebuilt fresh on each read', () => {
    const [first, second] = simulateReplacement('fifo', 2, [4, 5]).steps;
    expect(JSON.parse(JSON.stringify(second))).toEqual({
      index: 1,
      page: 5,
      hit: false,
      victim: null,
      frames: [4, 5],
    });
    expect({ ...first }).toEqual({ index: 0, page: 4, hit: false, victim: null, frames: [4, null] });
    expect(first!.frames).not.toBe(first!.frames);
  });
});

/**
 * The policies as a textbook states them, with linear scans and no cleverness:
 * the oracle for the optimized simulation.
 */
function textbook(policy: ReplacementPolicy, frameCount: number, references: readonly number[]): Row[] {
  const frames: (number | null)[] = new Array(frameCount).fill(null);
  const loadedAt: number[] = [];
  const lastUsedAt: number[] = [];
  const referenceBit: boolean[] = [];
  let hand = 0;
  const nextUse = (page: number, after: number) => {
    const at = references.indexOf(page, after + 1);
    return at === -1 ? Number.POSITIVE_INFINITY : at;
  };
  const argBest = (score: (frame: number) => number) => {
    let best = 0;
    for (let f = 1; f < frameCount; f++) if (score(f) > score(best)) best = f;
    return best;
  };
  const chooseVictim = (step: number): number => {
    switch (policy) {
      case 'fifo':
        return argBest((f) => -loadedAt[f]!);
      case 'lru':
        return argBest((f) => -lastUsedAt[f]!);
      case 'opt':
        return argBest((f) => nextUse(frames[f]!, step));
      case 'clock': {
        while (referenceBit[hand]) {
          referenceBit[hand] = false;
          hand = (hand + 1) % frameCount;
        }
        const victim = hand;
        hand = (hand + 1) % frameCount;
        return victim;
      }
      default: {
        const _: never = policy;
        throw new Error(`no textbook rule for ${String(_)}`);
      }
    }
  };
  return references.map((page, step): Row => {
    const resident = frames.indexOf(page);
    if (resident !== -1) {
      lastUsedAt[resident] = step;
      referenceBit[resident] = true;
      return [page, true, null, [...frames]];
    }
    let frame = frames.indexOf(null);
    let victim: number | null = null;
    if (frame === -1) {
      frame = chooseVictim(step);
      victim = frames[frame]!;
    }
    frames[frame] = page;
    loadedAt[frame] = step;
    lastUsedAt[frame] = step;
    referenceBit[frame] = true;
    return [page, false, victim, [...frames]];
  });
}
