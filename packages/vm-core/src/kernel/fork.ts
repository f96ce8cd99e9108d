/**
 * Creating tasks and address spaces: the first tasks, threads (CLONE_VM),
 * kernel threads, and fork with copy-on-write.
 *
 * Follows kernel/fork.c (copy_process, dup_mm, dup_mmap), mm/memory.c
 * (copy_page_range, copy_present_pte) and arch/x86/mm/pgtable.c (pgd_alloc).
 */
import { PteHalves } from './arch/pte-halves.ts';
import { ROOT_UID, USER_UID } from './cred.ts';
import { addStack } from './exec.ts';
import { dropMm } from './exit.ts';
import { PageFlag } from './frames.ts';
import { copyHugePmd } from './huge-memory.ts';
import { KernelError } from './kernel.ts';
import { Mm, OutOfMemory } from './mm.ts';
import { addMapping } from './page-rmap.ts';
import { SignalHandlers } from './signal.ts';
import { emit, type KernelState, PAGE, userTask } from './state.ts';
import { allocateAsid, flushTlbMm } from './tlb-flush.ts';
import type { Task, TaskKind } from './types.ts';
import { VmFlag } from './vma.ts';

/**
 * A new task on the task list. `family`: its parent (who may wait for it)
 * and its thread group — copy_process sets real_parent to the caller, or
 * to the caller's own parent for CLONE_THREAD; a new process leads a
 * group of its own.
 */
export function addTask(
  s: KernelState,
  name: string,
  kind: TaskKind,
  mm: Mm | null,
  family: {
    readonly parent: number;
    readonly tgid?: number;
    readonly ignoresSigchld?: boolean;
    /** Its signal state: the creator's, shared or copied (default: every action the default, nothing blocked). */
    readonly signals?: Pick<Task, 'sighand' | 'blocked' | 'signalFrames'>;
    /** The credentials' uid (default root: the idle task, init and kernel threads are root). */
    readonly uid?: number;
  },
): Task {
  const pid = s.nextPid++;
  const task: Task = {
    pid,
    name,
    kind,
    tgid: family.tgid ?? pid,
    parent: family.parent,
    mm,
    activeMm: mm,
    alive: true,
    state: 'running',
    exitStatus: null,
    ignoresSigchld: family.ignoresSigchld ?? false,
    uid: family.uid ?? ROOT_UID,
    sighand: family.signals?.sighand ?? new SignalHandlers(),
    blocked: family.signals?.blocked ?? new Set(),
    signalFrames: family.signals?.signalFrames ?? [],
    death: null,
    lastCpu: null,
    userAccessOpen: false,
  };
  s.tasks.set(task.pid, task);
  if (s.listener !== null) emit(s, { type: 'task', pid: task.pid, what: 'created' });
  return task;
}

/** A new address space: empty user half, the kernel half copied from init_mm (pgd_alloc). */
export function newMm(s: KernelState): Mm {
  let pgd: number;
  try {
    pgd = s.tables.allocateTable(null);
  } catch (error) {
    if (error instanceof OutOfMemory)
      throw new KernelError('out of memory for a new page directory (-ENOMEM)');
    throw error;
  }
  const id = s.nextMmId++;
  const mm = new Mm(id, pgd, s.pcid ? allocateAsid(s) : 0, s.layout.brkStart);
  // Where the kernel half has a root of its own (ARM64's TTBR1), a new
  // pgd starts empty; elsewhere it shares init_mm's upper entries.
  const entries = s.arch.kernelHalfInUserRoot ? 2 ** s.layout.format.levels[0]!.indexBits : 0;
  const entryBytes = s.layout.format.entryBytes;
  for (let i = s.layout.kernelRootFirst; i < entries; i++) {
    const from = s.initMm.pgdPfn * PAGE + i * entryBytes;
    s.tables.store(pgd * PAGE + i * entryBytes, s.tables.lo(from), s.tables.hi(from));
  }
  s.mms.set(id, mm);
  return mm;
}

/** Init: what a spawned process is a child of, and who adopts orphans. */
export const INIT_PID = 1;
/** kthreadd: every kernel thread is its child (kthread_create asks it to fork them). */
export const KTHREADD_PID = 2;

/**
 * A user process with a fresh address space and a stack (a minimal
 * execve), as init's child — as if init had forked and exec'd it.
 */
export function spawn(s: KernelState, name: string, uid: number = USER_UID): Task {
  if (!Number.isSafeInteger(uid) || uid < 0 || uid > 0xffff_fffe)
    throw new KernelError(`spawn: uid ${String(uid)} is not one (0 for root, up to 4294967294)`);
  const mm = newMm(s);
  addStack(s, mm);
  // Init itself (pid 1) is spawned at boot, by the idle task.
  return addTask(s, name, 'user', mm, { parent: s.nextPid === INIT_PID ? 0 : INIT_PID, uid });
}

/**
 * A thread: a task sharing `pid`'s mm, in its thread group (clone with
 * CLONE_VM | CLONE_THREAD). Its parent is the process's parent, so no one
 * waits for it: it is reaped as it exits.
 */
export function thread(s: KernelState, pid: number, name?: string): Task {
  const creator = userTask(s, pid);
  creator.mm!.users++;
  return addTask(s, name ?? `${creator.name}-thread`, 'user', creator.mm, {
    parent: creator.parent,
    tgid: creator.tgid,
    ignoresSigchld: creator.ignoresSigchld,
    uid: creator.uid,
    // CLONE_SIGHAND shares the dispositions; the new thread starts with
    // its creator's mask and a stack of its own, with no frames on it.
    signals: { sighand: creator.sighand, blocked: new Set(creator.blocked), signalFrames: [] },
  });
}

