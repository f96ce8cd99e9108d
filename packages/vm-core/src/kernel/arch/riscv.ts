/**
 * RISC-V Sv39 as Linux 6.1 drives it (arch/riscv/include/asm/pgtable.h,
 * pgtable-bits.h, uaccess.h; arch/riscv/mm/fault.c, context.c).
 *
 * Entries: V R W X U G A D in bits 0..7, the PPN from bit 10. A leaf is any
 * entry with R, W or X, at any level; _PAGE_TABLE is V alone (U, A and D are
 * reserved in a pointer). Every protection Linux builds except PAGE_NONE
 * carries _PAGE_ACCESSED (_PAGE_BASE = P | A | U, _PAGE_KERNEL = R W P A D G),
 * so a page starts young; D comes from pte_mkdirty.
 *
 * Faults arrive as scause 12/13/15 (instruction/load/store page fault) with
 * stval = the address. The cause names the access and nothing else: unlike
 * x86's P bit it does not say whether the PTE was valid, and do_page_fault
 * decides access_error() from the cause and the VMA alone. So `present`
 * here is what the kernel learns by reading the PTE itself (handle_pte_fault
 * does exactly that): the leaf for the address, in the tables satp points
 * at, is valid. A non-canonical address (bits 63:39 not copies of bit 38)
 * is an ordinary page fault here, not a separate exception: no VMA covers it.
 *
 * Accessed and dirty state: before Svadu the privileged spec let a hart
 * either set A/D itself or raise a page fault (the behaviour now named
 * Svade), and Linux 6.1 never asks for the former; it builds user PTEs
 * young and kernel PTEs young and dirty, which keeps such traps rare. The
 * default is Svade — it is the behaviour 6.1 must be correct on (Rocket
 * and its derivatives implement only the trapping scheme, as FreeBSD's
 * review D17424 notes), and what makes a RISC-V fault path different;
 * accessFlags: 'hardware' models Svadu (QEMU's virt machine updates A/D
 * itself).
 *
 * Address spaces: one root per mm in satp, the kernel half (root entries
 * 256..511) copied from init_mm by pgd_alloc. satp.ASID has 16 bits on Sv39;
 * Linux uses ASIDs (use_asid_allocator) when the hart has more than twice as
 * many as CPUs ("ASID allocator using N bits"), which is what `pcid: true`
 * (the default; QEMU's virt hart has 16 bits) means here. `pcid: false` is
 * a hart without them — the HiFive Unmatched and the VisionFive 2 boot with
 * "ASID allocator disabled (0 bits)" — where
 * set_mm_noasid() writes satp and executes sfence.vma of everything on every
 * switch.
 *
 * The user-access window is sstatus.SUM, set and cleared by
 * __enable_user_access()/__disable_user_access() (csrs/csrc sstatus) around
 * every user copy and by __asm_copy_{to,from}_user (arch/riscv/lib/uaccess.S)
 * on entry and in its fixup. Exception entry clears SUM (entry.S:
 * csrrc sstatus, SR_SUM | SR_FS) and sret restores the interrupted
 * context's sstatus, so the window is per context, as the task's saved
 * `userAccessOpen` models.
 *
 * Left out: the sfence.vma Linux issues after installing a PTE
 * (update_mmu_cache) and after a vmalloc sync — a hart may cache invalid
 * entries, the simulated TLB caches none — and the modules area, which
 * vmalloc_fault also serves.
 */
import { union } from '../../hw/entry-bits.ts';
import { riscvSv39 } from '../../hw/formats/riscv-sv39.ts';
import { layouts } from '../layout.ts';
import type { KernelArchitecture, LeafProt, OopsFacts, VmaRights } from './arch.ts';
import {
  bigintPteOps,
  clearBits,
  flag,
  has,
  numberField,
  type PteHalves,
  type PteHalvesOps,
  setBits,
} from './pte-halves.ts';

