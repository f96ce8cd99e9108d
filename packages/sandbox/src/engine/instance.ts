/**
 * One QuickJS instance booted for a sandbox: a fixed-size WebAssembly memory,
 * the QuickJS module instantiated on it, a runtime and a context with the
 * stack limit and interrupt handler set, and the prelude evaluated with the
 * raw host functions. What the host functions and the interrupt handler do
 * is decided by whoever drives the instance now (`bind`): a sandbox's
 * session, or the boot side while the prelude runs.
 *
 * - Memory: each instance gets its own `WebAssembly.Memory` with initial =
 *   maximum. QuickJS's own `setMemoryLimit` is not enforced in
 *   quickjs-emscripten 0.32 (see ENVIRONMENT.md); a memory that cannot grow
 *   is, and QuickJS reports the failed allocation as a guest
 *   `InternalError: out of memory`.
 * - Stack: `setMaxStackSize(256 KiB)`. At 512 KiB and above deep recursion
 *   escapes as a host RangeError; at 256 KiB it stays a guest InternalError.
 *
 * The host keeps a handle on every host function it gives the guest, for
 * the instance's whole life. Without one, a learner who drops every
 * reference to, say, `console.log` lets QuickJS free the function, and
 * quickjs-emscripten then forgets its host side (`freeHostRef`). That is
 * harmless in a sandbox used once, but a snapshot taken before would bring
 * the guest function back with nothing behind it (see `factory.ts`).
 */
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  VmCallResult,
  VmFunctionImplementation,
} from 'quickjs-emscripten';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { MAX_BIGINT_DIGITS, type PlainLimits } from '../plain.ts';
import { PRELUDE_SOURCE } from '../prelude.ts';
import type { StackExports } from './build-facts.ts';
import { type FastBounds, fastBounds } from './fast-path.ts';
import { memoryPages, WASM_PAGE } from './limits.ts';
import { withUtcTime } from './utc-time.ts';
import { asEmscriptenModule, instantiate, type WasmInstance } from './wasm.ts';

/** What a host function hands back to the guest: a value, an error to throw, or nothing (undefined). */
export type GuestAnswer = ReturnType<VmFunctionImplementation<QuickJSHandle>>;

/** The side of the boundary that answers the guest while it runs: one sandbox's session at a time. */
export interface HostSide {
  /** QuickJS's interrupt poll (every 10 000 steps): true stops the guest. */
  poll(): boolean;
  /** The prelude's console: `hostLog(text, truncated)`. */
  log(text: QuickJSHandle | undefined, truncated: QuickJSHandle | undefined): GuestAnswer;
  /** The guest's clock: `hostNow()`. */
  now(): GuestAnswer;
  /** A host API call with an encoded argument list: `hostCall(name, payload)`. */
  call(name: QuickJSHandle | undefined, payload: QuickJSHandle | undefined): GuestAnswer;
  /** A host API call with primitive arguments as they are (the fast path). */
  callFast(name: string, args: QuickJSHandle[]): GuestAnswer;
}

/** What is fixed when an instance boots: it is written into the prelude. */
export interface InstanceSetup {
  readonly memoryBytes: number;
  readonly stackBytes: number;
  readonly maxOutputLength: number;
  readonly values: PlainLimits;
  readonly hostApiName: string;
  /** The host API's function names, in the order the prelude receives them. */
  readonly apiNames: readonly string[];
  readonly wasmModule?: WebAssembly.Module | undefined;
}

/** The prelude's helpers, as handles the host keeps (see `PRELUDE_SOURCE`). */
export interface PreludeHelpers {
  readonly load: QuickJSHandle;
  readonly call: QuickJSHandle;
  readonly callFast: QuickJSHandle;
  readonly object: QuickJSHandle;
}

/** The C stack pointer, through the build's stack exports (see build-facts.ts). */
export interface StackPointer {
  read(): number;
  /** Moves it (tests use this to stand for a trap that unwound a call without restoring it). */
  write(at: number): void;
}

export interface Instance {
  readonly setup: InstanceSetup;
  /** Null when the build's stack exports are not known or the engine did not instantiate the module itself. */
  readonly stack: StackPointer | null;
  readonly memory: WebAssembly.Memory;
  /** The memory's fixed size in bytes (what a memory-limit verdict names). */
  readonly memoryBytes: number;
  readonly context: QuickJSContext;
  readonly helpers: PreludeHelpers;
  readonly fast: FastBounds;
  /** Hands the guest's host functions and interrupt polls to `side` until the next bind. */
  bind(side: HostSide): void;
  /** Frees the QuickJS runtime. A trapped instance may fail to; its memory goes with the last reference. */
  dispose(): void;
}

