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
 *   uaccess     how the user-access window opens (stac, PAN, SUM)
 *   oops        how the kernel prints a fault nothing handled
 */
import type { ControlState } from '../../hw/control.ts';
import type { PageFault } from '../../hw/fault.ts';
import type { PagingFormat } from '../../hw/paging-format.ts';
import type { FaultInfo } from '../hooks.ts';
import type { KernelLayout } from '../layout.ts';
import type { Cpu } from '../types.ts';

/** The machines the kernel runs on, named as `faultline sim run --arch` names them. */
export type KernelArch = 'x86-64' | 'x86-32' | 'riscv-sv39';

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
   * has loaded (0 when there is none), as the kernel's own walk would: for
   * an architecture whose report does not say whether the translation
   * existed (RISC-V's scause), that read is how `present` is known.
   * Architectures whose report says so need not call it.
   */
  decodeFault(fault: PageFault, loadedLeaf: (va: number) => bigint): DecodedFault;
  /** Each CPU's control state at boot, running on the kernel's own tables at `kernelRoot`. */
  bootControl(kernelRoot: number): Partial<ControlState>;
  /**
   * switch_mm(): loads a user address space's root (CR3, TTBR0_EL1, satp)
   * tagged `asid`; `tagged` false means the tag cannot keep the old
   * entries apart, so the switch drops them.
   */
  loadUserRoot(cpu: Cpu, root: number, asid: number, tagged: boolean): void;
  /** Opens the window in which the kernel may touch user memory (stac; PAN = 0; SUM = 1). */
  openUserAccess(cpu: Cpu): void;
  closeUserAccess(cpu: Cpu): void;
  /** Whether the window is open — the state a context switch saves with the task (EFLAGS.AC, PAN, SUM). */
  userAccessWindowOpen(cpu: Cpu): boolean;
  /** Whether the kernel may touch user memory on this CPU now (the window is open, or nothing guards it). */
  userAccessAllowed(cpu: Cpu): boolean;
  /**
   * Linux's oops header for a kernel fault: the lines before "Why:".
   * `reason` is the handler's; it is this architecture's
   * `userAccessViolation` when that is why the kernel dies (RISC-V prints
   * it in the headline).
   */
  oopsLines(fault: OopsFacts, reason: string): readonly string[];
  /** The message a kernel access to user memory outside the window dies with. */
  readonly userAccessViolation: string;
  /**
   * What the address-space tags are called and how many the format's root
   * register holds (x86-64: 4096 PCIDs, the default; RISC-V Sv39: 2^16
   * satp.ASIDs). Tag 0 stays the kernel's.
   */
  readonly asidSpace?: { readonly name: string; readonly count: number };
  /**
   * The symbols an oops names for the uaccess instructions (default x86's:
   * copy_user_generic, __get_user_1, __put_user_1).
   */
  readonly uaccessSymbols?: { readonly copyUser: string; readonly getUser: string; readonly putUser: string };
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
