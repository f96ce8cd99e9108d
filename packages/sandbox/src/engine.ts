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
 * - CPU: an interrupt handler stops guest code once the call's budget or the
 *   sandbox's total budget is spent (wall time on the engine's thread,
 *   including time spent in host API functions).
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
  /** CPU budget of one `load` or `call`. */
  cpuMsPerCall: number;
  /** CPU budget of all `load` and `call`s of this sandbox together. */
  cpuMsTotal: number;
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
}

/** How a `load` or `call` ended when the guest did not produce a value. */
export type Failure =
  /** The learner's code threw (`name` is the error's name, or `Thrown` for a non-Error value). */
  | { kind: 'error'; name: string; message: string }
  /** The value returned by a hook cannot cross the boundary (function, Proxy, getter, cycle, class instance, too large). */
  | { kind: 'invalid-value'; message: string }
  | { kind: 'timeout'; limit: 'cpu'; budget: 'call' | 'total'; ms: number }
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
  /** CPU time the guest has used so far, in ms. */
  cpuMsUsed(): number;
  dispose(): void;
}

const MIB = 1024 * 1024;
const WASM_PAGE = 64 * 1024;

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

/** A marker for a QuickJS value that is not a fast-path primitive. */
const NOT_FAST = Symbol('not fast');

function now(): number {
  return performance.now();
}

/** Raised to the host when the host misuses a sandbox (re-entrancy, double load, use after dispose). */
export class SandboxUsageError extends Error {
  override name = 'SandboxUsageError';
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...options.limits };
  if (limits.memoryBytes < 16 * MIB)
    throw new RangeError('memoryBytes must be at least 16 MiB (QuickJS needs that to start)');
  const hostApi = options.hostApi ?? {};
  const hostApiName = options.hostApiName ?? 'kernel';
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
  let cpuUsed = 0;
  let deadline = Number.POSITIVE_INFINITY;
  let interrupted = false;
  let busy = false;
  let inHostCall = false;
  let loaded = false;
  let disposed = false;
  let crashed: string | null = null;

  runtime.setInterruptHandler(() => {
    if (now() <= deadline) return false;
    interrupted = true;
    return true;
  });

  const hostLog = context.newFunction('hostLog', (textHandle, truncatedHandle) => {
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
    ])
      handle.dispose();
    helpers = {
      object,
      load: context.getProp(object, 'load'),
      call: context.getProp(object, 'call'),
      callFast: context.getProp(object, 'callFast'),
    };
  }

  // The last export name called, kept as a guest string so a loop of calls does not re-create it.
  let cachedName: { text: string; handle: QuickJSHandle } | null = null;
  const nameHandle = (text: string): QuickJSHandle => {
    if (cachedName?.text !== text) {
      const handle = context.newString(text);
      cachedName?.handle.dispose();
      cachedName = { text, handle };
    }
    return cachedName.handle;
  };

  /** Runs guest code under the CPU budget and turns whatever happens into a verdict. */
  const run = <T>(
    what: string,
    body: () => VmCallResult<QuickJSHandle>,
    onValue: (payload: string) => T | Failure,
    onDirect: ((value: PlainValue) => T) | null = null,
  ): T | Failure => {
    if (disposed) throw new SandboxUsageError('sandbox: used after dispose()');
    if (inHostCall) {
      throw new SandboxUsageError(
        `sandbox: re-entrant ${what} refused — a host API function cannot call back into the guest`,
      );
    }
    if (busy) throw new SandboxUsageError(`sandbox: ${what} while another request is running`);
    if (crashed !== null) return { kind: 'crashed', message: crashed };
    const remaining = limits.cpuMsTotal - cpuUsed;
    if (remaining <= 0) return { kind: 'timeout', limit: 'cpu', budget: 'total', ms: limits.cpuMsTotal };
    const budget: 'call' | 'total' = remaining < limits.cpuMsPerCall ? 'total' : 'call';
    const start = now();
    busy = true;
    interrupted = false;
    deadline = start + Math.min(remaining, limits.cpuMsPerCall);
    try {
      const result = body();
      deadline = Number.POSITIVE_INFINITY;
      if (result.error !== undefined) {
        const failure = rawFailure(result.error);
        result.error.dispose();
        return interrupted ? timeout(budget) : failure;
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
      if (interrupted) return timeout(budget);
      if (direct !== NOT_FAST && onDirect !== null) return onDirect(direct);
      return classify(tagged, onValue, onDirect);
    } catch (error) {
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
      if (interrupted) return timeout(budget);
      return outOfMemory
        ? { kind: 'memory-limit', bytes: pages * WASM_PAGE }
        : { kind: 'crashed', message: crashed };
    } finally {
      deadline = Number.POSITIVE_INFINITY;
      busy = false;
      cpuUsed += now() - start;
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
      if (loaded && !disposed && !inHostCall)
        throw new SandboxUsageError('sandbox: load() may be called once');
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
      if (!loaded && !disposed && !inHostCall) throw new SandboxUsageError('sandbox: call() before load()');
      if (fast.maxArgs > 0 && args.length <= fast.maxArgs && args.every(isFastArgument)) {
        return run(
          `call of ${exportName}()`,
          () => {
            const handles: QuickJSHandle[] = [];
            try {
              for (const arg of args) handles.push(fastHandle(arg));
              return context.callFunction(helpers.callFast, nameHandle(exportName), handles);
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
            return context.callFunction(helpers.call, context.undefined, nameHandle(exportName), payload);
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
      return cpuUsed;
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
