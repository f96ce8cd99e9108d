/**
 * Hook points: the pieces of the kernel an exercise may replace. Each is a
 * function of (kernel API, plain-data arguments) returning plain data, so a
 * learner's implementation can later run in a sandbox and talk to the kernel
 * across a boundary. The kernel ships a reference implementation of every
 * hook (`reference-hooks.ts`) and works completely with those alone.
 *
 * Virtual addresses are bigints (`VirtualAddress`), as the kernel's C holds
 * them in an unsigned long: exact across all 64 bits — kernel addresses such
 * as 0xffff888000001000n and non-canonical ones such as
 * 0x8000000000000000n — and 32 on x86-32. Physical addresses, frame
 * numbers, pids and mm ids are numbers: all of them fit well inside 2^53.
 */
import type { ErrnoName, SignalInfo } from './abi.ts';
import type { KernelArch } from './arch/arch.ts';
import type { LinuxVersion } from './linux-version.ts';
import type { UaccessApi, UserCopy, UserCopyResult } from './uaccess.ts';

/** How one fault was resolved: the vocabulary of scenario reports. */
export type Resolution =
  | 'demand-zero'
  | 'zero-page'
  /** Transparent huge pages: a write mapped a whole new 2 MiB page with one PMD. */
  | 'huge-page'
  /** A read mapped the huge zero page over a whole 2 MiB block. */
  | 'huge-zero-page'
  | 'cow-copy'
  | 'cow-reuse'
  | 'swap-in'
  | 'stack-growth'
  | 'vmalloc-sync'
  | 'page-cache'
  | 'page-mkwrite'
  /**
   * The page was mapped and the access allowed, but the hardware leaves the
   * accessed / dirty state to software (ARM64 without FEAT_HAFDBS, RISC-V
   * with Svade): the handler set it (ptep_set_access_flags) and retried.
   */
  | 'access-flags'
  | 'exception-fixup'
  | 'spurious'
  | 'signal'
  | 'oops';

/**
 * A virtual address: the unsigned value of a 64-bit register (32-bit on
 * x86-32), e.g. 0xffff888000001000n. What a hook hands the kernel is read
 * modulo 2^64 (2^32) as a register would hold it, so `address - 1n` at 0 is
 * 0xffffffffffffffffn — as in C — and a number is refused (write 0x1000n,
 * or BigInt(x)).
 */
export type VirtualAddress = bigint;

export interface FaultInfo {
  /** The machine that faulted: its report is decoded into the fields below. */
  readonly arch: KernelArch;
  /** The faulting address (CR2, FAR_EL1, stval), exact. */
  readonly address: VirtualAddress;
  /** The architecture's raw syndrome: x86's error code (P, W/R, U/S, RSVD, I/D, PK), ARM64's ESR_EL1, RISC-V's scause. */
  readonly errorCode: number;
  readonly present: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  /** The fault came from user mode. */
  readonly user: boolean;
  readonly reservedBit: boolean;
  /** Kernel-mode faults: the faulting instruction's address (for the exception table). */
  readonly ip: VirtualAddress;
  /**
   * Whether the kernel could touch user memory: the user-access window was
   * open (EFLAGS.AC under SMAP, PAN clear, SUM set). On ARM64, the fault
   * handler's own test: false only for an EL1 permission fault on a user
   * address that PAN (or SW PAN's reserved TTBR0) caused, or taken outside
   * the uaccess instructions, in a task with an mm.
   */
  readonly userAccessOpen: boolean;
  readonly pid: number;
  /** The faulting task's mm, or null for a kernel thread. */
  readonly mm: number | null;
  /**
   * A fault get_user_pages takes with FOLL_FORCE — a write or read through
   * /proc/PID/mem (or ptrace's PEEK/POKE) — which Linux hands straight to
   * handle_mm_fault: GUP has already allowed it (check_vma_flags: a private
   * mapping may be written without PROT_WRITE), so the VMA's rights do not
   * refuse it here (no access_error). What a forced write gets is still
   * mapped only as the VMA allows (maybe_mkwrite): a private copy, read-only.
   */
  readonly forced: boolean;
}

