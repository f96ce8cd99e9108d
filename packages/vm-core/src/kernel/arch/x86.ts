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
import type { EntryBits } from '../../hw/entry-bits.ts';
import { x86_32 } from '../../hw/formats/x86-32.ts';
import { x86_64 } from '../../hw/formats/x86-64.ts';
import type { X86Format } from '../../hw/paging-format.ts';
import { type KernelLayout, layouts } from '../layout.ts';
import type { KernelArchitecture, LeafProt, OopsFacts, PteOps, VmaRights } from './arch.ts';

/** One flag of the paging format descriptor as a 64-bit mask. */
const mask = (m: EntryBits) => (BigInt(m.hi) << 32n) | BigInt(m.lo);

// Bit positions come from the hardware's own descriptor (hw/formats/x86-64.ts,
// whose low flags x86-32 shares), so the kernel and the walker cannot disagree.
const x86 = x86_64.bits;
const P = mask(x86.present);
const RW = mask(x86.writable);
const US = mask(x86.user);
const A = mask(x86.accessed);
const D = mask(x86.dirty);
/** _PAGE_PSE: in a table above the last level, the entry is a huge leaf. */
const PSE = mask(x86.pageSize);
const G = mask(x86.global);
const NX = mask(x86.noExecute);
/**
 * _PAGE_PROTNONE: a PROT_NONE page keeps its frame but clears P, so every
 * access faults; software tells it from a swap entry by this bit (the same
 * position as G, which only means something when P is set).
 */
const PROTNONE = G;

/** The frame field of a 4 KiB entry (physical-address bits 12..51), from the descriptor. */
const PFN_SHIFT = BigInt(x86_64.frame.shift);
const PFN_MASK = ((1n << BigInt(x86_64.frame.width)) - 1n) << PFN_SHIFT;

// Swap entries, named as arch/x86/include/asm/pgtable_64.h names them. On
// x86-64 the type sits in bits 63:59 and the offset, inverted (an L1TF
// mitigation: a stray speculative load of an inverted offset points at no
// real memory), in bits 58:9; bit 0 (P) and bit 8 (PROTNONE) stay clear.
// 32-bit paging (pgtable-2level.h) keeps the type in bits 5:1 and the
// offset from bit 9.
const SWP_TYPE_BITS = 5n;
/** _PAGE_BIT_PROTNONE + 1: the offset starts above the bits that must stay clear. */
const SWP_OFFSET_FIRST_BIT = 9n;
/** __swp_type() on x86-64: `val >> (64 - SWP_TYPE_BITS)`, bits 63:59. */
const SWP_TYPE_SHIFT_64 = 64n - SWP_TYPE_BITS;
const OFFSET_MASK_64 = (1n << (SWP_TYPE_SHIFT_64 - SWP_OFFSET_FIRST_BIT)) - 1n;
const SWP_TYPE_FIRST_BIT_32 = 1n;
const SWP_TYPE_MASK_32 = (1n << SWP_TYPE_BITS) - 1n;