// Bit positions come from the hardware's descriptor (hw/formats/riscv-sv39.ts),
// named as pgtable-bits.h names them.
const b = riscvSv39.bits;
const _PAGE_PRESENT = flag(b.valid);
const _PAGE_READ = flag(b.read);
const _PAGE_WRITE = flag(b.write);
const _PAGE_EXEC = flag(b.execute);
const _PAGE_USER = flag(b.user);
const _PAGE_GLOBAL = flag(b.global);
const _PAGE_ACCESSED = flag(b.accessed);
const _PAGE_DIRTY = flag(b.dirty);
/** R, W or X set: the entry maps memory itself (pte_leaf, pmd_leaf). */
const _PAGE_LEAF = union(_PAGE_READ, _PAGE_WRITE, _PAGE_EXEC);
/** _PAGE_TABLE: a pointer to the next level is V alone. */
const _PAGE_TABLE = _PAGE_PRESENT;
/**
 * _PAGE_PROT_NONE is _PAGE_GLOBAL since 5.17 (commit fba88ede6a31,
 * "riscv/mm: Adjust PAGE_PROT_NONE to comply with THP semantics"; before it
 * was _PAGE_READ): set on a not-present PTE that keeps its frame, it is
 * ignored by the hardware (V = 0) and tells the entry from a swap entry,
 * whose bits 0..5 are all clear. PAGE_NONE is _PAGE_PROT_NONE | _PAGE_READ.
 */
const _PAGE_PROT_NONE = _PAGE_GLOBAL;
const PAGE_NONE = union(_PAGE_PROT_NONE, _PAGE_READ);
const PRESENT_OR_PROT_NONE = union(_PAGE_PRESENT, _PAGE_PROT_NONE);
/** _PAGE_BASE: every user protection is present, young and user. */
const _PAGE_BASE = union(_PAGE_PRESENT, _PAGE_ACCESSED, _PAGE_USER);
/** What pte_modify() drops (the complement of _PAGE_CHG_MASK, which keeps the frame, A, D and the software bits). */
const NOT_CHG_MASK = union(_PAGE_PRESENT, _PAGE_LEAF, _PAGE_USER, _PAGE_GLOBAL);

/** _PAGE_PFN_SHIFT = 10; the PPN is 44 bits (hw descriptor). */
const PFN = numberField(riscvSv39.frame);

// Swap entries in the 6.1 layout (pgtable.h, from the same 5.17 commit):
//   bit 0 _PAGE_PRESENT (zero), bits 1..3 _PAGE_LEAF (zero),
//   bit 5 _PAGE_PROT_NONE (zero), bits 6..10 type, bits 11.. offset.
// (6.3 moved the type to 7..11 to make room for the exclusive marker.)
const __SWP_TYPE_SHIFT = 6;
const __SWP_TYPE_BITS = 5;
const __SWP_TYPE_MASK = 2 ** __SWP_TYPE_BITS - 1;
const __SWP_OFFSET_SHIFT = __SWP_TYPE_BITS + __SWP_TYPE_SHIFT;
/** Offset bits held by the low half. */
const SWP_OFFSET_LO_BITS = 32 - __SWP_OFFSET_SHIFT;

const riscvPteHalves: PteHalvesOps = {
  none: (lo, hi) => (lo | hi) === 0,
  valid: (lo, hi) => has(lo, hi, _PAGE_PRESENT),
  // pte_present(): valid, or PROT_NONE.
  mapsFrame: (lo, hi) => has(lo, hi, PRESENT_OR_PROT_NONE),
  pfn: PFN.read,
  leafAbove: (lo, hi) => has(lo, hi, _PAGE_LEAF),
  write: (lo, hi) => has(lo, hi, _PAGE_WRITE),
  read: (lo, hi) => has(lo, hi, _PAGE_READ),
  dirty: (lo, hi) => has(lo, hi, _PAGE_DIRTY),
  young: (lo, hi) => has(lo, hi, _PAGE_ACCESSED),
  user: (lo, hi) => has(lo, hi, _PAGE_USER),
  exec: (lo, hi) => has(lo, hi, _PAGE_EXEC),
  make: leaf,
  // A leaf above the last level is the same entry one level up (pmd_mkhuge is a no-op).
  makeHuge: leaf,
  makeTable: (pfn, _user, e) => {
    e.set(0, 0);
    PFN.write(e, pfn);
    setBits(e, _PAGE_TABLE);
  },
  wrprotect: (e) => clearBits(e, _PAGE_WRITE),
  mkwrite: (e) => setBits(e, _PAGE_WRITE),
  mkdirty: (e) => setBits(e, _PAGE_DIRTY),
  mkclean: (e) => clearBits(e, _PAGE_DIRTY),
  mkold: (e) => clearBits(e, _PAGE_ACCESSED),
  mkyoung: (e) => setBits(e, _PAGE_ACCESSED),
  modify,
  swapEntry: (type, offset, e) =>
    e.set(
      ((type & __SWP_TYPE_MASK) << __SWP_TYPE_SHIFT) | (offset << __SWP_OFFSET_SHIFT),
      Math.floor(offset / 2 ** SWP_OFFSET_LO_BITS),
    ),
  swapType: (lo) => (lo >>> __SWP_TYPE_SHIFT) & __SWP_TYPE_MASK,
  swapOffset: (lo, hi) => (lo >>> __SWP_OFFSET_SHIFT) + hi * 2 ** SWP_OFFSET_LO_BITS,
};

