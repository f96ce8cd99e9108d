export * from './exercise/index.ts';
export * from './json-schema.ts';
export * from './junit.ts';
export {
  BRIDGED_HOOKS,
  type BridgedHookName,
  createKernelBridge,
  createLearnerHookFactory,
  describeVerdict,
  GUEST_KERNEL_METHODS,
  GUEST_UACCESS_METHODS,
  type GuestKernelMethod,
  KernelArgumentError,
  type KernelBridge,
  type LearnerHookFactory,
  LearnerHookFailure,
  type LearnerHookLease,
  type LearnerHooksOptions,
  type LearnerHookVerdict,
  type LoadLearnerHooksResult,
  learnerHooks,
  loadLearnerHooks,
  RENAMED_KERNEL_METHODS,
} from './kernel-bridge/index.ts';
export * from './limits.ts';
export * from './report.ts';
export * from './runner/index.ts';
export * from './text.ts';
export * from './view.ts';
