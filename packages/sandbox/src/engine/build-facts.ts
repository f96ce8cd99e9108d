/**
 * What the engine needs to know about the QuickJS build and cannot ask it:
 *
 * - Where the guest's heap ends. Emscripten's sbrk keeps the end of the
 *   heap in one word of static memory, and nothing above it has ever been
 *   written. Knowing it lets a snapshot keep only what lies below and a
 *   restore zero only what the last sandbox's heap grew into; without it
 *   both must touch the whole memory, and the first restore of an instance
 *   would make the operating system commit every page (≈ 20 ms for 32 MiB).
 * - Which export reads the C stack pointer (`stackSave`), and which sets it
 *   (`stackRestore`): the instance's one mutable WebAssembly global. A call
 *   into the instance leaves it where it found it, unless a trap unwound
 *   the call — and quickjs-emscripten swallows a trap that happens inside a
 *   host callback (it logs it and returns null to QuickJS), so the engine
 *   cannot rely on seeing every trap. A factory compares the stack pointer
 *   with the snapshot's before it restores an instance.
 *
 * The build exports neither by name (its exports are minified), so both are
 * found by experiment, once per compiled module, on a scratch instance:
 *
 * - The stack functions: with every export wrapped, one `evalCode` (whose
 *   file-name argument emscripten's `ccall` puts on the C stack) shows a
 *   call with no argument that returns an address (`stackSave`), and later
 *   a call with that address as its one argument (`stackRestore`). Checked:
 *   `stackSave` reads the same address before and after a call, and a lower
 *   one inside a host callback.
 * - The heap's end: allocate 4 MiB, and look for the one word of static
 *   data that grew by that much and points at or above every non-zero byte;
 *   then free it and allocate 6 MiB, and check the word moved up, not down
 *   (the heap never gives memory back to sbrk), and still bounds what was
 *   written.
 *
 * A fact the experiment does not establish beyond doubt is null.
 */
import type { QuickJSContext } from 'quickjs-emscripten';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { WASM_PAGE } from './limits.ts';
import { asEmscriptenModule, instantiate, type WasmInstance } from './wasm.ts';

const MIB = 1024 * 1024;
/** The smallest memory QuickJS starts in (see `resolveLimits`). */
const SCRATCH_PAGES = (16 * MIB) / WASM_PAGE;

/** Reads the end of the heap (an address) from an instance's memory. */
export interface HeapEnd {
  /** The address of sbrk's word in static memory. */
  readonly address: number;
  read(memory: WebAssembly.Memory): number;
}

/** The export names of emscripten's stack functions in this build. */
export interface StackExports {
  readonly save: string;
  readonly restore: string;
}

export interface BuildFacts {
  readonly heapEnd: HeapEnd | null;
  readonly stack: StackExports | null;
}

const NOTHING_KNOWN: BuildFacts = { heapEnd: null, stack: null };
const found = new WeakMap<WebAssembly.Module, Promise<BuildFacts>>();

/**
 * The facts of `wasmModule`'s build. Without a compiled module the engine
 * does not instantiate QuickJS itself and can learn neither.
 */
export function buildFacts(wasmModule: WebAssembly.Module | undefined): Promise<BuildFacts> {
  if (wasmModule === undefined) return Promise.resolve(NOTHING_KNOWN);
  let facts = found.get(wasmModule);
  if (facts === undefined) {
    facts = experiment(wasmModule).catch(() => NOTHING_KNOWN);
    found.set(wasmModule, facts);
  }
  return facts;
}

export function heapEndAt(address: number): HeapEnd {
  return { address, read: (memory) => new Uint32Array(memory.buffer, address, 1)[0] ?? 0 };
}

/** The address just above the last non-zero byte (4 bytes at a time, as Int32: see snapshot.ts). */
function writtenEnd(memory: WebAssembly.Memory): number {
  const words = new Int32Array(memory.buffer);
  let end = words.length;
  while (end > 0 && words[end - 1] === 0) end -= 1;
  return end * Int32Array.BYTES_PER_ELEMENT;
}

type ExportFunction = (...args: number[]) => unknown;
interface Traced {
  readonly name: string;
  readonly args: readonly number[];
  readonly result: unknown;
}

