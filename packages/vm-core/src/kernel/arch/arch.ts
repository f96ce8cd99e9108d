/**
 * What the kernel asks of an architecture: Linux's arch/ layer, as one
 * object per machine. Everything generic — VMAs, the fault path, COW, rmap,
 * reclaim, swap, uaccess — is written against this and runs unchanged on
 * each format the hardware layer models.
 *
 *   pte         the pgtable.h vocabulary: pte_present, pte_pfn, mk_pte,
 *               pte_wrprotect, pte_mkyoung, the swap-entry layout, …
 *   faults      reading the hardware's report (x86 error code, ARM64 ESR,
 *               RISC-V scause) into the fault handler's questions
 *   address     which root each half of the address space lives in
 *   uaccess     how the user-access window opens (stac, PAN, SUM, the
 *               reserved TTBR0) and which instructions touch user memory
 *   tlb         maintenance that differs (ARM64 flushes where x86 re-walks)
 *   oops        how the kernel prints a fault nothing handled
 */
import type { ControlState } from '../../hw/control.ts';
import type { PageFault } from '../../hw/fault.ts';
import type { PagingFormat } from '../../hw/paging-format.ts';
import type { SignalFrame } from '../abi.ts';
import type { FaultInfo } from '../hooks.ts';
import type { KernelLayout } from '../layout.ts';
import type { LinuxVersion } from '../linux-version.ts';
import type { Cpu, Task } from '../types.ts';
import type { PteHalves, PteHalvesOps } from './pte-halves.ts';

/** The machines the kernel runs on, named as `faultline sim run --arch` names them. */
export type KernelArch = 'x86-64' | 'x86-32' | 'riscv-sv39' | 'arm64';

/** The rights and state a leaf is built with (the kernel's pgprot_t). */
export interface LeafProt {
  /**
   * Loads are allowed (the default). RISC-V can map a page execute-only
   * (PAGE_EXEC has no _PAGE_READ); x86 cannot forbid reading a present
   * page and ignores this.
   */
  readonly read?: boolean;
  readonly writable: boolean;
  readonly user: boolean;
  readonly exec: boolean;
  readonly global?: boolean;
  readonly dirty?: boolean;
  readonly accessed?: boolean;
}

/** A VMA's rights, as change_pte_range applies them to a mapped PTE. */
export interface VmaRights {
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
}

/**
 * Page-table entries as the kernel reads and builds them
 * (arch/<arch>/include/asm/pgtable.h). Entries are raw values of the
 * format's width; every bit position comes from the paging format
 * descriptor, so the kernel and the walker cannot disagree.
 */
export interface PteOps {
  /** pte_none(): nothing at all — not a page, not a swap entry. */
  none(pte: bigint): boolean;
  /** The hardware will translate through it (x86 P, ARM64 valid, RISC-V V). */
  valid(pte: bigint): boolean;
  /** pte_present(): maps a frame — valid, or PROT_NONE (valid clear, frame kept). */
  mapsFrame(pte: bigint): boolean;
  pfn(pte: bigint): number;
  /** Above the last level: the entry maps memory itself (huge page, block) instead of pointing at a table. */
  leafAbove(pte: bigint): boolean;
  write(pte: bigint): boolean;
  /** Loads allowed, where a present leaf can forbid them (RISC-V's R); absent where every present page is readable. */
  read?(pte: bigint): boolean;
  dirty(pte: bigint): boolean;
  young(pte: bigint): boolean;
  user(pte: bigint): boolean;
  exec(pte: bigint): boolean;
  /** mk_pte(): a last-level leaf. */
  make(pfn: number, prot: LeafProt): bigint;
  /** A leaf above the last level (pmd_mkhuge / a block descriptor), for the direct map. */
  makeHuge(pfn: number, prot: LeafProt): bigint;
  /** A pointer to a lower-level table, for user or kernel addresses. */
  makeTable(pfn: number, user: boolean): bigint;
  wrprotect(pte: bigint): bigint;
  mkwrite(pte: bigint): bigint;
  mkdirty(pte: bigint): bigint;
  mkclean(pte: bigint): bigint;
  mkold(pte: bigint): bigint;
  mkyoung(pte: bigint): bigint;
  /** pte_modify(): the entry for a page whose VMA now has `rights` (PROT_NONE when it has none). */
  modify(pte: bigint, rights: VmaRights): bigint;
  /** __swp_entry() as a PTE (valid and PROT_NONE clear). */
  swapEntry(type: number, offset: number): bigint;
  swapType(pte: bigint): number;
  swapOffset(pte: bigint): number;
}

