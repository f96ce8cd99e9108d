/**
 * The OOM killer: only when nothing is reclaimable, kill the process with
 * the largest footprint.
 *
 * Follows mm/oom_kill.c (out_of_memory, select_bad_process, oom_badness,
 * oom_kill_process).
 */
import type { DeliveredSignal } from './abi.ts';
import { exit } from './exit.ts';
import { emit, type KernelState } from './state.ts';
import type { Task } from './types.ts';

/**
 * If the victim is `faulting` (the task whose fault is being handled), it
 * dies when the fault returns, as a task with SIGKILL pending does; any
 * other victim exits at once and its memory is free for a retry.
 */
export function oomKill(
  s: KernelState,
  faulting: Task | null,
): 'freed' | 'victim-is-current' | 'nothing-to-kill' {
  let victim: Task | null = null;
  let worst = 0;
  for (const task of s.tasks.values()) {
    // oom_badness(): rss + swap entries + page tables; init is never chosen.
    if (!task.alive || task.mm === null || task.pid === 1) continue;
    const score = task.mm.rss + task.mm.swapEntries + task.mm.tablePages.size;
    if (score > worst) {
      worst = score;
      victim = task;
    }
  }
  if (victim === null) return 'nothing-to-kill';
  s.stats.oomKills++;
  const signal: DeliveredSignal = { signal: 'SIGKILL', code: 'SI_KERNEL', address: 0n, frame: null };
  victim.death = { signal };
  if (s.listener !== null) emit(s, { type: 'oom-kill', pid: victim.pid, score: worst });
  if (faulting !== null && victim.mm === faulting.mm) return 'victim-is-current';
  // Every thread of the victim's address space dies with it.
  const mm = victim.mm;
  for (const task of [...s.tasks.values()]) {
    if (!task.alive || task.mm !== mm) continue;
    task.death = victim.death;
    exit(s, task.pid);
  }
  return 'freed';
}
