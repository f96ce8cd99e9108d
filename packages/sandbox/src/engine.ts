/**
 * The engine: one QuickJS (WebAssembly) instance per sandbox, with hard limits.
 *
 * - Memory: each sandbox instantiates QuickJS with its own fixed-size
 *   `WebAssembly.Memory` (initial = maximum). QuickJS's own `setMemoryLimit`
 *   is not enforced in quickjs-emscripten 0.32 (see ENVIRONMENT.md); a memory
 *   that cannot grow is, and QuickJS reports the failed allocation as a guest
 *   `InternalError: out of memory`.
 * - Stack: `setMaxStackSize(256 KiB)`. At 512 KiB and above deep recursion
 *   escapes as a host RangeError; at 256 KiB it stays a guest InternalError.
 * - CPU: budgets are counted in interpreter steps, not measured in time, so
 *   the same code gets the same verdict on a loaded CI runner and on a fast
 *   laptop (see `STEPS_PER_CPU_MS`). QuickJS decrements a counter on every
 *   function call and backward jump and polls the interrupt handler each
 *   time it reaches zero (JS_INTERRUPT_COUNTER_INIT = 10 000 in quickjs.c's
 *   `js_poll_interrupts`); the handler adds those steps to the sandbox's
 *   count, and every host API call adds `HOST_CALL_STEPS`. A wall-clock cap
 *   per request stays as a safety net for built-ins that work long between
 *   polls (a sort with a comparator, a huge `repeat`), with its own verdict.
 * - Time: the guest's `Date` runs on the step count from a fixed epoch
 *   (`GUEST_EPOCH_MS`), never on the machine's clock, so code that waits on
 *   the time cannot spend more steps on a fast machine than on a busy one.
 * - Output: console.* is captured, capped in the guest and again here.
 *
 * Only web-standard APIs are used here (WebAssembly, performance), so a
 * browser Web Worker can run this file too. The Node worker (`worker.ts`)
 * passes a precompiled `WebAssembly.Module` so each sandbox only
 * instantiates it.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, VmCallResult } from 'quickjs-emscripten';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import {
  DEFAULT_PLAIN_LIMITS,
  decodePlain,
  encodePlain,
  type PlainLimits,
  type PlainValue,
} from './plain.ts';
import { PRELUDE_SOURCE } from './prelude.ts';
import { scrubHostPaths } from './scrub.ts';

export type HostFunction = (...args: PlainValue[]) => PlainValue | undefined;

export interface SandboxLimits {
  /** Size of the guest's whole WebAssembly memory (heap, stack, QuickJS itself). At least 16 MiB. */
  memoryBytes: number;
  /** QuickJS's native stack limit. */
  stackBytes: number;
  /** CPU budget of one `load` or `call`, in ms of reference CPU (counted in steps: `STEPS_PER_CPU_MS`). */
  cpuMsPerCall: number;
  /** CPU budget of all `load` and `call`s of this sandbox together (same unit). */
  cpuMsTotal: number;
  /**
   * Wall-clock cap of one `load` or `call` (default `WALL_FACTOR` × cpuMsPerCall
   * + 100 ms): the safety net for work the step count cannot see.
   */
  wallMsPerCall?: number | undefined;
  /** console output kept, in UTF-16 code units; the rest is dropped. */
  maxOutputLength: number;
  /** Caps on every value crossing the boundary. */
  values: PlainLimits;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  cpuMsPerCall: 1_000,
  cpuMsTotal: 5_000,
  maxOutputLength: 64 * 1024,
  values: DEFAULT_PLAIN_LIMITS,
};

export interface SandboxOptions {
  /** Functions the guest may call, exposed as `globalThis[hostApiName]`. Arguments and results are plain data. */
  hostApi?: Record<string, HostFunction>;
  /** Name of the guest global holding the host API (default `kernel`). */
  hostApiName?: string;
  limits?: Partial<SandboxLimits>;
  /** A compiled QuickJS module (RELEASE_SYNC); without it the variant loads its own .wasm file. */
  wasmModule?: WebAssembly.Module;
  /**
   * The wall clock the per-call cap is measured on, in ms from any fixed
   * origin (default `performance.now`). It is read at every interrupt poll
   * and host call, never for the step budget. Tests inject one to drive the
   * cap deterministically (a slow host is a clock that jumps, not real
   * slowness), or a frozen one so that only steps can decide.
   */
  clock?: () => number;
}

