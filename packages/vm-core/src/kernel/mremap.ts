/**
 * mremap(): an area shrinks, grows in place, or moves — and a move takes
 * its pages along. The PTEs themselves are carried to the new addresses
 * (move_page_tables), so moved memory is there at once: no fault, the same
 * frames, the same dirty and accessed bits; only the reverse map learns
 * the new addresses. The old range is unmapped, or with MREMAP_DONTUNMAP
 * kept as an empty area whose next touch faults afresh.
 *
 * Follows mm/mremap.c of Linux 6.1 (SYSCALL_DEFINE5(mremap), mremap_to,
 * vma_to_resize, vma_expandable, move_vma, move_ptes) and copy_vma in
 * mm/mmap.c.
 */
import type { ErrnoName } from './abi.ts';
import { populate } from './gup.ts';
import { hugePmdsToMove, moveHugePmds, prepareHugePmdMoves, splitHugePmds } from './huge-memory.ts';
import { unmapRange } from './memory.ts';
import { type Mm, OutOfMemory } from './mm.ts';
import { getUnmappedArea, lockedBytes, mayLockMore, mayMapBelowMinAddr } from './mmap.ts';
import { moveMapping } from './page-rmap.ts';
import { type KernelState, PAGE, pageUp, userTask } from './state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import type { MmapResult, MremapRequest, Task } from './types.ts';
import { type Vma, VmFlag, vmaPgoff } from './vma.ts';

type Failure = { readonly kind: 'error'; readonly errno: ErrnoName };

function fail(errno: ErrnoName): Failure {
  return { kind: 'error', errno };
}

export function mremap(s: KernelState, pid: number, request: MremapRequest): MmapResult {
  const task = userTask(s, pid);
  const mm = task.mm!;
  const { address } = request;
  const mayMove = request.mayMove === true;
  if (request.fixed === true && !mayMove) return fail('EINVAL');
  if (request.dontUnmap === true && (!mayMove || request.oldLength !== request.newLength))
    return fail('EINVAL');
  if (!Number.isSafeInteger(address) || address < 0 || address % PAGE !== 0) return fail('EINVAL');
  if (!isLength(request.oldLength) || !isLength(request.newLength)) return fail('EINVAL');
  const oldLength = pageUp(request.oldLength);
  const newLength = pageUp(request.newLength);
  if (newLength === 0) return fail('EINVAL');
  // vma_lookup() first (since 5.16): an address no area holds is EFAULT, whatever else is asked.
  if (mm.vmas.containing(address) === null) return fail('EFAULT');
  if (request.fixed === true || request.dontUnmap === true)
    return mremapTo(s, task, address, oldLength, newLength, request);

  // Shrinking always succeeds: the tail goes as munmap would take it (and
  // an equal length is a no-op that checks nothing more).
  if (oldLength >= newLength) {
    if (oldLength > newLength) {
      const e = doMunmap(s, mm, address + newLength, oldLength - newLength);
      if (e !== null) return fail(e);
    }
    return { kind: 'ok', address };
  }
  const vma = vmaToResize(task, address, oldLength, newLength);
  if (typeof vma === 'string') return fail(vma);
  // Growing the last part of an area with free room after it: in place.
  if (oldLength === vma.end - address && expandable(s, mm, vma, newLength - oldLength)) {
    const locked = (vma.flags & VmFlag.Locked) !== 0;
    const extension = { start: vma.end, end: address + newLength };
    // vma_merge() of the extension: the area grows (and joins the next one if it now touches it and matches).
    mm.vmas.insert(extensionOf(vma, extension.start, extension.end));
    return grown(s, task, address, locked ? extension : null);
  }
  if (!mayMove) return fail('ENOMEM');
  const to = getUnmappedArea(s, mm, newLength);
  if (to === null) return fail('ENOMEM');
  return moveVma(s, task, vma, address, oldLength, newLength, to, false);
}

/**
 * mremap_to(): MREMAP_FIXED — the area moves to exactly `newAddress`,
 * whatever was mapped there unmapped first — or MREMAP_DONTUNMAP, where
 * `newAddress` is only a hint. The two ranges may not overlap.
 */
