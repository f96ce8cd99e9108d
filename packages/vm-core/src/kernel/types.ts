/**
 * The kernel's public shapes: its options, tasks and CPUs, and what its
 * calls return. They live apart from the `Kernel` facade so that every
 * module under it can name them without importing the facade.
 */
import type { Mmu } from '../hw/mmu.ts';
import type { TlbConfig } from '../hw/tlb.ts';
import type { DeliveredSignal, ErrnoName, SignalName } from './abi.ts';
import type { KernelHooks, Resolution } from './hooks.ts';
import type { KernelArch } from './layout.ts';
import type { LinuxVersion } from './linux-version.ts';
import type { Mm } from './mm.ts';
import type { ForcedBecause, SignalDisposition, SignalFrameRecord, SignalHandlers } from './signal.ts';

/** /sys/kernel/mm/transparent_hugepage/enabled, the two settings modelled ('madvise' is not). */
export type TransparentHugepage = 'never' | 'always';

export interface KernelOptions {
  readonly arch?: KernelArch;
  /** Physical frames of 4 KiB. */
  readonly frames?: number;
  readonly cpus?: number;
  readonly tlb?: TlbConfig | null;
  /**
   * Tag TLB entries by PCID (one per mm) instead of flushing on every
   * switch. On RISC-V: satp.ASID, as Linux uses it when the hart has more
   * than twice as many ASIDs as CPUs (use_asid_allocator); false is a hart
   * without ASIDs, where every switch executes sfence.vma of everything.
   * On ARM64: the ASID, which Linux arm64 always uses, so there `pcid:
   * false` is a comparison, not a configuration: every switch_mm drops the
   * non-global entries.
   */
  readonly pcid?: boolean;
  readonly hooks?: Partial<KernelHooks>;
  /** Swap slots (pages); 0 for no swap. Defaults to as many as there are frames. */
  readonly swapSlots?: number;
  /**
   * Who keeps the accessed and dirty state of a page: 'hardware' (x86
   * always; ARM64 with FEAT_HAFDBS; RISC-V with Svadu) or 'software' — the
   * MMU faults instead and the fault handler sets them (ARM64 without
   * FEAT_HAFDBS; RISC-V Svade). The default is the architecture's.
   */
  readonly accessFlags?: 'hardware' | 'software';
  /**
   * What the files live on. 'ext4' (the default): a disk file system — a
   * file page is read into the page cache when first needed, and a shared
   * writable mapping is write-notified (its pages mapped read-only until
   * the first write, which page_mkwrite sees). 'tmpfs': files are memory
   * (shmem) — every page is in the page cache from the moment it is
   * written, and shmem wants no write-notify, so a read fault already maps
   * a shared writable page writable. (Readahead, which would cache more of
   * an ext4 file on a fault, is not modelled; a tmpfs page reclaim evicts
   * keeps its data, as shmem's swap would.)
   */
  readonly fileSystem?: FileSystem;
  /**
   * Transparent huge pages for anonymous memory, as
   * /sys/kernel/mm/transparent_hugepage/enabled says it: 'never' (the
   * default — Debian's kernel clears every THP flag at boot on a machine
   * with less than 512 MiB, as hugepage_init does) or 'always': a fault in
   * a private anonymous area whose 2 MiB-aligned block lies wholly inside it
   * maps the whole block with one PMD — a new huge page for a write, the
   * huge zero page for a read (use_zero_page 1) — and anything that changes
   * part of it splits it back into 512 PTEs (huge-memory.ts). Needs
   * 512 free contiguous frames per huge page: give `frames` room.
   */
  readonly transparentHugepage?: TransparentHugepage;
  /**
   * Which Linux to behave like where its behaviour changed between
   * releases ("major.minor"; default '6.1'; linux-version.ts lists the
   * changes modelled).
   */
  readonly linux?: LinuxVersion;
  /**
   * ARM64: how the CPU keeps the kernel out of user memory. 'hardware'
   * (the default): PSTATE.PAN (FEAT_PAN, ARMv8.1 on). 'software': a CPU
   * without it (ARMv8.0) and CONFIG_ARM64_SW_TTBR0_PAN — TTBR0 holds an
   * empty table and the reserved ASID except inside the uaccess routines
   * (uaccess_ttbr0_enable/disable) and in user mode.
   */
  readonly pan?: 'hardware' | 'software';
  /**
   * ARM64, Linux before 5.11: the CPU has UAO (FEAT_UAO, ARMv8.2), so the
   * uaccess routines use LDTR/STTR with PAN left set instead of clearing
   * PAN around plain loads and stores. Default false: the CPU of the
   * question "copy_from_user disables PAN and restores it".
   */
  readonly uao?: boolean;
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

/**
 * Where a task is in its life (kernel/exit.c). `running`: on the task list
 * with everything it owns (Linux's TASK_RUNNING or any sleep). `zombie`
 * (EXIT_ZOMBIE): do_exit has freed its address space and everything else;
 * only the record is left, holding its exit status until the parent's
 * wait() collects it. `reaped` (EXIT_DEAD, then release_task): gone from
 * the task list; the facade still answers for the pid, saying so.
 */
export type TaskState = 'running' | 'zombie' | 'reaped';

/** How a task ended, as wait(2) reports it: WIFEXITED with WEXITSTATUS, or WIFSIGNALED with WTERMSIG. */
export type ExitStatus =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: SignalName };

