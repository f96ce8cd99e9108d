/**
 * A snapshot of an instance's WebAssembly memory, and restoring it in place.
 *
 * A fresh memory is all zeros, and everything QuickJS and emscripten write
 * lies below the highest end the heap ever reached (static data, the C
 * stack, then the heap, which grows upwards from `__heap_base`). So a
 * snapshot keeps the bytes below the heap's end, and a restore writes those
 * back and zeroes what lies between there and the highest end the heap
 * reached since (`heap-end.ts`; the whole tail when that is not known).
 * Afterwards the memory is byte for byte what it was when the snapshot was
 * taken — in particular zero in the last 128 KiB, which is what tells an
 * exhausted heap apart from the learner's own `throw null`
 * (`heapReachedEnd`).
 */
import { WASM_PAGE } from './limits.ts';

export interface MemorySnapshot {
  /** The memory's bytes below the heap's end (whole pages); all above were zero. */
  readonly bytes: Uint8Array;
  /** The size of the memory it was taken of. */
  readonly memoryBytes: number;
}

const wholePages = (bytes: number, limit: number) =>
  Math.min(limit, Math.ceil(bytes / WASM_PAGE) * WASM_PAGE);

/**
 * Copies `memory` below `heapEnd` (the end of the guest's heap, see
 * `heap-end.ts`), or below its all-zero tail when the heap's end is not
 * known (which reads the whole memory).
 */
export function takeSnapshot(memory: WebAssembly.Memory, heapEnd: number | null): MemorySnapshot {
  const { buffer } = memory;
  let end = heapEnd;
  if (end === null) {
    // 8 bytes at a time: the memory is a whole number of 64 KiB pages.
    const words = new BigUint64Array(buffer);
    let top = words.length;
    while (top > 0 && words[top - 1] === 0n) top -= 1;
    end = top * 8;
  }
  const kept = wholePages(end, buffer.byteLength);
  return { bytes: new Uint8Array(buffer, 0, kept).slice(), memoryBytes: buffer.byteLength };
}

/**
 * Puts `memory` back to the snapshot: its bytes below, zeros above, up to
 * `dirtyEnd` (the highest end the heap reached since the snapshot; null: not
 * known, zero the whole tail). Above `dirtyEnd` nothing was ever written, so
 * those pages are left as they are: never touched, and so never committed.
 */
export function restoreSnapshot(
  memory: WebAssembly.Memory,
  snapshot: MemorySnapshot,
  dirtyEnd: number | null,
): void {
  const bytes = new Uint8Array(memory.buffer);
  if (bytes.length !== snapshot.memoryBytes)
    throw new RangeError('restoreSnapshot: the memory is not the size the snapshot was taken of');
  bytes.set(snapshot.bytes, 0);
  const end = dirtyEnd === null ? bytes.length : wholePages(dirtyEnd, bytes.length);
  if (end > snapshot.bytes.length) bytes.fill(0, snapshot.bytes.length, end);
}

/** Whether `memory` holds exactly the snapshot (for tests and checks: it reads the whole memory). */
export function matchesSnapshot(memory: WebAssembly.Memory, snapshot: MemorySnapshot): boolean {
  const bytes = new Uint8Array(memory.buffer);
  if (bytes.length !== snapshot.memoryBytes) return false;
  const { bytes: kept } = snapshot;
  for (let i = 0; i < kept.length; i++) if (bytes[i] !== kept[i]) return false;
  for (let i = kept.length; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
