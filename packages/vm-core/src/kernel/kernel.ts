/**
 * A Linux-like kernel memory manager on the simulated machine: tasks and
 * address spaces, the page-frame database, kmalloc and vmalloc, mmap and
 * friends, demand paging, fork with copy-on-write, exit, user-memory access
 * with the fault path in the loop, and uaccess with exception-table fixups.
 *
 * `Kernel` is a facade: its state is one `KernelState` (`state.ts`), and
 * each call goes to the module that mirrors the Linux file doing the same
 * work (`fault.ts`, `mmap.ts`, `vmscan.ts`, …; each names its file). The
 * hooks never see it: they are handed the narrow `KernelApi` built at boot
 * (`kernel-api.ts`), which it shows as `api` (and `uaccessApi`). It follows
 * Linux's behaviour; its own structure is kept simple (arrays and maps, no
 * RCU, no locks: the simulation is single-threaded and deterministic).
 */
import type { DeliveredSignal, ErrnoName, SignalName } from './abi.ts';
import { bootKernel } from './boot.ts';
import { switchTo } from './context-switch.ts';
import type { TraceListener } from './events.ts';
import { exec } from './exec.ts';
import { exit, ignoreSigchld, wait } from './exit.ts';
import { access, accessSized, kernelAccess } from './fault.ts';
import { createFile, readFile, truncateFile } from './filemap.ts';
import { fork, kthread, spawn, thread } from './fork.ts';
import type { ReclaimCandidate, VirtualAddress } from './hooks.ts';
import { hugePmdOf } from './huge-memory.ts';
import type { IoOutcome, IoVec } from './iov-iter.ts';
import { directMapAddress, kfree, kmalloc } from './kmalloc.ts';
import { checkLinuxVersion, type LinuxVersion } from './linux-version.ts';
import type { Mm } from './mm.ts';
import { brk, madviseDontneed, mlock, mmap, munlock, munmap } from './mmap.ts';
import { mprotect } from './mprotect.ts';
import { mremap } from './mremap.ts';
import { createPipe, type Pipe } from './pipe.ts';
import { procMemRw } from './proc-mem.ts';
import { processVmRw } from './process-vm.ts';
import { type IoTarget, readv, writev } from './read-write.ts';
import {
  type SignalAction,
  type SigprocmaskHow,
  sigaction,
  siglongjmp,
  sigprocmask,
  sigreturn,
} from './signal.ts';
import type { KernelState } from './state.ts';
import type {
  AccessOutcome,
  CopyOutcome,
  Cpu,
  DiskFile,
  KernelOptions,
  MlockResult,
  MmapRequest,
  MmapResult,
  MremapRequest,
  ReclaimCheck,
  SizedAccessOutcome,
  Task,
  WaitResult,
} from './types.ts';
import type { UserValueSize } from './uaccess.ts';
import {
  copyFromUser,
  copyToUser,
  type GetUserOutcome,
  getUser,
  type PutUserOutcome,
  putUser,
} from './usercopy.ts';
import { vfree, vmalloc } from './vmalloc.ts';
import { reclaim, reclaimCandidate, reclaimCheck, runKswapd } from './vmscan.ts';

export { UACCESS_IP } from './extable.ts';
export type { IoOutcome, IoVec } from './iov-iter.ts';
export type { Pipe } from './pipe.ts';
export type { IoTarget } from './read-write.ts';
export type * from './types.ts';

/**
 * The parts of its state the facade shows, read-only, each the state's own
 * field (state.ts documents them): one list, from which the getters are made.
 */
const SHOWN = [
  'api',
  'uaccessApi',
  'arch',
  'layout',
  'linux',
  'memory',
  'frames',
  'tables',
  'cpus',
  'tasks',
  'mms',
  'initMm',
  'kernelTables',
  'hooks',
  'pcid',
  'exceptionTable',
  'files',
  'pipes',
  'rmap',
  'lru',
  'swap',
  'swapCache',
  'watermarks',
  'stats',
  'hugePmds',
  'thp',
] as const satisfies readonly (keyof KernelState)[];