function x86Pte(hasNx: boolean, wide: boolean): PteOps {
  const make = (pfn: number, prot: LeafProt): bigint => {
    let pte = (BigInt(pfn) << PFN_SHIFT) | P;
    if (prot.writable) pte |= RW;
    if (prot.user) pte |= US;
    if (prot.global) pte |= G;
    if (prot.dirty) pte |= D;
    if (prot.accessed) pte |= A;
    if (!prot.exec && hasNx) pte |= NX;
    return pte;
  };
  return {
    none: (pte) => pte === 0n,
    valid: (pte) => (pte & P) !== 0n,
    mapsFrame: (pte) => (pte & (P | PROTNONE)) !== 0n,
    pfn: (pte) => Number((pte & PFN_MASK) >> PFN_SHIFT),
    leafAbove: (pte) => (pte & PSE) !== 0n,
    write: (pte) => (pte & RW) !== 0n,
    dirty: (pte) => (pte & D) !== 0n,
    young: (pte) => (pte & A) !== 0n,
    user: (pte) => (pte & US) !== 0n,
    exec: (pte) => (pte & NX) === 0n,
    make,
    makeHuge: (pfn, prot) => make(pfn, prot) | PSE,
    // _PAGE_TABLE (user) or _KERNPG_TABLE (kernel).
    makeTable: (pfn, user) => (BigInt(pfn) << PFN_SHIFT) | P | RW | A | (user ? US : 0n),
    wrprotect: (pte) => pte & ~RW,
    mkwrite: (pte) => pte | RW,
    mkdirty: (pte) => pte | D,
    mkclean: (pte) => pte & ~D,
    mkold: (pte) => pte & ~A,
    mkyoung: (pte) => pte | A,
    modify: (pte: bigint, rights: VmaRights) => {
      const none = !rights.read && !rights.write && !rights.exec;
      let next = none ? (pte & ~P) | PROTNONE : (pte & ~PROTNONE) | P;
      if (!rights.write) next &= ~RW;
      if (hasNx) next = rights.exec ? next & ~NX : next | NX;
      return next;
    },
    swapEntry: wide
      ? (type, offset) =>
          ((~BigInt(offset) & OFFSET_MASK_64) << SWP_OFFSET_FIRST_BIT) | (BigInt(type) << SWP_TYPE_SHIFT_64)
      : (type, offset) => (BigInt(type) << SWP_TYPE_FIRST_BIT_32) | (BigInt(offset) << SWP_OFFSET_FIRST_BIT),
    swapType: wide
      ? (pte) => Number(pte >> SWP_TYPE_SHIFT_64)
      : (pte) => Number((pte >> SWP_TYPE_FIRST_BIT_32) & SWP_TYPE_MASK_32),
    swapOffset: wide
      ? (pte) => Number(~(pte >> SWP_OFFSET_FIRST_BIT) & OFFSET_MASK_64)
      : (pte) => Number(pte >> SWP_OFFSET_FIRST_BIT),
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
  return {
    name: layout.arch,
    terms: { userRoot: 'CR3', userAccessWindow: 'stac/clac', syndrome: 'error code' },
    format,
    layout,
    pte: x86Pte(hasNx, wide),
    hasNx,
    // The x86 MMU always sets A and D itself (SDM Vol. 3A §4.8).
    accessFlags: { default: 'hardware', selectable: false },
    // 32-bit x86 has no PCIDs: every CR3 write flushes the non-global entries.
    hasAsids: wide,
    kernelHalfInUserRoot: true,
    decodeFault(fault) {
      const r = fault.report;
      if (r.arch !== 'x86') throw new TypeError(`an x86 kernel got a ${r.arch} fault report`);
      return {
        // #GP on a non-canonical address (or #MC): not a page fault at all.
        otherException: r.vector === 14 ? null : r.mnemonic,
        errorCode: r.errorCode,
        present: r.present,
        write: r.write,
        // I/D is reported only when NX or SMEP is on; the access itself says it too.
        exec: r.instructionFetch || fault.access === 'execute',
        user: r.user,
        reservedBit: r.reservedBit,
      };
    },
    bootControl: (kernelRoot) => ({ root: kernelRoot, noExecuteEnabled: hasNx }),
    loadUserRoot(cpu, root, asid, tagged) {
      // With PCIDs the old entries stay, tagged; without, a CR3 write drops
      // every non-global entry.
      cpu.mmu.switchAddressSpace(root, { asid, flush: tagged ? 'none' : 'non-global' });
    },
    openUserAccess: (cpu) => cpu.mmu.userAccessBegin(),
    closeUserAccess: (cpu) => cpu.mmu.userAccessEnd(),
    userAccessWindowOpen: (cpu) => cpu.mmu.control.alignmentCheck,
    userAccessAllowed: (cpu) => !cpu.mmu.control.smap || cpu.mmu.control.alignmentCheck,
    oopsLines: (f) => x86OopsLines(wide ? 64 : 32, f),
    userAccessViolation: 'SMAP violation: kernel accessed user memory without stac',
  };
}

export const x86_64Architecture = x86Architecture(x86_64, layouts['x86-64'], true);
export const x86_32Architecture = x86Architecture(x86_32, layouts['x86-32'], false);