/** pfn_pte(pfn, prot) for the protections Linux builds: young unless told otherwise. */
function leaf(pfn: number, prot: LeafProt, e: PteHalves): void {
  e.set(0, 0);
  PFN.write(e, pfn);
  setBits(e, _PAGE_PRESENT);
  // W without R is a reserved encoding: write implies read (PAGE_WRITE has R).
  if (prot.read !== false || prot.writable) setBits(e, _PAGE_READ);
  if (prot.writable) setBits(e, _PAGE_WRITE);
  if (prot.exec) setBits(e, _PAGE_EXEC);
  if (prot.user) setBits(e, _PAGE_USER);
  if (prot.global) setBits(e, _PAGE_GLOBAL);
  if (prot.accessed !== false) setBits(e, _PAGE_ACCESSED);
  if (prot.dirty) setBits(e, _PAGE_DIRTY);
}

/**
 * pte_modify(pte, vm_get_page_prot(flags)): the frame, A and D stay, the
 * rest comes from the new protection. Like x86's, it never grants W — a
 * private page gets it back through its next write fault (PAGE_COPY has no
 * W) — and, as _PAGE_BASE carries _PAGE_ACCESSED, it leaves a page with any
 * rights young.
 */
function modify(e: PteHalves, rights: VmaRights): void {
  const wasWritable = has(e.lo, e.hi, _PAGE_WRITE);
  clearBits(e, NOT_CHG_MASK);
  if (!rights.read && !rights.write && !rights.exec) {
    setBits(e, PAGE_NONE);
    return;
  }
  setBits(e, _PAGE_BASE);
  if (rights.read || rights.write) setBits(e, _PAGE_READ);
  if (rights.write && wasWritable) setBits(e, _PAGE_WRITE);
  if (rights.exec) setBits(e, _PAGE_EXEC);
}

const riscvPte = bigintPteOps(riscvPteHalves);
const leafIsValid = (e: Readonly<PteHalves>) => riscvPteHalves.valid(e.lo, e.hi);

// sstatus as the trap saved it, for the register dump: UXL = 2 (64-bit user
// mode), SPP = 1 (the kernel trapped), SPIE (interrupts were on), SUM.
const SSTATUS_UXL_64 = 2n << 32n;
const SR_SPP = 1n << 8n;
const SR_SPIE = 1n << 5n;
const SR_SUM = 1n << 18n;

/** REG_FMT: "%016lx", an unsigned 64-bit register without 0x. */
const reg = (value: number | bigint) => BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');

const USER_ACCESS_VIOLATION = 'access to user memory without uaccess routines';

/**
 * die_kernel_fault() and die() (arch/riscv/mm/fault.c, kernel/traps.c): the
 * headline no_context() picks — a NULL pointer dereference below PAGE_SIZE,
 * else a paging request — or do_page_fault's SUM check's, then "Oops [#1]"
 * and show_regs(): epc, and sstatus, stval and scause.
 */