// The class defines a getter for each of these (from SHOWN, in its static block).
export interface Kernel extends Pick<KernelState, (typeof SHOWN)[number]> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the getters that the static block defines
export class Kernel {
  static {
    for (const name of SHOWN) {
      Object.defineProperty(Kernel.prototype, name, {
        get(this: Kernel) {
          return this.state[name];
        },
        configurable: true,
      });
    }
  }

  private readonly state: KernelState;

  constructor(options: KernelOptions = {}) {
    this.state = bootKernel(options);
  }

  // ───────────────────────── tasks and address spaces (fork.ts, exec.ts, exit.ts) ─────────────────────────

  /** A user process with a fresh address space and a stack (a minimal execve). */
  spawn(name: string, options: { readonly uid?: number } = {}): Task {
    return spawn(this.state, name, options.uid);
  }

  /** A thread: a task sharing `pid`'s mm (clone with CLONE_VM). */
  thread(pid: number, name?: string): Task {
    return thread(this.state, pid, name);
  }

  /** A kernel thread: no mm of its own; it borrows whatever is loaded when it runs. */
  kthread(name: string): Task {
    return kthread(this.state, name);
  }

  /** context_switch(): runs `pid` on `cpu`, switching page tables only if the mm changes. */
  switchTo(cpuId: number, pid: number): void {
    switchTo(this.state, cpuId, pid);
  }

  /** fork(): a child with a copy-on-write copy of the parent's address space. */
  fork(pid: number): Task {
    return fork(this.state, pid);
  }

  /** execve(): a fresh address space; the old one goes when its last user does. */
  exec(pid: number): void {
    exec(this.state, pid);
  }

  /**
   * exit(): the task ends with status `code` (0..255). Everything it owns
   * goes — its address space with its last user — and it is a zombie until
   * its parent waits for it (a thread, a kernel thread, or the child of a
   * parent ignoring SIGCHLD is reaped at once). Its children go to init.
   */
  exit(pid: number, code = 0): void {
    exit(this.state, pid, code);
  }

  /**
   * wait4() / waitpid(): `pid` reaps a zombie child — `child`, or any (-1)
   * — and learns how it ended; ECHILD when it has no such child. Nothing
   * sleeps here: children that are all still running give `would-block`.
   */
  wait(pid: number, child = -1): WaitResult {
    return wait(this.state, pid, child);
  }

  /** sigaction(SIGCHLD, SIG_IGN) for `pid`'s process (or back to SIG_DFL): its children exiting from now on are reaped at once. */
  ignoreSigchld(pid: number, ignore = true): void {
    ignoreSigchld(this.state, pid, ignore);
  }

  // ───────────────────────── signals (signal.ts) ─────────────────────────

  /**
   * sigaction() for `pid`'s process (its threads share the dispositions):
   * the default action, SIG_IGN, or a SA_SIGINFO handler; -EINVAL for
   * SIGKILL. A fault's signal forced on a task that blocks or ignores it
   * kills all the same (force_sig_fault).
   */
  sigaction(pid: number, signal: SignalName, action: SignalAction): ErrnoName | null {
    return sigaction(this.state, pid, signal, action);
  }

  /** sigprocmask() for the thread `pid`. */
  sigprocmask(pid: number, how: SigprocmaskHow, signals: readonly SignalName[]): void {
    sigprocmask(this.state, pid, how, signals);
  }

  /**
   * rt_sigreturn(): `pid`'s innermost handler returns, its frame's mask
   * comes back, and the interrupted access should be retried by the caller.
   * Returns the signal that handler was handed.
   */
  sigreturn(pid: number): DeliveredSignal {
    return sigreturn(this.state, pid);
  }

  /** siglongjmp() out of every handler `pid` is inside, back to the mask it had when it faulted. */
  siglongjmp(pid: number): void {
    siglongjmp(this.state, pid);
  }

  // ───────────────────────── system calls (mmap.ts, mprotect.ts, mremap.ts) ─────────────────────────

  mmap(pid: number, request: MmapRequest): MmapResult {
    return mmap(this.state, pid, request);
  }

  munmap(pid: number, address: number, length: number): ErrnoName | null {
    return munmap(this.state, pid, address, length);
  }

