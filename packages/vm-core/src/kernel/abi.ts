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
} as const;
export type ErrnoName = keyof typeof Errno;

export interface SignalInfo {
  readonly signal: SignalName;
  readonly code: SiCodeName;
  /** si_addr: the faulting address, exact (0n where Linux reports none). */
  readonly address: bigint;
}
