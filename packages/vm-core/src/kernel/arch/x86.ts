/**
 * x86: 4-level paging (x86-64) and 32-bit paging (x86-32), one PTE layout
 * for both (arch/x86/include/asm/pgtable_types.h) — XD exists only on the
 * former, so on 32-bit paging every page is executable.
 *
 * Faults arrive as #PF with an error code (Intel SDM Vol. 3A §4.7) or #GP
 * for a non-canonical address; the user-access window is EFLAGS.AC, set
 * by stac and cleared by clac, which SMAP consults; address spaces are
 * tagged by PCID (x86-64 only) and switched by writing CR3.
 */
import { formatAddress } from '../../hw/address.ts';
import { union } from '../../hw/entry-bits.ts';
import { X86ErrorCode } from '../../hw/fault.ts';
import { x86_32 } from '../../hw/formats/x86-32.ts';
import { x86_64 } from '../../hw/formats/x86-64.ts';
import type { X86Format } from '../../hw/paging-format.ts';
import { type KernelLayout, layouts } from '../layout.ts';
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

// Bit positions come from the hardware's own descriptor (hw/formats/x86-64.ts,
// whose low flags x86-32 shares), so the kernel and the walker cannot disagree.
const x86 = x86_64.bits;
const P = flag(x86.present);
const RW = flag(x86.writable);
const US = flag(x86.user);
const A = flag(x86.accessed);
const D = flag(x86.dirty);
/** _PAGE_PSE: in a table above the last level, the entry is a huge leaf. */
const PSE = flag(x86.pageSize);
const G = flag(x86.global);
const NX = flag(x86.noExecute);
/**
 * _PAGE_PROTNONE: a PROT_NONE page keeps its frame but clears P, so every
 * access faults; software tells it from a swap entry by this bit (the same
 * position as G, which only means something when P is set).
 */
const PROTNONE = G;
const P_OR_PROTNONE = union(P, PROTNONE);

/** The frame field of a 4 KiB entry (physical-address bits 12..51), from the descriptor. */
const PFN = numberField(x86_64.frame);

// Swap entries, named as arch/x86/include/asm/pgtable_64.h names them. On
// x86-64 the type sits in bits 63:59 and the offset, inverted (an L1TF
// mitigation: a stray speculative load of an inverted offset points at no
// real memory), in bits 58:9; bit 0 (P) and bit 8 (PROTNONE) stay clear.
// 32-bit paging (pgtable-2level.h) keeps the type in bits 5:1 and the
// offset from bit 9.
const SWP_TYPE_BITS = 5;
/** _PAGE_BIT_PROTNONE + 1: the offset starts above the bits that must stay clear. */
const SWP_OFFSET_FIRST_BIT = 9;
/** __swp_type() on x86-64: `val >> (64 - SWP_TYPE_BITS)`, bits 63:59, i.e. 31:27 of the high half. */
const SWP_TYPE_SHIFT_HI_64 = 32 - SWP_TYPE_BITS;
/** The offset's 50 bits (58:9): 23 in the low half, 27 in the high half. */
const OFFSET_LO_BITS = 32 - SWP_OFFSET_FIRST_BIT;
const OFFSET_LO_MASK = 2 ** OFFSET_LO_BITS - 1;
const OFFSET_HI_MASK = 2 ** SWP_TYPE_SHIFT_HI_64 - 1;
const SWP_TYPE_FIRST_BIT_32 = 1;
const SWP_TYPE_MASK = 2 ** SWP_TYPE_BITS - 1;

function x86PteHalves(hasNx: boolean, wide: boolean): PteHalvesOps {
  const make = (pfn: number, prot: LeafProt, e: PteHalves): void => {
    e.set(0, 0);
    PFN.write(e, pfn);
    setBits(e, P);
    if (prot.writable) setBits(e, RW);
    if (prot.user) setBits(e, US);
    if (prot.global) setBits(e, G);
    if (prot.dirty) setBits(e, D);
    if (prot.accessed) setBits(e, A);
    if (!prot.exec && hasNx) setBits(e, NX);
  };
  return {
    none: (lo, hi) => (lo | hi) === 0,
    valid: (lo, hi) => has(lo, hi, P),
    mapsFrame: (lo, hi) => has(lo, hi, P_OR_PROTNONE),
    pfn: PFN.read,
    leafAbove: (lo, hi) => has(lo, hi, PSE),
    write: (lo, hi) => has(lo, hi, RW),
    dirty: (lo, hi) => has(lo, hi, D),
    young: (lo, hi) => has(lo, hi, A),
    user: (lo, hi) => has(lo, hi, US),
    exec: (lo, hi) => !has(lo, hi, NX),
    make,
    makeHuge: (pfn, prot, e) => {
      make(pfn, prot, e);
      setBits(e, PSE);
    },
    // _PAGE_TABLE (user) or _KERNPG_TABLE (kernel).
    makeTable: (pfn, user, e) => {
      e.set(0, 0);
      PFN.write(e, pfn);
      setBits(e, P);
      setBits(e, RW);
      setBits(e, A);
      if (user) setBits(e, US);
    },
    wrprotect: (e) => clearBits(e, RW),
    mkwrite: (e) => setBits(e, RW),
    mkdirty: (e) => setBits(e, D),
    mkclean: (e) => clearBits(e, D),
    mkold: (e) => clearBits(e, A),
    mkyoung: (e) => setBits(e, A),
    modify: (e: PteHalves, rights: VmaRights) => {
      if (!rights.read && !rights.write && !rights.exec) {
        clearBits(e, P);
        setBits(e, PROTNONE);
      } else {
        clearBits(e, PROTNONE);
        setBits(e, P);
      }
      if (!rights.write) clearBits(e, RW);
      if (hasNx) (rights.exec ? clearBits : setBits)(e, NX);
    },
    swapEntry: wide
      ? (type, offset, e) => {
          // ~offset, 50 bits of it, from bit 9.
          const invertedLo = ~offset & OFFSET_LO_MASK;
          const invertedHi = ~Math.floor(offset / 2 ** OFFSET_LO_BITS) & OFFSET_HI_MASK;
          e.set(invertedLo << SWP_OFFSET_FIRST_BIT, invertedHi | (type << SWP_TYPE_SHIFT_HI_64));
        }
      : (type, offset, e) =>
          e.set(
            (type << SWP_TYPE_FIRST_BIT_32) | (offset << SWP_OFFSET_FIRST_BIT),
            Math.floor(offset / 2 ** OFFSET_LO_BITS),
          ),
    swapType: wide
      ? (_lo, hi) => hi >>> SWP_TYPE_SHIFT_HI_64
      : (lo) => (lo >>> SWP_TYPE_FIRST_BIT_32) & SWP_TYPE_MASK,
    swapOffset: wide
      ? (lo, hi) =>
          (~(lo >>> SWP_OFFSET_FIRST_BIT) & OFFSET_LO_MASK) + (~hi & OFFSET_HI_MASK) * 2 ** OFFSET_LO_BITS
      : (lo, hi) => (lo >>> SWP_OFFSET_FIRST_BIT) + hi * 2 ** OFFSET_LO_BITS,
  };
}

