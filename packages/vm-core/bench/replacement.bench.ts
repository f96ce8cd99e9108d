/**
 * Page-replacement benchmark: every policy over the largest input
 * `simulateReplacement` accepts — a million references over 4096 frames. The
 * string is a loop over 4097 pages, one more than fits, the textbook worst
 * case: FIFO, LRU and Clock miss on every reference, OPT once per 4096. Like
 * the other benchmarks, each figure is the best of several timed rounds
 * (after a warm-up) of a plain loop. Memory is reported as the heap a result
 * keeps alive (its steps and their frame history), measured between forced
 * collections in a separate, untimed run.
 *
 * The tests check the same outcomes on smaller loops
 * (src/policies/replacement.test.ts); here they are checked again at the
 * limits, where a wrong count stops the benchmark.
 *
 * `runReplacementBenchmarks()` is called by hw.bench.ts, which prints its
 * result under the `replacement` key of the final JSON line.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  MAX_REPLACEMENT_FRAMES,
  MAX_REPLACEMENT_REFERENCES,
  REPLACEMENT_POLICIES,
  type ReplacementPolicy,
  type ReplacementResult,
  simulateReplacement,
} from '../src/index.ts';

const FRAMES = MAX_REPLACEMENT_FRAMES;
const REFERENCES = MAX_REPLACEMENT_REFERENCES;
const WARMUP_ROUNDS = 1;
const ROUNDS = 3;

export interface PolicyBenchResult {
  readonly misses: number;
  readonly ms: number;
  readonly referencesPerSec: number;
  /** Heap held by the result, per reference: one step object each, plus the frame history. */
  readonly bytesRetainedPerReference: number;
}

export type ReplacementBenchResult = {
  readonly references: number;
  readonly frames: number;
  /** Wall time of the whole replacement benchmark. */
  readonly seconds: number;
} & { readonly [policy in ReplacementPolicy]: PolicyBenchResult };

/** The misses a loop over frames + 1 pages must cost: every reference, except under OPT. */
function expectedLoopMisses(policy: ReplacementPolicy, frames: number, references: number): number {
  // OPT: after the cold misses each miss evicts the page referenced just
  // before the faulting one, which comes round again exactly `frames`
  // references later, so misses fall at 0 … frames − 1, then every `frames`.
  return policy === 'opt' ? frames + Math.floor((references - 1) / frames) : references;
}

/** Throws unless `result` is what the loop must give: the expected misses, the last pages resident. */
function checkLoop(result: ReplacementResult, loop: readonly number[]): void {
  const expected = expectedLoopMisses(result.policy, FRAMES, loop.length);
  if (result.misses !== expected)
    throw new Error(`${result.policy}: ${result.misses} misses on the loop, expected ${expected}`);
  // Under FIFO, LRU and Clock every reference misses, so the last `FRAMES`
  // pages referenced are the resident ones.
  if (result.policy === 'opt') return;
  const resident = new Set(result.steps.at(-1)!.frames);
  const last = loop.slice(-FRAMES);
  if (resident.size !== FRAMES || !last.every((page) => resident.has(page)))
    throw new Error(`${result.policy}: the frames do not hold the last ${FRAMES} pages referenced`);
}

function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Heap bytes the value returned by `run` keeps alive, per reference. */
function bytesRetainedPerReference(collectGarbage: () => void, run: () => ReplacementResult): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const result = run();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  if (result.steps.length !== REFERENCES) throw new Error('the result lost its steps');
  return Number((Math.max(0, after - before) / REFERENCES).toFixed(1));
}

function benchPolicy(
  policy: ReplacementPolicy,
  loop: readonly number[],
  collectGarbage: () => void,
): PolicyBenchResult {
  let bestSeconds = Number.POSITIVE_INFINITY;
  let misses = 0;
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const result = simulateReplacement(policy, FRAMES, loop);
    const seconds = since(start);
    checkLoop(result, loop);
    misses = result.misses;
    if (round >= WARMUP_ROUNDS) bestSeconds = Math.min(bestSeconds, seconds);
  }
  const figures = {
    misses,
    ms: Number((bestSeconds * 1000).toFixed(2)),
    referencesPerSec: Math.round(REFERENCES / bestSeconds),
    bytesRetainedPerReference: bytesRetainedPerReference(collectGarbage, () =>
      simulateReplacement(policy, FRAMES, loop),
    ),
  };
  console.log(
    `${`${policy}, 1M refs over 4096 frames`.padEnd(34)} ${`${(figures.referencesPerSec / 1e6).toFixed(2)} M/s`.padStart(8)}   ` +
      `(${figures.misses} misses, ${figures.ms.toFixed(0)} ms, ${figures.bytesRetainedPerReference} B/ref retained)`,
  );
  return figures;
}

export function runReplacementBenchmarks(): ReplacementBenchResult {
  const start = process.hrtime.bigint();
  // Retained heap can only be read between full collections; --expose-gc
  // after start-up exposes gc() to new contexts only.
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const loop = Array.from({ length: REFERENCES }, (_, i) => i % (FRAMES + 1));
  const perPolicy = Object.fromEntries(
    REPLACEMENT_POLICIES.map((policy) => [policy, benchPolicy(policy, loop, collectGarbage)]),
  ) as { [policy in ReplacementPolicy]: PolicyBenchResult };
  return {
    references: REFERENCES,
    frames: FRAMES,
    ...perPolicy,
    seconds: Number(since(start).toFixed(1)),
  };
}