/** The fault handler's questions, answered from the architecture's own report (FaultInfo's fields). */
export type DecodedFault = Pick<
  FaultInfo,
  'errorCode' | 'present' | 'write' | 'exec' | 'user' | 'reservedBit'
> & {
  /**
   * Set when the exception is not a page fault, with its name: x86 raises
   * #GP, not #PF, for a non-canonical address (the kernel never runs the
   * page-fault handler for it).
   */
  readonly otherException: string | null;
};

/** How this architecture's manuals and Linux name the things reports mention. */
export interface ArchTerms {
  /** The register holding the user address space's root: CR3, TTBR0_EL1, satp. */
  readonly userRoot: string;
  /** What opens and closes the user-access window: stac/clac, PAN, SUM. */
  readonly userAccessWindow: string;
  /** The fault's syndrome as FaultInfo.errorCode carries it: error code, ESR, scause. */
  readonly syndrome: string;
}

export interface KernelArchitecture {
  readonly name: KernelArch;
  readonly terms: ArchTerms;
  readonly format: PagingFormat;
  readonly layout: KernelLayout;
  readonly pte: PteOps;
  /** The same vocabulary on an entry's 32-bit halves, for the hot paths (pte-halves.ts); `pte` is derived from it. */
  readonly pteHalves: PteHalvesOps;
  /** XD / UXN / X: the format can forbid instruction fetches. */
  readonly hasNx: boolean;
  /** Who keeps accessed/dirty state unless the options say otherwise, and whether the options may say otherwise. */
  readonly accessFlags: { readonly default: 'hardware' | 'software'; readonly selectable: boolean };
  /** Whether address-space tags exist at all (x86-32 has no PCIDs). */
  readonly hasAsids: boolean;
  /**
   * Whether the kernel half lives in every mm's root (x86, RISC-V: pgd_alloc
   * copies init_mm's upper entries) or in a root of its own (ARM64's TTBR1).
   */
  readonly kernelHalfInUserRoot: boolean;
  /**
   * `loadedLeaf(va)` reads the leaf entry for `va` in the tables the CPU
   * has loaded (0 when there is none), as the kernel's own walk would, into
   * a register that the next call reuses: for
   * an architecture whose report does not say whether the translation
   * existed (RISC-V's scause), that read is how `present` is known.
   * Architectures whose report says so need not call it. The answers go
   * into `out`, every field of it.
   */
  decodeFault(
    fault: PageFault,
    loadedLeaf: (va: number) => Readonly<PteHalves>,
    out: { -readonly [K in keyof DecodedFault]: DecodedFault[K] },
  ): void;
  /**
   * access_error(): whether the VMA forbids the access that faulted, for
   * the shared reference handler. Absent: x86's rule (any present read or
   * fetch fault is an error). ARM64 asks only the VMA's flags, since an
   * access-flag fault is a present fault the VMA allows.
   */
  accessError?(fault: Pick<DecodedFault, 'present' | 'write' | 'exec' | 'user'>, vma: VmaRights): boolean;
  /**
   * Each CPU's control state at boot, running on the kernel's own tables at
   * `kernelRoot`. Where the kernel half has a root of its own
   * (`kernelHalfInUserRoot` false), the boot allocates an empty table in
   * the frame just below it for the user half: ARM64's reserved_pg_dir.
   */
  bootControl(kernelRoot: number): Partial<ControlState>;
  /**
   * switch_mm(): loads a user address space's root (CR3, TTBR0_EL1, satp)
   * tagged `asid`; `tagged` false means the tag cannot keep the old
   * entries apart, so the switch drops them.
   */
  loadUserRoot(cpu: Cpu, root: number, asid: number, tagged: boolean): void;
  /**
   * Opens the window in which the kernel may touch user memory for `task`
   * (stac; PAN = 0; SUM = 1; with ARM64's SW PAN, the task's own TTBR0).
   * A no-op where the uaccess instructions need no window (ARM64 since
   * 5.11: LDTR/STTR with PAN left set).
   */
  openUserAccess(cpu: Cpu, task: Task): void;
  closeUserAccess(cpu: Cpu): void;
  /** Whether the window is open — the state a context switch saves with the task (EFLAGS.AC, PAN, SUM, TTBR0). */
  userAccessWindowOpen(cpu: Cpu): boolean;
  /**
   * Whether the kernel-mode `fault` happened where the kernel may touch
   * user memory, as the architecture's fault handler decides it (x86: the
   * window is open or SMAP is off; ARM64: it is not an EL1 permission fault
   * on a user address outside the uaccess instructions, or one PAN caused).
   * `uaccessInstruction`: the faulting instruction has an exception-table
   * entry.
   */
  userAccessAllowed(cpu: Cpu, fault: PageFault, uaccessInstruction: boolean): boolean;
  /**
   * Whether the instructions with an exception-table entry (the uaccess
   * routines' loads and stores) are unprivileged ones — ARM64's LDTR/STTR,
   * checked with EL0's permissions — rather than ordinary kernel accesses.
   * Absent: they are not.
   */
  readonly unprivilegedUaccess?: boolean;
  /**
   * Switches the CPU's state on the way out to user mode and back in, where
   * the architecture does (ARM64 SW PAN: kernel_exit loads the task's
   * TTBR0, kernel_entry the reserved one). Absent elsewhere.
   */
  enterUserMode?(cpu: Cpu, task: Task): void;
  enterKernelMode?(cpu: Cpu): void;
  /** TLB maintenance where the architectures differ (absent: x86's — no flush in either case). */
  readonly tlb?: TlbMaintenance;
  /**
   * Linux's oops header for a kernel fault: the lines before "Why:".
   * `reason` is the handler's; it is this architecture's
   * `userAccessViolation` when that is why the kernel dies (RISC-V and
   * ARM64 print it in the headline). `cpu`: the CPU that faulted, still in
   * the state it faulted in, when known.
   */
  oopsLines(fault: OopsFacts, reason: string, cpu: Cpu | null): readonly string[];
  /** The message a kernel access to user memory outside the window dies with. */
  readonly userAccessViolation: string;
  /**
   * What the signal frame says about the user-mode `fault` that raised a
   * signal (null: nothing — RISC-V's sigcontext holds only registers).
   * Linux hides its own layout here: a fault on an address at or above
   * TASK_SIZE_MAX gets x86's PROT bit set whatever the CPU pushed, and a
   * level-0 translation fault in ARM64's ESR.
   */
  signalFrame(fault: PageFault): SignalFrame | null;
  /**
   * What the address-space tags are called and how many the format's root
   * register holds (x86-64: 4096 PCIDs, the default; RISC-V Sv39: 2^16
   * satp.ASIDs; ARM64: 2^16 ASIDs). Tag 0 stays the kernel's.
   */
  readonly asidSpace?: { readonly name: string; readonly count: number };
  /**
   * The symbols an oops names for the uaccess instructions (default x86's:
   * copy_user_generic, __get_user_1, __put_user_1).
   */
  readonly uaccessSymbols?: { readonly copyUser: string; readonly getUser: string; readonly putUser: string };
  /**
   * The same machine specialised by the boot options it reads (ARM64: PAN
   * in hardware or software, UAO, the Linux version's uaccess routines), or
   * why they are not a machine that exists. Absent where nothing is
   * configurable; the kernel then refuses those options.
   */
  configure?(config: ArchConfig): { kind: 'ok'; arch: KernelArchitecture } | { kind: 'err'; message: string };
}

