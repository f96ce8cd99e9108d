/**
 * Where the guest's heap ends: emscripten's sbrk keeps the end of the heap
 * in one word of static memory, and nothing above it has ever been written.
 * Knowing it lets a snapshot keep only what lies below it and a restore
 * zero only what the last sandbox's heap grew into — without it, both must
 * touch the whole memory, and the first restore of an instance would make
 * the operating system commit every page of it (≈ 20 ms for 32 MiB).
 *
 * The word's address is a property of the QuickJS build, not exported by
 * it, so it is found by experiment, once per compiled module: on a scratch
 * instance, allocate 4 MiB, and look for the one word that grew by that much
 * and now points at or above every non-zero byte of the memory; then free
 * it and allocate 6 MiB, and check the word did not move down (the heap
 * never gives memory back to sbrk) and still bounds everything written. If
 * the experiment does not find exactly one such word, callers fall back to
 * reading the whole memory (`null`).
 */
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { WASM_PAGE } from './limits.ts';

const MIB = 1024 * 1024;
/** The smallest memory QuickJS starts in (see `resolveLimits`). */
const SCRATCH_PAGES = (16 * MIB) / WASM_PAGE;

/** Reads the end of the heap (an address) from an instance's memory. */
export interface HeapEnd {
  /** The address of sbrk's word in static memory. */
  readonly address: number;
  read(memory: WebAssembly.Memory): number;
}

const located = new WeakMap<WebAssembly.Module, Promise<HeapEnd | null>>();
let locatedForBundled: Promise<HeapEnd | null> | null = null;

/** The heap's end for instances of `wasmModule` (the variant's own .wasm without one), or null if it cannot be found. */
export function locateHeapEnd(wasmModule: WebAssembly.Module | undefined): Promise<HeapEnd | null> {
  if (wasmModule === undefined) {
    locatedForBundled ??= experiment(undefined);
    return locatedForBundled;
  }
  let found = located.get(wasmModule);
  if (found === undefined) {
    found = experiment(wasmModule);
    located.set(wasmModule, found);
  }
  return found;
}

function heapEndAt(address: number): HeapEnd {
  return { address, read: (memory) => new Uint32Array(memory.buffer, address, 1)[0] ?? 0 };
}

/** The address just above the last non-zero byte of `memory`. */
function writtenEnd(words: Uint32Array): number {
  let end = words.length;
  while (end > 0 && words[end - 1] === 0) end -= 1;
  return end * 4;
}

async function experiment(wasmModule: WebAssembly.Module | undefined): Promise<HeapEnd | null> {
  const memory = new WebAssembly.Memory({ initial: SCRATCH_PAGES, maximum: SCRATCH_PAGES });
  const quickjs = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, { wasmMemory: memory, ...(wasmModule ? { wasmModule } : {}) }),
  );
  const runtime = quickjs.newRuntime();
  const context = runtime.newContext();
  const run = (code: string) => {
    const result = context.evalCode(code);
    if (result.error !== undefined) {
      result.error.dispose();
      return false;
    }
    result.value.dispose();
    return true;
  };
  try {
    const words = new Uint32Array(memory.buffer);
    const before = words.slice();
    if (!run('globalThis.probe = new ArrayBuffer(4 * 1024 * 1024)')) return null;
    const written = writtenEnd(words);
    const candidates: number[] = [];
    for (let i = 0; i < words.length; i++) {
      const grew = (words[i] ?? 0) - (before[i] ?? 0);
      const value = words[i] ?? 0;
      if (grew >= 4 * MIB && grew <= 5 * MIB && value >= written && value <= memory.buffer.byteLength)
        candidates.push(i * 4);
    }
    const [address] = candidates;
    if (address === undefined || candidates.length !== 1) return null;
    const heapEnd = heapEndAt(address);
    const first = heapEnd.read(memory);
    if (!run('globalThis.probe = null; globalThis.probe = new ArrayBuffer(6 * 1024 * 1024)')) return null;
    const second = heapEnd.read(memory);
    if (second <= first || second < writtenEnd(words)) return null;
    if (!run('globalThis.probe = null')) return null;
    return heapEnd.read(memory) === second ? heapEnd : null;
  } catch {
    return null;
  } finally {
    try {
      context.dispose();
      runtime.dispose();
    } catch {
      // A scratch instance; it goes with its memory.
    }
  }
}
