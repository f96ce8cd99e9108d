/**
 * A Linux-like kernel memory manager on the simulated machine: tasks and
 * address spaces, the page-frame database, kmalloc and vmalloc, mmap and
 * friends, demand paging, fork with copy-on-write, exit, user-memory access
 * with the fault path in the loop, and uaccess with exception-table fixups.
 *
 * The replaceable pieces are hooks (`hooks.ts`); this class is their
 * `KernelApi` and the machinery around them. It follows Linux's behaviour;
 * its own structure is kept simple (arrays and maps, no RCU, no locks: the
 * simulation is single-threaded and deterministic).
 */
import { Access, Privilege } from '../hw/access.ts';
import { formatAddress } from '../hw/address.ts';
import type { PageFault } from '../hw/fault.ts';
import { Mmu } from '../hw/mmu.ts';
import { PhysicalMemory } from '../hw/physical-memory.ts';
import type { TlbConfig } from '../hw/tlb.ts';
import type { ErrnoName, SignalInfo } from './abi.ts';
import type { TraceEvent, TraceListener } from './events.ts';
import { FrameDatabase, PageFlag } from './frames.ts';
import type {
  FaultInfo,
  FaultOutcome,
  KernelApi,
  KernelHooks,
  PageInfo,
  PageMapOptions,
  PteInfo,
  Resolution,
  TableEntry,
  VmaInfo,
} from './hooks.ts';
import { isUserAddress, type KernelArch, type KernelLayout, layouts } from './layout.ts';
import { Mm, OutOfMemory, PageTables } from './mm.ts';
import {
  makePte,
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_NX,
  PTE_PRESENT,
  PTE_PROTNONE,
  PTE_USER,
  pteDirty,
  pteMapsFrame,
  pteMkdirty,
  pteMkold,
  pteMkwrite,
  pteNone,
  ptePfn,
  ptePresent,
  pteWrite,
  pteWrprotect,
  pteYoung,
} from './pte.ts';
import { referenceHooks } from './reference-hooks.ts';
import { LruLists, ReverseMap } from './rmap.ts';
import { decodeSwapEntry, encodeSwapEntry, SwapDevice } from './swap.ts';
import {
  type ByteAccess,
  type GetUserResult,
  referenceGetUser,
  referencePutUser,
  type UaccessApi,
  type UserValueSize,
} from './uaccess.ts';
import { type Vma, VmFlag, vmaAllows } from './vma.ts';

export interface KernelOptions {
  readonly arch?: KernelArch;
  /** Physical frames of 4 KiB. */
  readonly frames?: number;
  readonly cpus?: number;
  readonly tlb?: TlbConfig | null;
  /** Tag TLB entries by PCID (one per mm) instead of flushing on every switch. */
  readonly pcid?: boolean;
  readonly hooks?: Partial<KernelHooks>;
  /** Swap slots (pages); 0 for no swap. Defaults to as many as there are frames. */
  readonly swapSlots?: number;
}

export interface Watermarks {
  /** Below this, allocations reclaim synchronously (direct reclaim). */
  readonly min: number;
  /** Below this, the background reclaimer (kswapd) is woken. */
  readonly low: number;
  /** kswapd reclaims until this many frames are free. */
  readonly high: number;
}

export type TaskKind = 'idle' | 'kthread' | 'user';

export interface Task {
  readonly pid: number;
  readonly name: string;
  readonly kind: TaskKind;
  mm: Mm | null;
  /** The mm whose tables are loaded while this task runs (a kernel thread borrows one). */
  activeMm: Mm | null;
  alive: boolean;
  /** The signal that killed it, or the oops that did. */
  death: { readonly signal: SignalInfo } | { readonly oops: string } | null;
  /** The CPU it last ran on. */
  lastCpu: number | null;
  /**
   * Its saved user-access window (EFLAGS.AC) while it is switched out: Linux
   * saves and restores FLAGS on every context switch precisely so that a
   * task preempted inside stac/clac neither keeps SMAP lifted for the next
   * task nor loses its own window (commit 6690e86be83a, "sched/x86: Save
   * [ER]FLAGS on context switch", 2019).
   */
  userAccessOpen: boolean;
}

export interface Cpu {
  readonly id: number;
  readonly mmu: Mmu;
  current: Task;
  /** The address space whose tables this CPU has loaded (Linux's cpu_tlbstate.loaded_mm). */
  loadedMm: Mm;
}

/** One fault taken during a step, and what the kernel made of it. */
export interface FaultRecord {
  readonly address: string;
  readonly errorCode: number;
  readonly message: string;
  readonly resolution: Resolution;
}

export type AccessOutcome =
  | { readonly kind: 'ok'; readonly value: number; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'signal'; readonly signal: SignalInfo; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'oops'; readonly report: string; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'fixup'; readonly fixupIp: number; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'oom'; readonly faults: readonly FaultRecord[] };

export type MmapResult =
  | { readonly kind: 'ok'; readonly address: number }
  | { readonly kind: 'error'; readonly errno: ErrnoName };

export interface MmapRequest {
  readonly address?: number;
  readonly length: number;
  readonly prot: { readonly read: boolean; readonly write: boolean; readonly exec: boolean };
  readonly shared?: boolean;
  readonly fixed?: boolean;
  readonly growsDown?: boolean;
  readonly name?: string;
  /** Map this file (created with createFile) instead of anonymous memory. */
  readonly file?: string;
  /** Byte offset into the file (page aligned). */
  readonly offset?: number;
}

/** A file: its bytes on "disk", and the page cache of frames holding its pages. */
export interface SimFile {
  readonly name: string;
  size: number;
  data: Uint8Array;
  /** Page index → frame. */
  readonly cache: Map<number, number>;
}

const PAGE = 4096;
/** Kernel data pages: writable, supervisor-only, never executed, global (they survive CR3 writes). */
const KERNEL_DATA = {
  writable: true,
  user: false,
  exec: false,
  global: true,
  accessed: true,
  dirty: true,
} as const;
/** An address as a message shows it, even when it is not a valid address at all. */
const shown = (address: number) => (Number.isSafeInteger(address) ? formatAddress(address) : String(address));
const MAX_FAULTS_PER_ACCESS = 8;
const pageDown = (va: number) => va - (va & (PAGE - 1));
const pageUp = (n: number) => Math.ceil(n / PAGE) * PAGE;

export interface CopyOutcome {
  readonly notCopied: number;
  readonly errno: ErrnoName | null;
  /** copy_from_user: the kernel buffer afterwards (uncopied bytes are zero). */
  readonly data: readonly number[];
  readonly oops: string | null;
  readonly faults: readonly FaultRecord[];
}

/** What reclaiming one page would do now (Kernel.reclaimCheck). */
export type ReclaimCheck =
  /** It would be freed; `swapSlot`: taking a new swap slot to do it. */
  | { readonly frees: true; readonly swapSlot: boolean }
  /**
   * It would stay: `pinned`, held beyond its mappings (a COW copy or a
   * uaccess in progress); `no-swap`, an anonymous page and no swap device;
   * `swap-full`, no free slot to write it to; `not-anonymous`, neither a
   * file page nor an anonymous one.
   */
  | { readonly frees: false; readonly why: 'pinned' | 'no-swap' | 'swap-full' | 'not-anonymous' };

export class Kernel implements KernelApi, UaccessApi {
  readonly layout: KernelLayout;
  readonly memory: PhysicalMemory;
  readonly frames: FrameDatabase;
  readonly tables: PageTables;
  readonly cpus: Cpu[] = [];
  readonly tasks = new Map<number, Task>();
  readonly mms = new Map<number, Mm>();
  /** swapper_pg_dir: the kernel's own page tables. */
  readonly initMm: Mm;
  /** Page-table pages of the kernel half (shared by every mm). */
  readonly kernelTables = new Set<number>();
  readonly hooks: KernelHooks;
  readonly pcid: boolean;
  /** The exception table: faulting-instruction address → fixup address. */
  readonly exceptionTable = new Map<number, number>();
  readonly files = new Map<string, SimFile>();
  readonly rmap = new ReverseMap();
  readonly lru: LruLists;
  readonly swap: SwapDevice | null;
  /** The swap cache: slot → frame holding that slot's data. */
  readonly swapCache = new Map<number, number>();
  readonly watermarks: Watermarks;
  readonly stats = {
    swapOuts: 0,
    swapIns: 0,
    pagesScanned: 0,
    kswapdRuns: 0,
    directReclaims: 0,
    oomKills: 0,
  };
  private kswapdWoken = false;
  private readonly zeroPagePfn: number;
  private readonly hasNx: boolean;
  private nextPid = 0;
  private nextMmId = 0;
  private listener: TraceListener | null = null;
  private readonly kmallocs = new Map<number, { pfn: number; order: number }>();
  private readonly vmallocs = new Map<number, { pfns: number[] }>();
  private vmallocNext: number;

