/**
 * The user-visible numbers of Linux's memory ABI that the simulator reports:
 * signals and their si_code (include/uapi/asm-generic/siginfo.h), errno
 * values (include/uapi/asm-generic/errno-base.h).
 */

export const Signal = { SIGBUS: 7, SIGSEGV: 11, SIGKILL: 9 } as const;
export type SignalName = keyof typeof Signal;

/** si_code for SIGSEGV: no mapping at the address, or a mapping that forbids the access. */
export const SegvCode = { SEGV_MAPERR: 1, SEGV_ACCERR: 2 } as const;
/** si_code for SIGBUS. */
export const BusCode = { BUS_ADRERR: 2 } as const;
/** SI_KERNEL: sent by the kernel itself (the OOM killer's SIGKILL, a #GP). */
export const KernelCode = { SI_KERNEL: 0x80 } as const;
export type SiCodeName = keyof typeof SegvCode | keyof typeof BusCode | keyof typeof KernelCode;

export const Errno = {
  EFAULT: 14,
  ENOMEM: 12,
  EINVAL: 22,
  EPERM: 1,
  EACCES: 13,
  EBADF: 9,
  ECHILD: 10,
  EFBIG: 27,
  EAGAIN: 11,
  ESRCH: 3,
  ENOENT: 2,
  EIO: 5,
} as const;
export type ErrnoName = keyof typeof Errno;

export interface SignalInfo {
  readonly signal: SignalName;
  readonly code: SiCodeName;
  /** si_addr: the faulting address, exact (0n where Linux reports none). */
  readonly address: bigint;
}

/**
 * What a signal frame tells a SA_SIGINFO handler about the fault beyond
 * siginfo: on x86 the trap number and error code of the machine context
 * (uc_mcontext.gregs[REG_TRAPNO] and [REG_ERR], set by set_signal_archinfo
 * in arch/x86/mm/fault.c), on ARM64 the ESR of the frame's esr_context
 * record (set_thread_esr in arch/arm64/mm/fault.c). Linux may put there a
 * different value from the one the CPU reported: see each architecture's
 * `signalFrame`.
 */
export type SignalFrame =
  | { readonly arch: 'x86'; readonly trapNo: number; readonly errorCode: number }
  | { readonly arch: 'arm64'; readonly esr: number };

/**
 * A signal as the kernel delivered it: the fault handler's verdict, and the
 * frame the kernel wrote beside it (null where the architecture writes
 * nothing about the fault — RISC-V — or the signal came from no fault:
 * the OOM killer's SIGKILL).
 */
export interface DeliveredSignal extends SignalInfo {
  readonly frame: SignalFrame | null;
}
