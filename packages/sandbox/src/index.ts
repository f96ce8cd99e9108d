export {
  type CallResult,
  type ConsoleOutput,
  createSandbox,
  DEFAULT_LIMITS,
  type Failure,
  type HostFunction,
  type LoadResult,
  type Sandbox,
  type SandboxLimits,
  type SandboxOptions,
  SandboxUsageError,
} from './engine.ts';
export type { PlainLimits, PlainValue } from './plain.ts';
export { createPool, type JobResult, type Pool, type PoolOptions } from './pool.ts';
export type { CallRequest, CallsReport, Driver, DriverEnv } from './protocol.ts';
export { type CompileError, type TranspileResult, transpile } from './transpile.ts';
