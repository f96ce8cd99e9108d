/**
 * A snapshot of an instance's WebAssembly memory, and restoring it in place.
 *
 * A fresh memory is all zeros, and everything QuickJS and emscripten write
 * lies below the highest address the heap ever reached (static data, the C
 * stack, then the heap, which grows upwards from `__heap_base`). So a
 * snapshot keeps the bytes below its all-zero tail, and a restore writes
 * those back and zeroes everything above them: the whole tail, not just up
 * to where the last run reached, so that nothing depends on knowing how far
 * that was (zeroing 26 MiB takes about a millisecond). Afterwards the memory
 * is byte for byte what it was when the snapshot was taken — in particular zero
 * in the last 128 KiB, which is what tells an exhausted heap apart from the
 * learner's own `throw null` (`heapReachedEnd`).
 */
import { WASM_PAGE } from './limits.ts';

export interface MemorySnapshot {
  /** The memory's bytes up to the last page holding a non-zero byte; all above were zero. */
  readonly bytes: Uint8Array;
  /** The size of the memory it was taken of. */
  readonly memoryBytes: number;
}

/** Copies `memory` up to its all-zero tail (whole pages). */
export function takeSnapshot(memory: WebAssembly.Memory): MemorySnapshot {
  const { buffer } = memory;
  // 8 bytes at a time: the memory is a whole number of 64 KiB pages.
  const words = new BigUint64Array(buffer);
  let top = words.length;
  while (top > 0 && words[top - 1] === 0n) top -= 1;
  const end = Math.min(buffer.byteLength, Math.ceil((top * 8) / WASM_PAGE) * WASM_PAGE);
  return { bytes: new Uint8Array(buffer, 0, end).slice(), memoryBytes: buffer.byteLength };
}

/** Puts `memory` back to the snapshot: its bytes below, zeros above. */
export function restoreSnapshot(memory: WebAssembly.Memory, snapshot: MemorySnapshot): void {
  const bytes = new Uint8Array(memory.buffer);
  if (bytes.length !== snapshot.memoryBytes)
    throw new RangeError('restoreSnapshot: the memory is not the size the snapshot was taken of');
  bytes.set(snapshot.bytes, 0);
  bytes.fill(0, snapshot.bytes.length);
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