/** A kernel thread: no mm of its own; it borrows whatever is loaded when it runs. */
export function kthread(s: KernelState, name: string): Task {
  return addTask(s, name, 'kthread', null, { parent: s.nextPid === KTHREADD_PID ? 0 : KTHREADD_PID });
}

/** The highest level above `level` whose entry for `va` is empty (the walk to `level` stops there). */
function missingLevel(s: KernelState, mm: Mm, va: number, level: number): number {
  const ops = s.arch.pteHalves;
  for (let l = 0; l < level; l++) {
    const pa = s.tables.entryAddress(mm.pgdPfn, va, { level: l })!;
    if (!ops.valid(s.tables.lo(pa), s.tables.hi(pa))) return l;
  }
  return level;
}

/** fork(): a child with a copy-on-write copy of the parent's address space. */
export function fork(s: KernelState, pid: number): Task {
  const parent = userTask(s, pid);
  const from = parent.mm!;
  const child = newMm(s);
  child.brkStart = from.brkStart;
  child.brk = from.brk;
  let writeProtected = false;
  const ops = s.arch.pteHalves;
  const tables = s.tables;
  const e = new PteHalves();
  // copy_pmd_range() goes a PMD at a time: a huge one is shared whole
  // (copy_huge_pmd); for a table, the child's table is allocated first —
  // which may reclaim, and so change the parent's entries — and only then
  // are the parent's PTEs read and copied (copy_pte_range), with nothing
  // allocated while they are.
  const pmdLevel = tables.levels - 2;
  const tableSpan = tables.span(pmdLevel);
  const last = tables.levels - 1;
  const entryBytes = s.layout.format.entryBytes;
  try {
    for (const vma of from.vmas.all) {
      // dup_mmap: mlock is not inherited (VM_LOCKED cleared in the child).
      child.vmas.insert({
        ...vma,
        flags: vma.flags & ~VmFlag.Locked,
        ...(vma.file ? { file: { ...vma.file } } : {}),
      });
      const shared = (vma.flags & VmFlag.Shared) !== 0;
      // vma_needs_copy(): an area without an anon_vma — shared memory, a
      // private file mapping never written, private memory that only ever
      // mapped the zero page — is refilled by the child's own faults from
      // the page cache or the zero page, so its PTEs are not copied.
      if (vma.anonVma !== true) continue;
      for (let chunk = vma.start - (vma.start % tableSpan); chunk < vma.end; ) {
        const parentPmd = tables.entryAddress(from.pgdPfn, chunk, { level: pmdLevel });
        if (parentPmd === null) {
          // A table above is missing: on past all it would have covered.
          const missing = missingLevel(s, from, chunk, pmdLevel);
          chunk = chunk - (chunk % tables.span(missing)) + tables.span(missing);
          continue;
        }
        const next = chunk + tableSpan;
        if (ops.none(tables.lo(parentPmd), tables.hi(parentPmd))) {
          chunk = next;
          continue;
        }
        if (s.hugePmds.has(parentPmd)) {
          const copied = copyHugePmd(s, from, child, chunk);
          if (copied !== 'split') {
            if (copied === 'write-protected') writeProtected = true;
            chunk = next;
            continue;
          }
        }
        const childTable = tables.entryAddress(child.pgdPfn, chunk, { create: child })!;
        tables.forEachUserEntry(
          from.pgdPfn,
          Math.max(chunk, vma.start),
          Math.min(next, vma.end),
          (va, pa, lo, hi) => {
            const target = childTable + tables.index(va, last) * entryBytes;
            e.set(lo, hi);
            if (!ops.mapsFrame(lo, hi)) {
              // A swapped-out page: both address spaces now hold the swap entry.
              s.swap!.duplicate(ops.swapOffset(lo, hi));
              child.swapEntries++;
            } else {
              const pfn = ops.pfn(lo, hi);
              if (pfn !== s.zeroPagePfn) {
                // The child's PTE holds a reference of its own (folio_try_dup_anon_rmap + folio_get).
                s.frames.incRefcount(pfn);
                addMapping(s, child, va, pfn);
                // page_try_dup_anon_rmap: shared with the child, exclusive to neither.
                s.frames.set(pfn, PageFlag.AnonExclusive, false);
              }
              // copy_present_pte: a private writable page becomes read-only in
              // both, so the first write by either side faults and copies.
              if (!shared && ops.write(lo, hi)) {
                ops.wrprotect(e);
                tables.store(pa, e.lo, e.hi);
                writeProtected = true;
              }
              // copy_present_pte's pte_mkold: the child's use is its own.
              ops.mkold(e);
            }
            tables.store(target, e.lo, e.hi);
          },
        );
        chunk = next;
      }
    }
  } catch (error) {
    if (!(error instanceof OutOfMemory)) throw error;
    // dup_mmap failed: undo the partial copy, as fork returning -ENOMEM does.
    if (writeProtected) flushTlbMm(s, from);
    dropMm(s, child);
    throw new KernelError("fork: out of memory for the child's page tables (-ENOMEM)");
  }
  // The parent's TLBs may still hold the writable translations.
  if (writeProtected) flushTlbMm(s, from);
  // The signal dispositions are copied (copy_sighand): SIGCHLD ignored
  // stays ignored, a handler stays installed; so are the mask and, with
  // the copied stack, the frames of the handlers the parent is inside.
  // copy_creds: the child runs as its parent does.
  return addTask(s, parent.name, 'user', child, {
    parent: pid,
    ignoresSigchld: parent.ignoresSigchld,
    uid: parent.uid,
    signals: {
      sighand: parent.sighand.copy(),
      blocked: new Set(parent.blocked),
      signalFrames: [...parent.signalFrames],
    },
  });
}