export type FaultOutcome =
  | {
      readonly kind: 'resolved';
      readonly resolution: Exclude<Resolution, 'signal' | 'oops' | 'exception-fixup'>;
    }
  | { readonly kind: 'fixup'; readonly fixupIp: VirtualAddress }
  | { readonly kind: 'signal'; readonly signal: SignalInfo }
  | { readonly kind: 'oops'; readonly report: string }
  | { readonly kind: 'oom' };

export interface VmaInfo {
  readonly start: VirtualAddress;
  /** One past the last byte, like vm_end. */
  readonly end: VirtualAddress;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  readonly shared: boolean;
  readonly growsDown: boolean;
  /** Backed by a file (its page cache) rather than anonymous memory. */
  readonly file: boolean;
}

/** What a mapping leaf says about its page. */
export interface LeafFlags {
  readonly pfn: number;
  readonly writable: boolean;
  readonly user: boolean;
  readonly exec: boolean;
  readonly accessed: boolean;
  readonly dirty: boolean;
}

export type PteInfo =
  | { readonly kind: 'none' }
  | ({ readonly kind: 'present' } & LeafFlags)
  | { readonly kind: 'swap'; readonly slot: number };

export type TableEntry =
  | { readonly kind: 'none' }
  /** A non-present leaf holding a swap entry. */
  | { readonly kind: 'swap'; readonly slot: number }
  /** A pointer to the next table. */
  | { readonly kind: 'table'; readonly pfn: number }
  /** A leaf: a page (last level) or a huge page. PROT_NONE leaves count as present. */
  | ({ readonly kind: 'leaf' } & LeafFlags);

export interface PageInfo {
  readonly refcount: number;
  readonly mapcount: number;
  /** The shared zero page. */
  readonly zero: boolean;
  readonly anon: boolean;
  /** A page-cache page of a file. */
  readonly file: boolean;
}

export interface PageMapOptions {
  readonly writable: boolean;
  readonly exec: boolean;
  readonly dirty?: boolean;
}

/**
 * What hooks may ask of the kernel. Plain data in and out: numbers, and
 * bigints for virtual addresses.
 *
 * Two kinds of call. Every method of `KernelApi` itself is the kernel doing
 * the work (`swapInPage` reads the page back and maps it; `mapPage`
 * installs a PTE). The methods grouped under `k.hooks` are the other hooks,
 * as installed: `k.hooks.swapIn(fault)` runs whatever swapIn hook is
 * installed — the reference, or a learner's — so learner code may run
 * there. A few work methods run hooks on their way, as the kernel's own
 * code would: `replacePage` flushes through the flushTlbPage hook,
 * `allocPage` (and so `swapInPage` and `fileFault`) may reclaim, which asks
 * reclaimDecision and flushes.
 *
 * A hook is handed this object and nothing else: not the `Kernel`, not its
 * state.
 */