/** How a `load` or `call` ended when the guest did not produce a value. */
export type Failure =
  /** The learner's code threw (`name` is the error's name, or `Thrown` for a non-Error value). */
  | { kind: 'error'; name: string; message: string }
  /** The value returned by a hook cannot cross the boundary (function, Proxy, getter, cycle, class instance, too large). */
  | { kind: 'invalid-value'; message: string }
  /** The step budget of the call or of the whole sandbox was spent (deterministic). */
  | { kind: 'timeout'; limit: 'cpu'; budget: 'call' | 'total'; ms: number }
  /** The call ran past its wall-clock cap (a built-in working long between interrupt polls). */
  | { kind: 'timeout'; limit: 'wall'; ms: number }
  | { kind: 'memory-limit'; bytes: number }
  | { kind: 'stack-overflow' }
  /** The engine itself failed; this sandbox is unusable and every later request gets the same answer. */
  | { kind: 'crashed'; message: string };

export type LoadResult = { kind: 'ok'; exports: string[] } | Failure;
export type CallResult = { kind: 'ok'; value: PlainValue } | Failure;

export interface ConsoleOutput {
  text: string;
  truncated: boolean;
}

export interface Sandbox {
  /** Evaluates the learner's module (CommonJS, as `transpile` produces). Once per sandbox. */
  load(code: string): LoadResult;
  /** Calls a function the module exports with plain arguments. */
  call(exportName: string, args?: readonly PlainValue[]): CallResult;
  /** Everything the guest printed so far. */
  output(): ConsoleOutput;
  /** The CPU budget the guest has used so far, in ms of reference CPU (deterministic: steps / STEPS_PER_CPU_MS). */
  cpuMsUsed(): number;
  /** Interpreter steps counted so far (polls × 10 000 + host calls × HOST_CALL_STEPS). */
  stepsUsed(): number;
  dispose(): void;
}

const MIB = 1024 * 1024;
const WASM_PAGE = 64 * 1024;

/** QuickJS polls the interrupt handler once per this many steps (JS_INTERRUPT_COUNTER_INIT in quickjs.c). */
const STEPS_PER_POLL = 10_000;
/**
 * The exchange rate of CPU budgets: interpreter steps per ms of reference CPU.
 * Measured on the 2-core CI machine (`pnpm --filter @faultline/sandbox bench`,
 * `stepsPerMs`): plain loops ≈ 45 k steps/ms, function calls ≈ 60 k, kernel
 * API calls ≈ 55 k (with `HOST_CALL_STEPS`), sorts with a comparator ≈ 30 k,
 * loops that allocate an object or two per step ≈ 10 k. So a budget in ms is
 * about what loops and calls take there, allocation-heavy code may run up to
 * five times longer, and the verdict is the same on every machine.
 */
export const STEPS_PER_CPU_MS = 50_000;
/**
 * What one call of a host API function (or console line) costs in steps: a
 * boundary round trip takes ≈ 4–5 µs, ≈ 250 steps at the rate above.
 * Without it, a loop that only calls the kernel would poll rarely and run
 * far longer than its budget.
 */
export const HOST_CALL_STEPS = 250;
/**
 * The default wall-clock cap of a request, as a multiple of its CPU budget
 * (plus 100 ms): far enough above the slowest kind of step (allocation, at a
 * fifth of the reference rate) that only work between polls ever reaches it.
 */
export const WALL_FACTOR = 10;

/**
 * What the guest's clock reads before its first step: 2026-01-01T00:00:00Z.
 * Its `Date.now()` is this plus the steps it has run, in budget ms, so the
 * same code sees the same times on every machine (see the prelude).
 */
