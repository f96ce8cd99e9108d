// The check every uaccess test ends with: the user-access window is closed
// again, whatever path the copy took (good buffer, fixup, oops).
import { expect } from 'vitest';
import type { Kernel, KernelOptions } from '../src/kernel/index.ts';

/**
 * Asserts that no CPU of `kernel` has the user-access window open, both as
 * the arch layer reports it (the state a context switch saves with the task)
 * and in the registers that hold it, so the arch layer is not its own only
 * witness. `options.pan` says which ARM64 machine this is: with SW PAN the
 * CPU has no PAN and the window is TTBR0.
 */
export function expectUserAccessClosed(kernel: Kernel, options: Pick<KernelOptions, 'pan'> = {}): void {
  for (const cpu of kernel.cpus) {
    const c = cpu.mmu.control;
    const on = `CPU ${cpu.id}`;
    expect(kernel.arch.userAccessWindowOpen(cpu), `${on}: window open`).toBe(false);
    const arch = kernel.arch.name;
    switch (arch) {
      case 'x86-64':
      case 'x86-32':
        expect(c.alignmentCheck, `${on}: EFLAGS.AC (clac)`).toBe(false);
        break;
      case 'riscv-sv39':
        expect(c.sum, `${on}: sstatus.SUM`).toBe(false);
        break;
      case 'arm64':
        // __uaccess_ttbr0_disable: the empty reserved_pg_dir just below
        // swapper_pg_dir, and the reserved ASID 0 so no cached user
        // translation hits either.
        if (options.pan === 'software')
          expect([c.root, c.asid], `${on}: TTBR0 and its ASID`).toEqual([c.rootHigh - 4096, 0]);
        else expect(c.pan, `${on}: PSTATE.PAN`).toBe(true);
        break;
      default: {
        const unknown: never = arch;
        throw new Error(`no user-access window known for ${String(unknown)}`);
      }
    }
  }
}
