export {
  type CallResult,
  type ConsoleOutput,
  createSandbox,
  DEFAULT_LIMITS,
  type Failure,
  type HostFunction,
  type LoadResult,
  MAX_NESTING,
  type Sandbox,
  type SandboxLimits,
  SandboxNestingError,
  type SandboxOptions,
  SandboxUsageError,
} from './engine.ts';
export {
  BRIDGED_HOOKS,
  type BridgedHookName,
  createKernelBridge,
  describeVerdict,
  GUEST_KERNEL_METHODS,
  GUEST_UACCESS_METHODS,
  KernelArgumentError,
  type KernelBridge,
  LearnerHookFailure,
  type LearnerHooksOptions,
  type LearnerHookVerdict,
  type LoadLearnerHooksResult,
  learnerHooks,
  loadLearnerHooks,
} from './kernel-bridge/index.ts';
export type { PlainLimits, PlainValue } from './plain.ts';
export { createPool, type JobResult, type Pool, type PoolOptions, type WatchdogTimer } from './pool.ts';
export type { CallRequest, CallsReport, Driver, DriverEnv } from './protocol.ts';
export { type CompileError, type TranspileResult, transpile } from './transpile.ts';
export { compileQuickJSModule } from './wasm-node.ts';
