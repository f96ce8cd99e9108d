/**
 * Running a task on a CPU: lazy TLB for kernel threads, CR3 / TTBR0 (and
 * the PCID / ASID) only when the address space changes, and the
 * user-access window saved and restored with the task's FLAGS (PSTATE).
 *
 * Follows kernel/sched/core.c (context_switch), arch/x86/mm/tlb.c
 * (switch_mm_irqs_off, enter_lazy_tlb), arch/x86/kernel/process_64.c
 * (__switch_to) and arch/arm64/include/asm/mmu_context.h (switch_mm).
 */
import { KernelError } from './kernel.ts';
import type { Mm } from './mm.ts';
import { cpuOf, emit, type KernelState, PAGE, taskOf } from './state.ts';
import type { Cpu, Task } from './types.ts';

/** context_switch(): runs `pid` on `cpu`, switching page tables only if the mm changes. */
export function switchTo(s: KernelState, cpuId: number, pid: number): void {
  const cpu = cpuOf(s, cpuId);
  const next = taskOf(s, pid);
  if (!next.alive) throw new KernelError(`pid ${pid} has exited`);
  for (const other of s.cpus) {
    if (other !== cpu && other.current === next && next.kind !== 'idle') {
      throw new KernelError(`pid ${pid} is already running on cpu ${other.id}`);
    }
  }
  if (next.mm === null) {
    // Lazy TLB: a kernel thread (or the idle task) keeps whatever address
    // space this CPU has loaded; no CR3 write.
    next.activeMm = cpu.loadedMm;
  } else if (cpu.loadedMm !== next.mm) {
    loadMm(s, cpu, next.mm);
  }
  if (cpu.current !== next) {
    // switch_to saves the outgoing task's FLAGS and loads the incoming one's.
    cpu.current.userAccessOpen = s.arch.userAccessWindowOpen(cpu);
    loadUserAccessWindow(s, cpu, next);
  }
  cpu.current = next;
  next.lastCpu = cpu.id;
  if (s.listener !== null) emit(s, { type: 'task', pid, what: 'switched-in', cpu: cpu.id });
}

/** Loads a task's saved user-access window (its FLAGS.AC) on the CPU it is about to run on. */
export function loadUserAccessWindow(s: KernelState, cpu: Cpu, task: Task): void {
  if (task.userAccessOpen === s.arch.userAccessWindowOpen(cpu)) return;
  if (task.userAccessOpen) s.arch.openUserAccess(cpu, task);
  else s.arch.closeUserAccess(cpu);
}

export function loadMm(s: KernelState, cpu: Cpu, mm: Mm): void {
  s.arch.loadUserRoot(cpu, mm.pgdPfn * PAGE, mm.asid, s.pcid);
  cpu.loadedMm = mm;
  mm.cpus.add(cpu.id);
}

/** The CPU running `pid`, switching CPU 0 to it if it runs nowhere. */
export function cpuFor(s: KernelState, pid: number): Cpu {
  for (const cpu of s.cpus) if (cpu.current.pid === pid) return cpu;
  switchTo(s, 0, pid);
  return s.cpus[0]!;
}
