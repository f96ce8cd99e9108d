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

function pageIsZero(words: BigUint64Array, page: number): boolean {
  const first = (page * WASM_PAGE) / 8;
  const last = first + WASM_PAGE / 8;
  for (let i = first; i < last; i++) if (words[i] !== 0n) return false;
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
  // 8 bytes at a time: the memory is a whole number of 64 KiB pages.
  const words = new BigUint64Array(buffer);
  let end = heapEnd;
  if (end === null) {
    let top = words.length;
    while (top > 0 && words[top - 1] === 0n) top -= 1;
    end = top * 8;
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
