/**
 * A task ending, and its address space with its last user; a fatal signal
 * taking the whole thread group with it.
 *
 * Follows kernel/exit.c (do_exit, exit_mm), kernel/fork.c (mmput) and
 * kernel/signal.c (complete_signal's group kill).
 */
import { loadUserAccessWindow } from './context-switch.ts';
import { KernelError } from './kernel.ts';
import { unmapRange } from './memory.ts';
import type { Mm } from './mm.ts';
import { emit, type KernelState, PAGE, taskOf } from './state.ts';
import type { Task } from './types.ts';

/** exit(): the task ends; its address space is torn down with its last user. */
export function exit(s: KernelState, pid: number): void {
  const task = taskOf(s, pid);
  if (task.kind === 'idle') throw new KernelError('the idle task cannot exit');
  if (!task.alive) return;
  task.alive = false;
  for (const cpu of s.cpus) {
    if (cpu.current === task) {
      // The idle task takes over, keeping the dead task's tables loaded
      // lazily, as Linux does, until the mm is freed below. The dead
      // task's FLAGS die with it: idle runs with its own (window closed).
      const idle = s.tasks.get(0)!;
      loadUserAccessWindow(s, cpu, idle);
      cpu.current = idle;
      idle.activeMm = cpu.loadedMm;
    }
  }
  const mm = task.mm;
  task.mm = null;
  task.activeMm = null;
  emit(s, { type: 'task', pid, what: 'exited' });
  if (mm !== null) dropMm(s, mm);
}

/** mmput(): one user fewer; the last one tears the address space down. */
export function dropMm(s: KernelState, mm: Mm): void {
  mm.users--;
  if (mm.users > 0) return;
  unmapRange(s, mm, 0, s.layout.userEnd, { keepVmas: false });
  s.tables.freeUserTables(mm);
  // No CPU may keep running on tables that are about to be freed.
  for (const cpu of s.cpus) {
    if (cpu.loadedMm === mm) {
      s.arch.loadUserRoot(cpu, s.initMm.pgdPfn * PAGE, 0, false);
      cpu.loadedMm = s.initMm;
    }
    cpu.mmu.invalidateAsid(mm.asid);
  }
  for (const task of s.tasks.values()) if (task.activeMm === mm) task.activeMm = s.initMm;
  s.frames.release(mm.pgdPfn);
  s.mms.delete(mm.id);
  if (mm.asid !== 0) s.asidsInUse.delete(mm.asid);
}

/** A fatal signal ends every task that shares the victim's address space. */
export function killThreadGroup(s: KernelState, task: Task): void {
  const mm = task.mm;
  for (const t of [...s.tasks.values()]) {
    if (t !== task && t.alive && mm !== null && t.mm === mm) {
      t.death = task.death;
      exit(s, t.pid);
    }
  }
  exit(s, task.pid);
}