function mremapTo(
  s: KernelState,
  task: Task,
  address: number,
  oldLength: number,
  newLength: number,
  request: MremapRequest,
): MmapResult {
  const mm = task.mm!;
  const newAddress = request.newAddress ?? 0;
  const taskSize = s.layout.userEnd;
  if (!Number.isSafeInteger(newAddress) || newAddress < 0 || newAddress % PAGE !== 0) return fail('EINVAL');
  if (newLength > taskSize || newAddress > taskSize - newLength) return fail('EINVAL');
  if (address + oldLength > newAddress && newAddress + newLength > address) return fail('EINVAL');
  const fixed = request.fixed === true;
  if (fixed) unmapRange(s, mm, newAddress, newAddress + newLength);
  let length = oldLength;
  if (oldLength > newLength) {
    const e = doMunmap(s, mm, address + newLength, oldLength - newLength);
    if (e !== null) return fail(e);
    length = newLength;
  }
  const vma = vmaToResize(task, address, length, newLength);
  if (typeof vma === 'string') return fail(vma);
  // get_unmapped_area(): MAP_FIXED asks security_mmap_addr (mmap_min_addr
  // unless CAP_SYS_RAWIO); a hint is taken if it is free, else searched for.
  let to: number;
  if (fixed) {
    if (!mayMapBelowMinAddr(s, task, newAddress)) return fail('EPERM');
    to = newAddress;
  } else {
    const found = getUnmappedArea(s, mm, newLength, newAddress);
    if (found === null) return fail('ENOMEM');
    to = found;
  }
  return moveVma(s, task, vma, address, length, newLength, to, request.dontUnmap === true);
}

/**
 * vma_to_resize(): the area holding `address`, if [address, address +
 * oldLength) lies inside it and it may become newLength long. A length of
 * 0 "duplicates" a shared mapping and is refused for a private one.
 */
function vmaToResize(task: Task, address: number, oldLength: number, newLength: number): Vma | ErrnoName {
  const mm = task.mm!;
  const vma = mm.vmas.containing(address);
  if (vma === null) return 'EFAULT';
  if (oldLength === 0 && (vma.flags & VmFlag.Shared) === 0) return 'EINVAL';
  // (VM_DONTEXPAND and VM_PFNMAP areas, which refuse MREMAP_DONTUNMAP and growth, are not modelled.)
  // "We can't remap across vm area boundaries."
  if (oldLength > vma.end - address) return 'EFAULT';
  if (newLength === oldLength) return vma;
  // mlock_future_check(): a locked area grows locked, within RLIMIT_MEMLOCK.
  if ((vma.flags & VmFlag.Locked) !== 0 && !mayLockMore(task, lockedBytes(mm) + newLength - oldLength))
    return 'EAGAIN';
  return vma;
}

/** vma_expandable(): nothing mapped in the `delta` bytes after the area, and they are below TASK_SIZE. */
function expandable(s: KernelState, mm: Mm, vma: Vma, delta: number): boolean {
  const end = vma.end + delta;
  return end <= s.layout.userEnd && mm.vmas.isFree(vma.end, end);
}

/**
 * move_vma(): a copy of the area at `to` (copy_vma), the PTEs of [from,
 * from + length) carried there (move_page_tables), then the old range
 * unmapped — or, with MREMAP_DONTUNMAP, left as an area with no pages,
 * no longer locked. A locked area that grew is faulted in beyond what moved.
 */
function moveVma(
  s: KernelState,
  task: Task,
  vma: Vma,
  from: number,
  length: number,
  newLength: number,
  to: number,
  dontUnmap: boolean,
): MmapResult {
  const mm = task.mm!;
  const old = { start: vma.start, end: vma.end, whole: vma.start === from && vma.end === from + length };
  const locked = (vma.flags & VmFlag.Locked) !== 0;
  // The page tables at the destination first: running out of memory for one
  // leaves everything as it was (Linux moves back what it had moved).
  // Allocating them may reclaim, and reclaim (or the OOM killer) may swap
  // out or split what is to move: then the entries are read again (Linux
  // re-reads each PMD after alloc_new_pmd). Nothing else changes them.
  let huge: number[];
  let entries: number[];
  for (;;) {
    huge = hugePmdsToMove(s, mm, from, length, to);
    entries = entriesToMove(s, mm, from, length, huge);
    const reclaimed = s.stats.pagesScanned + s.stats.oomKills;
    try {
      prepareHugePmdMoves(s, mm, huge, from, to);
      for (let i = 0; i < entries.length; i += 3) s.tables.pteAddress(mm.pgdPfn, entries[i]! - from + to, mm);
    } catch (error) {
      if (error instanceof OutOfMemory) return fail('ENOMEM');
      throw error;
    }
    if (s.stats.pagesScanned + s.stats.oomKills === reclaimed) break;
  }
  mm.vmas.insert(copyOf(vma, from, to, newLength));
  moveHugePmds(s, mm, huge, from, to);
  carryPtes(s, mm, entries, from, to);
  if (dontUnmap) {
    // The old area stays, empty; it is no longer locked, and if it moved
    // whole, its anon_vma is unlinked (a later fault starts a new one).
    mm.vmas.changeFlags(old.start, old.end, (f) => f & ~VmFlag.Locked);
    const rest = mm.vmas.containing(from);
    if (old.whole && rest !== null && rest.start === from && rest.end === from + length) delete rest.anonVma;
  } else unmapRange(s, mm, from, from + length);
  return grown(
    s,
    task,
    to,
    locked && newLength > length ? { start: to + length, end: to + newLength } : null,
  );
}

