/**
 * Address-space layout system calls: mmap, munmap, brk, and growing a
 * stack down to a faulting address.
 *
 * Follows mm/mmap.c (do_mmap, get_unmapped_area, do_brk_flags,
 * expand_downwards, find_vma) and mm/vma.c (do_vmi_munmap).
 */
import type { ErrnoName } from './abi.ts';
import { hasRawIo, ROOT_UID } from './cred.ts';
import { createShmemFile } from './filemap.ts';
import { populate } from './gup.ts';
import type { VmaInfo } from './hooks.ts';
import { splitHugePmdsAcross } from './huge-memory.ts';
import { kernelMmapMinAddr } from './layout.ts';
import { linuxAtLeast } from './linux-version.ts';
import { unmapRange } from './memory.ts';
import type { Mm } from './mm.ts';
import { type KernelState, mmById, PAGE, pageDown, pageUp, userTask } from './state.ts';
import type { FaultRecord, MlockResult, MmapRequest, MmapResult, Task } from './types.ts';
import { type Vma, VmFlag, vmaAllows } from './vma.ts';

export function mmap(s: KernelState, pid: number, request: MmapRequest): MmapResult {
  const task = userTask(s, pid);
  const mm = task.mm!;
  if (!Number.isSafeInteger(request.length) || request.length <= 0) return { kind: 'error', errno: 'EINVAL' };
  const length = pageUp(request.length);
  const offset = request.offset ?? 0;
  if (request.file !== undefined) {
    if (!s.files.has(request.file)) return { kind: 'error', errno: 'EBADF' };
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % PAGE !== 0)
      return { kind: 'error', errno: 'EINVAL' };
  }
  let start: number;
  if (request.fixed) {
    const address = request.address ?? Number.NaN;
    if (!Number.isSafeInteger(address) || address % PAGE !== 0) return { kind: 'error', errno: 'EINVAL' };
    // mmap_min_addr: refusing to map page zero is what turns a kernel NULL
    // dereference into an oops rather than an exploit — for everyone but a
    // process with CAP_SYS_RAWIO (cap_mmap_addr, security/commoncap.c).
    if (!mayMapBelowMinAddr(s, task, address)) return { kind: 'error', errno: 'EPERM' };
    if (address + length > s.layout.userEnd) return { kind: 'error', errno: 'ENOMEM' };
    unmapRange(s, mm, address, address + length);
    start = address;
  } else {
    const found = getUnmappedArea(s, mm, length, request.address);
    if (found === null) return { kind: 'error', errno: 'ENOMEM' };
    start = found;
  }
  const p = request.prot;
  const flags =
    (p.read ? VmFlag.Read : 0) |
    (p.write ? VmFlag.Write : 0) |
    (p.exec ? VmFlag.Exec : 0) |
    (request.shared ? VmFlag.Shared : 0) |
    (request.growsDown ? VmFlag.GrowsDown : 0);
  mm.vmas.insert({
    start,
    end: start + length,
    flags,
    name: request.name ?? request.file ?? (request.shared ? 'shared' : 'anon'),
    ...(request.file !== undefined
      ? { file: { name: request.file, pgoff: offset / PAGE } }
      : request.shared
        ? // MAP_SHARED | MAP_ANONYMOUS is a shmem file of its own, shared by every process that inherits it.
          { file: { name: createShmemFile(s, length).name, pgoff: 0 } }
        : {}),
  });
  if (request.populate !== true) return { kind: 'ok', address: start };
  return { kind: 'ok', address: start, faults: populate(s, task, start, start + length) };
}

const NO_FAULTS: readonly FaultRecord[] = Object.freeze([]);

/**
 * mlock() (mm/mlock.c, Linux 6.1): the areas of [addr, addr+len) are
 * VM_LOCKED — reclaim passes their pages by — and every page is faulted in
 * now. Not inherited by a fork's child. An unmapped part is ENOMEM (here
 * before anything changes); beyond RLIMIT_MEMLOCK (8 MiB, Linux 5.16's
 * default) without CAP_IPC_LOCK (root) too.
 */
