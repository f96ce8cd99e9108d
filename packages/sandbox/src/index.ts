/// <reference path="./webassembly.d.ts" />
// (The few WebAssembly declarations the engine's types use, which neither the
// base lib nor @types/node 20 has: a program that imports this package's
// entry point gets them with it, so no consumer needs to know the file.)
/**
 * A general engine for untrusted code: QuickJS in WebAssembly with hard
 * limits (`createSandbox`), a pool of workers under a wall-clock watchdog
 * (`createPool`), the TypeScript transpiler the guest's code goes through,
 * and the one host-path scrubber. Whatever a host offers the guest is its
 * own `hostApi` (see the README); the sandbox knows nothing of
 * kernels or grading.
 */
export {
  type CallResult,
  type ConsoleOutput,
  createSandbox,
  createSandboxFactory,
  DEFAULT_LIMITS,
  type FactoryStats,
  type Failure,
  type HostFunction,
  type LeasedSandbox,
  type LeaseOptions,
  type LoadResult,
  MAX_NESTING,
  type Sandbox,
  type SandboxFactory,
  type SandboxFactoryOptions,
  type SandboxLimits,
  SandboxNestingError,
  type SandboxOptions,
  SandboxUsageError,
} from './engine.ts';
export type { PlainLimits, PlainValue } from './plain.ts';
export { createPool, type JobResult, type Pool, type PoolOptions, type WatchdogTimer } from './pool.ts';
export type { CallRequest, CallsReport, Driver, DriverEnv } from './protocol.ts';
export { HOST_PATH, type ScrubOptions, scrubHostPaths, scrubHostText } from './scrub.ts';
export { type CompileError, type TranspileResult, transpile, utf16Column } from './transpile.ts';
export { compileQuickJSModule } from './wasm-node.ts';