/** The result of a successful grow or move: the new address, and the faults a locked area's growth took (mm_populate). */
function grown(
  s: KernelState,
  task: Task,
  address: number,
  populateRange: { start: number; end: number } | null,
): MmapResult {
  if (populateRange === null) return { kind: 'ok', address };
  return { kind: 'ok', address, faults: populate(s, task, populateRange.start, populateRange.end) };
}

/**
 * copy_vma(): the new area, with the old one's rights, name and file
 * offset. An anonymous area keeps its page offset if it holds pages (their
 * rmap index must stay valid), or takes the new address's if it never
 * faulted — "to increase its chance of merging".
 */
function copyOf(vma: Vma, from: number, to: number, length: number): Vma {
  const pgoff = vmaPgoff(vma) + (from - vma.start) / PAGE;
  return areaLike(vma, to, to + length, vma.file !== undefined || vma.anonVma === true ? pgoff : to / PAGE);
}

/** The part [start, end) an area grows by in place: it continues the area's file or anonymous offsets. */
function extensionOf(vma: Vma, start: number, end: number): Vma {
  return areaLike(vma, start, end, vmaPgoff(vma) + (start - vma.start) / PAGE);
}

/** An area with `vma`'s rights, name, file and anon_vma over [start, end), whose first page has offset `pgoff`. */
function areaLike(vma: Vma, start: number, end: number, pgoff: number): Vma {
  const area: Vma = { start, end, flags: vma.flags, name: vma.name };
  if (vma.file !== undefined) area.file = { name: vma.file.name, pgoff };
  else if (pgoff !== start / PAGE) area.anonPgoff = pgoff;
  if (vma.anonVma === true) area.anonVma = true;
  return area;
}

/**
 * The non-empty PTEs of [from, from + length): address, low half, high
 * half, three numbers each. Huge PMDs split first, except those that move
 * whole (`huge`), whose pages are not listed.
 */
function entriesToMove(
  s: KernelState,
  mm: Mm,
  from: number,
  length: number,
  huge: readonly number[],
): number[] {
  const entries: number[] = [];
  splitHugePmds(s, mm, from, from + length, huge);
  s.tables.forEachUserEntry(mm.pgdPfn, from, from + length, (va, pa, lo, hi) => {
    if (!huge.includes(pa)) entries.push(va, lo, hi);
  });
  return entries;
}

/**
 * move_ptes(): each entry is cleared at its old address and set, unchanged,
 * at the new one — a present page, the zero page, a PROT_NONE page or a
 * swap entry alike. Old translations of present pages are flushed
 * (flush_tlb_range: one page at a time for a range this small).
 */
function carryPtes(s: KernelState, mm: Mm, entries: readonly number[], from: number, to: number): void {
  const tables = s.tables;
  const ops = s.arch.pteHalves;
  for (let i = 0; i < entries.length; i += 3) {
    const va = entries[i]!;
    const lo = entries[i + 1]!;
    const hi = entries[i + 2]!;
    const dest = va - from + to;
    tables.store(tables.pteAddress(mm.pgdPfn, va)!, 0, 0);
    tables.store(tables.pteAddress(mm.pgdPfn, dest)!, lo, hi);
    if (!ops.mapsFrame(lo, hi)) continue;
    const pfn = ops.pfn(lo, hi);
    if (pfn !== s.zeroPagePfn) moveMapping(s, mm, va, dest, pfn);
    flushTlbPage(s, mm.id, va);
  }
}

/** do_munmap() as mremap calls it: within TASK_SIZE, or EINVAL. */
function doMunmap(s: KernelState, mm: Mm, start: number, length: number): ErrnoName | null {
  if (start > s.layout.userEnd || length > s.layout.userEnd - start) return 'EINVAL';
  unmapRange(s, mm, start, start + length);
  return null;
}

function isLength(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
