/**
 * The kernel's public shapes: its options, tasks and CPUs, and what its
 * calls return. They live apart from the `Kernel` facade so that every
 * module under it can name them without importing the facade.
 */
import type { Mmu } from '../hw/mmu.ts';
import type { TlbConfig } from '../hw/tlb.ts';
import type { ErrnoName, SignalInfo } from './abi.ts';
import type { KernelHooks, Resolution } from './hooks.ts';
import type { KernelArch } from './layout.ts';
import type { Mm } from './mm.ts';

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
  /**
   * Who keeps the accessed and dirty state of a page: 'hardware' (x86
   * always; ARM64 with FEAT_HAFDBS; RISC-V with Svadu) or 'software' — the
   * MMU faults instead and the fault handler sets them (ARM64 without
   * FEAT_HAFDBS; RISC-V Svade). The default is the architecture's.
   */
  readonly accessFlags?: 'hardware' | 'software';
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
