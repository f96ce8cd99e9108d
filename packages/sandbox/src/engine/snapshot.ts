/**
 * A snapshot of an instance's WebAssembly memory, and restoring it in place.
 *
 * A fresh memory is all zeros, and everything QuickJS and emscripten write
 * lies below the highest end the heap ever reached (static data, the C
 * stack, then the heap, which grows upwards from `__heap_base`). So a
 * snapshot keeps the bytes below the heap's end, and a restore writes those
 * back and zeroes what lies between there and the highest end the heap
 * reached since (`build-facts.ts`; the whole tail when that is not known).
 * Afterwards the memory is byte for byte what it was when the snapshot was
 * taken — in particular zero in the last 128 KiB, which is what tells an
 * exhausted heap apart from the learner's own `throw null`
 * (`heapReachedEnd`).
 */
import { WASM_PAGE } from './limits.ts';

export interface MemorySnapshot {
  /** Where the kept part ends (whole pages, at or above the heap's end); all above was zero. */
  readonly end: number;
  /** The pages below `end` holding a non-zero byte, as runs; every other page below `end` was all zeros. */
  readonly runs: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
  /** The size of the memory it was taken of. */
  readonly memoryBytes: number;
}

const wholePages = (bytes: number, limit: number) =>
  Math.min(limit, Math.ceil(bytes / WASM_PAGE) * WASM_PAGE);

/**
 * Read 4 bytes at a time as Int32: a BigUint64Array read makes a BigInt on
 * the JS heap (≈ 10 MB of garbage for the 5 MiB below a loaded heap), an
 * Int32 is a small integer on 64-bit engines.
 */
const WORD = Int32Array.BYTES_PER_ELEMENT;

function pageIsZero(words: Int32Array, page: number): boolean {
  const first = (page * WASM_PAGE) / WORD;
  const last = first + WASM_PAGE / WORD;
  for (let i = first; i < last; i++) if (words[i] !== 0) return false;
  return true;
}

/**
 * Copies `memory` below `heapEnd` (the end of the guest's heap, see
 * `build-facts.ts`), or below its all-zero tail when the heap's end is not
 * known (which reads the whole memory). Pages of zeros are not copied: most
 * of what lies below the heap is the C stack's reserve, never used.
 */
export function takeSnapshot(memory: WebAssembly.Memory, heapEnd: number | null): MemorySnapshot {
  const { buffer } = memory;
  // The memory is a whole number of 64 KiB pages, so of words too.
  const words = new Int32Array(buffer);
  let end = heapEnd;
  if (end === null) {
    let top = words.length;
    while (top > 0 && words[top - 1] === 0) top -= 1;
    end = top * WORD;
  }
  const pages = wholePages(end, buffer.byteLength) / WASM_PAGE;
  const runs: { offset: number; bytes: Uint8Array }[] = [];
  for (let page = 0; page < pages; ) {
    if (pageIsZero(words, page)) {
      page += 1;
      continue;
    }
    const first = page;
    while (page < pages && !pageIsZero(words, page)) page += 1;
    runs.push({
      offset: first * WASM_PAGE,
      bytes: new Uint8Array(buffer, first * WASM_PAGE, (page - first) * WASM_PAGE).slice(),
    });
  }
  return { end: pages * WASM_PAGE, runs, memoryBytes: buffer.byteLength };
}

/** Bytes the snapshot keeps. */
export const snapshotSize = (snapshot: MemorySnapshot): number =>
  snapshot.runs.reduce((sum, run) => sum + run.bytes.length, 0);

/**
 * Puts `memory` back to the snapshot: its bytes below its end, zeros
 * between them and above, up to `dirtyEnd` (the highest end the heap
 * reached since the snapshot; null: not known, zero the whole tail). Above
 * `dirtyEnd` nothing was ever written, so those pages are left as they are:
 * never touched, and so never committed.
 */
export function restoreSnapshot(
  memory: WebAssembly.Memory,
  snapshot: MemorySnapshot,
  dirtyEnd: number | null,
): void {
  const bytes = new Uint8Array(memory.buffer);
  if (bytes.length !== snapshot.memoryBytes)
    throw new RangeError('restoreSnapshot: the memory is not the size the snapshot was taken of');
  let at = 0;
  for (const run of snapshot.runs) {
    if (run.offset > at) bytes.fill(0, at, run.offset);
    bytes.set(run.bytes, run.offset);
    at = run.offset + run.bytes.length;
  }
  const end = dirtyEnd === null ? bytes.length : Math.max(snapshot.end, wholePages(dirtyEnd, bytes.length));
  if (end > at) bytes.fill(0, at, end);
}

/**
 * How far a memory may differ from the snapshot it last matched: not at
 * all; only below `end` (nothing at or above it was written since, so it
 * still holds the snapshot's zeros there); or anywhere.
 */
export type Dirt =
  | { readonly kind: 'pristine' }
  | { readonly kind: 'below'; readonly end: number }
  | { readonly kind: 'unknown' };

/** Puts `memory` back to `snapshot` unless it is pristine; true if it wrote. */
export function restoreDirty(memory: WebAssembly.Memory, snapshot: MemorySnapshot, dirt: Dirt): boolean {
  if (dirt.kind === 'pristine') return false;
  restoreSnapshot(memory, snapshot, dirt.kind === 'below' ? dirt.end : null);
  return true;
}

/**
 * `dirt` against `since`, seen from another snapshot: a memory that matches
 * `since` at and above some address is zero there, as long as that address
 * is at or above `since`'s end.
 */
export function dirtBeyond(dirt: Dirt, since: MemorySnapshot): Dirt {
  switch (dirt.kind) {
    case 'pristine':
      return { kind: 'below', end: since.end };
    case 'below':
      return { kind: 'below', end: Math.max(dirt.end, since.end) };
    case 'unknown':
      return dirt;
    default: {
      const _: never = dirt;
      return _;
    }
  }
}

/** Whether `memory` holds exactly the snapshot (for tests and checks: it reads the whole memory). */
export function matchesSnapshot(memory: WebAssembly.Memory, snapshot: MemorySnapshot): boolean {
  const bytes = new Uint8Array(memory.buffer);
  if (bytes.length !== snapshot.memoryBytes) return false;
  let at = 0;
  const zeroUpTo = (end: number) => {
    for (; at < end; at++) if (bytes[at] !== 0) return false;
    return true;
  };
  for (const run of snapshot.runs) {
    if (!zeroUpTo(run.offset)) return false;
    for (let i = 0; i < run.bytes.length; i++) if (bytes[run.offset + i] !== run.bytes[i]) return false;
    at = run.offset + run.bytes.length;
  }
  return zeroUpTo(bytes.length);
}