export function mlock(s: KernelState, pid: number, address: number, length: number): MlockResult {
  const task = userTask(s, pid);
  const mm = task.mm!;
  if (!Number.isSafeInteger(address) || address < 0 || !Number.isSafeInteger(length) || length < 0)
    return { errno: 'EINVAL', faults: NO_FAULTS };
  const start = pageDown(address);
  const end = pageUp(address + length);
  if (end === start) return { errno: null, faults: NO_FAULTS };
  if (!covered(mm, start, end)) return { errno: 'ENOMEM', faults: NO_FAULTS };
  if (!mayLockMore(task, lockedBytes(mm, { start, end }) + (end - start)))
    return { errno: 'ENOMEM', faults: NO_FAULTS };
  splitHugePmdsAcross(
    s,
    mm,
    boundariesThatSplit(mm, start, end, (f) => (f & VmFlag.Locked) === 0),
  );
  mm.vmas.changeFlags(start, end, (f) => f | VmFlag.Locked);
  return { errno: null, faults: populate(s, task, start, end) };
}

/** munlock(): the areas are evictable again. */
export function munlock(s: KernelState, pid: number, address: number, length: number): ErrnoName | null {
  const mm = userTask(s, pid).mm!;
  if (!Number.isSafeInteger(address) || address < 0 || !Number.isSafeInteger(length) || length < 0)
    return 'EINVAL';
  const start = pageDown(address);
  const end = pageUp(address + length);
  if (end === start) return null;
  if (!covered(mm, start, end)) return 'ENOMEM';
  splitHugePmdsAcross(
    s,
    mm,
    boundariesThatSplit(mm, start, end, (f) => (f & VmFlag.Locked) !== 0),
  );
  mm.vmas.changeFlags(start, end, (f) => f & ~VmFlag.Locked);
  return null;
}

/**
 * Where changing the flags of [start, end) splits an area: `start` or
 * `end` inside an area whose flags `changes` (mlock_fixup leaves an area
 * whose flags stay as they are, and splits nothing).
 */
function boundariesThatSplit(
  mm: Mm,
  start: number,
  end: number,
  changes: (flags: number) => boolean,
): number[] {
  const cut: number[] = [];
  const first = mm.vmas.containing(start);
  if (first !== null && first.start < start && changes(first.flags)) cut.push(start);
  const last = mm.vmas.containing(end - 1);
  if (last !== null && last.end > end && changes(last.flags)) cut.push(end);
  return cut;
}

/** RLIMIT_MEMLOCK's default since Linux 5.16 (MLOCK_LIMIT): 8 MiB. */
const MLOCK_LIMIT = 8 << 20;

/** The bytes of `mm`'s locked areas (mm->locked_vm), less those overlapping `except`. */
export function lockedBytes(mm: Mm, except?: { readonly start: number; readonly end: number }): number {
  let locked = 0;
  for (const v of mm.vmas.all)
    if (
      (v.flags & VmFlag.Locked) !== 0 &&
      (except === undefined || v.end <= except.start || v.start >= except.end)
    )
      locked += v.end - v.start;
  return locked;
}

/** Whether `task` may have `bytes` locked: within RLIMIT_MEMLOCK, or root (CAP_IPC_LOCK). */
export function mayLockMore(task: Task, bytes: number): boolean {
  return task.uid === ROOT_UID || bytes <= MLOCK_LIMIT;
}

/** Whether areas cover every page of [start, end). */
function covered(mm: Mm, start: number, end: number): boolean {
  let at = start;
  for (const v of mm.vmas.all) {
    if (v.end <= at || v.start >= end) continue;
    if (v.start > at) return false;
    at = v.end;
  }
  return at >= end;
}

export function munmap(s: KernelState, pid: number, address: number, length: number): ErrnoName | null {
  const mm = userTask(s, pid).mm!;
  if (!Number.isSafeInteger(address) || address < 0 || address % PAGE !== 0 || !(length > 0)) return 'EINVAL';
  if (address + length > s.layout.userEnd) return 'EINVAL';
  unmapRange(s, mm, address, address + pageUp(length));
  return null;
}

