/**
 * The host-call paths: what happens when the guest calls `hostLog`,
 * `hostNow`, `hostCall` or a fast host function (see the prelude). Every one
 * is charged to the running request (`HOST_CALL_STEPS`); a call the budget
 * refuses becomes a guest error, never a host call. Host errors reach the
 * guest with host paths scrubbed; a host result that is not plain data is a
 * guest error too.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import { decodePlain, encodePlain, type PlainLimits, type PlainValue } from '../plain.ts';
import { scrubHostPaths } from '../scrub.ts';
import { type FastBounds, isFastString, NOT_FAST, readFast } from './fast-path.ts';
import type { GuestAnswer, HostSide } from './instance.ts';
import { GUEST_EPOCH_MS, STEPS_PER_CPU_MS } from './limits.ts';
import type { HostFunction } from './types.ts';

/** Console output kept on the host; the guest caps it too. */
export interface ConsoleCapture {
  text: string;
  truncated: boolean;
}

/** What the host-call paths need of the session they serve. */
export interface HostCallPort {
  readonly context: QuickJSContext;
  readonly fast: FastBounds;
  readonly values: PlainLimits;
  readonly maxOutputLength: number;
  readonly hostApiName: string;
  /** The host API, looked up by name at each encoded call. */
  readonly hostApi: Readonly<Record<string, HostFunction>>;
  /** The host API's functions as they were when the session started, for the fast path. */
  readonly fastFunctions: ReadonlyMap<string, HostFunction | undefined>;
  readonly console: ConsoleCapture;
  /** The steps counted so far (the guest's clock runs on them). */
  steps(): number;
  /** Charges one host call to the running request; false when it must be refused. */
  charge(): boolean;
  /** Runs a host API function, with the sandbox marked as inside a host call (a nested request may start). */
  insideHostCall<T>(run: () => T): T;
}

export function hostCallPaths(port: HostCallPort): Omit<HostSide, 'poll'> {
  const { context, fast, hostApiName, hostApi } = port;

  const fail = (message: string) => ({
    error: context.newError({ name: 'Error', message: scrubHostPaths(message) }),
  });

  /** Runs a host function and hands its result to the guest (see `hostResult` in the prelude). */
  const invokeHost = (name: string, fn: HostFunction, args: PlainValue[]): GuestAnswer => {
    if (!port.charge()) return fail(`${hostApiName}.${name} not called: the time limit is reached`);
    let result: unknown;
    try {
      result = port.insideHostCall(() => fn(...args));
    } catch (error) {
      return fail(`${hostApiName}.${name} failed: ${error instanceof Error ? error.message : String(error)}`);
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
      port.values,
    );
    if (encoded.kind === 'err') return fail(encoded.message);
    return context.newString(encoded.payload);
  };

  const lookup = (name: string): HostFunction | undefined =>
    Object.hasOwn(hostApi, name) ? hostApi[name] : undefined;

  return {
    log(textHandle, truncatedHandle) {
      if (!port.charge()) return;
      if (
        truncatedHandle !== undefined &&
        context.typeof(truncatedHandle) === 'boolean' &&
        context.dump(truncatedHandle) === true
      ) {
        port.console.truncated = true;
      }
      if (textHandle === undefined || context.typeof(textHandle) !== 'string') return;
      const text = context.getString(textHandle);
      const room = port.maxOutputLength - port.console.text.length;
      if (text.length > room) port.console.truncated = true;
      if (room > 0) port.console.text += text.slice(0, room);
    },

    /**
     * The guest's clock (its `Date.now()`, `new Date()`): the fixed epoch plus
     * the steps counted so far, in whole budget ms. Reading it is charged as a host
     * call, so a loop that waits on it moves it and spends its budget.
     */
    now() {
      port.charge();
      // Whole ms, as Date.now() always is.
      return context.newNumber(GUEST_EPOCH_MS + Math.floor(port.steps() / STEPS_PER_CPU_MS));
    },

    call(nameHandle, payloadHandle) {
      if (
        nameHandle === undefined ||
        payloadHandle === undefined ||
        context.typeof(nameHandle) !== 'string' ||
        context.typeof(payloadHandle) !== 'string'
      ) {
        return fail('malformed host call');
      }
      const name = context.getString(nameHandle);
      const fn = lookup(name);
      if (fn === undefined) return fail(`${hostApiName}.${name} is not a host function`);
      const args = decodePlain(context.getString(payloadHandle), port.values);
      if (args.kind === 'err' || !Array.isArray(args.value)) {
        return fail(`${hostApiName}.${name}: ${args.kind === 'err' ? args.message : 'malformed arguments'}`);
      }
      return invokeHost(name, fn, args.value);
    },

    /** One per host API function: called by the prelude with primitive arguments as they are. */
    callFast(name, handles: QuickJSHandle[]) {
      const fn = port.fastFunctions.get(name);
      if (fn === undefined) return fail(`${hostApiName}.${name} is not a host function`);
      if (fast.maxArgs === 0 || handles.length > fast.maxArgs) return fail('malformed host call');
      const args: PlainValue[] = [];
      for (const handle of handles) {
        const value = readFast(context, fast, handle);
        if (value === NOT_FAST) return fail(`${hostApiName}.${name}: malformed arguments`);
        args.push(value);
      }
      return invokeHost(name, fn, args);
    },
  };
}
