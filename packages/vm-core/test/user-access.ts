// The user-access window, checked the same way on every architecture: the
// check every uaccess test ends with (closed again, whatever path the copy
// took) and the one a context-switch test makes (open again for its task).
import { expect } from 'vitest';
import type { Kernel, KernelOptions } from '../src/kernel/index.ts';

type Cpu = Kernel['cpus'][number];
/** Which ARM64 machine this is: with SW PAN the CPU has no PAN and the window is TTBR0. */
type WindowOptions = Pick<KernelOptions, 'pan'>;

/** The registers that hold the window on `cpu`, as the manuals name them, and whether they hold it open. */
function windowRegisters(kernel: Kernel, cpu: Cpu, options: WindowOptions): { name: string; open: boolean } {
  const c = cpu.mmu.control;
  const arch = kernel.arch.name;
  switch (arch) {
    case 'x86-64':
    case 'x86-32':
      return { name: 'EFLAGS.AC (stac/clac)', open: c.alignmentCheck };
    case 'riscv-sv39':
      return { name: 'sstatus.SUM', open: c.sum };
    case 'arm64':
      // __uaccess_ttbr0_disable closes it with the empty reserved_pg_dir just
      // below swapper_pg_dir and the reserved ASID 0, so that no cached user
      // translation hits either.
      return options.pan === 'software'
        ? { name: 'TTBR0_EL1 and its ASID', open: c.root !== c.rootHigh - 4096 || c.asid !== 0 }
        : { name: 'PSTATE.PAN', open: !c.pan };
    default: {
      const unknown: never = arch;
      throw new Error(`no user-access window known for ${String(unknown)}`);
    }
  }
}

/**
 * Asserts whether `cpu` has the user-access window open, both as the arch
 * layer reports it (the state a context switch saves with the task) and in
 * the registers that hold it, so that the arch layer is not its own only
 * witness.
 */
export function expectUserAccessWindow(
  kernel: Kernel,
  cpu: Cpu,
  open: boolean,
  options: WindowOptions = {},
): void {
  expect(kernel.arch.userAccessWindowOpen(cpu), `CPU ${cpu.id}: the arch layer's window`).toBe(open);
  const registers = windowRegisters(kernel, cpu, options);
  expect(registers.open, `CPU ${cpu.id}: ${registers.name}`).toBe(open);
  // The MMU's own answer, except with SW PAN: a CPU without PAN never keeps
  // the kernel out of user memory, and the window is the kernel's TTBR0.
  if (options.pan !== 'software')
    expect(cpu.mmu.userAccessOpen, `CPU ${cpu.id}: the MMU's window`).toBe(open);
}

/** Asserts that no CPU of `kernel` has the user-access window open. */
export function expectUserAccessClosed(kernel: Kernel, options: WindowOptions = {}): void {
  for (const cpu of kernel.cpus) expectUserAccessWindow(kernel, cpu, false, options);
}
