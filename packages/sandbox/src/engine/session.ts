/**
 * A sandbox: one session of learner requests on a booted instance. It owns
 * the lifecycle state, the step count, the console output and the host API
 * the guest talks to, and answers the instance's host functions and
 * interrupt polls while it is bound.
 *
 * `createSandbox` gives a session its own instance; a snapshot factory gives
 * each session a restored one (`factory.ts`). Either way the session starts
 * from what the instance holds: nothing loaded (`fresh`), or the learner's
 * module loaded with the steps and output its load spent.
 */
import type { QuickJSHandle } from 'quickjs-emscripten';
import { decodePlain, encodePlain, type PlainValue } from '../plain.ts';
import {
  chargeHostCall,
  type Meter,
  openRequest,
  pollRequest,
  resumeOuter,
  stoppedVerdict,
} from './budget.ts';
import { fastHandle, isFastArgument, NOT_FAST, readFast } from './fast-path.ts';
import { type ConsoleCapture, hostCallPaths } from './host-calls.ts';
import type { HelperResult, HostSide, Instance } from './instance.ts';
import {
  admit,
  brokenDuring,
  type Lifecycle,
  type LifecycleEvent,
  runningRequest,
  transition,
} from './lifecycle.ts';
import { HOST_CALL_STEPS, STEPS_PER_CPU_MS, STEPS_PER_POLL, type StepBudgets } from './limits.ts';
import type { CallResult, Failure, HostFunction, LoadResult, Sandbox } from './types.ts';
import { SandboxUsageError } from './types.ts';
import { classifyTagged, rawFailure, trapVerdict } from './verdict.ts';

/** Where a session starts: an instance with nothing loaded, or one whose module is loaded (a restored snapshot). */
export type SessionStart =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'loaded'; readonly steps: number; readonly console: Readonly<ConsoleCapture> };

export interface SessionOptions {
  readonly budgets: StepBudgets;
  readonly clock: () => number;
  readonly hostApi: Readonly<Record<string, HostFunction>>;
  readonly start: SessionStart;
  /** Called once when the sandbox is disposed, after its own handles are freed; `crashed` when the instance trapped (it must not be used again). */
  readonly onDispose: (crashed: boolean) => void;
}

/** What a session tells its owner beyond the Sandbox interface. */
export interface Session {
  readonly sandbox: Sandbox;
  /** Host API calls the guest made (fast and encoded; console and clock excluded). */
  hostApiCalls(): number;
  /** Whether the lifecycle is at rest with the module loaded and the instance intact. */
  loadedAndIntact(): boolean;
}

