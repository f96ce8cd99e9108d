/** The architectures the kernel runs on, by name. */
import type { KernelArch, KernelArchitecture } from './arch.ts';
import { riscvSv39Architecture } from './riscv.ts';
import { x86_32Architecture, x86_64Architecture } from './x86.ts';

export type { ArchTerms, KernelArch, KernelArchitecture, LeafProt, PteOps } from './arch.ts';

export const architectures: Readonly<Record<KernelArch, KernelArchitecture>> = {
  'x86-64': x86_64Architecture,
  'x86-32': x86_32Architecture,
  'riscv-sv39': riscvSv39Architecture,
};

/** Every architecture's name, in the order they are listed to users. */
export const KERNEL_ARCHES = Object.keys(architectures) as readonly KernelArch[];

/** What each architecture's kernel dies with when it touches user memory outside the window. */
export function userAccessViolation(arch: KernelArch): string {
  return architectures[arch].userAccessViolation;
}
