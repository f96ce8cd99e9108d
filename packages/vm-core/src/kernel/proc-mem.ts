/**
 * /proc/PID/mem: a process's memory as a file, read and written at the
 * file offset that is the address — what debuggers use, and the way round
 * a page's protection: the kernel reaches the page with get_user_pages
 * and FOLL_FORCE, so a write to a read-only private page succeeds by
 * giving the process a private copy (still read-only: a plain store there
 * faults as before), while a shared mapping's file is never written that
 * way. The data goes through a kernel page in chunks of at most a page,
 * the caller's buffer through the user-copy routines.
 *
 * Follows fs/proc/base.c (mem_open, mem_rw) and mm/memory.c
 * (__access_remote_vm), Linux 6.1 as Debian builds it: forced writes always
 * allowed (CONFIG_PROC_MEM_ALWAYS_FORCE, the behaviour before the option
 * existed); the open's ptrace check (PTRACE_MODE_ATTACH) as same uid or
 * root, as for process_vm_*.
 */
import { collectingFaults } from './fault.ts';
import { PageFlag } from './frames.ts';
import { getUserPagesRemote } from './gup.ts';
import type { VirtualAddress } from './hooks.ts';
import { type IoOutcome, type IoVec, IovIter, ioOutcome } from './iov-iter.ts';
import { type KernelState, PAGE, userTask } from './state.ts';
import type { Task } from './types.ts';

/**
 * pread(2) (`write` false) or pwrite(2) by `pid` of /proc/`targetPid`/mem
 * at `address`, into or from `buffer`. A zombie's file reads and writes
 * nothing (mem_rw: no mm); a reaped task has no /proc entry (ENOENT).
 */
export function procMemRw(
  s: KernelState,
  pid: number,
  targetPid: number,
  address: number | VirtualAddress,
  buffer: IoVec,
  write: boolean,
): IoOutcome {
  const caller = userTask(s, pid);
  // vfs_read / vfs_write: access_ok on the whole buffer first.
  const iter = IovIter.import(s, pid, [buffer]);
  if (iter === null) return { kind: 'error', errno: 'EFAULT', faults: [] };
  const target = s.tasks.get(targetPid);
  if (target === undefined) return { kind: 'error', errno: 'ENOENT', faults: [] };
  if (caller.uid !== 0 && caller.uid !== target.uid) return { kind: 'error', errno: 'EACCES', faults: [] };
  if (!target.alive || target.mm === null || iter.count === 0) return { kind: 'done', bytes: 0, faults: [] };
  let at = s.va.exact(address);
  const { result, faults } = collectingFaults(() => {
    let copied = 0;
    while (iter.count > 0) {
      const want = Math.min(iter.count, PAGE);
      // A write takes the whole chunk from the buffer first: a short
      // copy_from_user fails the call, whatever earlier chunks wrote.
      const bytes = write ? iter.copyFrom(want) : null;
      if (bytes !== null && bytes.length < want) return { copied, error: 'EFAULT' as const };
      const page = new Uint8Array(want);
      if (bytes !== null) page.set(bytes);
      const done = accessRemoteVm(s, target, at, page, write);
      if (done === 0) return { copied, error: copied === 0 ? ('EIO' as const) : null };
      if (!write && iter.copyTo(page.subarray(0, done)) < done) return { copied, error: 'EFAULT' as const };
      at += BigInt(done);
      copied += done;
      // Short: access_remote_vm stopped at a page it cannot have, where
      // mem_rw's next chunk would start and stop again, moving nothing.
      if (done < want) break;
    }
    return { copied, error: null };
  });
  // mem_rw: -EFAULT from a user copy replaces the count; -EIO only when nothing moved.
  const outcome: IoOutcome =
    result.error === 'EFAULT' && iter.oops === null
      ? { kind: 'error', errno: 'EFAULT', faults: iter.faults }
      : ioOutcome(iter, result.copied, result.error);
  return { ...outcome, faults: [...faults, ...outcome.faults] };
}

/**
 * __access_remote_vm() with FOLL_FORCE (and FOLL_WRITE for a write): page
 * by page, each had with get_user_pages_remote (FOLL_GET, not a pin: no
 * unsharing), copied through the kernel's mapping of the frame and, for a
 * write, marked dirty (set_page_dirty_lock — the PTE of a forced copy
 * stays clean and read-only, so the page itself must say it was written).
 * Returns the bytes moved: short at the first page it cannot have.
 */
function accessRemoteVm(
  s: KernelState,
  target: Task,
  start: bigint,
  buf: Uint8Array,
  write: boolean,
): number {
  let done = 0;
  while (done < buf.length) {
    const va = start + BigInt(done);
    if (va < 0n || va >= BigInt(s.layout.userEnd)) break;
    const address = Number(va);
    const [pfn] = getUserPagesRemote(s, target, address - (address % PAGE), 1, {
      write,
      force: true,
      pin: false,
    });
    if (pfn === undefined) break;
    const offset = address % PAGE;
    const n = Math.min(buf.length - done, PAGE - offset);
    const base = pfn * PAGE + offset;
    if (write) {
      s.memory.bytes.set(buf.subarray(done, done + n), base);
      s.frames.set(pfn, PageFlag.Dirty);
    } else buf.set(s.memory.bytes.subarray(base, base + n), done);
    done += n;
  }
  return done;
}
