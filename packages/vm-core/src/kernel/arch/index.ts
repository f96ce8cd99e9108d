/** The architectures the kernel runs on, by name. */
import type { KernelArch, KernelArchitecture } from './arch.ts';
import { arm64Architecture6_1 } from './arm64.ts';
import { riscvSv39Architecture } from './riscv.ts';
import { x86_32Architecture, x86_64Architecture } from './x86.ts';

export type { ArchTerms, KernelArch, KernelArchitecture, LeafProt, PteOps } from './arch.ts';
export { describeEsr } from './arm64.ts';

export const architectures: Readonly<Record<KernelArch, KernelArchitecture>> = {
  'x86-64': x86_64Architecture,
  'x86-32': x86_32Architecture,
  'riscv-sv39': riscvSv39Architecture,
  arm64: arm64Architecture6_1,
};

/** Every architecture's name, in the order they are listed to users. */
export const KERNEL_ARCHES = Object.keys(architectures) as readonly KernelArch[];

/** What each architecture's kernel dies with when it touches user memory outside the window. */
export function userAccessViolation(arch: KernelArch): string {
  return architectures[arch].userAccessViolation;
}

/** access_error(): whether the VMA forbids the access that faulted, by the architecture's rule. */
export function accessError(
  arch: KernelArch,
  fault: Parameters<NonNullable<KernelArchitecture['accessError']>>[0],
  vma: Parameters<NonNullable<KernelArchitecture['accessError']>>[1],
): boolean {
  const rule = architectures[arch].accessError;
  if (rule !== undefined) return rule(fault, vma);
  // x86's access_error(): a present page that still faulted on a read or
  // fetch is one the rights forbid.
  if (fault.write) return !vma.write;
  if (fault.present) return true;
  return !(vma.read || vma.write || vma.exec);
}