function riscvOopsLines(f: OopsFacts, reason: string): readonly string[] {
  const msg =
    reason === USER_ACCESS_VIOLATION
      ? USER_ACCESS_VIOLATION
      : f.address >= 0 && f.address < 4096
        ? 'NULL pointer dereference'
        : 'paging request';
  const status = SSTATUS_UXL_64 | SR_SPP | SR_SPIE | (f.userAccessOpen ? SR_SUM : 0n);
  return [
    `Unable to handle kernel ${msg} at virtual address ${reg(f.address)}`,
    'Oops [#1]',
    `PID: ${f.pid}`,
    `epc : ${f.ip}`,
    `status: ${reg(status)} badaddr: ${reg(f.address)} cause: ${reg(f.errorCode)}`,
  ];
}

export const riscvSv39Architecture: KernelArchitecture = {
  name: 'riscv-sv39',
  terms: { userRoot: 'satp', userAccessWindow: 'sstatus.SUM', syndrome: 'scause' },
  format: riscvSv39,
  layout: layouts['riscv-sv39'],
  pte: riscvPte,
  pteHalves: riscvPteHalves,
  // X is a permission of its own: a leaf without it cannot be fetched from.
  hasNx: true,
  accessFlags: { default: 'software', selectable: true },
  hasAsids: true,
  kernelHalfInUserRoot: true,
  decodeFault(fault, loadedLeaf, out) {
    const r = fault.report;
    if (r.arch !== 'riscv') throw new TypeError(`a RISC-V kernel got a ${r.arch} fault report`);
    const pageFault = r.scause === 12 || r.scause === 13 || r.scause === 15;
    // 1/5/7 are access faults (the walk reached memory that is not
    // there): do_trap_*_access_fault, not the page-fault handler. The
    // kernel never builds tables that lead there.
    out.otherException = pageFault ? null : r.causeName;
    out.errorCode = r.scause;
    out.present = fault.kind !== 'non-canonical' && leafIsValid(loadedLeaf(fault.va));
    out.write = r.scause === 15 || r.scause === 7;
    out.exec = r.scause === 12 || r.scause === 1;
    // sstatus.SPP: the trap came from U-mode.
    out.user = fault.privilege === 'user';
    // The cause has no reserved-bit flag, and Linux has no pgtable_bad() here.
    out.reservedBit = false;
  },
  bootControl: (kernelRoot) => ({ root: kernelRoot, sum: false, mxr: false }),
  loadUserRoot(cpu, root, asid, tagged) {
    // set_mm_asid(): satp with the mm's ASID, the old entries kept;
    // set_mm_noasid(): satp with ASID 0, then local_flush_tlb_all()
    // (sfence.vma x0, x0), which drops global entries too.
    cpu.mmu.switchAddressSpace(root, { asid: tagged ? asid : 0, flush: 'none' });
    if (!tagged) cpu.mmu.invalidateAll();
  },
  openUserAccess: (cpu) => cpu.mmu.userAccessBegin(),
  closeUserAccess: (cpu) => cpu.mmu.userAccessEnd(),
  // sstatus.SUM (Mmu.userAccessOpen reads it without a snapshot of the state).
  userAccessWindowOpen: (cpu) => cpu.mmu.userAccessOpen,
  // SUM always guards U pages in S-mode: there is no "off" as with SMAP.
  userAccessAllowed: (cpu) => cpu.mmu.userAccessOpen,
  oopsLines: riscvOopsLines,
  userAccessViolation: USER_ACCESS_VIOLATION,
  // struct sigcontext (arch/riscv/include/uapi/asm/sigcontext.h) holds the
  // registers only: a handler learns scause and stval from nowhere but si_addr.
  signalFrame: () => null,
  asidSpace: { name: 'ASID', count: 2 ** 16 },
  // get_user/put_user are macros (__get_user_nocheck, __put_user_nocheck in
  // asm/uaccess.h) inlined into their caller, whose name a real oops would
  // show; here no caller exists, so the macro's name stands in.
  // __asm_copy_to_user and __asm_copy_from_user are one routine (uaccess.S).
  uaccessSymbols: {
    copyUser: '__asm_copy_from_user',
    getUser: '__get_user_nocheck',
    putUser: '__put_user_nocheck',
  },
};