export function openSession(instance: Instance, options: SessionOptions): Session {
  const { context, helpers, fast, setup } = instance;
  const meter: Meter = {
    steps: options.start.kind === 'loaded' ? options.start.steps : 0,
    budgets: options.budgets,
    now: options.clock,
  };
  const capture: ConsoleCapture =
    options.start.kind === 'loaded' ? { ...options.start.console } : { text: '', truncated: false };
  let state: Lifecycle = options.start.kind === 'loaded' ? { kind: 'loaded' } : { kind: 'fresh' };
  const change = (event: LifecycleEvent) => {
    state = transition(state, event);
  };
  let apiCalls = 0;

  const paths = hostCallPaths({
    context,
    fast,
    values: setup.values,
    maxOutputLength: setup.maxOutputLength,
    hostApiName: setup.hostApiName,
    hostApi: options.hostApi,
    fastFunctions: new Map(setup.apiNames.map((name) => [name, options.hostApi[name]])),
    console: capture,
    steps: () => meter.steps,
    charge() {
      const request = runningRequest(state);
      if (request !== null) return chargeHostCall(meter, request);
      // Guest code runs only inside requests; nothing to limit otherwise.
      meter.steps += HOST_CALL_STEPS;
      return true;
    },
    insideHostCall(run) {
      apiCalls += 1;
      change({ kind: 'enter-host' });
      try {
        return run();
      } finally {
        change({ kind: 'leave-host' });
      }
    },
  });
  const side: HostSide = {
    ...paths,
    poll() {
      const request = runningRequest(state);
      if (request !== null) return pollRequest(meter, request);
      meter.steps += STEPS_PER_POLL;
      return false;
    },
  };
  instance.bind(side);

  // The last export name called, kept as a guest string so a loop of calls
  // does not re-create it. A nested call gets a string of its own: replacing
  // the cached one would free the string the outer call is using.
  let cachedName: { text: string; handle: QuickJSHandle } | null = null;
  const withName = (text: string, use: (name: QuickJSHandle) => HelperResult) => {
    if ((runningRequest(state)?.depth ?? 0) > 1) {
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

  /**
   * Runs guest code under the CPU budget and turns whatever happens into a
   * verdict (see budget.ts for how a nested request shares its outer one's
   * budget).
   */
  const run = <T>(
    what: string,
    body: () => HelperResult,
    onValue: (payload: string) => T | Failure,
    onDirect: ((value: PlainValue) => T) | null = null,
  ): T | Failure => {
    const admitted = admit(state, what);
    if (admitted.kind === 'crashed') return { kind: 'crashed', message: admitted.message };
    const opened = openRequest(meter, what, admitted.outer);
    if (opened.kind === 'refused') return opened.verdict;
    const { request } = opened;
    change({ kind: 'begin', request });
    const stopped = () => stoppedVerdict(meter, request);
    // A nested request that trapped the instance while this one waited in a
    // host function: whatever this request's guest code did afterwards ran on
    // a broken engine, so the nested request's verdict stands for both.
    const brokenByNested = (): Failure | null => {
      const broken = brokenDuring(state);
      return broken === null ? null : (broken.verdict ?? { kind: 'crashed', message: broken.message });
    };
    try {
      const result = body();
      const broken = brokenByNested();
      if (broken !== null) return broken;
      if (result.error !== undefined) {
        const failure = rawFailure(instance, result.error);
        result.error.dispose();
        return stopped() ?? failure;
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
        direct = readFast(context, fast, result.value);
      result.value.dispose();
      const stop = stopped();
      if (stop !== null) return stop;
      if (direct !== NOT_FAST && onDirect !== null) return onDirect(direct);
      return classifyTagged(instance, tagged, onValue, onDirect);
    } catch (error) {
      const broken = brokenByNested();
      if (broken !== null) return broken;
      const trap = trapVerdict(instance, error);
      const stop = stopped();
      change({
        kind: 'trap',
        broken: { message: trap.message, verdict: stop === null ? trap.verdict : null },
      });
      return stop ?? trap.verdict;
    } finally {
      change({ kind: 'end' });
      if (request.outer !== null) resumeOuter(meter, request.outer, brokenDuring(state) !== null);
    }
  };

  const decodeOrInvalid = (payload: string): { kind: 'ok'; value: PlainValue } | Failure => {
    const decoded = decodePlain(payload, setup.values);
    return decoded.kind === 'ok' ? decoded : { kind: 'invalid-value', message: decoded.message };
  };
  const okValue = (value: PlainValue): CallResult => ({ kind: 'ok', value });

  const sandbox: Sandbox = {
    load(code) {
      if (state.kind !== 'fresh' && state.kind !== 'disposed')
        throw new SandboxUsageError('sandbox: load() may be called once');
      return run(
        'load',
        () => {
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
      if (state.kind === 'fresh') throw new SandboxUsageError('sandbox: call() before load()');
      if (fast.maxArgs > 0 && args.length <= fast.maxArgs && args.every((arg) => isFastArgument(fast, arg))) {
        return run(
          `call of ${exportName}()`,
          () => {
            const handles: QuickJSHandle[] = [];
            try {
              for (const arg of args) handles.push(fastHandle(context, arg));
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
        setup.values,
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
      return { text: capture.text, truncated: capture.truncated };
    },

    cpuMsUsed() {
      return meter.steps / STEPS_PER_CPU_MS;
    },

    stepsUsed() {
      return meter.steps;
    },

    dispose() {
      if (state.kind === 'disposed') return;
      if (state.kind === 'busy') throw new SandboxUsageError('sandbox: dispose() while a request is running');
      let crashed = state.kind === 'crashed';
      change({ kind: 'dispose' });
      try {
        cachedName?.handle.dispose();
      } catch {
        // Freeing it failed, so the instance is broken: it goes, not back to a factory.
        crashed = true;
      }
      cachedName = null;
      options.onDispose(crashed);
    },
  };

  return {
    sandbox,
    hostApiCalls: () => apiCalls,
    loadedAndIntact: () => state.kind === 'loaded',
  };
}
