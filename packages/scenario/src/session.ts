/**
 * One run on one simulated kernel: the operations of the step vocabulary as
 * typed calls (pids and addresses in, the kernel's own outcomes out), with
 * what a scenario adds around the kernel — a machine built from options,
 * hooks that can be swapped mid-run, counters of cost, and which CPU each
 * operation runs on.
 *
 * Scenario files run through it (run.ts turns names and labels into pids and
 * addresses, and outcomes into reports), and so do the grader's tests: each
 * TestContext helper is one call here. Nothing here decides what a step
 * "should" do; it does what the kernel does and reports it.
 */
import {
  type AccessOutcome,
  type CopyOutcome,
  checkInvariants,
  type DeliveredSignal,
  type ErrnoName,
  type IoOutcome,
  type IoTarget,
  type IoVec,
  Kernel,
  type KernelArch,
  type KernelHooks,
  type LinuxVersion,
  type MlockResult,
  type MmapRequest,
  type MmapResult,
  type MremapRequest,
  type PageInfo,
  type Placement,
  type PteInfo,
  referenceWalkPageTable,
  Scheduler,
  type SignalAction,
  type SignalName,
  type SigprocmaskHow,
  type SizedAccessOutcome,
  type Task,
  type UserValueSize,
  type WaitResult,
} from '@faultline/vm-core';
import { CounterListener, type Counters, counterDelta } from './counters.ts';
import { type HookName, type HookSpec, HookTable, type ResolveHookFile } from './hooks.ts';
import { type ScannedPage, scanForReclaim } from './reclaim-scan.ts';

/** The simulated machine; anything left out takes the kernel's default. */
export interface MachineOptions {
  readonly arch?: KernelArch;
  /** Physical frames of 4 KiB (the kernel's default: 1024). */
  readonly frames?: number;
  readonly cpus?: number;
  /** Tag TLB entries by PCID (x86-64 only, and its default). */
  readonly pcid?: boolean;
  /** Swap slots; 0 for no swap (default: as many as frames). */
  readonly swapSlots?: number;
  /** TLB geometry per CPU, or null for no TLB (default 64 entries, 4 ways). */
  readonly tlb?: { readonly entries: number; readonly ways: number } | null;
  /** Seed of the scheduler's PRNG (default 1): the same seed, the same interleaving. */
  readonly seed?: number;
  /** Which Linux release to behave like where releases differ ("major.minor"; the kernel's default: '6.1'). */
  readonly linux?: LinuxVersion;
  /** Accessed/dirty state kept by the MMU or by the fault handler (arm64, riscv-sv39; the kernel's KernelOptions.accessFlags). */
  readonly accessFlags?: 'hardware' | 'software';
  /** The uid spawned processes run as unless a spawn says otherwise (the kernel's default: 1000). */
  readonly uid?: number;
  /** What files live on: 'ext4' or 'tmpfs' (KernelOptions.fileSystem). */
  readonly fileSystem?: 'ext4' | 'tmpfs';
  /** Transparent huge pages: 'never' (the default) or 'always' (KernelOptions.transparentHugepage). */
  readonly transparentHugepage?: 'never' | 'always';
  /** ARM64: PSTATE.PAN, or SW PAN's reserved TTBR0 (KernelOptions.pan). */
  readonly pan?: 'hardware' | 'software';
  /** ARM64 before 5.11: the CPU has UAO, so user copies use LDTR/STTR (KernelOptions.uao). */
  readonly uao?: boolean;
}

export interface SessionOptions {
  readonly machine?: MachineOptions;
  /** Hooks the run starts with in place of the reference ones (a learner's, from the sandbox bridge). */
  readonly hooks?: Partial<KernelHooks>;
  /** Loads the hooks of a file named by `{ file }` (the caller's sandbox); without it, files cannot be named. */
  readonly resolveHookFile?: ResolveHookFile;
}

/** What one PTE and the page behind it look like, read without running any hook. */
export interface PageSnapshot {
  readonly pte: PteInfo;
  /** The frame's struct page, when the PTE maps one. */
  readonly page: PageInfo | null;
}

