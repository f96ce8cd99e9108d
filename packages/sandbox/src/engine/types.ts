/** The engine's public shapes: what a host passes in, and the verdicts it gets back. */
import type { PlainValue } from '../plain.ts';
import type { SandboxLimits } from './limits.ts';

export type HostFunction = (...args: PlainValue[]) => PlainValue | undefined;

export interface SandboxOptions {
  /**
   * Functions the guest may call, exposed as `globalThis[hostApiName]`.
   * Arguments and results are plain data. A name with one dot groups:
   * `'hooks.swapIn'` is `kernel.hooks.swapIn` in the guest.
   */
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

/** Raised to the host when the host misuses a sandbox (nesting too deep, double load, use after dispose). */
export class SandboxUsageError extends Error {
  override name = 'SandboxUsageError';
}

/** Guest code and host functions called each other more than `MAX_NESTING` deep. */
export class SandboxNestingError extends SandboxUsageError {
  override name = 'SandboxNestingError';
}