/**
 * Boots an instance. `boot` answers while the prelude runs (it polls the
 * interrupt handler; nothing it does is charged to a learner).
 */
export async function bootInstance(
  setup: InstanceSetup,
  boot: HostSide,
  stackExports: StackExports | null = null,
): Promise<Instance> {
  const pages = memoryPages(setup);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const { wasmModule } = setup;
  let exports: Record<string, unknown> = {};
  // With a compiled module the engine instantiates it itself (as
  // quickjs-emscripten would), to keep hold of the exports it does not wrap.
  const variant = newVariant(RELEASE_SYNC, {
    wasmMemory: memory,
    ...(wasmModule
      ? {
          emscriptenModule: asEmscriptenModule({
            instantiateWasm: async (imports: unknown, onSuccess: (instance: WasmInstance) => void) => {
              // The guest's local time is UTC, not the grading machine's zone (utc-time.ts).
              const instance = await instantiate(wasmModule, withUtcTime(imports, memory));
              exports = instance.exports;
              onSuccess(instance);
              return instance.exports;
            },
          }),
        }
      : {}),
  });
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  const stack = stackPointer(exports, stackExports);
  const runtime: QuickJSRuntime = quickjs.newRuntime();
  runtime.setMaxStackSize(setup.stackBytes);
  const context: QuickJSContext = runtime.newContext();
  const fast = fastBounds(setup.values);

  let side: HostSide = boot;
  runtime.setInterruptHandler(() => side.poll());

  // Created in this order (log, now, call, then one fast function per API
  // name) so every instance lays out its memory the same way.
  const hostLog = context.newFunction('hostLog', (text, truncated) => side.log(text, truncated));
  const hostNow = context.newFunction('hostNow', () => side.now());
  const hostCall = context.newFunction('hostCall', (name, payload) => side.call(name, payload));
  const held: QuickJSHandle[] = [hostLog, hostNow, hostCall];

  const factory = context.unwrapResult(context.evalCode(PRELUDE_SOURCE, 'prelude.js'));
  const apiNameHandle = context.newString(setup.hostApiName);
  const namesHandle = context.newString(JSON.stringify(setup.apiNames));
  const limitsHandle = context.newString(
    JSON.stringify({
      ...setup.values,
      maxOutputLength: setup.maxOutputLength,
      fastMaxArgs: fast.maxArgs,
      fastMaxString: fast.maxString,
      maxBigintDigits: MAX_BIGINT_DIGITS,
    }),
  );
  const fastFnsHandle = context.newArray();
  setup.apiNames.forEach((name, i) => {
    const fn = context.newFunction(name, (...args) => side.callFast(name, args));
    context.setProp(fastFnsHandle, i, fn);
    held.push(fn);
  });
  const object = context.unwrapResult(
    context.callFunction(
      factory,
      context.undefined,
      hostCall,
      hostLog,
      hostNow,
      apiNameHandle,
      namesHandle,
      limitsHandle,
      fastFnsHandle,
    ),
  );
  for (const handle of [factory, apiNameHandle, namesHandle, limitsHandle, fastFnsHandle]) handle.dispose();
  const helpers: PreludeHelpers = {
    object,
    load: context.getProp(object, 'load'),
    call: context.getProp(object, 'call'),
    callFast: context.getProp(object, 'callFast'),
  };

  return {
    setup,
    stack,
    memory,
    memoryBytes: pages * WASM_PAGE,
    context,
    helpers,
    fast,
    bind(next) {
      side = next;
    },
    dispose() {
      try {
        helpers.load.dispose();
        helpers.call.dispose();
        helpers.callFast.dispose();
        helpers.object.dispose();
        for (const handle of held) handle.dispose();
        context.dispose();
        runtime.dispose();
      } catch {
        // A crashed or exhausted instance may fail to tear down; its memory is
        // released with the WebAssembly instance when nothing references it.
      }
    },
  };
}

function stackPointer(exports: Record<string, unknown>, names: StackExports | null): StackPointer | null {
  if (names === null) return null;
  const save = exports[names.save];
  const restore = exports[names.restore];
  if (typeof save !== 'function' || typeof restore !== 'function') return null;
  return {
    read: () => (save as () => number)(),
    write: (at) => {
      (restore as (at: number) => void)(at);
    },
  };
}

/** The result type of the prelude's helpers, as the engine calls them. */
export type HelperResult = VmCallResult<QuickJSHandle>;
