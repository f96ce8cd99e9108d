/**
 * The engine: QuickJS (WebAssembly) instances for untrusted code, with hard
 * limits. This module is its public face; the parts live in `engine/`:
 *
 * - `limits.ts`: the limits, their defaults and exchange rates (CPU budgets
 *   are counted in interpreter steps, so a verdict is the same on every
 *   machine; a wall-clock cap per request is the safety net).
 * - `instance.ts`: one booted QuickJS instance (fixed-size memory, stack
 *   limit, interrupt handler, the prelude and its raw host functions).
 * - `lifecycle.ts`: a sandbox's state (fresh | loaded | busy | crashed |
 *   disposed) and its one transition function.
 * - `budget.ts`: step accounting per request, nested requests, the clock.
 * - `host-calls.ts`: console, the guest's clock and host API calls.
 * - `verdict.ts`: what an answer, an exception or a trap means.
 * - `session.ts`: a sandbox (load, call, output, dispose) on an instance.
 * - `create.ts`: `createSandbox`, a sandbox on an instance of its own.
 * - `snapshot.ts`, `factory.ts`: a loaded instance snapshotted once and
 *   restored in place for each sandbox handed out (`createSandboxFactory`).
 * - `instance-cache.ts`: booted instances kept between factories, each
 *   restored to its boot image for the next (`releaseIdleInstances` frees
 *   them).
 *
 * Only web-standard APIs are used (WebAssembly, performance), so a browser
 * Web Worker can run this code too. The Node worker (`worker.ts`) passes a
 * precompiled `WebAssembly.Module` so each sandbox only instantiates it.
 */
export { createSandbox } from './engine/create.ts';
export {
  createSandboxFactory,
  type FactoryStats,
  type LeasedSandbox,
  type LeaseOptions,
  type SandboxFactory,
  type SandboxFactoryOptions,
} from './engine/factory.ts';
export { releaseIdleInstances } from './engine/instance-cache.ts';
export {
  DEFAULT_LIMITS,
  GUEST_EPOCH_MS,
  HOST_CALL_STEPS,
  MAX_NESTING,
  type SandboxLimits,
  STEPS_PER_CPU_MS,
  WALL_FACTOR,
} from './engine/limits.ts';
export {
  type CallResult,
  type ConsoleOutput,
  type Failure,
  type HostFunction,
  type LoadResult,
  type Sandbox,
  SandboxNestingError,
  type SandboxOptions,
  SandboxUsageError,
} from './engine/types.ts';