  /** Whether a transparent huge page's PMD maps `address` in `pid`'s address space (rather than a PTE, or nothing). */
  mappedHuge(pid: number, address: number): boolean {
    const mm = this.state.tasks.get(pid)?.mm;
    return mm != null && hugePmdOf(this.state, mm, address) !== null;
  }

  mprotect(pid: number, address: number, length: number, prot: MmapRequest['prot']): ErrnoName | null {
    return mprotect(this.state, pid, address, length, prot);
  }

  /**
   * mremap(): an area shrinks, grows in place, or (MREMAP_MAYMOVE) moves —
   * its PTEs carried along, so the moved pages are there without a fault.
   * A locked area that grew is faulted in (the result's faults).
   */
  mremap(pid: number, request: MremapRequest): MmapResult {
    return mremap(this.state, pid, request);
  }

  /** mlock(): the range's pages stay in memory, faulted in now (the faults are the result's). */
  mlock(pid: number, address: number, length: number): MlockResult {
    return mlock(this.state, pid, address, length);
  }

  munlock(pid: number, address: number, length: number): ErrnoName | null {
    return munlock(this.state, pid, address, length);
  }

  /** madvise(MADV_DONTNEED): drops the range's pages, keeping the areas; the next touch refills them from what backs them. */
  madviseDontneed(pid: number, address: number, length: number): ErrnoName | null {
    return madviseDontneed(this.state, pid, address, length);
  }

  /** brk(): moves the end of the heap; returns the new break (the old one if the move is refused). */
  brk(pid: number, newBrk: number): number {
    return brk(this.state, pid, newBrk);
  }

  // ───────────────────────── memory access (fault.ts) ─────────────────────────
  // Addresses here are numbers (signed on 64-bit machines, as hw/address.ts
  // says) or exact bigints: a bigint no number holds is non-canonical, and
  // its fault reports it exactly.

  /** A user-mode load, store or instruction fetch of one byte by `pid`, with the fault path in the loop. */
  access(pid: number, address: number | bigint, kind: 'read' | 'write' | 'exec', value = 0): AccessOutcome {
    return access(this.state, pid, address, kind, value);
  }

  /**
   * A user-mode load or store of 2, 4 or 8 bytes (little-endian) by `pid`,
   * which may straddle two pages: it completes only when both translate,
   * and a fault on the second page reports that page's first byte.
   */
  accessSized(
    pid: number,
    address: number | bigint,
    kind: 'read' | 'write',
    size: 2 | 4 | 8,
    value = 0n,
  ): SizedAccessOutcome {
    return accessSized(this.state, pid, address, kind, size, value);
  }

  /**
   * A kernel-mode access on `cpu` (the current task's context). `ip` names
   * the instruction, so the exception table can find a fixup for it; where
   * the uaccess routines load and store unprivileged (ARM64 since 5.11, or
   * with UAO), an instruction with an entry is LDTR/STTR, as in byteAccess.
   */
  kernelAccess(
    cpuId: number,
    address: number | bigint,
    kind: 'read' | 'write',
    options: { ip?: number; value?: number } = {},
  ): AccessOutcome {
    const s = this.state;
    const unprivileged =
      s.arch.unprivilegedUaccess === true && options.ip !== undefined && s.exceptionTable.has(options.ip);
    return kernelAccess(s, cpuId, address, kind, { ...options, unprivileged });
  }

  // ───────────────────────── kernel memory (kmalloc.ts, vmalloc.ts) ─────────────────────────

  /** kmalloc(): physically contiguous, from the direct map; never faults; null under pressure. */
  kmalloc(bytes: number): number | null {
    return kmalloc(this.state, bytes);
  }

  kfree(address: number): void {
    kfree(this.state, address);
  }

  /** vmalloc(): virtually contiguous in the vmalloc area, built from scattered single frames. */
  vmalloc(bytes: number): number | null {
    return vmalloc(this.state, bytes);
  }

  vfree(address: number): void {
    vfree(this.state, address);
  }

  directMapAddress(pfn: number): number {
    return directMapAddress(this.state, pfn);
  }

  // ───────────────────────── user copies (usercopy.ts) ─────────────────────────

