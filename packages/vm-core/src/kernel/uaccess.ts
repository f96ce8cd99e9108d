/**
 * copy_from_user / copy_to_user / get_user / put_user (include/linux/uaccess.h,
 * arch/x86/lib/copy_user_64.S, arch/x86/mm/extable.c), as reference hooks.
 *
 * Why they exist: the kernel must never trust a user pointer. access_ok()
 * rejects kernel addresses outright; the user-access window (stac/clac under
 * SMAP, PAN on ARM64 before 5.11, the reserved TTBR0 with SW PAN) is opened
 * only around the copy — ARM64 since 5.11 copies with LDTR/STTR, checked as
 * EL0, which need no window but SW PAN's; and every load or store
 * of user memory is an instruction with an exception-table entry, so a fault
 * the fault handler cannot fix (no VMA, wrong rights) resumes at a fixup
 * instead of oopsing. The routine then reports how many bytes it did NOT
 * copy, copy_from_user zeroes the rest of the kernel buffer so no stale
 * kernel data leaks, and the caller returns -EFAULT.
 */
import type { CopyResult, VirtualAddress } from './hooks.ts';

export type ByteAccess =
  | { readonly kind: 'ok'; readonly value: number }
  | { readonly kind: 'fixup' }
  | { readonly kind: 'oops'; readonly report: string };

/** What the user-copy routines may ask of the kernel. */
export interface UaccessApi {
  /** access_ok(): the whole range lies in user space. */
  accessOk(address: VirtualAddress, length: number): boolean;
  /** stac / clac (x86), PAN = 0 / 1 or uaccess_ttbr0_enable / disable (ARM64) on the CPU running `pid`. */
  userAccessBegin(pid: number): void;
  userAccessEnd(pid: number): void;
  /** A kernel-mode byte load by the instruction at `ip`; faults go through the page-fault hook. */
  loadByte(pid: number, address: VirtualAddress, ip: VirtualAddress): ByteAccess;
  storeByte(pid: number, address: VirtualAddress, value: number, ip: VirtualAddress): ByteAccess;
  /** The address of the copy instruction (it has an exception-table entry). */
  readonly copyInstruction: VirtualAddress;
}

export interface UserCopy {
  readonly pid: number;
  readonly kernelAddress: VirtualAddress;
  readonly userAddress: VirtualAddress;
  readonly length: number;
}

export type UserCopyResult = CopyResult & { readonly oops: string | null };

export function referenceCopyFromUser(k: UaccessApi, c: UserCopy): UserCopyResult {
  if (!k.accessOk(c.userAddress, c.length)) {
    zeroTail(k, c, 0);
    return { notCopied: c.length, errno: 'EFAULT', oops: null };
  }
  let copied = 0;
  let oops: string | null = null;
  k.userAccessBegin(c.pid);
  try {
    for (; copied < c.length; copied++) {
      const byte = k.loadByte(c.pid, c.userAddress + BigInt(copied), k.copyInstruction);
      if (byte.kind === 'oops') oops = byte.report;
      if (byte.kind !== 'ok') break;
      k.storeByte(c.pid, c.kernelAddress + BigInt(copied), byte.value, 0n);
    }
  } finally {
    // The window closes whatever happened: an exception must not leave SMAP off.
    k.userAccessEnd(c.pid);
  }
  if (oops !== null) return { notCopied: c.length - copied, errno: 'EFAULT', oops };
  // Whatever could not be copied is zeroed: the caller's buffer never holds stale kernel data.
  zeroTail(k, c, copied);
  return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops: null };
}

export function referenceCopyToUser(k: UaccessApi, c: UserCopy): UserCopyResult {
  if (!k.accessOk(c.userAddress, c.length)) return { notCopied: c.length, errno: 'EFAULT', oops: null };
  let copied = 0;
  let oops: string | null = null;
  k.userAccessBegin(c.pid);
  try {
    for (; copied < c.length; copied++) {
      const byte = k.loadByte(c.pid, c.kernelAddress + BigInt(copied), 0n);
      if (byte.kind !== 'ok') break;
      const stored = k.storeByte(c.pid, c.userAddress + BigInt(copied), byte.value, k.copyInstruction);
      if (stored.kind === 'oops') oops = stored.report;
      if (stored.kind !== 'ok') break;
    }
  } finally {
    k.userAccessEnd(c.pid);
  }
  return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops };
}

