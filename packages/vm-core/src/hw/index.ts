/**
 * The machine, as a CPU manual describes it: physical memory, paging formats,
 * the walk, the TLB, faults, and the MMU that ties them together.
 */
export * from './access.ts';
export * from './address.ts';
export * from './control.ts';
export * from './entry.ts';
export {
  type BitField,
  bit,
  bits,
  type EntryBits,
  type FlagBits,
  isModelled,
  maskOf,
  NO_BITS,
  NOT_MODELLED,
  type NotModelled,
  union,
} from './entry-bits.ts';
export * from './events.ts';
export * from './fault.ts';
export * from './format-validation.ts';
export * from './formats/index.ts';
export * from './mmu.ts';
export * from './page-table-dump.ts';
export * from './page-table-editor.ts';
export * from './paging-format.ts';
export { Perm, type PermissionTable, permissionTableFor } from './permissions.ts';
export * from './physical-memory.ts';
export * from './tlb.ts';
export { type CompiledFormat, compileFormat, WalkResult, walk } from './walk.ts';