async function experiment(wasmModule: WebAssembly.Module): Promise<BuildFacts> {
  const memory = new WebAssembly.Memory({ initial: SCRATCH_PAGES, maximum: SCRATCH_PAGES });
  const trace: Traced[] = [];
  let tracing = false;
  let raw: Record<string, unknown> = {};
  const quickjs = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, {
      wasmMemory: memory,
      emscriptenModule: asEmscriptenModule({
        instantiateWasm: async (imports: unknown, onSuccess: (instance: WasmInstance) => void) => {
          const instance = await instantiate(wasmModule, imports);
          raw = instance.exports;
          const wrapped: Record<string, unknown> = {};
          for (const [name, value] of Object.entries(raw)) {
            if (typeof value !== 'function') {
              wrapped[name] = value;
              continue;
            }
            const fn = value as ExportFunction;
            wrapped[name] = (...args: number[]) => {
              const result = fn(...args);
              if (tracing) trace.push({ name, args, result });
              return result;
            };
          }
          // Emscripten reads the exports from what it is given here.
          onSuccess({ exports: wrapped });
          return wrapped;
        },
      }),
    }),
  );
  const runtime = quickjs.newRuntime();
  const context = runtime.newContext();
  const run = (code: string) => {
    const result = context.evalCode(code, 'probe.js');
    if (result.error !== undefined) {
      result.error.dispose();
      return false;
    }
    result.value.dispose();
    return true;
  };
  try {
    tracing = true;
    const ran = run('1');
    tracing = false;
    const stack = ran ? stackExports(trace, raw, context, run) : null;
    const stackTop = stack === null ? null : (raw[stack.save] as () => number)();
    return { heapEnd: stackTop === null ? null : locateHeapEnd(memory, stackTop, run), stack };
  } finally {
    try {
      context.dispose();
      runtime.dispose();
    } catch {
      // A scratch instance; it goes with its memory.
    }
  }
}

function stackExports(
  trace: readonly Traced[],
  raw: Record<string, unknown>,
  context: QuickJSContext,
  run: (code: string) => boolean,
): StackExports | null {
  const candidates: StackExports[] = [];
  trace.forEach((saved, i) => {
    if (saved.args.length !== 0 || typeof saved.result !== 'number' || saved.result <= 0) return;
    const restored = trace
      .slice(i + 1)
      .find((t) => t.name !== saved.name && t.args.length === 1 && t.args[0] === saved.result);
    if (restored !== undefined) candidates.push({ save: saved.name, restore: restored.name });
  });
  const [stack] = candidates;
  if (stack === undefined || candidates.some((c) => c.save !== stack.save || c.restore !== stack.restore))
    return null;
  const save = raw[stack.save];
  if (typeof save !== 'function') return null;
  const pointer = () => (save as ExportFunction)() as number;
  const atRest = pointer();
  let inside = Number.NaN;
  const probe = context.newFunction('probe', () => {
    inside = pointer();
  });
  context.setProp(context.global, 'probe', probe);
  probe.dispose();
  if (!run('probe()')) return null;
  return pointer() === atRest && inside < atRest ? stack : null;
}

/**
 * sbrk's word lies in static data, below the C stack, and points above it
 * (emscripten puts the heap right above the stack): only the words below
 * the stack's top that point between it and the memory's end are looked at.
 */
function locateHeapEnd(
  memory: WebAssembly.Memory,
  stackTop: number,
  run: (code: string) => boolean,
): HeapEnd | null {
  const words = new Uint32Array(memory.buffer, 0, Math.floor(stackTop / 4));
  const size = memory.buffer.byteLength;
  const pointers = new Map<number, number>();
  for (let i = 0; i < words.length; i++) {
    const value = words[i] ?? 0;
    if (value >= stackTop && value <= size) pointers.set(i, value);
  }
  if (!run('globalThis.block = new ArrayBuffer(4 * 1024 * 1024)')) return null;
  const written = writtenEnd(memory);
  const candidates: number[] = [];
  for (const [i, before] of pointers) {
    const value = words[i] ?? 0;
    const grew = value - before;
    if (grew >= 4 * MIB && grew <= 5 * MIB && value >= written && value <= size) candidates.push(i * 4);
  }
  const [address] = candidates;
  if (address === undefined || candidates.length !== 1) return null;
  const heapEnd = heapEndAt(address);
  const first = heapEnd.read(memory);
  if (!run('globalThis.block = null; globalThis.block = new ArrayBuffer(6 * 1024 * 1024)')) return null;
  const second = heapEnd.read(memory);
  if (second <= first || second < writtenEnd(memory)) return null;
  if (!run('globalThis.block = null')) return null;
  return heapEnd.read(memory) === second ? heapEnd : null;
}