function zeroTail(k: UaccessApi, c: UserCopy, from: number): void {
  for (let i = from; i < c.length; i++) k.storeByte(c.pid, c.kernelAddress + BigInt(i), 0, 0n);
}

export type UserValueSize = 1 | 2 | 4 | 8;

export interface GetUserResult {
  /** The value read; 0 when the access failed (get_user zeroes its destination). */
  readonly value: bigint;
  readonly errno: 'EFAULT' | null;
  readonly oops: string | null;
}

/**
 * get_user(x, ptr): one value of 1, 2, 4 or 8 bytes. The load instruction has
 * its own exception-table entry; on a fault the fixup sets the result to 0
 * and the return value to -EFAULT.
 */
export function referenceGetUser(
  k: UaccessApi,
  pid: number,
  userAddress: VirtualAddress,
  size: UserValueSize,
  ip: VirtualAddress,
): GetUserResult {
  checkSize(size);
  if (!k.accessOk(userAddress, size)) return { value: 0n, errno: 'EFAULT', oops: null };
  let value = 0n;
  let result: GetUserResult | null = null;
  k.userAccessBegin(pid);
  try {
    for (let i = 0; i < size; i++) {
      const byte = k.loadByte(pid, userAddress + BigInt(i), ip);
      if (byte.kind !== 'ok') {
        result = { value: 0n, errno: 'EFAULT', oops: byte.kind === 'oops' ? byte.report : null };
        break;
      }
      value |= BigInt(byte.value) << BigInt(8 * i);
    }
  } finally {
    k.userAccessEnd(pid);
  }
  return result ?? { value, errno: null, oops: null };
}

/** put_user(x, ptr): stores one value; -EFAULT through the fixup on a bad pointer. */
export function referencePutUser(
  k: UaccessApi,
  pid: number,
  userAddress: VirtualAddress,
  size: UserValueSize,
  value: bigint,
  ip: VirtualAddress,
): { readonly errno: 'EFAULT' | null; readonly oops: string | null } {
  checkSize(size);
  if (typeof value !== 'bigint')
    throw new TypeError(`put_user: the value must be a bigint, got ${typeof value}`);
  if (!k.accessOk(userAddress, size)) return { errno: 'EFAULT', oops: null };
  let outcome: { errno: 'EFAULT' | null; oops: string | null } = { errno: null, oops: null };
  k.userAccessBegin(pid);
  try {
    // put_user is one store instruction: a fault stores nothing. So first
    // write every byte back unchanged (faulting pages in, breaking COW, or
    // failing on a read-only page), and only then store the value.
    for (let i = 0; i < size && outcome.errno === null; i++) {
      const old = k.loadByte(pid, userAddress + BigInt(i), ip);
      const probe = old.kind === 'ok' ? k.storeByte(pid, userAddress + BigInt(i), old.value, ip) : old;
      if (probe.kind !== 'ok')
        outcome = { errno: 'EFAULT', oops: probe.kind === 'oops' ? probe.report : null };
    }
    for (let i = 0; i < size && outcome.errno === null; i++) {
      const byte = Number((value >> BigInt(8 * i)) & 0xffn);
      const stored = k.storeByte(pid, userAddress + BigInt(i), byte, ip);
      if (stored.kind !== 'ok')
        outcome = { errno: 'EFAULT', oops: stored.kind === 'oops' ? stored.report : null };
    }
  } finally {
    k.userAccessEnd(pid);
  }
  return outcome;
}

function checkSize(size: number): void {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    throw new RangeError(`get_user/put_user move 1, 2, 4 or 8 bytes, not ${size}`);
  }
}