/** show_fault_oops() (arch/x86/mm/fault.c): the #PF lines of an oops. */
function x86OopsLines(width: 32 | 64, f: OopsFacts): readonly string[] {
  const address = formatAddress(f.address, width);
  const headline =
    f.address < 4096n
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
    `RIP: ${f.ip}`,
  ];
}

function x86Architecture(format: X86Format, layout: KernelLayout, wide: boolean): KernelArchitecture {
  const hasNx = format.bits.noExecute !== null;
  const pteHalves = x86PteHalves(hasNx, wide);
  return {
    name: layout.arch,
    terms: { userRoot: 'CR3', userAccessWindow: 'stac/clac', syndrome: 'error code' },
    format,
    layout,
    pte: bigintPteOps(pteHalves),
    pteHalves,
    hasNx,
    // The x86 MMU always sets A and D itself (SDM Vol. 3A §4.8).
    accessFlags: { default: 'hardware', selectable: false },
    // 32-bit x86 has no PCIDs: every CR3 write flushes the non-global entries.
    hasAsids: wide,
    kernelHalfInUserRoot: true,
    decodeFault(fault, _loadedLeaf, out) {
      const r = fault.report;
      if (r.arch !== 'x86') throw new TypeError(`an x86 kernel got a ${r.arch} fault report`);
      // #GP on a non-canonical address (or #MC): not a page fault at all.
      out.otherException = r.vector === 14 ? null : r.mnemonic;
      out.errorCode = r.errorCode;
      out.present = r.present;
      out.write = r.write;
      // I/D is reported only when NX or SMEP is on; the access itself says it too.
      out.exec = r.instructionFetch || fault.access === 'execute';
      out.user = r.user;
      out.reservedBit = r.reservedBit;
    },
    bootControl: (kernelRoot) => ({ root: kernelRoot, noExecuteEnabled: hasNx }),
    loadUserRoot(cpu, root, asid, tagged) {
      // With PCIDs the old entries stay, tagged; without, a CR3 write drops
      // every non-global entry.
      cpu.mmu.switchAddressSpace(root, { asid, flush: tagged ? 'none' : 'non-global' });
    },
    openUserAccess: (cpu) => cpu.mmu.userAccessBegin(),
    closeUserAccess: (cpu) => cpu.mmu.userAccessEnd(),
    // EFLAGS.AC (Mmu.userAccessOpen reads it without a snapshot of the state).
    userAccessWindowOpen: (cpu) => cpu.mmu.userAccessOpen,
    userAccessAllowed: (cpu) => cpu.mmu.userAccessOpen || !cpu.mmu.control.smap,
    oopsLines: (f) => x86OopsLines(wide ? 64 : 32, f),
    userAccessViolation: 'SMAP violation: kernel accessed user memory without stac',
    signalFrame(fault) {
      const r = fault.report;
      if (r.arch !== 'x86') throw new TypeError(`an x86 kernel got a ${r.arch} fault report`);
      // sanitize_error_code() (arch/x86/mm/fault.c): "pretend that user-mode
      // accesses to kernel addresses are always protection faults", so the
      // frame does not say whether the kernel maps the page. TASK_SIZE_MAX
      // is userEnd on both widths (x86-64: 2^47 - 4096; x86-32: TASK_SIZE).
      const kernelAddress = fault.va < 0 || fault.va >= layout.userEnd;
      const errorCode = r.vector === 14 && kernelAddress ? r.errorCode | X86ErrorCode.Present : r.errorCode;
      return { arch: 'x86', trapNo: r.vector, errorCode };
    },
  };
}

export const x86_64Architecture = x86Architecture(x86_64, layouts['x86-64'], true);
export const x86_32Architecture = x86Architecture(x86_32, layouts['x86-32'], false);
