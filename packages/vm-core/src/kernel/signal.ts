/**
 * Signal dispositions, the blocked mask, and delivering the signal a fault
 * raises: to the default action (the process dies) or to a handler (it
 * carries on).
 *
 * Follows kernel/signal.c of Linux 6.1 — force_sig_info_to_task,
 * get_signal, signal_setup_done, do_sigaction, sigprocmask — and the
 * frame bookkeeping of arch/x86/kernel/signal.c (handle_signal,
 * rt_sigreturn), which arm64 and riscv share in substance.
 *
 * What is modelled, and what not: every handler is installed with
 * SA_SIGINFO (it is handed signo, si_code, si_addr and the architecture's
 * frame fields) and an empty sa_mask. The frame is bookkeeping, not bytes:
 * Linux writes it below the user stack pointer (or on the sigaltstack),
 * and a frame that cannot be written ends the process with SIGSEGV
 * (signal_setup_done → force_sigsegv); the simulated tasks have no stack
 * pointer, so here writing a frame never fails and costs no fault.
 */
import type { DeliveredSignal, ErrnoName, SignalName } from './abi.ts';
import { KernelError } from './kernel.ts';
import { emit, type KernelState, taskOf } from './state.ts';
import type { Task } from './types.ts';

/** What a signal does when it arrives: its default action, nothing, or the process's handler. */
export type SignalHandler = 'default' | 'ignore' | 'handler';

/** One signal's sigaction (sa_handler and the flags the simulation models). */
export interface SignalAction {
  readonly handler: SignalHandler;
  /** SA_NODEFER: the signal is not blocked while its handler runs, so a second fault there runs the handler again. */
  readonly nodefer: boolean;
  /** SA_RESETHAND (SA_ONESHOT): the action goes back to the default as the handler is entered. */
  readonly resetHand: boolean;
}

export const DEFAULT_ACTION: SignalAction = { handler: 'default', nodefer: false, resetHand: false };

/**
 * The dispositions of a process (struct sighand_struct): shared by its
 * threads (CLONE_SIGHAND), copied by fork, reset by execve.
 */
export class SignalHandlers {
  readonly #actions = new Map<SignalName, SignalAction>();

  action(signal: SignalName): SignalAction {
    return this.#actions.get(signal) ?? DEFAULT_ACTION;
  }

  set(signal: SignalName, action: SignalAction): void {
    if (action.handler === 'default' && !action.nodefer && !action.resetHand) this.#actions.delete(signal);
    else this.#actions.set(signal, action);
  }