export const GUEST_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The fast path passes at most this many primitive arguments as QuickJS values. */
const FAST_MAX_ARGS = 8;
/** …and strings up to this length (UTF-16 code units); longer ones take the encoded path. */
const FAST_MAX_STRING = 256;
/**
 * Strings cross the bridge as NUL-terminated UTF-8: a NUL would cut them short
 * and a lone surrogate would be replaced. Strings with either (or any
 * surrogate, to keep the check simple) take the encoded path, where JSON
 * escapes them.
 */
const NOT_FAST_CHARS = /[\0\uD800-\uDFFF]/;
const isFastString = (text: string, maxLength: number): boolean =>
  text.length <= maxLength && !NOT_FAST_CHARS.test(text);

/**
 * Bounds of the fast path, chosen so that any argument list or result it
 * admits is also within every cap of the encoded path (depth, values, string
 * length, payload length); `maxArgs === 0` turns it off.
 */
function fastBounds(values: PlainLimits): { maxArgs: number; maxString: number } {
  const maxString = Math.min(FAST_MAX_STRING, values.maxStringLength);
  // An encoded primitive is at most 6 characters per code unit + 2 (a string)
  // or a number plus its entry in the specials list; 32 covers the latter.
  const worstPayload = 16 + FAST_MAX_ARGS * (6 * maxString + 32);
  const ok =
    values.maxDepth >= 1 && values.maxNodes > FAST_MAX_ARGS && values.maxPayloadLength >= worstPayload;
  return { maxArgs: ok ? FAST_MAX_ARGS : 0, maxString };
}

/**
 * Whether the guest's heap ever grew to the last `HEAP_END_BYTES` of its
 * memory. A fresh WebAssembly memory is all zeros and emscripten's malloc
 * takes memory from the bottom up, so a written byte there means an
 * allocation reached the end. QuickJS throws `null` when it cannot even
 * allocate its "out of memory" error (a heap filled with small objects), the
 * same value as the learner's own `throw null`; only this tells them apart.
 * (A `throw null` after the heap once filled up counts as out of memory too,
 * which is what happened to that sandbox anyway.)
 */
function heapReachedEnd(memory: WebAssembly.Memory): boolean {
  const words = new Uint32Array(memory.buffer, memory.buffer.byteLength - HEAP_END_BYTES);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return true;
  return false;
}
/** The heap grows in 64 KiB steps, so an exhausted heap ends within that distance of the end. */
const HEAP_END_BYTES = 128 * 1024;

/** A marker for a QuickJS value that is not a fast-path primitive. */
const NOT_FAST = Symbol('not fast');

const performanceClock = (): number => performance.now();

/** How deep guest code and host functions may call each other (hook → kernel → hook …). */
export const MAX_NESTING = 8;

/** Raised to the host when the host misuses a sandbox (nesting too deep, double load, use after dispose). */
export class SandboxUsageError extends Error {
  override name = 'SandboxUsageError';
}