  /** copy_from_user() on behalf of `pid` (a process, or a kernel thread), into a temporary kmalloc buffer. */
  copyFromUser(pid: number, userAddress: number | bigint, length: number): CopyOutcome {
    return copyFromUser(this.state, pid, userAddress, length);
  }

  /** copy_to_user() of `bytes` on behalf of `pid`. */
  copyToUser(pid: number, userAddress: number | bigint, bytes: readonly number[]): CopyOutcome {
    return copyToUser(this.state, pid, userAddress, bytes);
  }

  /** get_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
  getUser(pid: number, userAddress: number | bigint, size: UserValueSize): GetUserOutcome {
    return getUser(this.state, pid, userAddress, size);
  }

  /** put_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
  putUser(pid: number, userAddress: number | bigint, size: UserValueSize, value: bigint): PutUserOutcome {
    return putUser(this.state, pid, userAddress, size, value);
  }

  // ───────────────────────── system calls over user copies (read-write.ts, pipe.ts, process-vm.ts, proc-mem.ts) ─────────────────────────

  /** pipe(): a pipe by this name, both ends open (O_NONBLOCK) to every task that names it. */
  pipe(name: string): Pipe {
    return createPipe(this.state, name);
  }

  /** read / readv (pread / preadv on a file) by `pid` into its buffers: the count read, or the errno when none was. */
  readv(pid: number, from: IoTarget, iov: readonly IoVec[]): IoOutcome {
    return readv(this.state, pid, from, iov);
  }

  /** write / writev (pwrite / pwritev on a file) by `pid` from its buffers. */
  writev(pid: number, to: IoTarget, iov: readonly IoVec[]): IoOutcome {
    return writev(this.state, pid, to, iov);
  }

  /** process_vm_readv(): `pid` copies from `target`'s memory (`remote`) into its own buffers (`local`). */
  processVmReadv(pid: number, target: number, local: readonly IoVec[], remote: readonly IoVec[]): IoOutcome {
    return processVmRw(this.state, pid, target, local, remote, false);
  }

  /** process_vm_writev(): `pid` copies from its own buffers into `target`'s memory. */
  processVmWritev(pid: number, target: number, local: readonly IoVec[], remote: readonly IoVec[]): IoOutcome {
    return processVmRw(this.state, pid, target, local, remote, true);
  }

  /**
   * pread() of /proc/`target`/mem at `address` into `pid`'s buffer (FOLL_FORCE:
   * a page the process cannot read is read all the same): the count, or
   * EIO where nothing could be reached, EFAULT for a bad buffer.
   */
  procMemRead(pid: number, target: number, address: number | VirtualAddress, buffer: IoVec): IoOutcome {
    return procMemRw(this.state, pid, target, address, buffer, false);
  }

  /**
   * pwrite() to /proc/`target`/mem at `address` from `pid`'s buffer: a
   * read-only private page gets a private copy, still read-only (FOLL_FORCE);
   * a shared mapping without PROT_WRITE is EIO.
   */
  procMemWrite(pid: number, target: number, address: number | VirtualAddress, buffer: IoVec): IoOutcome {
    return procMemRw(this.state, pid, target, address, buffer, true);
  }

  // ───────────────────────── reclaim (vmscan.ts) ─────────────────────────

  /** Runs kswapd if an allocation woke it: reclaim until the high watermark. */
  runKswapd(): number {
    return runKswapd(this.state);
  }

  /** shrink_lruvec(), simplified: the second-chance scan; returns the frames freed. */
  reclaim(target: number, who: 'kswapd' | 'direct' | 'manual' = 'manual'): number {
    return reclaim(this.state, target, who);
  }

  /**
   * Whether reclaiming `pfn` now would free it, read without changing
   * anything. `swapSlotsTaken`: slots a caller counting several pages in a
   * row has already promised to earlier ones.
   */
  reclaimCheck(pfn: number, swapSlotsTaken = 0): ReclaimCheck {
    return reclaimCheck(this.state, pfn, swapSlotsTaken);
  }

  /**
   * What reclaim would hand `reclaimDecision` for `pfn` if it scanned it
   * now, read without changing anything: no accessed bit or PG_referenced
   * is cleared (the real scan clears them as it reads them).
   */
  reclaimCandidate(pfn: number): ReclaimCandidate {
    return reclaimCandidate(this.state, pfn);
  }

