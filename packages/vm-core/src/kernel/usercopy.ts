/**
 * The kernel's user copies as the outside calls them — copy_from_user,
 * copy_to_user, get_user, put_user for a task — and the byte loads and
 * stores the uaccess routines (`uaccess.ts`, and the copy hooks) are built
 * from: kernel-mode accesses at a uaccess instruction, so a fault there
 * finds its exception-table fixup.
 *
 * Follows lib/usercopy.c (_copy_from_user, _copy_to_user), arch/x86/lib
 * (copy_user_64.S, getuser.S, putuser.S) and arch/arm64/lib
 * (copy_from_user.S, copy_to_user.S; get_user/put_user in asm/uaccess.h).
 */
import { cpuFor } from './context-switch.ts';
import { UACCESS_IP } from './extable.ts';
import { kernelAccess } from './fault.ts';
import type { VirtualAddress } from './hooks.ts';
import { KernelError } from './kernel.ts';
import { directMapPa, kfree, kmalloc } from './kmalloc.ts';
import { cpuOf, type KernelState, taskOf } from './state.ts';
import type { CopyOutcome, FaultRecord } from './types.ts';
import {
  type ByteAccess,
  type GetUserResult,
  referenceGetUser,
  referencePutUser,
  type UserValueSize,
} from './uaccess.ts';

/** copy_from_user() on behalf of `pid` (a process, or a kernel thread), into a temporary kmalloc buffer. */
export function copyFromUser(
  s: KernelState,
  pid: number,
  userAddress: number | VirtualAddress,
  length: number,
): CopyOutcome {
  return withKernelBuffer(s, length, pid, (buffer, faults) => {
    const r = s.hooks.copyFromUser(s.uaccessApi, {
      pid,
      kernelAddress: s.va.toVirtual(buffer),
      userAddress: s.va.exact(userAddress),
      length,
    });
    const data: number[] = [];
    for (let i = 0; i < length; i++) data.push(s.memory.bytes[directMapPa(s, buffer + i)]!);
    return { ...r, data, faults };
  });
}

/** copy_to_user() of `bytes` on behalf of `pid`. */
export function copyToUser(
  s: KernelState,
  pid: number,
  userAddress: number | VirtualAddress,
  bytes: readonly number[],
): CopyOutcome {
  return withKernelBuffer(s, bytes.length, pid, (buffer, faults) => {
    bytes.forEach((b, i) => {
      s.memory.bytes[directMapPa(s, buffer + i)] = b & 0xff;
    });
    const r = s.hooks.copyToUser(s.uaccessApi, {
      pid,
      kernelAddress: s.va.toVirtual(buffer),
      userAddress: s.va.exact(userAddress),
      length: bytes.length,
    });
    return { ...r, data: [], faults };
  });
}

/** What get_user() returned, and the faults it took on the way. */
export type GetUserOutcome = GetUserResult & { readonly faults: readonly FaultRecord[] };

/** What put_user() returned (-EFAULT or an oops), and the faults it took on the way. */
export interface PutUserOutcome {
  readonly errno: 'EFAULT' | null;
  readonly oops: string | null;
  readonly faults: readonly FaultRecord[];
}

/** get_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
export function getUser(
  s: KernelState,
  pid: number,
  userAddress: number | VirtualAddress,
  size: UserValueSize,
): GetUserOutcome {
  return collectingCopyFaults(s, pid, () =>
    referenceGetUser(s.uaccessApi, pid, s.va.exact(userAddress), size, s.va.toVirtual(UACCESS_IP.getUser)),
  );
}

/** put_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
export function putUser(
  s: KernelState,
  pid: number,
  userAddress: number | VirtualAddress,
  size: UserValueSize,
  value: bigint,
): PutUserOutcome {
  return collectingCopyFaults(s, pid, () =>
    referencePutUser(
      s.uaccessApi,
      pid,
      s.va.exact(userAddress),
      size,
      value,
      s.va.toVirtual(UACCESS_IP.putUser),
    ),
  );
}

/**
 * Runs a uaccess routine for `pid`, gathering the faults its loads and
 * stores take. The routine reaches byteAccess through the hook API, so the
 * list it fills is handed over in the state (`copyFaults`), not as an
 * argument; one routine at a time, as before.
 */