export interface KernelApi {
  findVma(mm: number, address: VirtualAddress): VmaInfo | null;
  /** The area containing the address, growing a stack down to it if that is allowed (expand_stack). */
  vmaForFault(mm: number, address: VirtualAddress): { readonly vma: VmaInfo; readonly grew: boolean } | null;
  // The raw page-table access the walk hook is built from (`k.hooks.walkPageTable` runs the walk).
  /** Physical address of the mm's root table (its CR3, TTBR0_EL1, satp). */
  pageTableRoot(mm: number): number;
  pageTableLevels(): number;
  /** Index of `address` in a table at `level` (0 = root). */
  tableIndex(address: VirtualAddress, level: number): number;
  /** Bytes per entry (8 on x86-64, 4 on x86-32). */
  entrySize(): number;
  /** Decodes the entry at physical address `pa`, read as an entry of `level`. */
  readTableEntry(pa: number, level: number): TableEntry;
  pageInfo(pfn: number): PageInfo;
  zeroPfn(): number;
  /** A fresh frame with refcount 1, or -1 if memory is exhausted even after reclaim. */
  allocPage(): number;
  clearPage(pfn: number): void;
  copyPage(fromPfn: number, toPfn: number): void;
  /** get_page(): takes a reference, so the frame cannot be freed (or reclaimed) while the caller uses it. */
  getPage(pfn: number): void;
  /** Drops one reference to a frame; frees it when the last goes. */
  putPage(pfn: number): void;
  /** Installs a PTE where there was none; the mapping takes over the caller's reference to `pfn`. */
  mapPage(mm: number, address: VirtualAddress, pfn: number, options: PageMapOptions): void;
  /**
   * Replaces the page mapped at `address` by `pfn` (COW copy): drops the old
   * mapping's reference and flushes (through the installed flushTlbPage hook).
   */
  replacePage(mm: number, address: VirtualAddress, pfn: number, options: PageMapOptions): void;
  /** Makes the present PTE writable and dirty (COW reuse). */
  makeWritable(mm: number, address: VirtualAddress): void;
  /**
   * ptep_set_access_flags(): marks the present PTE accessed (and dirty, for
   * a write) in software. True if the entry changed; false means it already
   * said so — the fault was spurious.
   */
  setAccessFlags(mm: number, address: VirtualAddress, write: boolean): boolean;
  /** CPUs whose TLBs may hold translations of this mm (mm_cpumask). */
  cpusThatMayCache(mm: number): readonly number[];
  /** Drops the translation from one CPU's TLB: invlpg (an IPI's work when it is not the local one), ARM64's TLBI VALE1IS as it reaches that CPU, RISC-V's sfence.vma with the ASID. */
  invalidateTlbEntry(cpu: number, mm: number, address: VirtualAddress): void;
  /** do_swap_page(): reads the page back (or finds it in the swap cache) and maps it. */
  swapInPage(mm: number, address: VirtualAddress, write: boolean): 'swap-in' | 'oom';
  /** filemap_fault(): maps the file page behind `address` (or copies it for a private write); SIGBUS past EOF. */
  fileFault(fault: FaultInfo): FaultOutcome;
  /**
   * The PMD step of handle_mm_fault (mm/huge_memory.c), for a fault in an
   * area already found and allowed: with transparent huge pages on, maps a
   * whole 2 MiB block (a new huge page for a write, the huge zero page for
   * a read) or splits a huge mapping the fault cannot use as it is, and
   * says how it resolved the fault — or null: the PTE level (the walk,
   * anonymousFault, cowBreak, swapIn) must. Always null with THP off.
   */
  hugePmdFault(fault: FaultInfo): FaultOutcome | null;
  /** folio_free_swap(): drops a page from the swap cache if no PTE still holds its slot. */
  tryFreeSwap(pfn: number): boolean;
  /** Copies the kernel's (init_mm's) top-level entry for a vmalloc address into `mm` (x86-32 lazy sync). */
  syncKernelMapping(mm: number | null, address: VirtualAddress): boolean;
  isUserAddress(address: VirtualAddress): boolean;
  isVmallocAddress(address: VirtualAddress): boolean;
  /** The fixup address for a faulting kernel instruction, or null (search_exception_tables). */
  searchExceptionTable(ip: VirtualAddress): VirtualAddress | null;
  /** Linux's readable oops text for a kernel fault that nothing handled. */
  oopsReport(fault: FaultInfo, reason: string): string;
  /** The other hooks, as installed: calling one of these may run learner code. */
  readonly hooks: InstalledHooks;
}

/**
 * The hooks a hook may call, as installed: `k.hooks.cowBreak(fault, pfn)`
 * runs whatever cowBreak is installed — Linux's reference, or a learner's
 * replacement — and hands it this same API. Hooks call each other through
 * these so that each can be replaced on its own. Each takes the hook's own
 * arguments without `k` (flushTlbPage and walkPageTable: `mm, address`
 * rather than a request object).
 */
