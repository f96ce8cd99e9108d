/**
 * process_vm_readv / process_vm_writev: one process copying straight from
 * or to another's memory. The target's pages are had with
 * get_user_pages_remote (faulted in there as that process's user faults
 * would be — a write breaks COW in the target, a read of untouched memory
 * maps the zero page), the caller's own buffers go through the user-copy
 * routines. A bad remote address is -EFAULT only if nothing was copied:
 * otherwise the count so far.
 *
 * Follows mm/process_vm_access.c (process_vm_rw_core,
 * process_vm_rw_single_vec, process_vm_rw_pages), Linux 6.1; the ptrace
 * check (mm_access, PTRACE_MODE_ATTACH_REALCREDS) as same uid or root.
 */
import type { ErrnoName } from './abi.ts';
import { collectingFaults } from './fault.ts';
import { PageFlag } from './frames.ts';
import { getUserPagesRemote } from './gup.ts';
import { checkIoVecs, type IoOutcome, type IoVec, IovIter, ioOutcome } from './iov-iter.ts';
import { type KernelState, PAGE, userTask } from './state.ts';
import type { Task } from './types.ts';

/** process_vm_readv (`write` false) or process_vm_writev by `pid` on `targetPid`'s memory. */
export function processVmRw(
  s: KernelState,
  pid: number,
  targetPid: number,
  local: readonly IoVec[],
  remote: readonly IoVec[],
  write: boolean,
): IoOutcome {
  const caller = userTask(s, pid);
  checkIoVecs(remote);
  const iter = IovIter.import(s, pid, local);
  if (iter === null) return { kind: 'error', errno: 'EFAULT', faults: [] };
  const total = iter.count;
  if (total === 0) return { kind: 'done', bytes: 0, faults: [] };
  const target = s.tasks.get(targetPid);
  // A zombie or a kernel thread has no mm to reach.
  if (target === undefined || !target.alive || target.mm === null)
    return { kind: 'error', errno: 'ESRCH', faults: [] };
  if (caller.uid !== 0 && caller.uid !== target.uid) return { kind: 'error', errno: 'EPERM', faults: [] };
  const { result: error, faults } = collectingFaults(() => {
    for (const v of remote) {
      if (iter.count === 0) break;
      const rc = singleVec(s, target, v, iter, write);
      if (rc !== null) return rc;
    }
    return null;
  });
  const outcome = ioOutcome(iter, total - iter.count, error);
  return { ...outcome, faults: [...faults, ...outcome.faults] };
}

/** process_vm_rw_single_vec(): one remote segment, its pages pinned and copied in turn. */
function singleVec(s: KernelState, target: Task, v: IoVec, iter: IovIter, write: boolean): ErrnoName | null {
  if (v.length === 0) return null;
  if (typeof v.address !== 'number' && (v.address < 0n || v.address >= BigInt(s.layout.userEnd)))
    return 'EFAULT';
  const address = Number(v.address);
  let offset = address % PAGE;
  let page = address - offset;
  let len = v.length;
  let pages = Math.floor((address + len - 1) / PAGE) - Math.floor(address / PAGE) + 1;
  while (pages > 0 && iter.count > 0) {
    const pfns = getUserPagesRemote(s, target, page, pages, { write, force: false, pin: true });
    if (pfns.length === 0) return 'EFAULT';
    const bytes = Math.min(pfns.length * PAGE - offset, len);
    for (const pfn of pfns) s.frames.incRefcount(pfn);
    let rc: ErrnoName | null;
    try {
      rc = copyPages(s, pfns, offset, bytes, iter, write);
    } finally {
      for (const pfn of pfns) {
        // unpin_user_pages_dirty_lock: a page written through the pin is dirty.
        if (write && s.frames.has(pfn, PageFlag.File)) s.frames.set(pfn, PageFlag.Dirty);
        s.frames.decRefcount(pfn);
      }
    }
    len -= bytes;
    offset = 0;
    pages -= pfns.length;
    page += pfns.length * PAGE;
    if (rc !== null) return rc;
  }
  return null;
}

/** process_vm_rw_pages(): -EFAULT when the caller's buffer ends a copy short while it still has room. */
function copyPages(
  s: KernelState,
  pfns: readonly number[],
  offset: number,
  len: number,
  iter: IovIter,
  write: boolean,
): ErrnoName | null {
  for (let i = 0; len > 0 && iter.count > 0; i++) {
    const base = pfns[i]! * PAGE + offset;
    const want = Math.min(PAGE - offset, len);
    let copied: number;
    if (write) {
      const bytes = iter.copyFrom(want);
      s.memory.bytes.set(bytes, base);
      copied = bytes.length;
    } else copied = iter.copyTo(s.memory.bytes.subarray(base, base + want));
    len -= copied;
    if (copied < want && iter.count > 0) return 'EFAULT';
    offset = 0;
  }
  return null;
}