  // ───────────────────────── files and the page cache (filemap.ts) ─────────────────────────

  /** Creates a file with these bytes (a name already taken is refused). */
  createFile(name: string, content: Uint8Array | readonly number[]): DiskFile {
    return createFile(this.state, name, content);
  }

  /** ftruncate(): the file's new length; mappings of what is cut off take SIGBUS there. */
  truncateFile(name: string, length: number): ErrnoName | null {
    return truncateFile(this.state, name, length);
  }

  /** What read(2) of the file returns now: the page cache where a page is cached, else the disk. */
  readFile(name: string, offset: number, length: number): number[] {
    return readFile(this.state, name, offset, length);
  }

  // ───────────────────────── events and lookups ─────────────────────────

  /** Subscribes to kernel events and every CPU's hardware events; returns the unsubscribe function. */
  subscribe(listener: TraceListener): () => void {
    const s = this.state;
    s.listeners.push(listener);
    s.listener =
      s.listeners.length === 0
        ? null
        : (e) => {
            for (const l of [...s.listeners]) l(e);
          };
    const stops = s.cpus.map((cpu) => cpu.mmu.subscribe(listener));
    return () => {
      const i = s.listeners.indexOf(listener);
      if (i >= 0) s.listeners.splice(i, 1);
      if (s.listeners.length === 0) s.listener = null;
      for (const stop of stops) stop();
    };
  }

  // These three check for themselves rather than call state.ts's lookups:
  // an error they throw is then the KernelError this module declares, even
  // when this module is loaded twice (see KernelError below).

  /** A task by pid: running, a zombie, or reaped (`state` says which; a reaped one is no longer on the task list). */
  task(pid: number): Task {
    const task = this.state.tasks.get(pid) ?? this.state.reaped.get(pid);
    if (task === undefined) throw new KernelError(`no task with pid ${pid}`);
    return task;
  }

  cpu(id: number): Cpu {
    const cpu = this.state.cpus[id];
    if (cpu === undefined) throw new KernelError(`no cpu ${id} (this machine has ${this.state.cpus.length})`);
    return cpu;
  }

  mmById(id: number): Mm {
    const mm = this.state.mms.get(id);
    if (mm === undefined) throw new KernelError(`no mm ${id}`);
    return mm;
  }
}

/**
 * The registered brand of a KernelError. A registered symbol is the same in
 * every copy of this module, and there can be several in one process: a
 * bundle that inlines vm-core beside an exercise's tests that import it at
 * run time, or the same file loaded under two URLs. Recognising the error by
 * its brand keeps them agreeing, where `instanceof` (one class per copy) or
 * the constructor's name (renamed by bundlers, different for a subclass)
 * would not.
 */
const KERNEL_ERROR = Symbol.for('faultline.kernel-error');

/** A misuse of the kernel's API (a bad pid, a double free): a bug in the caller, reported clearly. */
export class KernelError extends Error {
  static {
    Object.defineProperty(KernelError.prototype, KERNEL_ERROR, { value: true });
    // `e instanceof KernelError` holds for a KernelError of any copy of
    // vm-core; a subclass inherits this and keeps the prototype-chain test.
    Object.defineProperty(KernelError, Symbol.hasInstance, {
      value(this: unknown, value: unknown): boolean {
        return this === KernelError
          ? isKernelError(value)
          : Function.prototype[Symbol.hasInstance].call(this, value);
      },
    });
  }
}

/** A Linux version given from outside, checked (linux-version.ts): "major.minor" from 3.0 on, else a KernelError saying so. */
export function parseLinuxVersion(value: unknown): LinuxVersion {
  const checked = checkLinuxVersion(value);
  if (checked.kind === 'err') throw new KernelError(checked.message);
  return checked.version;
}

/** Whether `e` is a KernelError (or a subclass's), from this copy of vm-core or any other. */
export function isKernelError(e: unknown): e is KernelError {
  return typeof e === 'object' && e !== null && (e as { [KERNEL_ERROR]?: unknown })[KERNEL_ERROR] === true;
}