/**
 * madvise(MADV_DONTNEED) (mm/madvise.c, Linux 6.1): the range's pages are
 * dropped as munmap would drop them, but the areas stay. The next touch
 * refills each page from what backs it: private anonymous memory reads
 * zero again, a private file mapping reads the file again (its written
 * copies are gone), shared memory and shared file pages are the same
 * pages, which still hold what was written. A start that is not page
 * aligned is EINVAL; a hole in the range is ENOMEM, after the mapped parts
 * were done.
 */
export function madviseDontneed(
  s: KernelState,
  pid: number,
  address: number,
  length: number,
): ErrnoName | null {
  const mm = userTask(s, pid).mm!;
  if (!Number.isSafeInteger(address) || address < 0 || address % PAGE !== 0) return 'EINVAL';
  if (!Number.isSafeInteger(length) || length < 0) return 'EINVAL';
  const end = address + pageUp(length);
  if (end > s.layout.userEnd) return 'EINVAL';
  if (end === address) return null;
  let covered = address;
  let hole = false;
  for (const vma of mm.vmas.all) {
    if (vma.end <= address || vma.start >= end) continue;
    // MADV_DONTNEED cannot drop locked pages (madvise_dontneed_free_valid_vma).
    if ((vma.flags & VmFlag.Locked) !== 0) return 'EINVAL';
    if (vma.start > covered) hole = true;
    unmapRange(s, mm, Math.max(vma.start, address), Math.min(vma.end, end), { keepVmas: true });
    covered = Math.max(covered, vma.end);
  }
  return hole || covered < end ? 'ENOMEM' : null;
}

/** brk(): moves the end of the heap; returns the new break (the old one if the move is refused). */
export function brk(s: KernelState, pid: number, newBrk: number): number {
  const mm = userTask(s, pid).mm!;
  if (!Number.isSafeInteger(newBrk) || newBrk < mm.brkStart) return mm.brk;
  const oldEnd = pageUp(mm.brk);
  const newEnd = pageUp(newBrk);
  if (newEnd < oldEnd) unmapRange(s, mm, newEnd, oldEnd);
  else if (newEnd > oldEnd) {
    if (!mm.vmas.isFree(oldEnd, newEnd) || newEnd > s.layout.mmapBase) return mm.brk;
    mm.vmas.insert({ start: oldEnd, end: newEnd, flags: VmFlag.Read | VmFlag.Write, name: '[heap]' });
  }
  mm.brk = newBrk;
  return newBrk;
}

/** find_vma(): the first area ending above `address`. */
export function findVma(s: KernelState, mmId: number, address: number): VmaInfo | null {
  const vma = mmById(s, mmId).vmas.findVma(address);
  return vma === null ? null : vmaInfo(s, vma);
}

/** The area containing `address`, growing a stack down to it if that is allowed (expand_stack). */
export function vmaForFault(
  s: KernelState,
  mmId: number,
  address: number,
): { vma: VmaInfo; grew: boolean } | null {
  const mm = mmById(s, mmId);
  const vma = mm.vmas.findVma(address);
  if (vma === null) return null;
  if (vma.start <= address) return { vma: vmaInfo(s, vma), grew: false };
  if ((vma.flags & VmFlag.GrowsDown) === 0) return null;
  // expand_downwards(): bounded by mmap_min_addr, RLIMIT_STACK and the
  // guard gap above the area below.
  const newStart = pageDown(address);
  if (linuxAtLeast(s.linux, '5.0')) {
    // Since 5.0 no stack grows below the kernel's mmap_min_addr, root's
    // neither (CVE-2019-9213: a setuid program's stack could be pushed down
    // to page zero).
    if (newStart < kernelMmapMinAddr(s.layout)) return null;
  } else {
    // Before, security_mmap_addr() as for mmap: root's stack could.
    const current = s.inFault?.task;
    if (
      (current === undefined || !mayMapBelowMinAddr(s, current, newStart)) &&
      newStart < s.layout.mmapMinAddr
    )
      return null;
  }
  if (vma.end - newStart > s.layout.stackLimit) return null;
  const prev = mm.vmas.previous(vma);
  if (prev !== null && (prev.flags & VmFlag.GrowsDown) === 0 && prev.end + s.layout.stackGuardGap > newStart)
    return null;
  // expand_downwards lowers vm_pgoff with vm_start (a moved stack keeps its offsets contiguous).
  if (vma.anonPgoff !== undefined) vma.anonPgoff -= (vma.start - newStart) / PAGE;
  vma.start = newStart;
  return { vma: vmaInfo(s, vma), grew: true };
}

