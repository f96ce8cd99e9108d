/**
 * execve(): the task gets a fresh address space with a stack; the old one
 * goes when its last user does.
 *
 * Follows fs/exec.c (begin_new_exec, de_thread, exec_mmap, setup_arg_pages).
 */
import { loadMm } from './context-switch.ts';
import { dropMm, exit } from './exit.ts';
import { newMm } from './fork.ts';
import type { Mm } from './mm.ts';
import { type KernelState, PAGE, userTask } from './state.ts';
import { VmFlag } from './vma.ts';

/** The initial stack area below stackTop (setup_arg_pages), growing down on demand. */
export function addStack(s: KernelState, mm: Mm): void {
  const top = s.layout.stackTop;
  mm.vmas.insert({
    start: top - 32 * PAGE,
    end: top,
    flags: VmFlag.Read | VmFlag.Write | VmFlag.GrowsDown,
    name: '[stack]',
  });
}

/** execve(): a fresh address space; the old one goes when its last user does. */
export function exec(s: KernelState, pid: number): void {
  const task = userTask(s, pid);
  const old = task.mm!;
  // de_thread(): every other thread of the process dies before the new image runs.
  for (const t of [...s.tasks.values()]) if (t !== task && t.alive && t.mm === old) exit(s, t.pid);
  const mm = newMm(s);
  addStack(s, mm);
  task.mm = mm;
  task.activeMm = mm;
  // The handlers were the old image's code (flush_signal_handlers); the
  // new stack has no frames; the blocked mask survives execve.
  task.sighand = task.sighand.afterExec();
  task.signalFrames.length = 0;
  for (const cpu of s.cpus) if (cpu.current === task) loadMm(s, cpu, mm);
  dropMm(s, old);
}