/** A kernel-mode access: on which CPU, in whose context, by which instruction. */
export interface KernelAccessOptions {
  /** Default 0. */
  readonly cpu?: number;
  /** Switch the CPU to this task first (its address space, for user addresses). */
  readonly pid?: number;
  readonly value?: number;
  /**
   * Inside the user-access window, opened as the kernel's uaccess routines
   * open it: stac/clac (x86, lifting SMAP), sstatus.SUM (RISC-V), PAN
   * cleared (ARM64 before 5.11) or TTBR0 switched to the task's table (SW
   * PAN). ARM64 since 5.11 opens nothing: only its uaccess instructions
   * (an `ip` with an exception-table entry: LDTR/STTR) reach user memory.
   */
  readonly uaccess?: boolean;
  /** The instruction's address: with an exception-table entry, a fault resumes at its fixup. */
  readonly ip?: number;
}

/**
 * The CPU an operation runs on. A task's operation on a CPU runs the task
 * there first (migrating it from the CPU it ran on); without one, it runs
 * where the task runs, or on CPU 0.
 */
export interface OnCpu {
  readonly cpu?: number;
}

export class ScenarioSession {
  readonly kernel: Kernel;
  readonly hooks: HookTable;
  private readonly counting = new CounterListener();
  private readonly scheduler: Scheduler;

  /** The machine's default uid for spawns (SessionOptions.machine.uid). */
  private readonly uid: number | undefined;

  /** Boots the machine. Bad machine options throw the kernel's KernelError or RangeError. */
  constructor(options: SessionOptions = {}) {
    const m = options.machine ?? {};
    this.hooks = new HookTable(options.hooks, options.resolveHookFile);
    this.uid = m.uid;
    // Only what was given is passed, so everything else is the kernel's own default.
    this.kernel = new Kernel({
      ...(m.arch !== undefined ? { arch: m.arch } : {}),
      ...(m.frames !== undefined ? { frames: m.frames } : {}),
      ...(m.cpus !== undefined ? { cpus: m.cpus } : {}),
      ...(m.pcid !== undefined ? { pcid: m.pcid } : {}),
      ...(m.swapSlots !== undefined ? { swapSlots: m.swapSlots } : {}),
      ...(m.tlb !== undefined ? { tlb: m.tlb } : {}),
      ...(m.linux !== undefined ? { linux: m.linux } : {}),
      ...(m.accessFlags !== undefined ? { accessFlags: m.accessFlags } : {}),
      ...(m.fileSystem !== undefined ? { fileSystem: m.fileSystem } : {}),
      ...(m.transparentHugepage !== undefined ? { transparentHugepage: m.transparentHugepage } : {}),
      ...(m.pan !== undefined ? { pan: m.pan } : {}),
      ...(m.uao !== undefined ? { uao: m.uao } : {}),
      hooks: this.hooks.switchboard,
    });
    this.scheduler = new Scheduler(this.kernel, m.seed ?? 1);
    this.kernel.subscribe(this.counting.listen);
  }

  // ───────── tasks ─────────

  /** A new process; on `cpu`, it runs there at once. */
  spawn(name: string, cpu?: number, uid: number | undefined = this.uid): Task {
    const task = this.kernel.spawn(name, uid !== undefined ? { uid } : {});
    if (cpu !== undefined) this.kernel.switchTo(cpu, task.pid);
    return task;
  }

  /** A thread sharing `pid`'s address space (CLONE_VM). */
  thread(pid: number, name?: string): Task {
    return this.kernel.thread(pid, name);
  }

  /** A kernel thread (mm = null); on `cpu`, it runs there at once, borrowing the loaded mm. */
  kthread(name: string, cpu?: number): Task {
    const task = this.kernel.kthread(name);
    if (cpu !== undefined) this.kernel.switchTo(cpu, task.pid);
    return task;
  }

  /** A context switch; `cr3Changed` says whether the CPU loaded other page tables. */
  switchTo(cpu: number, pid: number): { readonly cr3Changed: boolean } {
    const before = this.kernel.cpu(cpu).mmu.control.root;
    this.on(cpu, () => this.kernel.switchTo(cpu, pid));
    return { cr3Changed: this.kernel.cpu(cpu).mmu.control.root !== before };
  }

  /** Seeded scheduling decisions: which task runs on which CPU. */
  schedule(ticks: number): Placement[] {
    return this.scheduler.run(ticks);
  }

  fork(pid: number, on: OnCpu = {}): Task {
    return this.onTask(pid, on, () => this.kernel.fork(pid));
  }

  /** execve(): a fresh address space for `pid`. */
  execve(pid: number, on: OnCpu = {}): void {
    this.onTask(pid, on, () => this.kernel.exec(pid));
  }