/**
 * A VMA as the hooks see it: its bounds and rights, no internals. A frozen
 * snapshot, so the last one is handed out again while its area is
 * unchanged (a fault asks for the same area more than once).
 */
function vmaInfo(s: KernelState, vma: Vma): VmaInfo {
  const last = lastInfo;
  if (
    last !== null &&
    lastVma === vma &&
    lastStart === vma.start &&
    lastEnd === vma.end &&
    lastFlags === vma.flags &&
    last.file === (vma.file !== undefined)
  )
    return last;
  const info = Object.freeze(snapshot(s, vma));
  lastVma = vma;
  lastStart = vma.start;
  lastEnd = vma.end;
  lastFlags = vma.flags;
  lastInfo = info;
  return info;
}

// The last snapshot and what it was taken of (a Vma belongs to one kernel).
let lastVma: Vma | null = null;
let lastStart = 0;
let lastEnd = 0;
let lastFlags = 0;
let lastInfo: VmaInfo | null = null;

function snapshot(s: KernelState, vma: Vma): VmaInfo {
  return {
    start: s.va.toVirtual(vma.start),
    end: s.va.toVirtual(vma.end),
    read: vmaAllows(vma, false, false) && (vma.flags & VmFlag.Read) !== 0,
    write: (vma.flags & VmFlag.Write) !== 0,
    exec: (vma.flags & VmFlag.Exec) !== 0,
    shared: (vma.flags & VmFlag.Shared) !== 0,
    growsDown: (vma.flags & VmFlag.GrowsDown) !== 0,
    file: vma.file !== undefined,
  };
}

/**
 * get_unmapped_area() without MAP_FIXED: the hint if [hint, hint + length)
 * is free, else the highest free range below mmap_base (top-down); null
 * when there is none (ENOMEM).
 */
export function getUnmappedArea(s: KernelState, mm: Mm, length: number, requested?: number): number | null {
  const hint = requested === undefined ? undefined : roundHintToMin(s, requested);
  if (hint !== undefined && hint + length <= s.layout.userEnd && mm.vmas.isFree(hint, hint + length))
    return hint;
  // arch_get_unmapped_area_topdown(): low_limit = max(PAGE_SIZE, mmap_min_addr).
  return mm.vmas.findFreeTopDown(length, Math.max(PAGE, kernelMmapMinAddr(s.layout)), s.layout.mmapBase);
}

/** cap_mmap_addr(): a mapping at `address` is allowed below mmap_min_addr only with CAP_SYS_RAWIO. */
export function mayMapBelowMinAddr(s: KernelState, task: Task, address: number): boolean {
  return address >= s.layout.mmapMinAddr || hasRawIo(task);
}

/**
 * round_hint_to_min() (mm/mmap.c): a hint is only a page number, and one
 * below mmap_min_addr (but not NULL, which means "no hint") is moved up to
 * it rather than refused — whoever asks, since a hint never has to be
 * honoured. Undefined: no usable hint (get_unmapped_area then searches).
 */
function roundHintToMin(s: KernelState, requested: number): number | undefined {
  if (!Number.isSafeInteger(requested) || requested < 0) return undefined;
  const hint = pageDown(requested);
  if (hint === 0) return undefined;
  const floor = kernelMmapMinAddr(s.layout);
  return hint < floor ? pageUp(floor) : hint;
}
