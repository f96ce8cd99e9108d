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

  const hostCall = context.newFunction('hostCall', (nameHandle, payloadHandle) => {
    const fail = (message: string) => ({
      error: context.newError({ name: 'Error', message: scrubHostPaths(message) }),
    });
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
    let result: unknown;
    inHostCall = true;
    try {
      result = fn(...args.value);
    } catch (error) {
      return fail(`${hostApiName}.${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      inHostCall = false;
    }
    const encoded = encodePlain(
      result,
      { context: `the value returned by ${hostApiName}.${name}()`, name: 'result' },
      limits.values,
    );
    if (encoded.kind === 'err') return fail(encoded.message);
    return context.newString(encoded.payload);
  });

  let helpers: { load: QuickJSHandle; call: QuickJSHandle; object: QuickJSHandle };
  {
    const factory = context.unwrapResult(context.evalCode(PRELUDE_SOURCE, 'prelude.js'));
    const apiNameHandle = context.newString(hostApiName);
    const namesHandle = context.newString(JSON.stringify(apiNames));
    const limitsHandle = context.newString(
      JSON.stringify({ ...limits.values, maxOutputLength: limits.maxOutputLength }),
    );
    const object = context.unwrapResult(
      context.callFunction(
        factory,
        context.undefined,
        hostCall,
        hostLog,
        apiNameHandle,
        namesHandle,
        limitsHandle,
      ),
    );
    for (const handle of [factory, apiNameHandle, namesHandle, limitsHandle, hostCall, hostLog])
      handle.dispose();
    helpers = { object, load: context.getProp(object, 'load'), call: context.getProp(object, 'call') };
  }

  /** Runs guest code under the CPU budget and turns whatever happens into a verdict. */
  const run = <T>(
    what: string,
    body: () => VmCallResult<QuickJSHandle>,
    onValue: (payload: string) => T | Failure,
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
      const tagged = context.typeof(result.value) === 'string' ? context.getString(result.value) : '';
      result.value.dispose();
      return interrupted ? timeout(budget) : classify(tagged, onValue);
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

  const classify = <T>(tagged: string, onValue: (payload: string) => T | Failure): T | Failure => {
    const tag = tagged.charAt(0);
    const rest = tagged.slice(1);
    if (tag === 'v') return onValue(rest);
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
      const encoded = encodePlain(
        [...args],
        { context: `the arguments of ${exportName}()`, name: 'args' },
        limits.values,
      );
      if (encoded.kind === 'err') throw new TypeError(encoded.message);
      return run(
        `call of ${exportName}()`,
        () => {
          const name = context.newString(exportName);
          const payload = context.newString(encoded.payload);
          try {
            return context.callFunction(helpers.call, context.undefined, name, payload);
          } finally {
            name.dispose();
            payload.dispose();
          }
        },
        decodeOrInvalid,
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
        helpers.load.dispose();
        helpers.call.dispose();
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