/** Guest code and host functions called each other more than `MAX_NESTING` deep. */
export class SandboxNestingError extends SandboxUsageError {
  override name = 'SandboxNestingError';
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...options.limits };
  if (limits.memoryBytes < 16 * MIB)
    throw new RangeError('memoryBytes must be at least 16 MiB (QuickJS needs that to start)');
  const hostApi = options.hostApi ?? {};
  const hostApiName = options.hostApiName ?? 'kernel';
  const now = options.clock ?? performanceClock;
  const apiNames = Object.keys(hostApi);
  const fast = fastBounds(limits.values);

  const pages = Math.ceil(limits.memoryBytes / WASM_PAGE);
  const wasmMemory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const variant = newVariant(RELEASE_SYNC, {
    wasmMemory,
    ...(options.wasmModule ? { wasmModule: options.wasmModule } : {}),
  });
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  const runtime: QuickJSRuntime = quickjs.newRuntime();
  runtime.setMaxStackSize(limits.stackBytes);
  const context: QuickJSContext = runtime.newContext();

  let output = '';
  let truncated = false;
  const stepsPerCall = limits.cpuMsPerCall * STEPS_PER_CPU_MS;
  const stepsTotal = limits.cpuMsTotal * STEPS_PER_CPU_MS;
  const wallMsPerCall = limits.wallMsPerCall ?? WALL_FACTOR * limits.cpuMsPerCall + 100;
  /** Steps counted so far; the running request stops when it reaches `stepLimit`. */
  let steps = 0;
  let stepLimit = Number.POSITIVE_INFINITY;
  let wallDeadline = Number.POSITIVE_INFINITY;
  /** Why the running request was interrupted, if it was. */
  let interrupted: 'steps' | 'wall' | null = null;
  let busy = false;
  let inHostCall = false;
  let loaded = false;
  let disposed = false;
  let crashed: string | null = null;
  /** The verdict of the request whose trap broke the engine (memory-limit or crashed). */
  let crashVerdict: Failure | null = null;

  runtime.setInterruptHandler(() => {
    steps += STEPS_PER_POLL;
    if (steps >= stepLimit) interrupted = 'steps';
    else if (now() > wallDeadline) interrupted = 'wall';
    return interrupted !== null;
  });

  /**
   * Charges a host call; false when the budget is spent or the wall-clock cap
   * passed (the next poll then stops the guest). Checking the clock here too
   * catches a guest whose time goes into slow host calls, between polls.
   */
  const chargeHostCall = (): boolean => {
    steps += HOST_CALL_STEPS;
    // Steps first: when both are spent, the verdict is the deterministic one.
    if (interrupted === null && steps < stepLimit && now() > wallDeadline) interrupted = 'wall';
    return steps < stepLimit && interrupted === null;
  };

  const hostLog = context.newFunction('hostLog', (textHandle, truncatedHandle) => {
    if (!chargeHostCall()) return;
    if (
      truncatedHandle !== undefined &&
      context.typeof(truncatedHandle) === 'boolean' &&
      context.dump(truncatedHandle) === true
    ) {
      truncated = true;
    }
    if (context.typeof(textHandle) !== 'string') return;
    const text = context.getString(textHandle);
    const room = limits.maxOutputLength - output.length;
    if (text.length > room) truncated = true;
    if (room > 0) output += text.slice(0, room);
  });

  /**
   * The guest's clock (its `Date.now()`, `new Date()`): the fixed epoch plus
   * the steps counted so far, in whole budget ms. Reading it is charged as a host
   * call, so a loop that waits on it moves it and spends its budget.
   */
  const hostNow = context.newFunction('hostNow', () => {
    chargeHostCall();
    // Whole ms, as Date.now() always is.
    return context.newNumber(GUEST_EPOCH_MS + Math.floor(steps / STEPS_PER_CPU_MS));
  });

  const fail = (message: string) => ({
    error: context.newError({ name: 'Error', message: scrubHostPaths(message) }),
  });

  /**
   * Reads a guest value that the fast path admits: its QuickJS type is checked
   * first, so only a primitive is ever read (no valueOf, toString or getter
   * can run). Anything else is NOT_FAST.
   */
  const readFast = (handle: QuickJSHandle): PlainValue | typeof NOT_FAST => {
    switch (context.typeof(handle)) {
      case 'number': {
        const n = context.getNumber(handle);
        return n === 0 ? 0 : n; // -0 becomes 0, as on the encoded path
      }
      case 'boolean':
        return context.eq(handle, context.true);
      case 'undefined':
        return null;
      case 'object':
        return context.eq(handle, context.null) ? null : NOT_FAST;
      case 'string': {
        // The prelude sends only strings without NUL or surrogates (the UTF-8
        // bridge cannot carry them); the caps are checked again here.
        const text = context.getString(handle);
        return isFastString(text, fast.maxString) ? text : NOT_FAST;
      }
      default:
        return NOT_FAST;
    }
  };

  /** Runs a host function and hands its result to the guest (see `hostResult` in the prelude). */
  const invokeHost = (name: string, fn: HostFunction, args: PlainValue[]) => {
    if (!chargeHostCall()) return fail(`${hostApiName}.${name} not called: the time limit is reached`);
    let result: unknown;
    inHostCall = true;
    try {
      result = fn(...args);
    } catch (error) {
      return fail(`${hostApiName}.${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      inHostCall = false;
    }
    if (fast.maxArgs > 0) {
      switch (typeof result) {
        case 'number':
          return context.newNumber(result === 0 ? 0 : result);
        case 'boolean':
          return result ? context.true : context.false;
        case 'undefined':
          return context.null;
        case 'string':
          if (isFastString(result, fast.maxString)) return context.newString(`s${result}`);
          break;
        default:
          if (result === null) return context.null;
      }
    }
    const encoded = encodePlain(
      result,
      { context: `the value returned by ${hostApiName}.${name}()`, name: 'result' },
      limits.values,
    );
    if (encoded.kind === 'err') return fail(encoded.message);
    return context.newString(encoded.payload);
  };

  const hostCall = context.newFunction('hostCall', (nameHandle, payloadHandle) => {
    if (context.typeof(nameHandle) !== 'string' || context.typeof(payloadHandle) !== 'string') {
      return fail('malformed host call');
    }
    const name = context.getString(nameHandle);
    const fn = Object.hasOwn(hostApi, name) ? hostApi[name] : undefined;
    if (fn === undefined) return fail(`${hostApiName}.${name} is not a host function`);
    const args = decodePlain(context.getString(payloadHandle), limits.values);
    if (args.kind === 'err' || !Array.isArray(args.value)) {
      return fail(`${hostApiName}.${name}: ${args.kind === 'err' ? args.message : 'malformed arguments'}`);
    }
    return invokeHost(name, fn, args.value);
  });

  /** One per host API function: called by the prelude with primitive arguments as they are. */
  const hostFastFunction = (name: string, fn: HostFunction) =>
    context.newFunction(name, (...handles) => {
      if (fast.maxArgs === 0 || handles.length > fast.maxArgs) return fail('malformed host call');
      const args: PlainValue[] = [];
      for (const handle of handles) {
        const value = readFast(handle);
        if (value === NOT_FAST) return fail(`${hostApiName}.${name}: malformed arguments`);
        args.push(value);
      }
      return invokeHost(name, fn, args);
    });

  let helpers: { load: QuickJSHandle; call: QuickJSHandle; callFast: QuickJSHandle; object: QuickJSHandle };
  {
    const factory = context.unwrapResult(context.evalCode(PRELUDE_SOURCE, 'prelude.js'));
    const apiNameHandle = context.newString(hostApiName);
    const namesHandle = context.newString(JSON.stringify(apiNames));
    const limitsHandle = context.newString(
      JSON.stringify({
        ...limits.values,
        maxOutputLength: limits.maxOutputLength,
        fastMaxArgs: fast.maxArgs,
        fastMaxString: fast.maxString,
      }),
    );
    const fastFnsHandle = context.newArray();
    apiNames.forEach((name, i) => {
      const fn = hostFastFunction(name, hostApi[name] as HostFunction);
      context.setProp(fastFnsHandle, i, fn);
      fn.dispose();
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
    for (const handle of [
      factory,
      apiNameHandle,
      namesHandle,
      limitsHandle,
      fastFnsHandle,
      hostCall,
      hostLog,
      hostNow,
    ])
      handle.dispose();
    helpers = {
      object,
      load: context.getProp(object, 'load'),
      call: context.getProp(object, 'call'),
      callFast: context.getProp(object, 'callFast'),
    };
  }
  steps = 0; // the prelude's own steps are not the learner's

  // The last export name called, kept as a guest string so a loop of calls
  // does not re-create it. A nested call gets a string of its own: replacing
  // the cached one would free the string the outer call is using.
  let cachedName: { text: string; handle: QuickJSHandle } | null = null;
  const withName = (text: string, use: (name: QuickJSHandle) => VmCallResult<QuickJSHandle>) => {
    if (depth > 1) {
      const handle = context.newString(text);
      try {
        return use(handle);
      } finally {
        handle.dispose();
      }
    }
    if (cachedName?.text !== text) {
      const handle = context.newString(text);
      cachedName?.handle.dispose();
      cachedName = { text, handle };
    }
    return use(cachedName.handle);
  };

  /** Requests running: 1 for a call from the host, more while a host function the guest called calls back in. */
  let depth = 0;
  /** The running request's budget kind, inherited by a nested request that the outer one's budget bounds. */
  let runningBudget: 'call' | 'total' = 'call';

  /**
   * Runs guest code under the CPU budget and turns whatever happens into a
   * verdict. A host function the guest called may call back in (a kernel
   * operation that runs another of the learner's hooks): the nested request
   * runs within what is left of the outer one's budget and wall-clock time,
   * its steps count for both, and if it spends the outer budget the outer
   * request stops at its next poll.
   */
  const run = <T>(
    what: string,
    body: () => VmCallResult<QuickJSHandle>,
    onValue: (payload: string) => T | Failure,
    onDirect: ((value: PlainValue) => T) | null = null,
  ): T | Failure => {
    if (disposed) throw new SandboxUsageError('sandbox: used after dispose()');
    if (busy && !inHostCall) throw new SandboxUsageError(`sandbox: ${what} while another request is running`);
    if (depth >= MAX_NESTING) {
      throw new SandboxNestingError(
        `sandbox: ${what} refused — guest code and host functions called each other ${MAX_NESTING} levels deep`,
      );
    }
    if (crashed !== null) return { kind: 'crashed', message: crashed };
    const remaining = stepsTotal - steps;
    if (remaining <= 0) return { kind: 'timeout', limit: 'cpu', budget: 'total', ms: limits.cpuMsTotal };
    let budget: 'call' | 'total' = remaining < stepsPerCall ? 'total' : 'call';
    let limit = steps + Math.min(remaining, stepsPerCall);
    const outer = depth === 0 ? null : { stepLimit, wallDeadline, interrupted, budget: runningBudget };
    if (outer !== null && outer.stepLimit <= limit) {
      limit = outer.stepLimit;
      budget = outer.budget;
    }
    if (limit <= steps) return timeout(budget);
    busy = true;
    inHostCall = false;
    depth += 1;
    interrupted = null;
    stepLimit = limit;
    runningBudget = budget;
    wallDeadline = Math.min(now() + wallMsPerCall, outer?.wallDeadline ?? Number.POSITIVE_INFINITY);
    const timedOut = (): Failure | null => {
      if (interrupted === 'wall') return { kind: 'timeout', limit: 'wall', ms: wallMsPerCall };
      // Spent in a refused host call, then returned or threw before a poll: still the budget's verdict.
      return interrupted === 'steps' || steps >= limit ? timeout(budget) : null;
    };
    // A nested request that trapped the instance while this one waited in a
    // host function: whatever this request's guest code did afterwards ran on
    // a broken engine, so the nested request's verdict stands for both.
    const crashedBefore = crashed;
    const brokenByNested = (): Failure | null =>
      crashedBefore === null && crashed !== null
        ? (crashVerdict ?? { kind: 'crashed', message: crashed })
        : null;
    try {
      const result = body();
      const broken = brokenByNested();
      if (broken !== null) return broken;
      if (result.error !== undefined) {
        const failure = rawFailure(result.error);
        result.error.dispose();
        return timedOut() ?? failure;
      }
      if (result.value === undefined) return { kind: 'crashed', message: 'the engine returned nothing' };
      // A helper answers with a tagged string or, on the fast path, a primitive
      // (number, boolean, undefined for null). Only its type is trusted, and it
      // is checked before the value is read.
      let tagged = '';
      let direct: PlainValue | typeof NOT_FAST = NOT_FAST;
      const type = context.typeof(result.value);
      if (type === 'string') tagged = context.getString(result.value);
      else if (
        onDirect !== null &&
        fast.maxArgs > 0 &&
        (type === 'number' || type === 'boolean' || type === 'undefined')
      )
        direct = readFast(result.value);
      result.value.dispose();
      const stopped = timedOut();
      if (stopped !== null) return stopped;
      if (direct !== NOT_FAST && onDirect !== null) return onDirect(direct);
      return classify(tagged, onValue, onDirect);
    } catch (error) {
      const broken = brokenByNested();
      if (broken !== null) return broken;
      // A trap of the WebAssembly instance itself: nothing in it can be
      // trusted any more, so every later request gets `crashed`. With a fixed
      // memory the usual cause is the bridge writing through a failed
      // allocation (the guest kept its heap full), which is a memory verdict.
      const message = error instanceof Error ? error.message : String(error);
      const outOfMemory = /out of bounds|OOM|enlarge memory/.test(message);
      crashed = scrubHostPaths(
        outOfMemory
          ? `the sandbox ran out of memory (${message}) and cannot be used again`
          : `the engine failed: ${message}`,
      );
      const stopped = timedOut();
      if (stopped !== null) return stopped;
      crashVerdict = outOfMemory
        ? { kind: 'memory-limit', bytes: pages * WASM_PAGE }
        : { kind: 'crashed', message: crashed };
      return crashVerdict;
    } finally {
      depth -= 1;
      if (outer === null) {
        stepLimit = Number.POSITIVE_INFINITY;
        wallDeadline = Number.POSITIVE_INFINITY;
        busy = false;
      } else {
        // Back in the outer request's host function.
        stepLimit = outer.stepLimit;
        wallDeadline = outer.wallDeadline;
        runningBudget = outer.budget;
        inHostCall = true;
        interrupted =
          steps >= outer.stepLimit ? 'steps' : now() > outer.wallDeadline ? 'wall' : outer.interrupted;
        // After a trap the outer request must not run on: stop it at its next
        // poll and refuse its host calls.
        if (crashed !== null) {
          stepLimit = steps;
          interrupted ??= 'steps';
        }
      }
    }
  };

  const timeout = (budget: 'call' | 'total'): Failure => ({
    kind: 'timeout',
    limit: 'cpu',
    budget,
    ms: budget === 'call' ? limits.cpuMsPerCall : limits.cpuMsTotal,
  });

  /** An exception that escaped the prelude's own handlers (out of memory while describing an error, an interrupt). */
  const rawFailure = (error: QuickJSHandle): Failure => {
    let name = 'Error';
    let message = 'unknown error';
    if (context.typeof(error) === 'object' && context.eq(error, context.null))
      return verdictForError('Thrown', 'null');
    try {
      const n = context.getProp(error, 'name');
      const m = context.getProp(error, 'message');
      if (context.typeof(n) === 'string') name = context.getString(n);
      if (context.typeof(m) === 'string') message = context.getString(m);
      n.dispose();
      m.dispose();
    } catch {
      // Reading the error failed too; the generic message stands.
    }
    return verdictForError(name, message);
  };

  const verdictForError = (name: string, message: string): Failure => {
    if (name === 'InternalError' && message === 'stack overflow') return { kind: 'stack-overflow' };
    if (name === 'InternalError' && message === 'out of memory')
      return { kind: 'memory-limit', bytes: pages * WASM_PAGE };
    if (name === 'Thrown' && message === 'null' && heapReachedEnd(wasmMemory))
      return { kind: 'memory-limit', bytes: pages * WASM_PAGE };
    return { kind: 'error', name: scrubHostPaths(name), message: scrubHostPaths(message) };
  };

  const classify = <T>(
    tagged: string,
    onValue: (payload: string) => T | Failure,
    onDirect: ((value: PlainValue) => T) | null,
  ): T | Failure => {
    const tag = tagged.charAt(0);
    const rest = tagged.slice(1);
    if (tag === 'v') return onValue(rest);
    if (tag === 's' && onDirect !== null && fast.maxArgs > 0 && isFastString(rest, fast.maxString))
      return onDirect(rest);
    if (tag === 'x') return { kind: 'invalid-value', message: scrubHostPaths(rest) };
    if (tag === 'e') {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (parsed !== null && typeof parsed === 'object') {
          const { name, message } = parsed as { name?: unknown; message?: unknown };
          if (typeof name === 'string' && typeof message === 'string') return verdictForError(name, message);
        }
      } catch {
        // fall through
      }
    }
    return { kind: 'error', name: 'Error', message: 'the sandbox returned a malformed result' };
  };

  const okValue = (value: PlainValue): CallResult => ({ kind: 'ok', value });

  /** A host argument the fast path passes as a QuickJS value (undefined becomes null, as when encoded). */
  const isFastArgument = (arg: unknown): boolean => {
    const type = typeof arg;
    return (
      type === 'number' ||
      type === 'boolean' ||
      arg === null ||
      arg === undefined ||
      (type === 'string' && isFastString(arg as string, fast.maxString))
    );
  };

  const fastHandle = (arg: unknown): QuickJSHandle => {
    switch (typeof arg) {
      case 'number':
        return context.newNumber(arg === 0 ? 0 : arg);
      case 'boolean':
        return arg ? context.true : context.false;
      case 'string':
        return context.newString(arg);
      default:
        return context.null;
    }
  };

  const decodeOrInvalid = (payload: string): { kind: 'ok'; value: PlainValue } | Failure => {
    const decoded = decodePlain(payload, limits.values);
    return decoded.kind === 'ok' ? decoded : { kind: 'invalid-value', message: decoded.message };
  };

  return {
    load(code) {
      if (loaded && !disposed) throw new SandboxUsageError('sandbox: load() may be called once');
      return run(
        'load',
        () => {
          loaded = true;
          // Same first line as the code, so guest stack traces keep its line numbers.
          const factory = context.evalCode(`(function (module, exports, require) {${code}\n})`, 'learner.js');
          if ('error' in factory) return factory;
          try {
            return context.callFunction(helpers.load, context.undefined, factory.value);
          } finally {
            factory.value.dispose();
          }
        },
        (payload): LoadResult => {
          const decoded = decodeOrInvalid(payload);
          if (decoded.kind !== 'ok') return decoded;
          const names = Array.isArray(decoded.value)
            ? decoded.value.filter((n) => typeof n === 'string')
            : [];
          return { kind: 'ok', exports: names };
        },
      );
    },

    call(exportName, args = []) {
      if (!loaded && !disposed) throw new SandboxUsageError('sandbox: call() before load()');
      if (fast.maxArgs > 0 && args.length <= fast.maxArgs && args.every(isFastArgument)) {
        return run(
          `call of ${exportName}()`,
          () => {
            const handles: QuickJSHandle[] = [];
            try {
              for (const arg of args) handles.push(fastHandle(arg));
              return withName(exportName, (name) => context.callFunction(helpers.callFast, name, handles));
            } finally {
              for (const handle of handles) handle.dispose();
            }
          },
          decodeOrInvalid,
          okValue,
        );
      }
      const encoded = encodePlain(
        [...args],
        { context: `the arguments of ${exportName}()`, name: 'args' },
        limits.values,
      );
      if (encoded.kind === 'err') throw new TypeError(encoded.message);
      return run(
        `call of ${exportName}()`,
        () => {
          const payload = context.newString(encoded.payload);
          try {
            return withName(exportName, (name) =>
              context.callFunction(helpers.call, context.undefined, name, payload),
            );
          } finally {
            payload.dispose();
          }
        },
        decodeOrInvalid,
        okValue,
      );
    },

    output() {
      return { text: output, truncated };
    },

    cpuMsUsed() {
      return steps / STEPS_PER_CPU_MS;
    },

    stepsUsed() {
      return steps;
    },

    dispose() {
      if (disposed) return;
      if (busy) throw new SandboxUsageError('sandbox: dispose() while a request is running');
      disposed = true;
      try {
        cachedName?.handle.dispose();
        cachedName = null;
        helpers.load.dispose();
        helpers.call.dispose();
        helpers.callFast.dispose();
        helpers.object.dispose();
        context.dispose();
        runtime.dispose();
      } catch {
        // A crashed or exhausted instance may fail to tear down; its memory is
        // released with the WebAssembly instance when nothing references it.
      }
    },
  };
}