  constructor(options: KernelOptions = {}) {
    const arch = options.arch ?? 'x86-64';
    if (!(arch in layouts))
      throw new KernelError(
        `unknown arch "${arch}"; the kernel layer models ${Object.keys(layouts).join(' and ')}`,
      );
    this.layout = layouts[arch];
    const frameCount = options.frames ?? 1024;
    if (!Number.isInteger(frameCount) || frameCount < 64)
      throw new RangeError('a kernel needs at least 64 frames');
    if (frameCount * PAGE > this.layout.directMapMaxBytes) {
      throw new RangeError(`${frameCount} frames exceed what the ${this.layout.arch} direct map covers`);
    }
    this.memory = new PhysicalMemory({ frames: frameCount, pageSize: PAGE });
    // Frame 0 stays reserved, as the BIOS data area does on a PC.
    this.frames = new FrameDatabase(frameCount, 1);
    this.tables = new PageTables(this.memory, this.frames, this.layout);
    this.lru = new LruLists(frameCount);
    this.hooks = { ...referenceHooks, ...options.hooks };
    // 32-bit x86 has no PCIDs: every CR3 write flushes the non-global entries.
    if (this.layout.arch === 'x86-32' && options.pcid === true) {
      throw new KernelError('x86-32 has no PCIDs; use pcid: false (the default there)');
    }
    this.pcid = options.pcid ?? this.layout.arch === 'x86-64';
    this.hasNx = (this.layout.format.bits.noExecute.hi | this.layout.format.bits.noExecute.lo) !== 0;
    this.vmallocNext = this.layout.vmallocStart;
    const swapSlots = options.swapSlots ?? frameCount;
    this.swap = swapSlots > 0 ? new SwapDevice(swapSlots + 1) : null;
    // Linux derives these from min_free_kbytes; the ratios (low = 5/4 min,
    // high = 3/2 min) are those of __setup_per_zone_wmarks.
    const min = Math.max(4, Math.floor(frameCount / 64));
    this.watermarks = { min, low: Math.floor((min * 5) / 4), high: Math.floor((min * 3) / 2) };

    this.zeroPagePfn = this.frames.allocate();
    this.memory.zeroFrame(this.zeroPagePfn);
    this.frames.set(this.zeroPagePfn, PageFlag.Reserved);

    const initPgd = this.tables.allocateTable(null);
    this.kernelTables.add(initPgd);
    this.initMm = new Mm(this.nextMmId++, initPgd, 0, 0);
    this.buildDirectMap();
    if (this.layout.vmallocSync === 'preallocated') this.preallocateVmallocTables();
    this.registerUaccessFixups();

    // From here on, page tables are allocated like any page: reclaiming
    // first when memory is short.
    this.tables.allocateFrame = () => {
      let pfn = this.frames.allocate();
      if (pfn < 0) {
        this.directReclaim();
        pfn = this.frames.allocate();
      }
      return pfn;
    };

    const cpuCount = options.cpus ?? 1;
    if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > 64)
      throw new RangeError('cpus must be 1..64');
    const idle = this.addTask('swapper', 'idle', null);
    idle.activeMm = this.initMm;
    for (let id = 0; id < cpuCount; id++) {
      const mmu = new Mmu({
        format: this.layout.format,
        memory: this.memory,
        tlb: options.tlb === undefined ? { entries: 64, ways: 4 } : options.tlb,
        cpu: id,
        control: { root: initPgd * PAGE, noExecuteEnabled: this.hasNx },
      });
      this.cpus.push({ id, mmu, current: idle, loadedMm: this.initMm });
    }
    this.spawn('init');
    this.kthread('kthreadd');
  }

  // ───────────────────────── boot ─────────────────────────

  /** Maps all of physical memory at PAGE_OFFSET, with huge pages where they fit. */
  private buildDirectMap(): void {
    const hugeLevel = this.tables.levels - 2;
    const hugeSpan = this.tables.span(hugeLevel);
    const bytes = this.memory.size;
    for (let pa = 0; pa < bytes; ) {
      const va = this.layout.directMapStart + pa;
      if (pa % hugeSpan === 0 && pa + hugeSpan <= bytes) {
        const entry = this.tables.entryAddress(this.initMm.pgdPfn, va, {
          level: hugeLevel,
          create: this.initMm,
        });
        this.tables.writeAt(entry!, makePte(pa / PAGE, KERNEL_DATA, this.hasNx) | 0x80n);
        pa += hugeSpan;
      } else {
        const entry = this.tables.entryAddress(this.initMm.pgdPfn, va, { create: this.initMm });
        this.tables.writeAt(entry!, makePte(pa / PAGE, KERNEL_DATA, this.hasNx));
        pa += PAGE;
      }
    }
    for (const pfn of this.initMm.tablePages) this.kernelTables.add(pfn);
    this.initMm.tablePages.clear();
  }

  /** x86-64: the vmalloc area's top-level entries exist from boot, so every mm shares its tables. */
  private preallocateVmallocTables(): void {
    for (let va = this.layout.vmallocStart; va < this.layout.vmallocEnd; va += this.tables.span(0)) {
      this.tables.entryAddress(this.initMm.pgdPfn, va, { level: 1, create: this.initMm });
    }
    for (const pfn of this.initMm.tablePages) this.kernelTables.add(pfn);
    this.initMm.tablePages.clear();
  }

  // ───────────────────────── tasks and address spaces ─────────────────────────

  private addTask(name: string, kind: TaskKind, mm: Mm | null): Task {
    const task: Task = {
      pid: this.nextPid++,
      name,
      kind,
      mm,
      activeMm: mm,
      alive: true,
      death: null,
      lastCpu: null,
      userAccessOpen: false,
    };
    this.tasks.set(task.pid, task);
    this.emit({ type: 'task', pid: task.pid, what: 'created' });
    return task;
  }

  /** A new address space: empty user half, the kernel half copied from init_mm (pgd_alloc). */
  private newMm(): Mm {
    let pgd: number;
    try {
      pgd = this.tables.allocateTable(null);
    } catch (error) {
      if (error instanceof OutOfMemory)
        throw new KernelError('out of memory for a new page directory (-ENOMEM)');
      throw error;
    }
    const id = this.nextMmId++;
    const mm = new Mm(id, pgd, this.pcid ? this.allocateAsid() : 0, this.layout.brkStart);
    const entries = this.tables.levels === 4 ? 512 : 1024;
    const entryBytes = this.layout.format.entryBytes;
    for (let i = this.layout.kernelRootFirst; i < entries; i++) {
      const value = this.memory.readEntry(this.initMm.pgdPfn * PAGE + i * entryBytes, entryBytes);
      this.memory.writeEntry(pgd * PAGE + i * entryBytes, entryBytes, value);
    }
    this.mms.set(id, mm);
    return mm;
  }

  /** A user process with a fresh address space and a stack (a minimal execve). */
  spawn(name: string): Task {
    const mm = this.newMm();
    this.addStack(mm);
    return this.addTask(name, 'user', mm);
  }

  /** A thread: a task sharing `pid`'s mm (clone with CLONE_VM). */
  thread(pid: number, name?: string): Task {
    const parent = this.userTask(pid);
    parent.mm!.users++;
    return this.addTask(name ?? `${parent.name}-thread`, 'user', parent.mm);
  }

  /** A kernel thread: no mm of its own; it borrows whatever is loaded when it runs. */
  kthread(name: string): Task {
    return this.addTask(name, 'kthread', null);
  }

  private addStack(mm: Mm): void {
    const top = this.layout.stackTop;
    mm.vmas.insert({
      start: top - 32 * PAGE,
      end: top,
      flags: VmFlag.Read | VmFlag.Write | VmFlag.GrowsDown,
      name: '[stack]',
    });
  }

  /** context_switch(): runs `pid` on `cpu`, switching page tables only if the mm changes. */
  switchTo(cpuId: number, pid: number): void {
    const cpu = this.cpu(cpuId);
    const next = this.task(pid);
    if (!next.alive) throw new KernelError(`pid ${pid} has exited`);
    for (const other of this.cpus) {
      if (other !== cpu && other.current === next && next.kind !== 'idle') {
        throw new KernelError(`pid ${pid} is already running on cpu ${other.id}`);
      }
    }
    if (next.mm === null) {
      // Lazy TLB: a kernel thread (or the idle task) keeps whatever address
      // space this CPU has loaded; no CR3 write.
      next.activeMm = cpu.loadedMm;
    } else if (cpu.loadedMm !== next.mm) {
      this.loadMm(cpu, next.mm);
    }
    if (cpu.current !== next) {
      // switch_to saves the outgoing task's FLAGS and loads the incoming one's.
      cpu.current.userAccessOpen = cpu.mmu.userAccessOpen;
      this.loadUserAccessWindow(cpu, next);
    }
    cpu.current = next;
    next.lastCpu = cpu.id;
    this.emit({ type: 'task', pid, what: 'switched-in', cpu: cpu.id });
  }

  /** Loads a task's saved user-access window (its FLAGS.AC) on the CPU it is about to run on. */
  private loadUserAccessWindow(cpu: Cpu, task: Task): void {
    if (task.userAccessOpen === cpu.mmu.userAccessOpen) return;
    if (task.userAccessOpen) cpu.mmu.userAccessBegin();
    else cpu.mmu.userAccessEnd();
  }

  private loadMm(cpu: Cpu, mm: Mm): void {
    // With PCIDs the old entries stay, tagged; without, a CR3 write drops
    // every non-global entry.
    cpu.mmu.switchAddressSpace(mm.pgdPfn * PAGE, { asid: mm.asid, flush: this.pcid ? 'none' : 'non-global' });
    cpu.loadedMm = mm;
    mm.cpus.add(cpu.id);
  }

  /** The CPU running `pid`, switching CPU 0 to it if it runs nowhere. */
  private cpuFor(pid: number): Cpu {
    for (const cpu of this.cpus) if (cpu.current.pid === pid) return cpu;
    this.switchTo(0, pid);
    return this.cpus[0]!;
  }

  // ───────────────────────── system calls ─────────────────────────

  mmap(pid: number, request: MmapRequest): MmapResult {
    const mm = this.userTask(pid).mm!;
    if (!Number.isSafeInteger(request.length) || request.length <= 0)
      return { kind: 'error', errno: 'EINVAL' };
    const length = pageUp(request.length);
    const offset = request.offset ?? 0;
    if (request.file !== undefined) {
      if (!this.files.has(request.file)) return { kind: 'error', errno: 'EBADF' };
      if (!Number.isSafeInteger(offset) || offset < 0 || offset % PAGE !== 0)
        return { kind: 'error', errno: 'EINVAL' };
    }
    let start: number;
    if (request.fixed) {
      const address = request.address ?? Number.NaN;
      if (!Number.isSafeInteger(address) || address % PAGE !== 0) return { kind: 'error', errno: 'EINVAL' };
      // mmap_min_addr: refusing to map page zero is what turns a kernel NULL
      // dereference into an oops rather than an exploit.
      if (address < this.layout.mmapMinAddr) return { kind: 'error', errno: 'EPERM' };
      if (address + length > this.layout.userEnd) return { kind: 'error', errno: 'ENOMEM' };
      this.unmapRange(mm, address, address + length);
      start = address;
    } else {
      const hint = request.address;
      if (
        hint !== undefined &&
        hint % PAGE === 0 &&
        hint >= this.layout.mmapMinAddr &&
        hint + length <= this.layout.userEnd &&
        mm.vmas.isFree(hint, hint + length)
      ) {
        start = hint;
      } else {
        const found = mm.vmas.findFreeTopDown(length, this.layout.mmapMinAddr, this.layout.mmapBase);
        if (found === null) return { kind: 'error', errno: 'ENOMEM' };
        start = found;
      }
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
      ...(request.file !== undefined ? { file: { name: request.file, pgoff: offset / PAGE } } : {}),
    });
    return { kind: 'ok', address: start };
  }

  munmap(pid: number, address: number, length: number): ErrnoName | null {
    const mm = this.userTask(pid).mm!;
    if (!Number.isSafeInteger(address) || address < 0 || address % PAGE !== 0 || !(length > 0))
      return 'EINVAL';
    if (address + length > this.layout.userEnd) return 'EINVAL';
    this.unmapRange(mm, address, address + pageUp(length));
    return null;
  }

  mprotect(pid: number, address: number, length: number, prot: MmapRequest['prot']): ErrnoName | null {
    const mm = this.userTask(pid).mm!;
    if (!Number.isSafeInteger(address) || address % PAGE !== 0 || !(length > 0)) return 'EINVAL';
    const end = address + pageUp(length);
    // Every byte of the range must be mapped (mprotect returns ENOMEM otherwise).
    for (let va = address; va < end; ) {
      const vma = mm.vmas.containing(va);
      if (vma === null) return 'ENOMEM';
      va = vma.end;
    }
    const rights =
      (prot.read ? VmFlag.Read : 0) | (prot.write ? VmFlag.Write : 0) | (prot.exec ? VmFlag.Exec : 0);
    mm.vmas.changeFlags(
      address,
      end,
      (flags) => (flags & ~(VmFlag.Read | VmFlag.Write | VmFlag.Exec)) | rights,
    );
    // change_pte_range: take rights away from mapped PTEs now; rights given
    // back are granted lazily by the next fault (a write reuses the page).
    const none = !prot.read && !prot.write && !prot.exec;
    this.tables.forEachUserPte(mm.pgdPfn, address, end, (va, pa, pte) => {
      if (!pteMapsFrame(pte)) return;
      let next = none ? (pte & ~PTE_PRESENT) | PTE_PROTNONE : (pte & ~PTE_PROTNONE) | PTE_PRESENT;
      if (!prot.write) next = pteWrprotect(next);
      if (this.hasNx) next = prot.exec ? next & ~PTE_NX : next | PTE_NX;
      if (next === pte) return;
      this.tables.writeAt(pa, next);
      const lostRights =
        (pteWrite(pte) && !pteWrite(next)) ||
        !ptePresent(next) ||
        ((next & PTE_NX) !== 0n && (pte & PTE_NX) === 0n);
      // Rights taken away must be shot down everywhere (through the flush hook).
      if (lostRights) this.flushTlbPage(mm.id, va);
    });
    return null;
  }

  /** brk(): moves the end of the heap; returns the new break (the old one if the move is refused). */
  brk(pid: number, newBrk: number): number {
    const mm = this.userTask(pid).mm!;
    if (!Number.isSafeInteger(newBrk) || newBrk < mm.brkStart) return mm.brk;
    const oldEnd = pageUp(mm.brk);
    const newEnd = pageUp(newBrk);
    if (newEnd < oldEnd) this.unmapRange(mm, newEnd, oldEnd);
    else if (newEnd > oldEnd) {
      if (!mm.vmas.isFree(oldEnd, newEnd) || newEnd > this.layout.mmapBase) return mm.brk;
      mm.vmas.insert({ start: oldEnd, end: newEnd, flags: VmFlag.Read | VmFlag.Write, name: '[heap]' });
    }
    mm.brk = newBrk;
    return newBrk;
  }

  /** fork(): a child with a copy-on-write copy of the parent's address space. */
  fork(pid: number): Task {
    const parent = this.userTask(pid);
    const from = parent.mm!;
    const child = this.newMm();
    child.brkStart = from.brkStart;
    child.brk = from.brk;
    let writeProtected = false;
    try {
      for (const vma of from.vmas.all) {
        child.vmas.insert({ ...vma, ...(vma.file ? { file: { ...vma.file } } : {}) });
        const shared = (vma.flags & VmFlag.Shared) !== 0;
        this.tables.forEachUserPte(from.pgdPfn, vma.start, vma.end, (va, pa, pte) => {
          // The child's table first: if it cannot be allocated, nothing has
          // been counted for this PTE yet and the partial child is torn down.
          const target = this.tables.entryAddress(child.pgdPfn, va, { create: child })!;
          let childPte = pte;
          if (!pteMapsFrame(pte)) {
            // A swapped-out page: both address spaces now hold the swap entry.
            this.swap!.duplicate(this.swapSlotOf(pte));
            child.swapEntries++;
          } else {
            const pfn = ptePfn(pte);
            if (pfn !== this.zeroPagePfn) {
              this.frames.refcount[pfn]!++;
              this.frames.mapcount[pfn]!++;
              this.rmap.add(pfn, child, va);
              child.rss++;
            }
            // copy_present_pte: a private writable page becomes read-only in
            // both, so the first write by either side faults and copies.
            if (!shared && pteWrite(pte)) {
              this.tables.writeAt(pa, pteWrprotect(pte));
              childPte = pteWrprotect(pte);
              writeProtected = true;
            }
            childPte &= ~PTE_ACCESSED;
          }
          this.tables.writeAt(target, childPte);
        });
      }
    } catch (error) {
      if (!(error instanceof OutOfMemory)) throw error;
      // dup_mmap failed: undo the partial copy, as fork returning -ENOMEM does.
      if (writeProtected) this.flushTlbMm(from);
      this.dropMm(child);
      throw new KernelError("fork: out of memory for the child's page tables (-ENOMEM)");
    }
    // The parent's TLBs may still hold the writable translations.
    if (writeProtected) this.flushTlbMm(from);
    return this.addTask(parent.name, 'user', child);
  }

  /** execve(): a fresh address space; the old one goes when its last user does. */
  exec(pid: number): void {
    const task = this.userTask(pid);
    const old = task.mm!;
    // de_thread(): every other thread of the process dies before the new image runs.
    for (const t of [...this.tasks.values()]) if (t !== task && t.alive && t.mm === old) this.exit(t.pid);
    const mm = this.newMm();
    this.addStack(mm);
    task.mm = mm;
    task.activeMm = mm;
    for (const cpu of this.cpus) if (cpu.current === task) this.loadMm(cpu, mm);
    this.dropMm(old);
  }

  /** exit(): the task ends; its address space is torn down with its last user. */
  exit(pid: number): void {
    const task = this.task(pid);
    if (task.kind === 'idle') throw new KernelError('the idle task cannot exit');
    if (!task.alive) return;
    task.alive = false;
    for (const cpu of this.cpus) {
      if (cpu.current === task) {
        // The idle task takes over, keeping the dead task's tables loaded
        // lazily, as Linux does, until the mm is freed below. The dead
        // task's FLAGS die with it: idle runs with its own (window closed).
        const idle = this.tasks.get(0)!;
        this.loadUserAccessWindow(cpu, idle);
        cpu.current = idle;
        idle.activeMm = cpu.loadedMm;
      }
    }
    const mm = task.mm;
    task.mm = null;
    task.activeMm = null;
    this.emit({ type: 'task', pid, what: 'exited' });
    if (mm !== null) this.dropMm(mm);
  }

  private dropMm(mm: Mm): void {
    mm.users--;
    if (mm.users > 0) return;
    this.unmapRange(mm, 0, this.layout.userEnd, { keepVmas: false });
    this.tables.freeUserTables(mm);
    // No CPU may keep running on tables that are about to be freed.
    for (const cpu of this.cpus) {
      if (cpu.loadedMm === mm) {
        cpu.mmu.switchAddressSpace(this.initMm.pgdPfn * PAGE, { asid: 0, flush: 'non-global' });
        cpu.loadedMm = this.initMm;
      }
      cpu.mmu.invalidateAsid(mm.asid);
    }
    for (const task of this.tasks.values()) if (task.activeMm === mm) task.activeMm = this.initMm;
    this.frames.release(mm.pgdPfn);
    this.mms.delete(mm.id);
    if (mm.asid !== 0) this.asidsInUse.delete(mm.asid);
  }

  /** zap_page_range + vma removal: unmaps every page in [start, end) and drops the areas. */
  private unmapRange(mm: Mm, start: number, end: number, options: { keepVmas?: boolean } = {}): void {
    if (options.keepVmas !== true) mm.vmas.remove(start, end);
    // mmu_gather: clear the PTEs, flush every TLB that may cache them, and
    // only then free the pages — so no CPU can reach a page after it is reused.
    const gathered: { va: number; pte: bigint }[] = [];
    this.tables.forEachUserPte(mm.pgdPfn, start, end, (va, pa, pte) => {
      this.tables.writeAt(pa, 0n);
      gathered.push({ va, pte });
    });
    if (gathered.length === 0) return;
    this.flushTlbMm(mm);
    for (const { va, pte } of gathered) {
      if (!pteMapsFrame(pte)) {
        mm.swapEntries--;
        this.releaseSwapReference(this.swapSlotOf(pte));
        continue;
      }
      const pfn = ptePfn(pte);
      if (pfn !== this.zeroPagePfn) this.dropMapping(mm, va, pfn, pteDirty(pte));
    }
  }

  /** page_remove_rmap + put_page for one PTE that no longer maps `pfn`. */
  private dropMapping(mm: Mm, va: number, pfn: number, dirty: boolean): void {
    this.frames.mapcount[pfn]!--;
    mm.rss--;
    this.rmap.remove(pfn, mm, va);
    if (dirty) this.frames.set(pfn, PageFlag.Dirty);
    this.putPage(pfn);
    // An unmapped page kept only by the swap cache, whose slot nobody else
    // references, is of no use to anyone: free both (free_swap_and_cache).
    if (this.frames.mapcount[pfn] === 0 && this.frames.has(pfn, PageFlag.SwapCache)) this.tryFreeSwap(pfn);
  }

  private swapSlotOf(pte: bigint): number {
    return decodeSwapEntry(this.layout.arch, pte).offset;
  }

  /** Drops one PTE's reference to a swap slot; frees a cached page that nothing needs any more. */
  private releaseSwapReference(slot: number): void {
    const swap = this.swap!;
    const left = swap.release(slot);
    const cached = this.swapCache.get(slot);
    if (left === 1 && cached !== undefined && this.frames.mapcount[cached] === 0) this.tryFreeSwap(cached);
  }

  // ───────────────────────── user memory access ─────────────────────────

  /** A user-mode load, store or instruction fetch of one byte by `pid`, with the fault path in the loop. */
  access(pid: number, address: number, kind: 'read' | 'write' | 'exec', value = 0): AccessOutcome {
    const task = this.userTask(pid);
    const cpu = this.cpuFor(pid);
    const access = kind === 'read' ? Access.Read : kind === 'write' ? Access.Write : Access.Execute;
    const faults: FaultRecord[] = [];
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      const pa = cpu.mmu.translate(address, access, Privilege.User);
      if (typeof pa === 'number') {
        if (access === Access.Write) this.memory.bytes[pa] = value & 0xff;
        return { kind: 'ok', value: this.memory.bytes[pa]!, faults };
      }
      const outcome = this.handleFault(cpu, task, pa, 0, faults);
      if (outcome !== null) return outcome;
    }
    throw new KernelError(
      `pid ${pid}: the fault at ${formatAddress(address)} keeps recurring (a fault handler that never fixes it)`,
    );
  }

  /**
   * A kernel-mode access on `cpu` (the current task's context). `ip` names
   * the instruction, so the exception table can find a fixup for it.
   */
  kernelAccess(
    cpuId: number,
    address: number,
    kind: 'read' | 'write',
    options: { ip?: number; value?: number } = {},
  ): AccessOutcome {
    const cpu = this.cpu(cpuId);
    const access = kind === 'read' ? Access.Read : Access.Write;
    const faults: FaultRecord[] = [];
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      const pa = cpu.mmu.translate(address, access, Privilege.Supervisor);
      if (typeof pa === 'number') {
        if (access === Access.Write) this.memory.bytes[pa] = (options.value ?? 0) & 0xff;
        return { kind: 'ok', value: this.memory.bytes[pa]!, faults };
      }
      const outcome = this.handleFault(cpu, cpu.current, pa, options.ip ?? this.layout.kernelText, faults);
      if (outcome !== null) return outcome;
    }
    throw new KernelError(`kernel access to ${formatAddress(address)} keeps faulting`);
  }

  /** Runs the page-fault hook for a hardware fault; null means "retry the access". */
  private handleFault(
    cpu: Cpu,
    task: Task,
    fault: PageFault,
    ip: number,
    faults: FaultRecord[],
  ): AccessOutcome | null {
    if (fault.report.arch !== 'x86') throw new KernelError('the kernel layer models x86 only');
    const r = fault.report;
    if (r.vector !== 14) {
      // #GP on a non-canonical address: SIGSEGV for user mode (SI_KERNEL in
      // Linux; reported as SEGV_MAPERR here), an oops for the kernel.
      // A #GP pushes error code 0, so the mode comes from the access itself;
      // Linux answers a user #GP with SIGSEGV, si_code SI_KERNEL, si_addr 0
      // (gp_user_force_sig_segv).
      const info = this.faultInfo(cpu, task, fault, ip);
      const outcome: FaultOutcome =
        fault.privilege === 'user'
          ? { kind: 'signal', signal: { signal: 'SIGSEGV', code: 'SI_KERNEL', address: 0 } }
          : {
              kind: 'oops',
              report: this.oopsReport(
                info,
                `general protection fault (${r.mnemonic}): non-canonical address`,
              ),
            };
      return this.finishFault(cpu, task, fault, outcome, faults);
    }
    this.faultingTask = task;
    this.faultingCpu = cpu;
    let outcome: FaultOutcome;
    try {
      outcome = this.hooks.pageFault(this, this.faultInfo(cpu, task, fault, ip));
    } catch (error) {
      // A page table could not be allocated: VM_FAULT_OOM.
      if (!(error instanceof OutOfMemory)) throw error;
      outcome = { kind: 'oom' };
    } finally {
      this.faultingTask = null;
      this.faultingCpu = null;
    }
    return this.finishFault(cpu, task, fault, outcome, faults);
  }

  private faultInfo(cpu: Cpu, task: Task, fault: PageFault, ip: number): FaultInfo {
    const r = fault.report;
    const control = cpu.mmu.control;
    const code = r.arch === 'x86' ? r.errorCode : 0;
    return {
      address: fault.va,
      errorCode: code,
      present: (code & 1) !== 0,
      write: (code & 2) !== 0,
      user: (code & 4) !== 0,
      reservedBit: (code & 8) !== 0,
      exec: (code & 16) !== 0 || fault.access === 'execute',
      ip,
      userAccessOpen: !control.smap || control.alignmentCheck,
      pid: task.pid,
      mm: task.mm?.id ?? null,
    };
  }

  private finishFault(
    cpu: Cpu,
    task: Task,
    fault: PageFault,
    outcome: FaultOutcome,
    faults: FaultRecord[],
  ): AccessOutcome | null {
    const record = (resolution: Resolution) => {
      const errorCode = fault.report.arch === 'x86' ? fault.report.errorCode : 0;
      faults.push({ address: fault.address, errorCode, message: fault.message, resolution });
      this.emit({
        type: 'fault-resolved',
        cpu: cpu.id,
        pid: task.pid,
        address: fault.va,
        errorCode,
        resolution,
      });
    };
    switch (outcome.kind) {
      case 'resolved':
        record(outcome.resolution);
        if (outcome.resolution === 'cow-copy' || outcome.resolution === 'cow-reuse') {
          this.emit({
            type: 'cow',
            pid: task.pid,
            address: fault.va,
            action: outcome.resolution === 'cow-copy' ? 'copy' : 'reuse',
          });
        }
        return null;
      case 'fixup':
        record('exception-fixup');
        return { kind: 'fixup', fixupIp: outcome.fixupIp, faults };
      case 'signal':
        record('signal');
        this.emit({ type: 'signal', pid: task.pid, signal: outcome.signal });
        // SIGSEGV and SIGBUS kill by default — the whole process, every
        // thread sharing its address space.
        task.death = { signal: outcome.signal };
        this.killThreadGroup(task);
        return { kind: 'signal', signal: outcome.signal, faults };
      case 'oops':
        record('oops');
        this.emit({ type: 'oops', cpu: cpu.id, pid: task.pid, report: outcome.report });
        if (task.kind !== 'idle') {
          task.death = { oops: outcome.report };
          this.exit(task.pid);
        }
        return { kind: 'oops', report: outcome.report, faults };
      case 'oom': {
        // VM_FAULT_OOM: the OOM killer has chosen this task (or found nothing
        // to kill); either way the faulting task cannot go on.
        record('signal');
        const signal: SignalInfo = { signal: 'SIGKILL', code: 'SI_KERNEL', address: 0 };
        task.death ??= { signal };
        this.emit({ type: 'signal', pid: task.pid, signal });
        for (const t of [...this.tasks.values()])
          if (t.alive && t.mm !== null && t.mm === task.mm && t !== task) this.exit(t.pid);
        this.exit(task.pid);
        return { kind: 'signal', signal, faults };
      }
    }
  }

  /** A fatal signal ends every task that shares the victim's address space. */
  private killThreadGroup(task: Task): void {
    const mm = task.mm;
    for (const t of [...this.tasks.values()]) {
      if (t !== task && t.alive && mm !== null && t.mm === mm) {
        t.death = task.death;
        this.exit(t.pid);
      }
    }
    this.exit(task.pid);
  }

  // ───────────────────────── kernel memory ─────────────────────────

  /** kmalloc(): physically contiguous, from the direct map; never faults; null under pressure. */
  kmalloc(bytes: number): number | null {
    if (!Number.isSafeInteger(bytes) || bytes <= 0)
      throw new RangeError(`kmalloc size ${bytes} must be a positive integer`);
    const pages = Math.ceil(bytes / PAGE);
    const order = Math.ceil(Math.log2(pages));
    if (order > 10) return null;
    const pfn = this.frames.allocate(order);
    if (pfn < 0) return null;
    for (let i = 0; i < 1 << order; i++) this.frames.set(pfn + i, PageFlag.Kernel);
    this.emit({ type: 'frame-alloc', pfn, order, purpose: 'kmalloc' });
    const va = this.directMapAddress(pfn);
    this.kmallocs.set(va, { pfn, order });
    return va;
  }

  kfree(address: number): void {
    const block = this.kmallocs.get(address);
    if (block === undefined)
      throw new KernelError(`kfree of ${shown(address)}, which kmalloc did not return`);
    this.kmallocs.delete(address);
    this.frames.release(block.pfn, block.order);
    this.emit({ type: 'frame-free', pfn: block.pfn, order: block.order });
  }

  /** vmalloc(): virtually contiguous in the vmalloc area, built from scattered single frames. */
  vmalloc(bytes: number): number | null {
    if (!Number.isSafeInteger(bytes) || bytes <= 0)
      throw new RangeError(`vmalloc size ${bytes} must be a positive integer`);
    const pages = Math.ceil(bytes / PAGE);
    // A guard page after each area, as vmalloc leaves one.
    const start = this.vmallocNext;
    if (start + (pages + 1) * PAGE > this.layout.vmallocEnd) return null;
    const pfns: number[] = [];
    for (let i = 0; i < pages; i++) {
      const pfn = this.frames.allocate();
      if (pfn < 0) {
        for (const p of pfns) this.frames.release(p);
        return null;
      }
      this.frames.set(pfn, PageFlag.Kernel);
      pfns.push(pfn);
    }
    try {
      pfns.forEach((pfn, i) => {
        const pa = this.tables.entryAddress(this.initMm.pgdPfn, start + i * PAGE, { create: this.initMm });
        this.tables.writeAt(pa!, makePte(pfn, KERNEL_DATA, this.hasNx));
      });
    } catch (error) {
      if (!(error instanceof OutOfMemory)) throw error;
      // Undo: no kernel PTE may point at a frame that goes back to the allocator.
      pfns.forEach((_pfn, i) => {
        const pa = this.tables.entryAddress(this.initMm.pgdPfn, start + i * PAGE);
        if (pa !== null) this.tables.writeAt(pa, 0n);
      });
      for (const p of pfns) this.frames.release(p);
      return null;
    } finally {
      for (const pfn of this.initMm.tablePages) this.kernelTables.add(pfn);
      this.initMm.tablePages.clear();
    }
    this.vmallocNext = start + (pages + 1) * PAGE;
    this.vmallocs.set(start, { pfns });
    return start;
  }

  vfree(address: number): void {
    const area = this.vmallocs.get(address);
    if (area === undefined) throw new KernelError(`vfree of ${shown(address)}, which vmalloc did not return`);
    this.vmallocs.delete(address);
    area.pfns.forEach((pfn, i) => {
      const va = address + i * PAGE;
      this.tables.writeAt(this.tables.entryAddress(this.initMm.pgdPfn, va)!, 0n);
      // flush_tlb_kernel_range: kernel mappings are global, on every CPU.
      for (const cpu of this.cpus) cpu.mmu.invalidatePage(va);
      this.frames.release(pfn);
    });
  }

  directMapAddress(pfn: number): number {
    return this.layout.directMapStart + pfn * PAGE;
  }

  // ───────────────────────── uaccess ─────────────────────────

  private registerUaccessFixups(): void {
    // Each uaccess instruction gets an entry: if it faults, execution resumes
    // at the fixup, which makes the routine return what was left to copy.
    this.exceptionTable.set(UACCESS_IP.copyUser, UACCESS_IP.copyUserFixup);
    this.exceptionTable.set(UACCESS_IP.getUser, UACCESS_IP.getUserFixup);
    this.exceptionTable.set(UACCESS_IP.putUser, UACCESS_IP.putUserFixup);
  }

  /** copy_from_user() on behalf of `pid` (a process, or a kernel thread), into a temporary kmalloc buffer. */
  copyFromUser(pid: number, userAddress: number, length: number): CopyOutcome {
    return this.withKernelBuffer(
      length,
      (buffer, faults) => {
        const r = this.hooks.copyFromUser(this, { pid, kernelAddress: buffer, userAddress, length });
        const data: number[] = [];
        for (let i = 0; i < length; i++) data.push(this.memory.bytes[this.directMapPa(buffer + i)]!);
        return { ...r, data, faults };
      },
      pid,
    );
  }

  /** copy_to_user() of `bytes` on behalf of `pid`. */
  copyToUser(pid: number, userAddress: number, bytes: readonly number[]): CopyOutcome {
    return this.withKernelBuffer(
      bytes.length,
      (buffer, faults) => {
        bytes.forEach((b, i) => {
          this.memory.bytes[this.directMapPa(buffer + i)] = b & 0xff;
        });
        const r = this.hooks.copyToUser(this, {
          pid,
          kernelAddress: buffer,
          userAddress,
          length: bytes.length,
        });
        return { ...r, data: [], faults };
      },
      pid,
    );
  }

  /** get_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
  getUser(
    pid: number,
    userAddress: number,
    size: UserValueSize,
  ): GetUserResult & { readonly faults: readonly FaultRecord[] } {
    return this.collectingCopyFaults(pid, () =>
      referenceGetUser(this, pid, userAddress, size, UACCESS_IP.getUser),
    );
  }

  /** put_user() of a 1-, 2-, 4- or 8-byte value on behalf of `pid`. */
  putUser(
    pid: number,
    userAddress: number,
    size: UserValueSize,
    value: bigint,
  ): {
    readonly errno: 'EFAULT' | null;
    readonly oops: string | null;
    readonly faults: readonly FaultRecord[];
  } {
    return this.collectingCopyFaults(pid, () =>
      referencePutUser(this, pid, userAddress, size, value, UACCESS_IP.putUser),
    );
  }

  /** Runs a uaccess routine for `pid`, gathering the faults its loads and stores take. */
  private collectingCopyFaults<T extends object>(
    pid: number,
    body: () => T,
  ): T & { readonly faults: readonly FaultRecord[] } {
    this.task(pid);
    this.copyFaults = [];
    try {
      const result = body();
      return { ...result, faults: this.copyFaults };
    } finally {
      this.copyFaults = null;
    }
  }

  private withKernelBuffer(
    length: number,
    body: (buffer: number, faults: FaultRecord[]) => CopyOutcome,
    pid: number,
  ): CopyOutcome {
    if (!Number.isSafeInteger(length) || length < 1 || length > 1 << 20) {
      throw new KernelError(`copy length ${length} must be 1..1048576`);
    }
    this.task(pid);
    const buffer = this.kmalloc(length);
    if (buffer === null) return { notCopied: length, errno: 'ENOMEM', data: [], oops: null, faults: [] };
    this.copyFaults = [];
    try {
      return body(buffer, this.copyFaults);
    } finally {
      this.copyFaults = null;
      this.kfree(buffer);
    }
  }

  /** Faults taken by the uaccess routine in progress. */
  private copyFaults: FaultRecord[] | null = null;

  private directMapPa(address: number): number {
    return address - this.layout.directMapStart;
  }

  // ───────────────────────── UaccessApi ─────────────────────────

  readonly copyInstruction = UACCESS_IP.copyUser;

  accessOk(address: number, length: number): boolean {
    return (
      Number.isSafeInteger(address) && address >= 0 && length >= 0 && address + length <= this.layout.userEnd
    );
  }

  userAccessBegin(pid: number): void {
    this.cpuFor(pid).mmu.userAccessBegin();
  }

  userAccessEnd(pid: number): void {
    // A task that oopsed inside the window is gone; close the window on the
    // CPU it died on, as the exception exit path would.
    const task = this.task(pid);
    const cpu = task.alive ? this.cpuFor(pid) : this.cpu(task.lastCpu ?? 0);
    cpu.mmu.userAccessEnd();
  }

  loadByte(pid: number, address: number, ip: number): ByteAccess {
    return this.byteAccess(pid, address, 'read', ip, 0);
  }

  storeByte(pid: number, address: number, value: number, ip: number): ByteAccess {
    return this.byteAccess(pid, address, 'write', ip, value);
  }

  private byteAccess(
    pid: number,
    address: number,
    kind: 'read' | 'write',
    ip: number,
    value: number,
  ): ByteAccess {
    if (!Number.isSafeInteger(address)) throw new KernelError(`address ${address} is not an integer`);
    const cpu = this.cpuFor(pid);
    const r = this.kernelAccess(cpu.id, address, kind, { ip, value });
    this.copyFaults?.push(...r.faults);
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

  // ───────────────────────── KernelApi ─────────────────────────

  findVma(mmId: number, address: number): VmaInfo | null {
    const vma = this.mmById(mmId).vmas.findVma(address);
    return vma === null ? null : vmaInfo(vma);
  }

  vmaForFault(mmId: number, address: number): { vma: VmaInfo; grew: boolean } | null {
    const mm = this.mmById(mmId);
    const vma = mm.vmas.findVma(address);
    if (vma === null) return null;
    if (vma.start <= address) return { vma: vmaInfo(vma), grew: false };
    if ((vma.flags & VmFlag.GrowsDown) === 0) return null;
    // expand_downwards(): bounded by mmap_min_addr, RLIMIT_STACK and the
    // guard gap above the area below.
    const newStart = pageDown(address);
    if (newStart < this.layout.mmapMinAddr) return null;
    if (vma.end - newStart > this.layout.stackLimit) return null;
    const prev = mm.vmas.previous(vma);
    if (
      prev !== null &&
      (prev.flags & VmFlag.GrowsDown) === 0 &&
      prev.end + this.layout.stackGuardGap > newStart
    )
      return null;
    vma.start = newStart;
    return { vma: vmaInfo(vma), grew: true };
  }

  readPte(mmId: number, address: number): PteInfo {
    this.mmById(mmId);
    return this.hooks.walkPageTable(this, { mm: mmId, address });
  }

  pageTableRoot(mmId: number): number {
    return this.mmById(mmId).pgdPfn * PAGE;
  }

  pageTableLevels(): number {
    return this.tables.levels;
  }

  tableIndex(address: number, level: number): number {
    if (!Number.isSafeInteger(address)) throw new KernelError(`address ${address} is not an integer`);
    if (!Number.isInteger(level) || level < 0 || level >= this.tables.levels) {
      throw new KernelError(`level ${level} is not 0..${this.tables.levels - 1}`);
    }
    return this.tables.index(address, level);
  }

  entrySize(): number {
    return this.layout.format.entryBytes;
  }

  readTableEntry(pa: number, level: number): TableEntry {
    const size = this.entrySize();
    if (!Number.isInteger(pa) || pa < 0 || pa + size > this.memory.size || pa % size !== 0) {
      throw new KernelError(`readTableEntry: ${pa} is not an aligned entry address inside physical memory`);
    }
    const pte = this.tables.readAt(pa);
    const last = level === this.tables.levels - 1;
    if (pteNone(pte)) return { kind: 'none' };
    if (!pteMapsFrame(pte)) return last ? { kind: 'swap', slot: this.swapSlotOf(pte) } : { kind: 'none' };
    if (!last && (pte & 0x80n) === 0n) return { kind: 'table', pfn: ptePfn(pte) };
    return {
      kind: 'leaf',
      pfn: ptePfn(pte),
      writable: pteWrite(pte),
      user: (pte & PTE_USER) !== 0n,
      exec: (pte & PTE_NX) === 0n,
      accessed: (pte & PTE_ACCESSED) !== 0n,
      dirty: (pte & PTE_DIRTY) !== 0n,
    };
  }

  pageInfo(pfn: number): PageInfo {
    this.checkPfn(pfn);
    return {
      refcount: this.frames.refcount[pfn]!,
      mapcount: this.frames.mapcount[pfn]!,
      zero: pfn === this.zeroPagePfn,
      anon: this.frames.has(pfn, PageFlag.Anon),
      file: this.frames.has(pfn, PageFlag.File),
    };
  }

  zeroPfn(): number {
    return this.zeroPagePfn;
  }

  allocPage(): number {
    // __alloc_pages: below the min watermark the allocating task reclaims
    // itself; if nothing can be reclaimed, the OOM killer makes room.
    if (this.frames.free <= this.watermarks.min) this.directReclaim();
    let pfn = this.frames.allocate();
    if (pfn < 0) {
      this.directReclaim();
      pfn = this.frames.allocate();
    }
    while (pfn < 0 && this.oomKill() === 'freed') pfn = this.frames.allocate();
    if (pfn < 0) return -1;
    if (this.frames.free < this.watermarks.low) this.kswapdWoken = true;
    this.emit({ type: 'frame-alloc', pfn, order: 0, purpose: 'user page' });
    return pfn;
  }

  /** Runs kswapd if an allocation woke it: reclaim until the high watermark. */
  runKswapd(): number {
    if (!this.kswapdWoken) return 0;
    this.kswapdWoken = false;
    this.stats.kswapdRuns++;
    const want = this.watermarks.high - this.frames.free;
    return want > 0 ? this.reclaim(want, 'kswapd') : 0;
  }

  private directReclaim(): void {
    this.stats.directReclaims++;
    this.reclaim(Math.max(1, this.watermarks.high - this.frames.free), 'direct');
  }

  clearPage(pfn: number): void {
    this.checkPfn(pfn);
    if (pfn === this.zeroPagePfn) throw new KernelError('clear_page on the shared zero page');
    this.memory.zeroFrame(pfn);
  }

  copyPage(fromPfn: number, toPfn: number): void {
    this.checkPfn(fromPfn);
    this.checkPfn(toPfn);
    this.memory.copyFrame(fromPfn, toPfn);
  }

  getPage(pfn: number): void {
    this.checkPfn(pfn);
    if (pfn === this.zeroPagePfn) return;
    if (this.frames.isFree(pfn)) throw new KernelError(`get_page on free frame ${pfn}`);
    this.frames.refcount[pfn]!++;
  }

  putPage(pfn: number): void {
    this.checkPfn(pfn);
    if (pfn === this.zeroPagePfn) return;
    if (
      this.frames.has(pfn, PageFlag.Reserved) ||
      this.frames.has(pfn, PageFlag.PageTable) ||
      this.frames.has(pfn, PageFlag.Kernel)
    ) {
      throw new KernelError(`put_page on frame ${pfn}, which is not a user page`);
    }
    if (this.frames.refcount[pfn]! <= 0) throw new KernelError(`put_page on free frame ${pfn}`);
    const left = --this.frames.refcount[pfn]!;
    if (left === 0) {
      this.lru.remove(pfn);
      this.frames.release(pfn);
      this.emit({ type: 'frame-free', pfn, order: 0 });
    }
  }

  mapPage(mmId: number, address: number, pfn: number, options: PageMapOptions): void {
    const mm = this.mmById(mmId);
    this.checkPfn(pfn);
    // Hooks call this: refuse what would corrupt the machine, with a reason.
    if (!Number.isSafeInteger(address) || !this.isUserAddress(address)) {
      throw new KernelError(`mapPage: ${address} is not a user address`);
    }
    if (mm.vmas.containing(address) === null) {
      throw new KernelError(`mapPage: no VMA covers ${formatAddress(address)} — map pages only inside areas`);
    }
    if (pfn !== this.zeroPagePfn) {
      if (this.frames.isFree(pfn)) throw new KernelError(`mapPage: frame ${pfn} is free — allocate it first`);
      if (
        this.frames.has(pfn, PageFlag.Reserved) ||
        this.frames.has(pfn, PageFlag.PageTable) ||
        this.frames.has(pfn, PageFlag.Kernel)
      ) {
        throw new KernelError(`mapPage: frame ${pfn} belongs to the kernel (a page table or kernel memory)`);
      }
    }
    if (pfn === this.zeroPagePfn && options.writable)
      throw new KernelError('mapPage: the shared zero page may only be mapped read-only');
    let pa: number;
    try {
      pa = this.tables.entryAddress(mm.pgdPfn, address, { create: mm })!;
    } catch (error) {
      // No frame for the page table: the caller's page goes back, then VM_FAULT_OOM.
      if (error instanceof OutOfMemory && pfn !== this.zeroPagePfn) this.putPage(pfn);
      throw error;
    }
    if (!pteNone(this.tables.readAt(pa)))
      throw new KernelError(`map of ${formatAddress(address)}: a PTE is already there`);
    this.tables.writeAt(
      pa,
      makePte(
        pfn,
        { user: true, writable: options.writable, exec: options.exec, dirty: options.dirty ?? false },
        this.hasNx,
      ),
    );
    if (pfn !== this.zeroPagePfn) {
      this.frames.mapcount[pfn]!++;
      if (!this.frames.has(pfn, PageFlag.File)) this.frames.set(pfn, PageFlag.Anon);
      this.rmap.add(pfn, mm, pageDown(address));
      if (!this.lru.has(pfn)) this.lru.addNew(pfn);
      mm.rss++;
    }
  }

  replacePage(mmId: number, address: number, pfn: number, options: PageMapOptions): void {
    const mm = this.mmById(mmId);
    const pa = this.tables.entryAddress(mm.pgdPfn, address);
    const old = pa === null ? 0n : this.tables.readAt(pa);
    if (!ptePresent(old))
      throw new KernelError(`replace at ${formatAddress(address)}: nothing is mapped there`);
    // ptep_clear_flush: no CPU may keep using the old page after this.
    this.tables.writeAt(pa!, 0n);
    this.flushTlbPage(mmId, address);
    const oldPfn = ptePfn(old);
    if (oldPfn !== this.zeroPagePfn) this.dropMapping(mm, pageDown(address), oldPfn, pteDirty(old));
    this.mapPage(mmId, address, pfn, options);
  }

  makeWritable(mmId: number, address: number): void {
    const mm = this.mmById(mmId);
    const pa = this.tables.entryAddress(mm.pgdPfn, address);
    const pte = pa === null ? 0n : this.tables.readAt(pa);
    if (ptePresent(pte)) {
      const pfn = ptePfn(pte);
      const vma = mm.vmas.containing(address);
      if (pfn === this.zeroPagePfn)
        throw new KernelError('makeWritable: the shared zero page must never become writable — copy it');
      if (this.frames.has(pfn, PageFlag.File) && (vma === null || (vma.flags & VmFlag.Shared) === 0)) {
        throw new KernelError(
          'makeWritable: a page-cache page in a private mapping must be copied, not written',
        );
      }
    }
    if (!ptePresent(pte))
      throw new KernelError(`make writable at ${formatAddress(address)}: nothing is mapped there`);
    // More rights need no flush on x86: a stale read-only entry just faults
    // once more and the CPU re-walks.
    this.tables.writeAt(pa!, pteMkdirty(pteMkwrite(pte)));
  }

  flushTlbPage(mmId: number, address: number): void {
    this.mmById(mmId);
    this.hooks.flushTlbPage(this, { mm: mmId, address });
  }

  cpusThatMayCache(mmId: number): readonly number[] {
    return [...this.mmById(mmId).cpus];
  }

  invalidateTlbEntry(cpuId: number, mmId: number, address: number): void {
    const mm = this.mmById(mmId);
    this.cpu(cpuId).mmu.invalidatePage(address, mm.asid);
    this.emit({ type: 'tlb-shootdown', fromCpu: -1, cpus: [cpuId], address });
  }

  private flushTlbMm(mm: Mm): void {
    const cpus = [...mm.cpus];
    for (const id of cpus) this.cpus[id]!.mmu.invalidateAsid(mm.asid);
    if (cpus.length > 1) this.emit({ type: 'tlb-shootdown', fromCpu: -1, cpus, address: null });
  }

  /**
   * do_swap_page(): brings a swapped-out page back, from the swap cache if
   * it is still there, else from the device. A write by the only user takes
   * the page out of swap altogether; otherwise it stays cached and clean, so
   * reclaim can drop it again without writing.
   */
  swapInPage(mmId: number, address: number, write = false): 'swap-in' | 'oom' {
    const mm = this.mmById(mmId);
    const swap = this.swap;
    const pa = this.tables.entryAddress(mm.pgdPfn, address);
    const pte = pa === null ? 0n : this.tables.readAt(pa);
    if (swap === null || pteNone(pte) || pteMapsFrame(pte))
      throw new KernelError(`no swap entry at ${formatAddress(address)}`);
    const slot = this.swapSlotOf(pte);
    let pfn = this.swapCache.get(slot);
    if (pfn === undefined) {
      const fresh = this.allocPage();
      if (fresh < 0) return 'oom';
      pfn = fresh;
      swap.read(slot, this.memory.bytes.subarray(pfn * PAGE, (pfn + 1) * PAGE));
      // The swap cache holds a reference to both the page and the slot.
      swap.duplicate(slot);
      this.frames.refcount[pfn]!++;
      this.frames.set(pfn, PageFlag.SwapCache);
      this.frames.set(pfn, PageFlag.Anon);
      this.frames.swapSlot[pfn] = slot;
      this.swapCache.set(slot, pfn);
      this.lru.addNew(pfn);
      this.stats.swapIns++;
      this.emit({ type: 'swap-in', pid: -1, address, slot, fromCache: false });
    } else {
      this.frames.refcount[pfn]!++;
      this.emit({ type: 'swap-in', pid: -1, address, slot, fromCache: true });
    }
    // This PTE gives up its reference to the slot and maps the page.
    swap.release(slot);
    mm.swapEntries--;
    const vma = mm.vmas.containing(address)!;
    const exclusive = swap.count[slot] === 1 && this.frames.mapcount[pfn] === 0;
    const writable = write && exclusive && (vma.flags & VmFlag.Write) !== 0;
    this.tables.writeAt(
      pa!,
      makePte(
        pfn,
        { user: true, writable, exec: (vma.flags & VmFlag.Exec) !== 0, dirty: writable },
        this.hasNx,
      ),
    );
    this.frames.mapcount[pfn]!++;
    this.rmap.add(pfn, mm, pageDown(address));
    mm.rss++;
    if (writable) this.tryFreeSwap(pfn);
    return 'swap-in';
  }

  /**
   * folio_free_swap(): drops a page from the swap cache and frees its slot
   * when no PTE still holds the slot. Returns whether it did.
   */
  tryFreeSwap(pfn: number): boolean {
    if (!this.frames.has(pfn, PageFlag.SwapCache)) return false;
    const slot = this.frames.swapSlot[pfn]!;
    if (this.swap!.count[slot] !== 1) return false;
    this.swap!.release(slot);
    this.swapCache.delete(slot);
    this.frames.set(pfn, PageFlag.SwapCache, false);
    this.frames.swapSlot[pfn] = -1;
    // The page now exists only in memory: it is dirty with respect to swap.
    this.frames.set(pfn, PageFlag.Dirty);
    this.putPage(pfn);
    return true;
  }

  // ───────────────────────── reclaim ─────────────────────────

  /**
   * shrink_lruvec(), simplified: scans the inactive list from its old end;
   * a page whose accessed bits (found through the reverse map) were set gets
   * a second chance on the active list, others go to swap — written out if
   * dirty, simply dropped if clean. The active list refills the inactive one
   * when it runs low. Returns the frames freed.
   */
  reclaim(target: number, who: 'kswapd' | 'direct' | 'manual' = 'manual'): number {
    let freed = 0;
    const scannedBefore = this.stats.pagesScanned;
    let budget = 2 * this.lru.size + 2;
    while (freed < target && budget-- > 0) {
      if (this.lru.inactiveSize === 0 || this.lru.inactiveSize < this.lru.activeSize / 2) {
        const oldest = this.lru.oldestActive();
        if (oldest >= 0) {
          // shrink_active_list: demote the oldest active page. Its accessed
          // bits are left alone, so a page used meanwhile gets its second
          // chance when the inactive scan tests them.
          this.lru.deactivate(oldest);
          continue;
        }
      }
      const pfn = this.lru.oldestInactive();
      if (pfn < 0) break;
      this.stats.pagesScanned++;
      const referenced = this.testAndClearYoung(pfn);
      const decision = this.hooks.reclaimDecision(this, { pfn, referenced, dirty: this.isPageDirty(pfn) });
      if (decision === 'activate') {
        this.lru.activate(pfn);
        continue;
      }
      if (decision === 'keep' || !this.swapOut(pfn)) {
        this.lru.rotate(pfn);
        continue;
      }
      freed++;
    }
    this.emit({ type: 'reclaim', who, scanned: this.stats.pagesScanned - scannedBefore, freed });
    return freed;
  }

  /** page_referenced(): tests and clears the accessed bit in every PTE mapping the page. */
  private testAndClearYoung(pfn: number): boolean {
    let young = false;
    for (const { mm, va } of this.rmap.mappings(pfn)) {
      const pa = this.tables.entryAddress(mm.pgdPfn, va)!;
      const pte = this.tables.readAt(pa);
      if (pteYoung(pte)) {
        young = true;
        // x86 clears the bit without a flush (ptep_clear_flush_young): a TLB
        // entry still cached keeps the bit from being set again, so a hot
        // page can look cold for a while — a deliberate trade.
        this.tables.writeAt(pa, pteMkold(pte));
      }
    }
    return young;
  }

  private isPageDirty(pfn: number): boolean {
    if (this.frames.has(pfn, PageFlag.Dirty)) return true;
    for (const { mm, va } of this.rmap.mappings(pfn)) {
      if (pteDirty(this.tables.readPte(mm.pgdPfn, va))) return true;
    }
    return false;
  }

  /**
   * Whether reclaiming `pfn` now would free it — the checks shrink_folio_list
   * (swapOut below) makes once the policy said "reclaim", read without
   * changing anything. `swapSlotsTaken`: slots a caller counting several
   * pages in a row has already promised to earlier ones (a scan that
   * reclaims nothing).
   */
  reclaimCheck(pfn: number, swapSlotsTaken = 0): ReclaimCheck {
    // A page someone holds a reference to beyond its mappings and the caches
    // (a COW copy in progress, a uaccess) cannot be reclaimed now.
    const pins =
      (this.frames.has(pfn, PageFlag.SwapCache) ? 1 : 0) + (this.frames.has(pfn, PageFlag.File) ? 1 : 0);
    if (this.frames.refcount[pfn]! > this.frames.mapcount[pfn]! + pins)
      return { frees: false, why: 'pinned' };
    // A file page goes back to its file: no swap needed.
    if (this.frames.has(pfn, PageFlag.File)) return { frees: true, swapSlot: false };
    if (this.swap === null) return { frees: false, why: 'no-swap' };
    if (!this.frames.has(pfn, PageFlag.Anon)) return { frees: false, why: 'not-anonymous' };
    // A page already in the swap cache has its slot; any other needs a new one.
    if (this.frames.has(pfn, PageFlag.SwapCache)) return { frees: true, swapSlot: false };
    if (this.swap.free - swapSlotsTaken <= 0) return { frees: false, why: 'swap-full' };
    return { frees: true, swapSlot: true };
  }

  /** shrink_folio_list for one page: into the swap cache, unmapped everywhere, written if dirty, freed. */
  private swapOut(pfn: number): boolean {
    if (!this.reclaimCheck(pfn).frees) return false;
    if (this.frames.has(pfn, PageFlag.File)) return this.evictFilePage(pfn);
    const swap = this.swap!;
    if (!this.frames.has(pfn, PageFlag.SwapCache)) {
      const slot = swap.allocate(); // count 1: the swap cache's reference
      if (slot < 0) return false;
      this.frames.set(pfn, PageFlag.SwapCache);
      this.frames.swapSlot[pfn] = slot;
      this.frames.refcount[pfn]!++;
      this.swapCache.set(slot, pfn);
      // A page that was never written to swap must be written now.
      this.frames.set(pfn, PageFlag.Dirty);
    }
    const slot = this.frames.swapSlot[pfn]!;
    // try_to_unmap: every PTE gets the swap entry, and every CPU forgets the old translation.
    for (const { mm, va } of [...this.rmap.mappings(pfn)]) {
      const pa = this.tables.entryAddress(mm.pgdPfn, va)!;
      const pte = this.tables.readAt(pa);
      if (pteDirty(pte)) this.frames.set(pfn, PageFlag.Dirty);
      this.tables.writeAt(pa, encodeSwapEntry(this.layout.arch, 0, slot));
      this.flushTlbPage(mm.id, va);
      swap.duplicate(slot);
      mm.swapEntries++;
      mm.rss--;
      this.frames.mapcount[pfn]!--;
      this.rmap.remove(pfn, mm, va);
      this.frames.refcount[pfn]!--;
    }
    if (this.frames.has(pfn, PageFlag.Dirty)) {
      swap.write(slot, this.memory.bytes.subarray(pfn * PAGE, (pfn + 1) * PAGE));
      this.frames.set(pfn, PageFlag.Dirty, false);
      this.stats.swapOuts++;
      this.emit({ type: 'swap-out', pfn, slot });
    }
    // Leave the swap cache: the slot keeps the data, the frame goes free.
    this.swapCache.delete(slot);
    swap.release(slot);
    this.frames.set(pfn, PageFlag.SwapCache, false);
    this.frames.swapSlot[pfn] = -1;
    this.putPage(pfn);
    return true;
  }

  // ───────────────────────── files and the page cache ─────────────────────────

  /** Creates (or replaces) a file with these bytes. */
  createFile(name: string, content: Uint8Array | readonly number[]): SimFile {
    if (typeof name !== 'string' || name.length === 0) throw new KernelError('a file needs a name');
    if (!(content instanceof Uint8Array) && !Array.isArray(content))
      throw new KernelError('file content must be bytes');
    if (this.files.has(name)) throw new KernelError(`file "${name}" already exists`);
    if (content.length > 1 << 26) throw new KernelError('files are limited to 64 MiB');
    const data = Uint8Array.from(content, (b) => b & 0xff);
    const file: SimFile = { name, size: data.length, data, cache: new Map() };
    this.files.set(name, file);
    return file;
  }

  /** What read(2) of the file returns now: the page cache where a page is cached, else the disk. */
  readFile(name: string, offset: number, length: number): number[] {
    const file = this.files.get(name);
    if (file === undefined) throw new KernelError(`no file "${name}"`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new KernelError(
        `readFile: offset and length must be non-negative integers (got ${offset}, ${length})`,
      );
    }
    const out: number[] = [];
    for (let i = offset; i < Math.min(file.size, offset + length); i++) {
      const pfn = file.cache.get(Math.floor(i / PAGE));
      out.push(pfn === undefined ? file.data[i]! : this.memory.bytes[pfn * PAGE + (i % PAGE)]!);
    }
    return out;
  }

  fileFault(f: FaultInfo): FaultOutcome {
    const mm = this.mmById(f.mm!);
    const vma = mm.vmas.containing(f.address);
    if (vma?.file === undefined) throw new KernelError(`no file mapping at ${formatAddress(f.address)}`);
    const file = this.files.get(vma.file.name)!;
    const index = vma.file.pgoff + Math.floor((f.address - vma.start) / PAGE);
    // A page wholly beyond the end of the file has nothing to map: SIGBUS.
    if (index >= Math.ceil(file.size / PAGE)) {
      return { kind: 'signal', signal: { signal: 'SIGBUS', code: 'BUS_ADRERR', address: f.address } };
    }
    const cached = this.pageCachePage(file, index);
    if (cached < 0) return { kind: 'oom' };
    const shared = (vma.flags & VmFlag.Shared) !== 0;
    const exec = (vma.flags & VmFlag.Exec) !== 0;
    if (f.write && !shared) {
      // do_cow_fault: a private write gets its own copy; the file never sees it.
      // The cache page is held while allocating, so reclaim cannot evict it.
      this.frames.refcount[cached]!++;
      const copy = this.allocPage();
      this.frames.refcount[cached]!--;
      if (copy < 0) return { kind: 'oom' };
      this.memory.copyFrame(cached, copy);
      this.mapPage(mm.id, f.address, copy, { writable: true, exec, dirty: true });
      return { kind: 'resolved', resolution: 'cow-copy' };
    }
    // The mapping takes its own reference; the cache keeps its one. A shared
    // page is mapped writable only for a write, so the first write to a clean
    // page is noticed (the dirty accounting that page_mkwrite exists for).
    this.frames.refcount[cached]!++;
    this.mapPage(mm.id, f.address, cached, { writable: shared && f.write, exec, dirty: shared && f.write });
    return { kind: 'resolved', resolution: 'page-cache' };
  }

  /** find_get_page, or read the page in from the file (the tail past EOF reads as zeros). */
  private pageCachePage(file: SimFile, index: number): number {
    const hit = file.cache.get(index);
    if (hit !== undefined) return hit;
    const pfn = this.allocPage();
    if (pfn < 0) return -1;
    this.memory.zeroFrame(pfn);
    const start = index * PAGE;
    this.memory.bytes.set(file.data.subarray(start, Math.min(file.size, start + PAGE)), pfn * PAGE);
    this.frames.set(pfn, PageFlag.File);
    file.cache.set(index, pfn);
    this.lru.addNew(pfn);
    this.fileOfPage.set(pfn, { file, index });
    return pfn;
  }

  /** Which file, and which page of it, a page-cache frame holds (page->mapping, page->index). */
  private readonly fileOfPage = new Map<number, { readonly file: SimFile; readonly index: number }>();

  /** Reclaim of a file page: unmap it everywhere, write it back if dirty, drop it from the cache. */
  private evictFilePage(pfn: number): boolean {
    const { file, index } = this.fileOfPage.get(pfn)!;
    for (const { mm, va } of [...this.rmap.mappings(pfn)]) {
      const pa = this.tables.entryAddress(mm.pgdPfn, va)!;
      const pte = this.tables.readAt(pa);
      // A file page needs no swap entry: the next fault finds it in the file.
      this.tables.writeAt(pa, 0n);
      this.flushTlbPage(mm.id, va);
      this.dropMapping(mm, va, pfn, pteDirty(pte));
    }
    if (this.frames.has(pfn, PageFlag.Dirty)) {
      const start = index * PAGE;
      file.data.set(
        this.memory.bytes.subarray(pfn * PAGE, pfn * PAGE + Math.min(PAGE, file.size - start)),
        start,
      );
      this.emit({ type: 'writeback', file: file.name, page: index });
    }
    file.cache.delete(index);
    this.fileOfPage.delete(pfn);
    this.frames.set(pfn, PageFlag.File, false);
    this.putPage(pfn);
    return true;
  }

  /**
   * The OOM killer: only when nothing is reclaimable, kill the process with
   * the largest footprint. If that is the task whose fault is being handled,
   * it dies when the fault returns (as a task with SIGKILL pending does);
   * any other victim exits at once and its memory is free for a retry.
   */
  private oomKill(): 'freed' | 'victim-is-current' | 'nothing-to-kill' {
    let victim: Task | null = null;
    let worst = 0;
    for (const task of this.tasks.values()) {
      // oom_badness(): rss + swap entries + page tables; init is never chosen.
      if (!task.alive || task.mm === null || task.pid === 1) continue;
      const score = task.mm.rss + task.mm.swapEntries + task.mm.tablePages.size;
      if (score > worst) {
        worst = score;
        victim = task;
      }
    }
    if (victim === null) return 'nothing-to-kill';
    this.stats.oomKills++;
    const signal: SignalInfo = { signal: 'SIGKILL', code: 'SI_KERNEL', address: 0 };
    victim.death = { signal };
    this.emit({ type: 'oom-kill', pid: victim.pid, score: worst });
    if (this.faultingTask !== null && victim.mm === this.faultingTask.mm) return 'victim-is-current';
    // Every thread of the victim's address space dies with it.
    const mm = victim.mm;
    for (const task of [...this.tasks.values()]) if (task.alive && task.mm === mm) this.exit(task.pid);
    return 'freed';
  }

  /** PCIDs in use; 0 belongs to the kernel's own tables. */
  private readonly asidsInUse = new Set<number>([0]);

  /**
   * A PCID no live address space uses. (Linux recycles a handful of dynamic
   * ASIDs per CPU with generation checks; one tag per live mm keeps the same
   * guarantee — no two address spaces ever share cached translations.)
   */
  private allocateAsid(): number {
    for (let asid = 1; asid < 4096; asid++) {
      if (!this.asidsInUse.has(asid)) {
        this.asidsInUse.add(asid);
        return asid;
      }
    }
    throw new KernelError('out of PCIDs: more than 4095 live address spaces');
  }

  /** The task whose page fault is being handled (for the OOM killer). */
  private faultingTask: Task | null = null;
  /** The CPU it faulted on (a vmalloc sync fixes that CPU's loaded tables). */
  private faultingCpu: Cpu | null = null;

  syncKernelMapping(mmId: number | null, address: number): boolean {
    const mm = mmId === null ? null : this.mmById(mmId);
    // A kernel thread runs on whatever tables are loaded; sync those.
    const targetPgd = mm?.pgdPfn ?? this.faultingCpu?.loadedMm.pgdPfn ?? this.initMm.pgdPfn;
    const entryBytes = this.layout.format.entryBytes;
    const index = this.tables.index(address, 0);
    const reference = this.memory.readEntry(this.initMm.pgdPfn * PAGE + index * entryBytes, entryBytes);
    if (!ptePresent(reference)) return false;
    const current = this.memory.readEntry(targetPgd * PAGE + index * entryBytes, entryBytes);
    if (current === reference) return false;
    this.memory.writeEntry(targetPgd * PAGE + index * entryBytes, entryBytes, reference);
    return true;
  }

  isUserAddress(address: number): boolean {
    return isUserAddress(this.layout, address);
  }

  isVmallocAddress(address: number): boolean {
    return address >= this.layout.vmallocStart && address < this.layout.vmallocEnd;
  }

  searchExceptionTable(ip: number): number | null {
    return this.exceptionTable.get(ip) ?? null;
  }

  exceptionFixup(fault: FaultInfo): number | null {
    return this.hooks.exceptionFixup(this, fault);
  }

  swapIn(fault: FaultInfo): FaultOutcome {
    return this.hooks.swapIn(this, fault);
  }

  oopsReport(f: FaultInfo, reason: string): string {
    const address = formatAddress(f.address, this.layout.arch === 'x86-32' ? 32 : 64);
    const headline =
      f.address >= 0 && f.address < PAGE
        ? `BUG: kernel NULL pointer dereference, address: ${address}`
        : `BUG: unable to handle page fault for address: ${address}`;
    const kind = f.exec ? 'instruction fetch' : f.write ? 'write access' : 'read access';
    const what = f.reservedBit
      ? 'reserved bit violation'
      : f.present
        ? 'permissions violation'
        : 'not-present page';
    return [
      headline,
      `#PF: ${f.user ? 'user' : 'supervisor'} ${kind} in ${f.user ? 'user' : 'kernel'} mode`,
      `#PF: error_code(0x${f.errorCode.toString(16).padStart(4, '0')}) - ${what}`,
      `Oops: ${(f.errorCode & 0xffff).toString(16).padStart(4, '0')} [#1] PID: ${f.pid}`,
      `RIP: ${symbolize(f.ip, this.layout.arch === 'x86-32' ? 32 : 64)}`,
      `Why: ${reason}`,
    ].join('\n');
  }

  anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
    return this.hooks.anonymousFault(this, fault, vma);
  }

  cowBreak(fault: FaultInfo, pfn: number): FaultOutcome {
    return this.hooks.cowBreak(this, fault, pfn);
  }

  vmallocFault(fault: FaultInfo): boolean {
    return this.hooks.vmallocFault(this, fault);
  }

  // ───────────────────────── events and lookups ─────────────────────────

  /** Subscribes to kernel events and every CPU's hardware events; returns the unsubscribe function. */
  subscribe(listener: TraceListener): () => void {
    this.listeners.push(listener);
    this.listener =
      this.listeners.length === 0
        ? null
        : (e) => {
            for (const l of [...this.listeners]) l(e);
          };
    const stops = this.cpus.map((cpu) => cpu.mmu.subscribe(listener));
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
      if (this.listeners.length === 0) this.listener = null;
      for (const stop of stops) stop();
    };
  }

  private readonly listeners: TraceListener[] = [];

  private emit(event: TraceEvent): void {
    this.listener?.(event);
  }

  task(pid: number): Task {
    const task = this.tasks.get(pid);
    if (task === undefined) throw new KernelError(`no task with pid ${pid}`);
    return task;
  }

  private userTask(pid: number): Task {
    const task = this.task(pid);
    if (!task.alive) throw new KernelError(`pid ${pid} has exited`);
    if (task.mm === null)
      throw new KernelError(`pid ${pid} (${task.name}) is a kernel thread: it has no user address space`);
    return task;
  }

  cpu(id: number): Cpu {
    const cpu = this.cpus[id];
    if (cpu === undefined) throw new KernelError(`no cpu ${id} (this machine has ${this.cpus.length})`);
    return cpu;
  }

  mmById(id: number): Mm {
    const mm = this.mms.get(id);
    if (mm === undefined) throw new KernelError(`no mm ${id}`);
    return mm;
  }

  private checkPfn(pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frames.frames) {
      throw new KernelError(`pfn ${pfn} is beyond physical memory (0..${this.frames.frames - 1})`);
    }
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

