/**
 * get_user_pages: the kernel faulting user pages in on its own behalf —
 * for MAP_POPULATE and mlock in the caller's address space, and for
 * process_vm_readv / process_vm_writev in another process's. The faults
 * go through the page-fault hook like any other, as user faults of the
 * mm they are in; one that cannot be fixed sends no signal but ends the
 * walk (GUP returns the pages it got, or an error).
 *
 * Follows mm/gup.c (populate_vma_page_range, __get_user_pages,
 * check_vma_flags, faultin_page), Linux 6.1.
 */
import { Access, Privilege } from '../hw/access.ts';
import { Mmu } from '../hw/mmu.ts';
import { cpuFor } from './context-switch.ts';
import { collectingFaults, gupFault, MAX_FAULTS_PER_ACCESS, recordSoftwareFault } from './fault.ts';
import { PageFlag } from './frames.ts';
import { linuxAtLeast } from './linux-version.ts';
import { replacePage } from './memory.ts';
import { allocPage, copyPage, getPage, putPage } from './page-alloc.ts';
import { type KernelState, PAGE, pageDown } from './state.ts';
import { tryFreeSwap } from './swap-state.ts';
import type { Cpu, FaultRecord, Task } from './types.ts';
import { type Vma, VmFlag } from './vma.ts';

/**
 * Faults in the pages of [start, end) as get_user_pages does for
 * MAP_POPULATE and mlock (mm/gup.c populate_vma_page_range, Linux 6.1):
 * for writing where the area is private and writable (FOLL_WRITE breaks
 * COW and allocates instead of mapping the zero page), else for reading;
 * areas without access are skipped. The faults go through the page-fault
 * hook like any other and count as the caller's; one that would raise a
 * signal (a file page past EOF) ends the area's population quietly, as
 * mm_populate ignores errors. Returns the faults taken.
 */
export function populate(s: KernelState, task: Task, start: number, end: number): readonly FaultRecord[] {
  const cpu = cpuFor(s, task.pid);
  return collectingFaults(() => {
    for (const vma of task.mm!.vmas.all) {
      if (vma.end <= start || vma.start >= end) continue;
      if ((vma.flags & (VmFlag.Read | VmFlag.Write | VmFlag.Exec)) === 0) continue;
      const write = (vma.flags & (VmFlag.Write | VmFlag.Shared)) === VmFlag.Write;
      const access = write ? Access.Write : Access.Read;
      pages: for (let va = Math.max(vma.start, start); va < Math.min(vma.end, end); va += PAGE) {
        for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
          s.arch.enterUserMode?.(cpu, task);
          const pa = cpu.mmu.translate(va, access, Privilege.User);
          s.arch.enterKernelMode?.(cpu);
          if (typeof pa === 'number') continue pages;
          if (!gupFault(s, cpu, task, pa)) break pages;
        }
        break;
      }
    }
  }).faults;
}

/**
 * The software walk of get_user_pages_remote: an MMU of its own, loaded
 * with the target's tables and no TLB, so that walking another process's
 * memory changes no CPU's state (Linux walks the tables in software,
 * follow_page_mask). It keeps accessed and dirty state itself, as
 * follow_page_pte with FOLL_TOUCH marks the page: a GUP needs no fault
 * just to set them.
 */
const walkers = new WeakMap<KernelState, Mmu>();

function walkerFor(s: KernelState, task: Task): Cpu {
  let mmu = walkers.get(s);
  if (mmu === undefined) {
    mmu = new Mmu({
      format: s.layout.format,
      memory: s.memory,
      tlb: null,
      control: { ...s.cpus[0]!.mmu.control, hardwareAccessed: true, hardwareDirty: true },
    });
    walkers.set(s, mmu);
  }
  const mm = task.mm!;
  mmu.switchAddressSpace(mm.pgdPfn * PAGE, { asid: mm.asid, flush: 'none' });
  return { id: 0, mmu, current: task, loadedMm: mm };
}

/** What a get_user_pages caller asks for (the FOLL_* flags modelled). */
export interface GupFlags {
  /** FOLL_WRITE: the pages will be written — a fault breaks COW, the zero page is not taken. */
  readonly write: boolean;
  /**
   * FOLL_FORCE (/proc/PID/mem, ptrace): a private mapping may be written
   * without PROT_WRITE and any mapping read without PROT_READ; a write gets
   * a private copy that stays read-only to the process (maybe_mkwrite).
   */
  readonly force: boolean;
  /** FOLL_PIN (pin_user_pages_remote, as process_vm_* takes) rather than FOLL_GET: a read pin may have to unshare. */
  readonly pin: boolean;
}

/**
 * get_user_pages_remote() / pin_user_pages_remote(): up to `count` pages
 * of `task`'s memory from the page at `start`, faulted in for writing
 * (FOLL_WRITE, which breaks COW) or reading. The walk stops at the first
 * page it cannot have — no area (past a stack it may grow), an area
 * without the right (check_vma_flags), a fault nothing fixes. A read pin
 * of an anonymous page that may be shared copy-on-write unshares it first
 * (since 5.19, see `unshareForPin`). Returns the frames, in order.
 */
