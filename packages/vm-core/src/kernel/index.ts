/**
 * The kernel layer: a Linux-like memory manager on the simulated machine,
 * with its replaceable pieces as hooks.
 */
export * from './abi.ts';
export {
  type ArchTerms,
  architectures,
  describeEsr,
  KERNEL_ARCHES,
  type KernelArchitecture,
  type LeafProt,
  type PteOps,
} from './arch/index.ts';
export * from './events.ts';
export { FrameDatabase, MAX_ORDER, PageFlag } from './frames.ts';
export * from './hooks.ts';
export { checkInvariants } from './invariants.ts';
export * from './kernel.ts';
export { type HookApiFacts, hookApiFacts } from './kernel-api.ts';
export * from './layout.ts';
export * from './linux-version.ts';
export { Mm } from './mm.ts';
export * from './reference-hooks.ts';
export * from './scheduler.ts';
export {
  DEFAULT_ACTION,
  type ForcedBecause,
  type SignalAction,
  type SignalDisposition,
  type SignalFrameRecord,
  type SignalHandler,
  SignalHandlers,
  type SigprocmaskHow,
} from './signal.ts';
export * from './uaccess.ts';
export { type Vma, VmFlag, vmaPermissions } from './vma.ts';
