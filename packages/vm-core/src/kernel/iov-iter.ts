/**
 * A system call's user buffers, as the kernel walks them: the iovec array
 * of readv / writev / process_vm_readv (one segment for read and write),
 * checked once with access_ok and then copied to or from in order, each
 * piece through copy_to_user / copy_from_user — so a fault in the middle
 * stops the copy at the first byte that could not be moved, and the bytes
 * before it stay moved.
 *
 * Follows lib/iov_iter.c (import_iovec, copy_to_iter, copy_from_iter,
 * iterate_iovec stopping at the first short copyout / copyin), Linux 6.1.
 */
import type { ErrnoName } from './abi.ts';
import type { VirtualAddress } from './hooks.ts';
import { KernelError } from './kernel.ts';
import type { KernelState } from './state.ts';
import type { FaultRecord } from './types.ts';
import { accessOk, copyFromUser, copyToUser } from './usercopy.ts';

/** One user buffer of an iovec array (struct iovec). */
export interface IoVec {
  readonly address: number | VirtualAddress;
  readonly length: number;
}

/** UIO_MAXIOV: the most segments one call may pass. */
const UIO_MAXIOV = 1024;
/** The most one call moves here (MAX_RW_COUNT is INT_MAX & PAGE_MASK; the simulator's memory is far smaller). */
const MAX_IO_BYTES = 1 << 24;

/** What a read- or write-like system call returned, and the faults its copies took. */
export type IoOutcome =
  /** It moved `bytes` (0 at end of file, or for an empty buffer). */
  | { readonly kind: 'done'; readonly bytes: number; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'error'; readonly errno: ErrnoName; readonly faults: readonly FaultRecord[] }
  /** A copy oopsed (a copy hook touched user memory outside the window, say): the task is dead. */
  | { readonly kind: 'oops'; readonly report: string; readonly faults: readonly FaultRecord[] };

/** The segments, checked by the caller's rules (a KernelError names a malformed one). */
export function checkIoVecs(iov: readonly IoVec[]): void {
  if (!Array.isArray(iov) || iov.length === 0 || iov.length > UIO_MAXIOV)
    throw new KernelError(`an iovec array holds 1..${UIO_MAXIOV} segments`);
  let total = 0;
  for (const v of iov) {
    if (!Number.isSafeInteger(v.length) || v.length < 0)
      throw new KernelError(`iovec length ${v.length} must be a non-negative integer`);
    if (typeof v.address === 'number' && !Number.isSafeInteger(v.address))
      throw new KernelError(`iovec address ${v.address} is not an integer`);
    total += v.length;
  }
  if (total > MAX_IO_BYTES) throw new KernelError(`at most ${MAX_IO_BYTES} bytes per call`);
}

/**
 * A cursor over a task's user buffers. `copyTo` and `copyFrom` move bytes
 * at the cursor and advance it by what they moved; a short copy means the
 * next byte faulted and could not be fixed (the caller decides what that
 * makes of the call: -EFAULT, or the count so far).
 */
export class IovIter {
  private segment = 0;
  private offset = 0;
  private remaining: number;
  /** The faults every copy took, in order. */
  readonly faults: FaultRecord[] = [];
  /** The oops a copy ended in, if one did (nothing more is copied then). */
  oops: string | null = null;

  /**
   * import_iovec(): -EFAULT (null here) when a segment does not lie wholly
   * below TASK_SIZE — checked for every segment before anything is copied.
   */
  static import(s: KernelState, pid: number, iov: readonly IoVec[]): IovIter | null {
    checkIoVecs(iov);
    for (const v of iov) if (!accessOk(s, s.va.exact(v.address), v.length)) return null;
    return new IovIter(s, pid, iov);
  }

  private constructor(
    private readonly s: KernelState,
    private readonly pid: number,
    private readonly iov: readonly IoVec[],
  ) {
    this.remaining = iov.reduce((n, v) => n + v.length, 0);
  }

  /** Bytes left to move (iov_iter_count). */
  get count(): number {
    return this.remaining;
  }

  /** copy_to_iter(): copies `bytes` out to the buffers; returns how many landed. */
  copyTo(bytes: ArrayLike<number>): number {
    let done = 0;
    while (done < bytes.length && this.remaining > 0 && this.oops === null) {
      const [address, room] = this.here();
      const n = Math.min(room, bytes.length - done);
      const chunk = Array.from({ length: n }, (_, i) => bytes[done + i]!);
      const r = copyToUser(this.s, this.pid, address, chunk);
      const moved = this.took(r, n);
      done += moved;
      if (moved < n) break;
    }
    return done;
  }

  /** copy_from_iter(): copies up to `length` bytes in from the buffers; returns those it could. */
  copyFrom(length: number): number[] {
    const out: number[] = [];
    while (out.length < length && this.remaining > 0 && this.oops === null) {
      const [address, room] = this.here();
      const n = Math.min(room, length - out.length);
      const r = copyFromUser(this.s, this.pid, address, n);
      const moved = this.took(r, n);
      for (let i = 0; i < moved; i++) out.push(r.data[i]!);
      if (moved < n) break;
    }
    return out;
  }

  /** Where the cursor is, and how many bytes its segment has left. */
  private here(): [VirtualAddress, number] {
    while (this.offset === this.iov[this.segment]!.length) {
      this.segment++;
      this.offset = 0;
    }
    const v = this.iov[this.segment]!;
    return [this.s.va.exact(v.address) + BigInt(this.offset), v.length - this.offset];
  }

  /** Advances past what a copy moved, keeping its faults; returns the bytes moved. */
  private took(
    r: { notCopied: number; oops: string | null; faults: readonly FaultRecord[] },
    n: number,
  ): number {
    this.faults.push(...r.faults);
    if (r.oops !== null) this.oops = r.oops;
    const moved = r.oops !== null ? 0 : n - r.notCopied;
    this.offset += moved;
    this.remaining -= moved;
    return moved;
  }
}

/** The call's outcome from the bytes it moved, or — when it moved none — the error it met. */
export function ioOutcome(iter: IovIter, moved: number, error: ErrnoName | null): IoOutcome {
  const faults = iter.faults;
  if (iter.oops !== null) return { kind: 'oops', report: iter.oops, faults };
  if (moved > 0 || error === null) return { kind: 'done', bytes: moved, faults };
  return { kind: 'error', errno: error, faults };
}