export function getUserPagesRemote(
  s: KernelState,
  task: Task,
  start: number,
  count: number,
  flags: GupFlags,
): number[] {
  const walker = walkerFor(s, task);
  const access = flags.write ? Access.Write : Access.Read;
  const pfns: number[] = [];
  pages: for (let va = start; pfns.length < count; va += PAGE) {
    if (va < 0 || va >= s.layout.userEnd) break;
    const vma = task.mm!.vmas.containing(va);
    // No area: the fault path decides, growing a stack into the gap or refusing.
    if (vma !== null && !vmaAllows(vma, flags)) break;
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      const pa = walker.mmu.translate(va, access, Privilege.User);
      const pfn =
        typeof pa === 'number'
          ? Math.floor(pa / PAGE)
          : flags.force && vma !== null
            ? forcedFollow(s, task, vma, va, flags.write)
            : null;
      if (pfn !== null) {
        if (flags.pin && !flags.write && mustUnshare(s, pfn)) {
          if (!unshareForPin(s, walker, task, va, pfn)) break pages;
          continue;
        }
        pfns.push(pfn);
        continue pages;
      }
      if (typeof pa === 'number' || !gupFault(s, walker, task, pa, flags.force)) break pages;
    }
    break;
  }
  return pfns;
}

/**
 * check_vma_flags() (mm/gup.c, Linux 6.1): a write needs VM_WRITE, or
 * FOLL_FORCE on a private mapping (is_cow_mapping — a shared one would
 * write the file); a read needs VM_READ, or FOLL_FORCE (VM_MAYREAD, which
 * every mapping here has).
 */
function vmaAllows(vma: Vma, flags: GupFlags): boolean {
  if (flags.write)
    return (vma.flags & VmFlag.Write) !== 0 || (flags.force && (vma.flags & VmFlag.Shared) === 0);
  return (vma.flags & VmFlag.Read) !== 0 || flags.force;
}

/**
 * follow_page_pte() for a FOLL_FORCE access the hardware walk refused
 * (Linux 6.1): a PROT_NONE entry is followed (FOLL_NUMA is not set under
 * FOLL_FORCE), and a read-only entry may be written where
 * can_follow_write_pte() allows it — in a private area without VM_WRITE, a
 * page that is anonymous and exclusive, which is what the forced write
 * fault made it (the check that closed Dirty COW for good, 5535be309971,
 * "mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW", 6.0).
 * The frame, or null: take a fault.
 */
function forcedFollow(s: KernelState, task: Task, vma: Vma, va: number, write: boolean): number | null {
  const pa = s.tables.entryAddress(task.mm!.pgdPfn, va);
  if (pa === null) return null;
  const ops = s.arch.pteHalves;
  const lo = s.tables.lo(pa);
  const hi = s.tables.hi(pa);
  if (!ops.mapsFrame(lo, hi)) return null;
  const pfn = ops.pfn(lo, hi);
  if (!write || ops.write(lo, hi)) return pfn;
  const canFollowWrite =
    (vma.flags & (VmFlag.Shared | VmFlag.Write)) === 0 &&
    pfn !== s.zeroPagePfn &&
    s.frames.has(pfn, PageFlag.Anon) &&
    s.frames.has(pfn, PageFlag.AnonExclusive);
  return canFollowWrite ? pfn : null;
}

/**
 * gup_must_unshare() (mm/internal.h, Linux 6.1): a read-only pin
 * (FOLL_PIN without FOLL_WRITE) of an anonymous page not known to be
 * exclusive to this mm — after fork, a COW-shared page — must not take
 * the page as it is: a later COW break in either process would leave the
 * pin on a page the other one still maps, and the pinner would read stale
 * data. The zero page and page-cache pages are not anonymous.
 */
function mustUnshare(s: KernelState, pfn: number): boolean {
  return (
    linuxAtLeast(s.linux, '5.19') &&
    pfn !== s.zeroPagePfn &&
    s.frames.has(pfn, PageFlag.Anon) &&
    !s.frames.has(pfn, PageFlag.AnonExclusive)
  );
}

/**
 * The unshare fault (handle_mm_fault with FAULT_FLAG_UNSHARE → do_wp_page,
 * Linux 6.1): the COW decision of a write fault, without the write. A page
 * nobody else holds is reused — marked exclusive (page_move_anon_rmap), its
 * PTE left read-only; otherwise it is copied into a new exclusive page,
 * mapped read-only and clean (wp_page_copy's unshare branch). No signal
 * and no hook: it is the kernel's own fault, taken on the caller's behalf
 * and counted in its min_flt. False if no page could be had (VM_FAULT_OOM:
 * GUP returns the pages it got).
 */
function unshareForPin(s: KernelState, walker: Cpu, task: Task, va: number, pfn: number): boolean {
  const mm = task.mm!;
  const page = pageDown(va);
  tryFreeSwap(s, pfn);
  const why = 'a read-only pin (process_vm_readv) of a page shared copy-on-write unshares it first';
  if (s.frames.refcountOf(pfn) === 1) {
    s.frames.set(pfn, PageFlag.AnonExclusive);
    recordSoftwareFault(
      s,
      walker,
      task,
      page,
      'cow-reuse',
      `${why}: nobody else holds it, so it stays, now exclusive (FAULT_FLAG_UNSHARE)`,
    );
    return true;
  }
  getPage(s, pfn); // held across the allocation, which may reclaim (as wp_page_copy holds it)
  try {
    const copy = allocPage(s, null);
    if (copy < 0) return false;
    copyPage(s, pfn, copy);
    const vma = mm.vmas.containing(va)!;
    replacePage(s, mm.id, page, copy, {
      writable: false,
      exec: (vma.flags & VmFlag.Exec) !== 0,
      dirty: false,
    });
    recordSoftwareFault(
      s,
      walker,
      task,
      page,
      'cow-copy',
      `${why}: copied into a new page of its own, still read-only (FAULT_FLAG_UNSHARE)`,
    );
    return true;
  } finally {
    putPage(s, pfn);
  }
}