  /** The task exits with `code` (default 0); returns the frames that went back to the free lists. */
  exit(pid: number, on: OnCpu & { readonly code?: number } = {}): number {
    const free = this.kernel.frames.free;
    this.onTask(pid, on, () => this.kernel.exit(pid, on.code ?? 0));
    return this.kernel.frames.free - free;
  }

  /** wait4(): `pid` reaps a zombie child (`child`, or any: -1); ECHILD, or would-block when none has exited. */
  wait(pid: number, child = -1, on: OnCpu = {}): WaitResult {
    return this.onTask(pid, on, () => this.kernel.wait(pid, child));
  }

  /** The CPU `pid` runs on, or null. */
  cpuRunning(pid: number): number | null {
    return this.kernel.cpus.find((c) => c.current.pid === pid)?.id ?? null;
  }

  // ───────── address spaces ─────────

  mmap(pid: number, request: MmapRequest, on: OnCpu = {}): MmapResult {
    return this.onTask(pid, on, () => this.kernel.mmap(pid, request));
  }

  munmap(pid: number, address: number, length: number, on: OnCpu = {}): ErrnoName | null {
    return this.onTask(pid, on, () => this.kernel.munmap(pid, address, length));
  }

  mprotect(
    pid: number,
    address: number,
    length: number,
    prot: MmapRequest['prot'],
    on: OnCpu = {},
  ): ErrnoName | null {
    return this.onTask(pid, on, () => this.kernel.mprotect(pid, address, length, prot));
  }

  mlock(pid: number, address: number, length: number, on: OnCpu = {}): MlockResult {
    return this.onTask(pid, on, () => this.kernel.mlock(pid, address, length));
  }

  munlock(pid: number, address: number, length: number, on: OnCpu = {}): ErrnoName | null {
    return this.onTask(pid, on, () => this.kernel.munlock(pid, address, length));
  }

  /** mremap(): the area shrinks, grows or moves with its page tables; a locked one that grew faults in (the result's faults). */
  mremap(pid: number, request: MremapRequest, on: OnCpu = {}): MmapResult {
    return this.onTask(pid, on, () => this.kernel.mremap(pid, request));
  }

  /** madvise(MADV_DONTNEED): the range's pages go, its areas stay. */
  madviseDontneed(pid: number, address: number, length: number, on: OnCpu = {}): ErrnoName | null {
    return this.onTask(pid, on, () => this.kernel.madviseDontneed(pid, address, length));
  }

  /** Returns the new break (the old one when the move is refused). */
  brk(pid: number, address: number, on: OnCpu = {}): number {
    return this.onTask(pid, on, () => this.kernel.brk(pid, address));
  }

  // ───────── signals ─────────

  sigaction(pid: number, signal: SignalName, action: SignalAction, on: OnCpu = {}): ErrnoName | null {
    return this.onTask(pid, on, () => this.kernel.sigaction(pid, signal, action));
  }

  sigprocmask(pid: number, how: SigprocmaskHow, signals: readonly SignalName[], on: OnCpu = {}): void {
    this.onTask(pid, on, () => this.kernel.sigprocmask(pid, how, signals));
  }

  /** The handler returns (rt_sigreturn): the caller retries the access that faulted. */
  sigreturn(pid: number, on: OnCpu = {}): DeliveredSignal {
    return this.onTask(pid, on, () => this.kernel.sigreturn(pid));
  }

  /** siglongjmp() out of every handler the task is inside. */
  siglongjmp(pid: number, on: OnCpu = {}): void {
    this.onTask(pid, on, () => this.kernel.siglongjmp(pid));
  }

  // ───────── memory accesses ─────────

  /** A user-mode load, store or fetch of one byte; on `cpu`, the task runs there first (see OnCpu). */
  access(
    pid: number,
    address: number | bigint,
    kind: 'read' | 'write' | 'exec',
    options: { readonly value?: number; readonly cpu?: number } = {},
  ): AccessOutcome {
    const { value = 0 } = options;
    return this.onTask(pid, options, () => this.kernel.access(pid, address, kind, value));
  }

  /** A user-mode load or store of 2, 4 or 8 bytes, which may straddle two pages. */
  accessSized(
    pid: number,
    address: number | bigint,
    kind: 'read' | 'write',
    size: 2 | 4 | 8,
    value: bigint,
    on: OnCpu = {},
  ): SizedAccessOutcome {
    return this.onTask(pid, on, () => this.kernel.accessSized(pid, address, kind, size, value));
  }