/** The boot options an architecture may read (KernelOptions, checked). */
export interface ArchConfig {
  readonly linux: LinuxVersion;
  readonly pan: 'hardware' | 'software' | undefined;
  readonly uao: boolean | undefined;
  /** Whether TLB entries are tagged (the `pcid` option). */
  readonly tagged: boolean;
}

export interface TlbMaintenance {
  /**
   * ptep_clear_flush_young(): clearing the accessed flag also invalidates
   * the TLB entry (ARM64), or leaves it (x86: a cached entry just keeps the
   * bit from being set again for a while).
   */
  readonly clearYoungFlushes: boolean;
  /**
   * ptep_set_access_flags() / wp_page_reuse: making a PTE writable or dirty
   * flushes the stale read-only entry (ARM64), or relies on the CPU's
   * re-walk before a fault (x86).
   */
  readonly setDirtyFlushes: boolean;
  /** The instructions that invalidate one page (of one tag) and one tag's entries, for messages. */
  readonly invalidatePage: string;
  readonly invalidateTag: string;
}

/** What an oops report is built from: the fault as the hooks saw it, its instruction symbolized. */
export type OopsFacts = Pick<
  FaultInfo,
  'address' | 'errorCode' | 'present' | 'write' | 'exec' | 'user' | 'reservedBit' | 'pid'
> & {
  /** The faulting instruction, already symbolized. */
  readonly ip: string;
  /** The user-access window was open when the fault was taken (RISC-V prints it as sstatus.SUM). */
  readonly userAccessOpen?: boolean;
};
