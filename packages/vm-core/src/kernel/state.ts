/**
 * The one state object every kernel module works on: what Linux keeps in
 * globals (the page-frame database, the task list, the swap cache, the
 * exception table) and in per-CPU data, gathered in one place so that each
 * module is a set of functions over it and the `Kernel` class a facade.
 *
 * Also the small lookups and constants those modules share.
 */
import { formatAddress } from '../hw/address.ts';
import type { PhysicalMemory } from '../hw/physical-memory.ts';
import type { KernelArchitecture } from './arch/arch.ts';
import type { TraceEvent, TraceListener } from './events.ts';
import type { FrameDatabase } from './frames.ts';
import type { KernelApi, KernelHooks } from './hooks.ts';
import { KernelError } from './kernel.ts';
import type { KernelLayout } from './layout.ts';
import type { LinuxVersion } from './linux-version.ts';
import type { Mm, PageTables } from './mm.ts';
import type { Pipe } from './pipe.ts';
import type { LruLists, ReverseMap } from './rmap.ts';
import type { SwapDevice } from './swap.ts';
import type {
  Cpu,
  FaultRecord,
  FileSystem,
  SimFile,
  Task,
  TransparentHugepage,
  Watermarks,
} from './types.ts';
import type { UaccessApi } from './uaccess.ts';
import type { AddressCodec } from './virtual-address.ts';

export interface KernelStats {
  swapOuts: number;
  swapIns: number;
  pagesScanned: number;
  kswapdRuns: number;
  directReclaims: number;
  oomKills: number;
}

export interface KernelState {
  /**
   * What the hooks are handed (kernel-api.ts): one object per kernel, the
   * same whichever module runs the hook, and nothing on it leads back here.
   * From outside, `kernel.api` asks what a hook could ask
   * (`kernel.api.pageInfo(pfn)`, `kernel.api.hooks.walkPageTable(mm, va)`).
   */
  readonly api: KernelApi;
  /** What copyFromUser and copyToUser are handed instead, built the same way. */
  readonly uaccessApi: UaccessApi;
  /** The machine: its PTE vocabulary, fault reports, roots and user-access window. */
  readonly arch: KernelArchitecture;
  readonly layout: KernelLayout;
  /** Virtual addresses between the kernel's numbers and the hooks' bigints (virtual-address.ts). */
  readonly va: AddressCodec;
  /**
   * The Linux release whose behaviour is modelled where releases differ
   * (linux-version.ts; '6.1' unless the options said otherwise).
   */
  readonly linux: LinuxVersion;
  readonly memory: PhysicalMemory;
  readonly frames: FrameDatabase;
  readonly tables: PageTables;
  readonly cpus: Cpu[];
  /** The task list: running tasks and zombies (a reaped task has left it; the facade's `task(pid)` still answers for it). */
  readonly tasks: Map<number, Task>;
  /** Tasks reaped and gone from the list, kept only so that the facade can say what became of a pid. */
  readonly reaped: Map<number, Task>;
  readonly mms: Map<number, Mm>;
  /** swapper_pg_dir: the kernel's own page tables. */
  readonly initMm: Mm;
  /** Page-table pages of the kernel half (shared by every mm). */
  readonly kernelTables: Set<number>;
  readonly hooks: KernelHooks;
  readonly pcid: boolean;
  /** Who keeps accessed and dirty state (KernelOptions.accessFlags, resolved). */
  readonly accessFlags: 'hardware' | 'software';
  /** What the files live on (KernelOptions.fileSystem, resolved). */
  readonly fileSystem: FileSystem;
  /** The exception table: faulting-instruction address → fixup address. */
  readonly exceptionTable: Map<number, number>;
  readonly files: Map<string, SimFile>;
  /** Pipes by name (pipe.ts). */
  readonly pipes: Map<string, Pipe>;
  readonly rmap: ReverseMap;
  readonly lru: LruLists;
  readonly swap: SwapDevice | null;
  /** The swap cache: slot → frame holding that slot's data. */
  readonly swapCache: Map<number, number>;
  readonly watermarks: Watermarks;
  readonly stats: KernelStats;
  readonly zeroPagePfn: number;
  /** KernelOptions.transparentHugepage, resolved. */
  readonly thp: TransparentHugepage;
  /**
   * The huge zero page's first frame (512 reserved, zeroed frames), or -1
   * until a read fault first needs it (get_huge_zero_page allocates it
   * then, and may fail).
   */
  hugeZeroPfn: number;
  /**
   * Every PMD that maps a huge page in a user address space, by the
   * physical address of the entry (huge-memory.ts): which mm, which 2 MiB
   * block, and the page table deposited for the day it is split.
   */
  readonly hugePmds: Map<number, HugePmd>;
  kswapdWoken: boolean;
  nextPid: number;
  nextMmId: number;
  /** kmalloc'd blocks by address. */
  readonly kmallocs: Map<number, { pfn: number; order: number }>;
  /** vmalloc'd areas by start address. */
  readonly vmallocs: Map<number, { pfns: number[] }>;
  vmallocNext: number;
  /** Which file, and which page of it, a page-cache frame holds (page->mapping, page->index). */
  readonly fileOfPage: Map<number, { readonly file: SimFile; readonly index: number }>;
  /** PCIDs in use; 0 belongs to the kernel's own tables. */
  readonly asidsInUse: Set<number>;
  readonly listeners: TraceListener[];
  listener: TraceListener | null;
  /**
   * The task whose page fault a hook is handling, and the CPU it faulted on.
   * Kernel code passes this context down explicitly; it is kept here only
   * for the hooks' calls back into the kernel (allocPage → the OOM killer,
   * syncKernelMapping), which the hook API gives no way to carry it.
   */
  inFault: FaultContext | null;
  /** Faults taken by the uaccess routine in progress (gathered for its caller). */
  copyFaults: FaultRecord[] | null;
}