/** Whether `e` is a KernelError (or a subclass's), from this copy of vm-core or any other. */
export function isKernelError(e: unknown): e is KernelError {
  return typeof e === 'object' && e !== null && (e as { [KERNEL_ERROR]?: unknown })[KERNEL_ERROR] === true;
}

/** Addresses of the uaccess instructions and their fixups, in the kernel text. */
export const UACCESS_IP = {
  copyUser: 0x1000,
  copyUserFixup: 0x1040,
  getUser: 0x1100,
  getUserFixup: 0x1120,
  putUser: 0x1200,
  putUserFixup: 0x1220,
} as const;

const symbols: [number, string][] = [
  [UACCESS_IP.copyUser, 'copy_user_generic'],
  [UACCESS_IP.getUser, '__get_user_1'],
  [UACCESS_IP.putUser, '__put_user_1'],
];

/** A kernel instruction pointer as an oops prints it: a symbol+offset, or the (unsigned) address. */
function symbolize(ip: number, width: 32 | 64): string {
  for (const [at, name] of symbols)
    if (ip >= at && ip < at + 0x100) return `${name}+0x${(ip - at).toString(16)}`;
  // Kernel-half addresses are negative numbers here (sign-extended, as the
  // hardware's canonical form): print the unsigned address, unpadded, as
  // Linux's %pS does for an address outside every symbol.
  return `0x${BigInt.asUintN(width, BigInt(ip)).toString(16)}`;
}

function vmaInfo(vma: Vma): VmaInfo {
  return {
    start: vma.start,
    end: vma.end,
    read: vmaAllows(vma, false, false) && (vma.flags & VmFlag.Read) !== 0,
    write: (vma.flags & VmFlag.Write) !== 0,
    exec: (vma.flags & VmFlag.Exec) !== 0,
    shared: (vma.flags & VmFlag.Shared) !== 0,
    growsDown: (vma.flags & VmFlag.GrowsDown) !== 0,
    file: vma.file !== undefined,
  };
}