export interface InstalledHooks {
  /** The anonymousFault hook (do_anonymous_page): first touch of anonymous memory. */
  anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome;
  /** The cowBreak hook (do_wp_page): a write to a present, write-protected page in a writable area. */
  cowBreak(fault: FaultInfo, pfn: number): FaultOutcome;
  /** The swapIn hook (do_swap_page as a step of the fault path). */
  swapIn(fault: FaultInfo): FaultOutcome;
  /** The vmallocFault hook: syncs a kernel mapping for a vmalloc address (x86-32). */
  vmallocFault(fault: FaultInfo): boolean;
  /** The exceptionFixup hook: where the faulting kernel instruction resumes, or null. */
  exceptionFixup(fault: FaultInfo): VirtualAddress | null;
  /** The flushTlbPage hook: invalidates `address` in every TLB that may cache it. */
  flushTlbPage(mm: number, address: VirtualAddress): void;
  /** The walkPageTable hook (follow_pte): what the PTE for an address holds. */
  walkPageTable(mm: number, address: VirtualAddress): PteInfo;
}

export interface CopyResult {
  /** Bytes NOT copied: 0 on success, like the C functions. */
  readonly notCopied: number;
  readonly errno: ErrnoName | null;
}

export interface KernelHooks {
  /** do_page_fault: everything from the exception to a resolution. */
  pageFault(k: KernelApi, fault: FaultInfo): FaultOutcome;
  /** do_anonymous_page: first touch of anonymous memory. */
  anonymousFault(k: KernelApi, fault: FaultInfo, vma: VmaInfo): FaultOutcome;
  /** do_wp_page: a write to a present, write-protected page in a writable area. */
  cowBreak(k: KernelApi, fault: FaultInfo, pfn: number): FaultOutcome;
  /** vmalloc_fault: a kernel fault in the vmalloc area (x86-32). */
  vmallocFault(k: KernelApi, fault: FaultInfo): boolean;
  /** copy_from_user: bytes not copied, the rest of the kernel buffer zeroed. */
  copyFromUser(k: UaccessApi, copy: UserCopy): UserCopyResult;
  /** copy_to_user: bytes not copied. */
  copyToUser(k: UaccessApi, copy: UserCopy): UserCopyResult;
  /**
   * Victim selection during reclaim (mm/vmscan.c folio_check_references):
   * what to do with the oldest inactive page, given how many of its PTEs
   * had the accessed bit set (just cleared), whether PG_referenced was set
   * (just cleared too; the kernel sets it again when a PTE was referenced,
   * as Linux does), whether it is anonymous, executable, dirty — and which
   * Linux is modelled, since the rule changed in 5.9.
   */
  reclaimDecision(k: KernelApi, page: ReclaimCandidate): 'reclaim' | 'activate' | 'keep';
  /** flush_tlb_page() after a PTE change: every CPU that may cache the old translation must drop it. */
  flushTlbPage(k: KernelApi, request: { readonly mm: number; readonly address: VirtualAddress }): void;
  /** The kernel's software page walk (follow_pte): what the PTE for an address holds. */
  walkPageTable(k: KernelApi, request: { readonly mm: number; readonly address: VirtualAddress }): PteInfo;
  /** do_swap_page as a step of the fault path. */
  swapIn(k: KernelApi, fault: FaultInfo): FaultOutcome;
  /** fixup_exception(): where a faulting kernel instruction resumes, or null for an oops. */
  exceptionFixup(k: KernelApi, fault: FaultInfo): VirtualAddress | null;
}

/** One page reclaim is about to decide on: what folio_referenced and the page's flags say about it. */
export interface ReclaimCandidate {
  readonly pfn: number;
  /** A PTE mapping it had its accessed bit set (`referencedPtes > 0`). */
  readonly referenced: boolean;
  /** It differs from its copy on disk or in swap (or has none): reclaiming it means writing it. */
  readonly dirty: boolean;
  /**
   * How many of the mappings had the accessed bit set — folio_referenced()'s
   * count, `referenced_ptes` in folio_check_references. More than one: the
   * page is shared and in use by several processes.
   */
  readonly referencedPtes: number;
  /** PG_referenced was set: reclaim saw the page referenced on its last trip down the inactive list. */
  readonly pageReferenced: boolean;
  /** Anonymous (swap-backed) memory rather than a file's page-cache page. */
  readonly anon: boolean;
  /** A mapping through which it was referenced is executable (VM_EXEC in folio_referenced's vm_flags). */
  readonly exec: boolean;
  /** The Linux release the kernel models, e.g. '6.1' (the rule changed in 5.9). */
  readonly linux: LinuxVersion;
}