/** A PMD mapping a huge page (or the huge zero page) in a user address space. */
export interface HugePmd {
  readonly mm: Mm;
  /** The first address of the 2 MiB block it maps. */
  readonly start: number;
  /** pgtable_trans_huge_deposit(): the PTE table set aside at fault time, so that splitting never needs memory. */
  readonly table: number;
  /** It maps the huge zero page (read-only): a split maps the small zero page 512 times. */
  readonly zero: boolean;
}

/** The fault being handled: who took it, and where. */
export interface FaultContext {
  readonly task: Task;
  readonly cpu: Cpu;
}

export const PAGE = 4096;
/** Kernel data pages: writable, supervisor-only, never executed, global (they survive CR3 writes). */
export const KERNEL_DATA = {
  writable: true,
  user: false,
  exec: false,
  global: true,
  accessed: true,
  dirty: true,
} as const;
/** An address as a message shows it, even when it is not a valid address at all. */
export const shown = (address: number) =>
  Number.isSafeInteger(address) ? formatAddress(address) : String(address);
export const pageDown = (va: number) => va - (va & (PAGE - 1));
export const pageUp = (n: number) => Math.ceil(n / PAGE) * PAGE;

export function emit(s: KernelState, event: TraceEvent): void {
  s.listener?.(event);
}

/** A task on the task list (running, or a zombie); a reaped pid is refused saying so. */
export function taskOf(s: KernelState, pid: number): Task {
  const task = s.tasks.get(pid);
  if (task === undefined) throw new KernelError(noTask(s, pid));
  return task;
}

/** Why there is no task with this pid: never was one, or it was reaped. */
export function noTask(s: KernelState, pid: number): string {
  const gone = s.reaped.get(pid);
  return gone === undefined
    ? `no task with pid ${pid}`
    : `pid ${pid} (${gone.name}) has exited and been reaped: it no longer exists`;
}

/** A live task with a user address space (what the system calls act on). */
export function userTask(s: KernelState, pid: number): Task {
  const task = taskOf(s, pid);
  if (!task.alive) throw new KernelError(`pid ${pid} has exited`);
  if (task.mm === null)
    throw new KernelError(`pid ${pid} (${task.name}) is a kernel thread: it has no user address space`);
  return task;
}

export function cpuOf(s: KernelState, id: number): Cpu {
  const cpu = s.cpus[id];
  if (cpu === undefined) throw new KernelError(`no cpu ${id} (this machine has ${s.cpus.length})`);
  return cpu;
}

export function mmById(s: KernelState, id: number): Mm {
  const mm = s.mms.get(id);
  if (mm === undefined) throw new KernelError(`no mm ${id}`);
  return mm;
}

export function checkPfn(s: KernelState, pfn: number): void {
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= s.frames.frames) {
    throw new KernelError(`pfn ${pfn} is beyond physical memory (0..${s.frames.frames - 1})`);
  }
}