function collectingCopyFaults<T extends object>(
  s: KernelState,
  pid: number,
  body: () => T,
): T & { readonly faults: readonly FaultRecord[] } {
  taskOf(s, pid);
  s.copyFaults = [];
  try {
    const result = body();
    return { ...result, faults: s.copyFaults };
  } finally {
    s.copyFaults = null;
  }
}

function withKernelBuffer(
  s: KernelState,
  length: number,
  pid: number,
  body: (buffer: number, faults: FaultRecord[]) => CopyOutcome,
): CopyOutcome {
  if (!Number.isSafeInteger(length) || length < 1 || length > 1 << 20) {
    throw new KernelError(`copy length ${length} must be 1..1048576`);
  }
  taskOf(s, pid);
  const buffer = kmalloc(s, length);
  if (buffer === null) return { notCopied: length, errno: 'ENOMEM', data: [], oops: null, faults: [] };
  s.copyFaults = [];
  try {
    return body(buffer, s.copyFaults);
  } finally {
    s.copyFaults = null;
    kfree(s, buffer);
  }
}

/** access_ok(): the whole range lies in the user half. */
/**
 * access_ok(): the range [address, address + length) lies below TASK_SIZE.
 * On the exact register value, so 0xffff888000000000 (or 2^64 - 1, where
 * C's sum would wrap) is refused, never rounded into range.
 */
export function accessOk(s: KernelState, address: VirtualAddress, length: number): boolean {
  return Number.isSafeInteger(length) && length >= 0 && address + BigInt(length) <= BigInt(s.layout.userEnd);
}

/** stac (x86), PAN = 0 or uaccess_ttbr0_enable (ARM64): opens the user-access window on the CPU running `pid`. */
export function userAccessBegin(s: KernelState, pid: number): void {
  s.arch.openUserAccess(cpuFor(s, pid), taskOf(s, pid));
}

/** clac, PAN = 1 or uaccess_ttbr0_disable: closes it. */
export function userAccessEnd(s: KernelState, pid: number): void {
  // A task that oopsed inside the window is gone; close the window on the
  // CPU it died on, as the exception exit path would.
  const task = taskOf(s, pid);
  const cpu = task.alive ? cpuFor(s, pid) : cpuOf(s, task.lastCpu ?? 0);
  s.arch.closeUserAccess(cpu);
}

/**
 * One byte loaded or stored by kernel code at `ip` on behalf of `pid`; the
 * faults it takes join the list of the uaccess routine in progress, read
 * after the access (whose fault handling may itself run a routine).
 */
export function byteAccess(
  s: KernelState,
  pid: number,
  address: number | VirtualAddress,
  kind: 'read' | 'write',
  ip: number,
  value: number,
): ByteAccess {
  if (typeof address === 'number' && !Number.isSafeInteger(address))
    throw new KernelError(`address ${address} is not an integer`);
  const cpu = cpuFor(s, pid);
  // A uaccess instruction (one with a fixup) is LDTR/STTR on ARM64 since 5.11.
  const unprivileged = s.arch.unprivilegedUaccess === true && s.exceptionTable.has(ip);
  const r = kernelAccess(s, cpu.id, address, kind, { ip, value, unprivileged });
  s.copyFaults?.push(...r.faults);
  switch (r.kind) {
    case 'ok':
      return { kind: 'ok', value: r.value };
    case 'fixup':
      return { kind: 'fixup' };
    case 'oops':
      return { kind: 'oops', report: r.report };
    case 'signal':
    case 'oom':
      return { kind: 'oops', report: `unexpected ${r.kind} in a kernel-mode access` };
  }
}