  /** A kernel-mode load or store of one byte. */
  kernelAccess(
    address: number | bigint,
    kind: 'read' | 'write',
    options: KernelAccessOptions = {},
  ): AccessOutcome {
    const cpu = options.cpu ?? 0;
    if (options.pid !== undefined) this.kernel.switchTo(cpu, options.pid);
    const c = this.kernel.cpu(cpu);
    const arch = this.kernel.arch;
    return this.on(cpu, () => {
      // user_access_begin() as this kernel does it: stac, SUM = 1, PAN = 0
      // (ARM64 before 5.11), TTBR0 = the task's table (SW PAN) — or nothing
      // (ARM64 since 5.11, whose uaccess instructions are LDTR/STTR).
      if (options.uaccess) arch.openUserAccess(c, c.current);
      try {
        return this.kernel.kernelAccess(cpu, address, kind, {
          value: options.value ?? 0,
          ...(options.ip !== undefined ? { ip: options.ip } : {}),
        });
      } finally {
        if (options.uaccess) arch.closeUserAccess(c);
      }
    });
  }

  /** read / readv (pread on a file) by `pid` into its buffers. */
  readv(pid: number, from: IoTarget, iov: readonly IoVec[], on: OnCpu = {}): IoOutcome {
    return this.onTask(pid, on, () => this.kernel.readv(pid, from, iov));
  }

  /** write / writev (pwrite on a file) by `pid` from its buffers. */
  writev(pid: number, to: IoTarget, iov: readonly IoVec[], on: OnCpu = {}): IoOutcome {
    return this.onTask(pid, on, () => this.kernel.writev(pid, to, iov));
  }

  /** process_vm_readv (`write` false) or process_vm_writev by `pid` on `target`'s memory. */
  processVm(
    pid: number,
    target: number,
    local: readonly IoVec[],
    remote: readonly IoVec[],
    write: boolean,
    on: OnCpu = {},
  ): IoOutcome {
    return this.onTask(pid, on, () =>
      write
        ? this.kernel.processVmWritev(pid, target, local, remote)
        : this.kernel.processVmReadv(pid, target, local, remote),
    );
  }

  /** pread (`write` false) or pwrite by `pid` of /proc/`target`/mem at `address`, through its `buffer`. */
  procMem(
    pid: number,
    target: number,
    address: number | bigint,
    buffer: IoVec,
    write: boolean,
    on: OnCpu = {},
  ): IoOutcome {
    return this.onTask(pid, on, () =>
      write
        ? this.kernel.procMemWrite(pid, target, address, buffer)
        : this.kernel.procMemRead(pid, target, address, buffer),
    );
  }

  copyFromUser(pid: number, address: number | bigint, length: number, on: OnCpu = {}): CopyOutcome {
    return this.onTask(pid, on, () => this.kernel.copyFromUser(pid, address, length));
  }

  copyToUser(pid: number, address: number | bigint, bytes: readonly number[], on: OnCpu = {}): CopyOutcome {
    return this.onTask(pid, on, () => this.kernel.copyToUser(pid, address, bytes));
  }

  getUser(pid: number, address: number | bigint, size: UserValueSize, on: OnCpu = {}) {
    return this.onTask(pid, on, () => this.kernel.getUser(pid, address, size));
  }

  putUser(pid: number, address: number | bigint, size: UserValueSize, value: bigint, on: OnCpu = {}) {
    return this.onTask(pid, on, () => this.kernel.putUser(pid, address, size, value));
  }

  // ───────── kernel memory ─────────

  kmalloc(bytes: number, on: OnCpu = {}): number | null {
    return this.on(this.cpuId(on.cpu ?? 0), () => this.kernel.kmalloc(bytes));
  }

  kfree(address: number, on: OnCpu = {}): void {
    this.on(this.cpuId(on.cpu ?? 0), () => this.kernel.kfree(address));
  }

  vmalloc(bytes: number, on: OnCpu = {}): number | null {
    return this.on(this.cpuId(on.cpu ?? 0), () => this.kernel.vmalloc(bytes));
  }

  vfree(address: number, on: OnCpu = {}): void {
    this.on(this.cpuId(on.cpu ?? 0), () => this.kernel.vfree(address));
  }

  // ───────── reclaim and swap ─────────