export interface Task {
  readonly pid: number;
  readonly name: string;
  readonly kind: TaskKind;
  /**
   * The thread group (the process) it belongs to: its own pid for a
   * process, the process's for a thread (CLONE_THREAD).
   */
  readonly tgid: number;
  /** Its parent's pid (real_parent): who may wait for it. Init (1) adopts the children of a parent that exits. */
  parent: number;
  mm: Mm | null;
  /** The mm whose tables are loaded while this task runs (a kernel thread borrows one). */
  activeMm: Mm | null;
  /** Still running: `state === 'running'`. */
  alive: boolean;
  state: TaskState;
  /** How it ended, once it has (what wait() returns). */
  exitStatus: ExitStatus | null;
  /**
   * SIGCHLD set to SIG_IGN (sigaction): its children are reaped as they
   * exit and never become zombies (kernel/signal.c do_notify_parent).
   */
  ignoresSigchld: boolean;
  /** The uid of its credentials (0: root, who has CAP_SYS_RAWIO). Children and threads inherit it. */
  readonly uid: number;
  /** Its process's signal dispositions (shared by the threads, copied by fork: signal.ts). */
  sighand: SignalHandlers;
  /** The signals this thread blocks (sigprocmask); fork and clone copy it, execve keeps it. */
  readonly blocked: Set<SignalName>;
  /** The signal frames on its stack, innermost last: the handlers it is inside. */
  readonly signalFrames: SignalFrameRecord[];
  /** The signal that killed it, or the oops that did. */
  death: { readonly signal: DeliveredSignal } | { readonly oops: string } | null;
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
  /**
   * The access raised a signal. `disposition`: `killed` — its default
   * action ended the process (every thread of it); `handler` — the
   * process's handler now runs on a new signal frame, and the caller says
   * how it ends: `sigreturn` (the access is then retried) or `siglongjmp`.
   */
  | {
      readonly kind: 'signal';
      readonly signal: DeliveredSignal;
      readonly disposition: SignalDisposition;
      /** Present when the default action killed though the task had blocked or ignored the signal (force_sig_fault). */
      readonly forced?: ForcedBecause;
      readonly faults: readonly FaultRecord[];
    }
  | { readonly kind: 'oops'; readonly report: string; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'fixup'; readonly fixupIp: number; readonly faults: readonly FaultRecord[] }
  | { readonly kind: 'oom'; readonly faults: readonly FaultRecord[] };

/** A 2-, 4- or 8-byte access's outcome: as a byte's, with the value read (or stored) whole. */
export type SizedAccessOutcome =
  | Exclude<AccessOutcome, { readonly kind: 'ok' }>
  | { readonly kind: 'ok'; readonly value: bigint; readonly faults: readonly FaultRecord[] };

/**
 * What wait() found (kernel/exit.c do_wait). `reaped`: a zombie child,
 * now gone, and how it ended. `would-block`: children exist but none has
 * exited yet — a blocking wait would sleep, one with WNOHANG returns 0.
 * `error`: ECHILD, no child to wait for (none at all, not this one, or
 * all reaped already).
 */
export type WaitResult =
  | { readonly kind: 'reaped'; readonly pid: number; readonly status: ExitStatus }
  | { readonly kind: 'would-block' }
  | { readonly kind: 'error'; readonly errno: ErrnoName };

export type MmapResult =
  /** `faults`: with MAP_POPULATE, the faults that brought the pages in during the call. */
  | { readonly kind: 'ok'; readonly address: number; readonly faults?: readonly FaultRecord[] }
  | { readonly kind: 'error'; readonly errno: ErrnoName };

/**
 * mremap(): [address, address + oldLength) becomes newLength long — in
 * place if it can (shrinking always can), else moved if `mayMove`. The
 * flags are taken as given, so their bad combinations are EINVAL as in Linux.
 */
export interface MremapRequest {
  readonly address: number;
  readonly oldLength: number;
  readonly newLength: number;
  /** MREMAP_MAYMOVE: the area may move when it cannot grow where it is. */
  readonly mayMove?: boolean;
  /** MREMAP_FIXED (with mayMove): move to exactly `newAddress`, unmapping whatever is there. */
  readonly fixed?: boolean;
  /** MREMAP_DONTUNMAP (with mayMove, equal lengths): the pages move, the old range stays mapped with none. */
  readonly dontUnmap?: boolean;
  /** Where to go: exact with `fixed`, a hint with `dontUnmap` alone, unused otherwise. */
  readonly newAddress?: number;
}

/** mlock() / munlock(): the errno, and the pages mlock faulted in during the call. */
export interface MlockResult {
  readonly errno: ErrnoName | null;
  readonly faults: readonly FaultRecord[];
}

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
  /** MAP_POPULATE: fault every page in now, as get_user_pages would. */
  readonly populate?: boolean;
}

/** A file: its bytes on "disk", and the page cache of frames holding its pages. */
export type FileSystem = 'ext4' | 'tmpfs';

interface FileBase {
  readonly name: string;
  size: number;
  /** Page index → frame. */
  readonly cache: Map<number, number>;
}

/** A file of the file system (createFile), with its bytes on the disk. */
export interface DiskFile extends FileBase {
  readonly kind: 'file';
  data: Uint8Array;
}

/**
 * The unnamed shmem file behind a MAP_SHARED | MAP_ANONYMOUS mapping
 * (shmem_zero_setup; /proc/pid/maps says "/dev/zero (deleted)"). It has no
 * bytes but its pages: a page never touched is a hole that reads as zero,
 * and a page reclaim took keeps its bytes in `swapped`, as shmem's swap
 * entries would. It lives as long as some area maps it.
 */
export interface ShmemFile extends FileBase {
  readonly kind: 'shmem';
  readonly swapped: Map<number, Uint8Array>;
}

export type SimFile = DiskFile | ShmemFile;

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
  | {
      readonly frees: false;
      /** …or `mlocked`: an area that maps it is mlock()ed. */
      readonly why: 'pinned' | 'no-swap' | 'swap-full' | 'not-anonymous' | 'mlocked';
    };
