/**
 * A task ending, and its address space with its last user; a fatal signal
 * taking the whole thread group with it; zombies, and the parent's wait()
 * that reaps them.
 *
 * Follows kernel/exit.c (do_exit, exit_mm, exit_notify,
 * forget_original_parent, do_wait, wait_task_zombie, release_task),
 * kernel/fork.c (mmput), kernel/signal.c (do_notify_parent, complete_signal's
 * group kill).
 */
import { loadUserAccessWindow } from './context-switch.ts';
import { INIT_PID } from './fork.ts';
import { KernelError } from './kernel.ts';
import { unmapRange } from './memory.ts';
import type { Mm } from './mm.ts';
import { emit, type KernelState, PAGE, taskOf } from './state.ts';
import type { ExitStatus, Task, WaitResult } from './types.ts';

/**
 * do_exit(): the task gives up everything it owns — its address space
 * (exit_mm, the last user tearing it down), the CPU it ran on — and is left
 * a zombie holding only how it ended (`code`, exit(2)'s status, for a task
 * no signal killed), until its parent's wait() reaps it. A thread, a
 * kernel thread, or a child whose parent ignores SIGCHLD is reaped at once
 * (exit_notify's autoreap).
 */
export function exit(s: KernelState, pid: number, code = 0): void {
  const task = taskOf(s, pid);
  if (task.kind === 'idle') throw new KernelError('the idle task cannot exit');
  if (!Number.isInteger(code) || code < 0 || code > 255)
    throw new KernelError(`exit status ${code} must be an integer 0..255 (the parent sees its low 8 bits)`);
  if (!task.alive) return;
  task.alive = false;
  task.state = 'zombie';
  task.exitStatus = statusOf(task, code);
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
  if (s.listener !== null) emit(s, { type: 'task', pid, what: 'exited' });
  if (mm !== null) dropMm(s, mm);
  forgetOriginalParent(s, task);
  exitNotify(s, task);
}

/**
 * The status wait() will report: the signal that killed the task (an oops
 * kills with SIGKILL: page_fault_oops ends in oops_end(…, SIGKILL), that
 * is make_task_dead(SIGKILL)), else the code it exited with.
 */
function statusOf(task: Task, code: number): ExitStatus {
  const death = task.death;
  if (death === null) return { kind: 'exited', code };
  if ('oops' in death) return { kind: 'killed', signal: 'SIGKILL' };
  return { kind: 'killed', signal: death.signal.signal };
}

/**
 * forget_original_parent(): the dead task's children get a new parent — a
 * live thread of its own process if one is left (find_alive_thread), else
 * init (find_child_reaper; no subreapers here). A zombie child passed to
 * init stays a zombie until init waits.
 */
function forgetOriginalParent(s: KernelState, dead: Task): void {
  let reaper = INIT_PID;
  for (const t of s.tasks.values()) {
    if (t !== dead && t.alive && t.tgid === dead.tgid) {
      reaper = t.pid;
      break;
    }
  }
  for (const child of [...s.tasks.values()]) {
    if (child.parent !== dead.pid) continue;
    child.parent = reaper;
    // reparent_leader(): a zombie is announced to its new parent, which may reap it unasked.
    if (
      child.state === 'zombie' &&
      child.pid === child.tgid &&
      !delayGroupLeader(s, child) &&
      autoreaps(s, child)
    )
      releaseTask(s, child);
  }
}

/**
 * exit_notify(): tell the parent (do_notify_parent), or reap at once. A
 * thread of a process never becomes a zombie (no one waits for it); a
 * kernel thread is kthreadd's child, and kthreadd ignores every signal; a
 * child whose parent set SIGCHLD to SIG_IGN is released as it dies. A
 * process leader that dies before its other threads is reported only when
 * the last of them has gone (delay_group_leader), and the last thread to
 * go is what releases a leader already waited for.
 */
function exitNotify(s: KernelState, task: Task): void {
  if (task.pid !== task.tgid || task.kind === 'kthread') {
    releaseTask(s, task);
    const leader = s.tasks.get(task.tgid);
    if (
      leader !== undefined &&
      leader.state === 'zombie' &&
      !delayGroupLeader(s, leader) &&
      autoreaps(s, leader)
    )
      releaseTask(s, leader);
    return;
  }
  if (!delayGroupLeader(s, task) && autoreaps(s, task)) releaseTask(s, task);
}

/**
 * Whether the child is reaped unasked: its parent ignores SIGCHLD — or can
 * never wait, having exited itself (init, the last reaper, never does in
 * Linux: its death panics the machine; here it may exit).
 */
function autoreaps(s: KernelState, child: Task): boolean {
  const parent = s.tasks.get(child.parent);
  return parent === undefined || !parent.alive || parent.ignoresSigchld;
}

/** A process leader that has exited while other threads of its process still run: not reportable yet. */
function delayGroupLeader(s: KernelState, leader: Task): boolean {
  for (const t of s.tasks.values()) if (t !== leader && t.tgid === leader.tgid && t.alive) return true;
  return false;
}

/** release_task(): the zombie leaves the task list; only the facade's record of the pid is left. */
function releaseTask(s: KernelState, task: Task): void {
  task.state = 'reaped';
  s.tasks.delete(task.pid);
  s.reaped.set(task.pid, task);
  if (s.listener !== null) emit(s, { type: 'task', pid: task.pid, what: 'reaped' });
}

/**
 * wait4(pid, …) / waitpid(): `waiter` collects one zombie child — `child`,
 * or any (-1) — returning its status and removing it. Children of every
 * thread of the waiter's process count (do_wait without __WNOTHREAD);
 * threads are not children in this sense. Nothing sleeps in the
 * simulation: with children still running and none exited, the answer is
 * `would-block`, where a real wait would sleep (and WNOHANG returns 0).
 */
export function wait(s: KernelState, waiterPid: number, child = -1): WaitResult {
  const waiter = taskOf(s, waiterPid);
  if (!waiter.alive) throw new KernelError(`pid ${waiterPid} has exited: only a running task can wait`);
  if (!Number.isInteger(child) || (child < 1 && child !== -1))
    throw new KernelError(`wait: the child is a pid, or -1 for any child (got ${child})`);
  const mine = (t: Task) =>
    t.pid === t.tgid &&
    t.kind !== 'idle' &&
    s.tasks.get(t.parent)?.tgid === waiter.tgid &&
    (child === -1 || t.pid === child);
  const children = [...s.tasks.values()].filter(mine);
  if (children.length === 0) return { kind: 'error', errno: 'ECHILD' };
  const zombie = children.find((t) => t.state === 'zombie' && !delayGroupLeader(s, t));
  if (zombie === undefined) return { kind: 'would-block' };
  const status = zombie.exitStatus!;
  releaseTask(s, zombie);
  return { kind: 'reaped', pid: zombie.pid, status };
}

/** sigaction(SIGCHLD, SIG_IGN) or back to SIG_DFL, for the whole process (signal handlers are shared by its threads). */
export function ignoreSigchld(s: KernelState, pid: number, ignore: boolean): void {
  const task = taskOf(s, pid);
  if (!task.alive) throw new KernelError(`pid ${pid} has exited`);
  for (const t of s.tasks.values()) if (t.tgid === task.tgid) t.ignoresSigchld = ignore;
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