  /** Reclaims until `pages` frames are freed or nothing more can be; returns the frames freed. */
  reclaim(pages: number, cpu = 0): number {
    return this.on(this.cpuId(cpu), () => this.kernel.reclaim(pages));
  }

  /** What the next reclaim would scan and decide, changing nothing (see reclaim-scan.ts). */
  scanForReclaim(pages: number): ScannedPage[] {
    return scanForReclaim(this.kernel, pages);
  }

  /** Runs kswapd if an allocation woke it (below the low watermark); returns the frames it freed. */
  kswapd(): number {
    return this.on(0, () => this.kernel.runKswapd());
  }

  // ───────── files ─────────

  pipe(name: string): void {
    this.kernel.pipe(name);
  }

  createFile(name: string, content: readonly number[] | Uint8Array): void {
    this.kernel.createFile(name, content);
  }

  /** ftruncate() of a file: mappings of what is cut off take SIGBUS there. */
  truncateFile(name: string, length: number): ErrnoName | null {
    return this.kernel.truncateFile(name, length);
  }

  readFile(name: string, offset: number, length: number): number[] {
    return this.kernel.readFile(name, offset, length);
  }

  // ───────── hooks ─────────

  /** Runs `implementation` (a spec, or a function of the caller's) for `name` from now on. */
  useHook<K extends HookName>(name: K, implementation: HookSpec | KernelHooks[K]): void {
    this.hooks.use(
      name,
      typeof implementation === 'function' ? implementation : this.hooks.resolve(name, implementation),
    );
  }

  /** Puts back the hook the run started with. */
  restoreHook(name: HookName): void {
    this.hooks.restore(name);
  }

  // ───────── inspection ─────────

  /** The PTE for `address` in `pid`'s address space and its page, read with the reference walk (no hook runs). */
  page(pid: number, address: number): PageSnapshot {
    const mm = this.kernel.task(pid).mm;
    if (mm === null) return { pte: { kind: 'none' }, page: null };
    const pte = referenceWalkPageTable(this.kernel.api, { mm: mm.id, address: BigInt(address) });
    return { pte, page: pte.kind === 'present' ? this.kernel.api.pageInfo(pte.pfn) : null };
  }

  freeFrames(): number {
    return this.kernel.frames.free;
  }

  /** Invariant violations (refcounts vs mappings, free frames mapped, …); empty when consistent. */
  check(): string[] {
    return checkInvariants(this.kernel);
  }

  /** What the kernel and hardware did since boot. */
  counters(): Counters {
    return this.counting.read();
  }

  /** What `body` made the kernel and hardware do. */
  measure(body: () => void): Counters {
    const before = this.counting.read();
    body();
    return counterDelta(this.counting.read(), before);
  }

  /** The kernel's own statistics, with the free frames and swap slots in use. */
  stats(): Readonly<Record<string, number>> {
    const k = this.kernel;
    return { ...k.stats, freeFrames: k.frames.free, swapSlotsInUse: k.swap?.inUse ?? 0 };
  }

  // ───────── which CPU an operation runs on ─────────

  /**
   * Runs an operation of `pid`'s. Without a CPU: on the CPU running it, or
   * CPU 0, where the kernel would put it. On `cpu`: the task runs there first
   * — switched in if it runs nowhere, migrated if it runs on another CPU
   * (that CPU goes idle, keeping its address space loaded, lazily).
   */
  private onTask<T>(pid: number, on: OnCpu, body: () => T): T {
    if (on.cpu === undefined) return this.on(this.cpuRunning(pid) ?? 0, body);
    this.runOn(on.cpu, pid);
    return this.on(on.cpu, body);
  }

  /** `pid` runs on `cpu` from now on (see onTask). */
  private runOn(cpu: number, pid: number): void {
    if (this.kernel.cpu(cpu).current.pid === pid) return;
    const task = this.kernel.task(pid);
    const elsewhere = this.cpuRunning(pid);
    if (task.alive && elsewhere !== null && elsewhere !== cpu) this.kernel.switchTo(elsewhere, 0);
    this.kernel.switchTo(cpu, pid);
  }

  /** A CPU this machine has (the kernel's error otherwise). */
  private cpuId(cpu: number): number {
    return this.kernel.cpu(cpu).id;
  }

  private on<T>(cpu: number, body: () => T): T {
    const outer = this.counting.localCpu;
    this.counting.localCpu = cpu;
    try {
      return body();
    } finally {
      this.counting.localCpu = outer;
    }
  }
}