  /** copy_sighand(): fork's copy. */
  copy(): SignalHandlers {
    const copy = new SignalHandlers();
    for (const [signal, action] of this.#actions) copy.set(signal, action);
    return copy;
  }

  /**
   * flush_signal_handlers(t, 0), as execve calls it: a handler is code of
   * the old image, so it becomes the default; an ignored signal stays
   * ignored; the flags go.
   */
  afterExec(): SignalHandlers {
    const fresh = new SignalHandlers();
    for (const [signal, action] of this.#actions)
      if (action.handler === 'ignore') fresh.set(signal, { ...DEFAULT_ACTION, handler: 'ignore' });
    return fresh;
  }
}

/**
 * A signal frame on the task's stack: the signal its handler was handed,
 * and the blocked mask the frame saved (uc_sigmask), which rt_sigreturn
 * restores.
 */
export interface SignalFrameRecord {
  readonly signal: DeliveredSignal;
  readonly savedBlocked: ReadonlySet<SignalName>;
}

/** What a fault's signal came to: the process is dead, or its handler now runs. */
export type SignalDisposition = 'killed' | 'handler';

/** Why a fault's signal took the default action the task had not chosen: it was blocked, or ignored. */
export type ForcedBecause = 'blocked' | 'ignored';

/**
 * force_sig_fault(): the signal a fault raised, forced on the faulting
 * thread. A fault cannot be ignored or deferred — the instruction would
 * only fault again — so a blocked or ignored signal is unblocked and its
 * action reset to the default first (force_sig_info_to_task), which then
 * kills. Otherwise the handler is entered: a frame records the mask to
 * restore, and the signal is blocked while it runs unless SA_NODEFER
 * (signal_setup_done); SA_RESETHAND resets the action (get_signal).
 */
export function forceFaultSignal(
  task: Task,
  signal: DeliveredSignal,
): { readonly disposition: SignalDisposition; readonly forced: ForcedBecause | null } {
  const sig = signal.signal;
  if (sig === 'SIGKILL') return KILLED;
  const forced: ForcedBecause | null = task.blocked.has(sig)
    ? 'blocked'
    : task.sighand.action(sig).handler === 'ignore'
      ? 'ignored'
      : null;
  if (forced !== null) {
    task.sighand.set(sig, DEFAULT_ACTION);
    task.blocked.delete(sig);
    return { disposition: 'killed', forced };
  }
  const now = task.sighand.action(sig);
  if (now.handler !== 'handler') return KILLED;
  task.signalFrames.push({ signal, savedBlocked: new Set(task.blocked) });
  if (!now.nodefer) task.blocked.add(sig);
  if (now.resetHand) task.sighand.set(sig, DEFAULT_ACTION);
  return HANDLER;
}

const KILLED = { disposition: 'killed', forced: null } as const;
const HANDLER = { disposition: 'handler', forced: null } as const;

/** sigaction(): SIGKILL's action cannot be changed (EINVAL), as SIGSTOP's could not. */
export function sigaction(
  s: KernelState,
  pid: number,
  signal: SignalName,
  action: SignalAction,
): ErrnoName | null {
  const task = livingTask(s, pid, 'sigaction');
  if (signal === 'SIGKILL') return 'EINVAL';
  task.sighand.set(signal, action);
  return null;
}

export type SigprocmaskHow = 'block' | 'unblock' | 'setmask';

/** sigprocmask() for one thread: SIGKILL is never blocked, and asking for it is silently ignored. */
export function sigprocmask(
  s: KernelState,
  pid: number,
  how: SigprocmaskHow,
  signals: readonly SignalName[],
): void {
  const task = livingTask(s, pid, 'sigprocmask');
  const set = signals.filter((sig) => sig !== 'SIGKILL');
  if (how === 'setmask') task.blocked.clear();
  for (const sig of set) {
    if (how === 'unblock') task.blocked.delete(sig);
    else task.blocked.add(sig);
  }
}

/**
 * rt_sigreturn(): the handler returns; the innermost frame is popped and
 * its saved mask restored. The interrupted instruction runs again — for a
 * fault, the access is retried (the caller does that).
 */
export function sigreturn(s: KernelState, pid: number): DeliveredSignal {
  const task = livingTask(s, pid, 'rt_sigreturn');
  const frame = task.signalFrames.pop();
  if (frame === undefined)
    throw new KernelError(`rt_sigreturn: pid ${pid} (${task.name}) is not in a signal handler`);
  restoreMask(task, frame.savedBlocked);
  if (s.listener !== null)
    emit(s, { type: 'signal-return', pid, how: 'sigreturn', frames: task.signalFrames.length });
  return frame.signal;
}

/**
 * siglongjmp() out of the handler to a sigsetjmp(env, 1) taken before the
 * first frame: user space, not a system call — libc restores the mask
 * saved at sigsetjmp (rt_sigprocmask) and moves the stack pointer back
 * above every frame, which are simply abandoned. The mask restored here is
 * the one the outermost frame saved: what the task had when it faulted.
 */
export function siglongjmp(s: KernelState, pid: number): void {
  const task = livingTask(s, pid, 'siglongjmp');
  const outermost = task.signalFrames[0];
  if (outermost === undefined)
    throw new KernelError(`siglongjmp: pid ${pid} (${task.name}) is not in a signal handler`);
  task.signalFrames.length = 0;
  restoreMask(task, outermost.savedBlocked);
  if (s.listener !== null) emit(s, { type: 'signal-return', pid, how: 'siglongjmp', frames: 0 });
}

function restoreMask(task: Task, saved: ReadonlySet<SignalName>): void {
  task.blocked.clear();
  for (const sig of saved) task.blocked.add(sig);
}

function livingTask(s: KernelState, pid: number, call: string): Task {
  const task = taskOf(s, pid);
  if (!task.alive) throw new KernelError(`${call}: pid ${pid} has exited`);
  if (task.kind !== 'user')
    throw new KernelError(`${call}: pid ${pid} (${task.name}) is a kernel thread: it takes no signals`);
  return task;
}
