/**
 * Faults are data. A failed translation yields a `PageFault` that carries
 * everything a handler needs — the address, what was attempted and by whom,
 * how far the walk got — plus the architecture's own report, exactly as its
 * fault handler would read it:
 *
 *   x86     #PF vector 14, error code in the pushed word, address in CR2
 *           (Intel SDM Vol. 3A §4.7); a non-canonical address is #GP(0), not #PF
 *   RISC-V  scause 12/13/15 (instruction/load/store page fault), stval = address
 *           (Privileged Spec §4.1.9, Table 4.2)
 *   ARM64   ESR_EL1 with EC 0x20/0x21 (instruction abort) or 0x24/0x25 (data
 *           abort), WnR and the fault status code; FAR_EL1 = address
 *           (ARM ARM D17.2.37 ESR_ELx)
 */
import {
  Access,
  type AccessName,
  accessName,
  Privilege,
  type PrivilegeName,
  privilegeName,
} from './access.ts';
import { formatAddress } from './address.ts';
import { isModelled } from './entry-bits.ts';
import type { PagingFormat } from './paging-format.ts';

export const FaultKind = {
  /** The address lies outside the implemented (canonical) range. */
  NonCanonical: 0,
  /** An entry on the walk is not present / not valid. */
  NotPresent: 1,
  /** An entry sets a reserved bit or uses a reserved encoding. */
  ReservedBit: 2,
  /** The translation exists but its rights forbid the access. */
  Protection: 3,
  /** Accessed (or, for a store, dirty) state is clear and hardware does not set it. */
  AccessFlag: 4,
  /** The walk or the page points at physical memory that is not installed. */
  BusError: 5,
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export type FaultKindName =
  | 'non-canonical'
  | 'not-present'
  | 'reserved-bit'
  | 'protection'
  | 'access-flag'
  | 'bus-error';

const kindNames: readonly FaultKindName[] = [
  'non-canonical',
  'not-present',
  'reserved-bit',
  'protection',
  'access-flag',
  'bus-error',
];

export interface X86FaultReport {
  readonly arch: 'x86';
  /** 14 for #PF, 13 for #GP, 18 for #MC. */
  readonly vector: 13 | 14 | 18;
  readonly mnemonic: '#PF' | '#GP' | '#MC';
  readonly errorCode: number;
  readonly present: boolean;
  readonly write: boolean;
  readonly user: boolean;
  readonly reservedBit: boolean;
  readonly instructionFetch: boolean;
  readonly protectionKey: boolean;
  /** CR2 holds the faulting linear address for #PF only. */
  readonly cr2: string | null;
}

export interface RiscvFaultReport {
  readonly arch: 'riscv';
  readonly scause: 1 | 5 | 7 | 12 | 13 | 15;
  readonly causeName: string;
  readonly stval: string;
}

export interface Arm64FaultReport {
  readonly arch: 'arm64';
  readonly esr: number;
  /** Exception class: 0x20/0x21 instruction abort, 0x24/0x25 data abort (lower/same EL). */
  readonly ec: number;
  /** Write not Read (data aborts only). */
  readonly wnr: boolean;
  /** Fault status code (DFSC/IFSC). */
  readonly fsc: number;
  readonly fscName: string;
  readonly far: string;
}

export type ArchFaultReport = X86FaultReport | RiscvFaultReport | Arm64FaultReport;

export interface PageFault {
  readonly kind: FaultKindName;
  /**
   * The faulting virtual address (signed for 64-bit formats). An address no
   * number holds (non-canonical, beyond ±2^53: Mmu.translateWide) saturates
   * to ±MAX_SAFE_INTEGER here; `address` is always exact.
   */
  readonly va: number;
  /** The faulting address in hex, exact (what CR2, FAR_EL1 or stval reports, where the architecture reports one). */
  readonly address: string;
  readonly access: AccessName;
  readonly privilege: PrivilegeName;
  /** Depth of the entry that decided the fault (0 = root), or -1 when no entry was read. */
  readonly level: number;
  readonly levelName: string | null;
  readonly report: ArchFaultReport;
  /** One line for people: the report decoded. */
  readonly message: string;
  /**
   * ARM64 LDTR/STTR: the access ran at EL1 (`privilege` is 'supervisor')
   * but was checked with EL0's permissions. Absent for every other access.
   */
  readonly unprivileged?: true;
}

export function isPageFault(value: unknown): value is PageFault {
  return typeof value === 'object' && value !== null && 'report' in value && 'kind' in value;
}

export interface FaultFacts {
  readonly kind: FaultKind;
  readonly va: number;
  /** The exact address when `va` could not hold it (a non-canonical bigint, Mmu.translateWide). */
  readonly exactVa?: bigint;
  readonly access: Access;
  readonly privilege: Privilege;
  readonly level: number;
  /** x86 PKU: the protection key forbade the access. */
  readonly protectionKey: boolean;
  /** ARM64 LDTR/STTR at EL1: checked as EL0, so `privilege` (Supervisor) is only where the abort is taken. */
  readonly unprivileged?: boolean;
}

export function makeFault(
  format: PagingFormat,
  state: { noExecuteEnabled: boolean; smep: boolean },
  f: FaultFacts,
): PageFault {
  const addressBits = format.addressing === 'unsigned' ? 32 : 64;
  const address =
    f.exactVa === undefined
      ? formatAddress(f.va, addressBits)
      : `0x${BigInt.asUintN(64, f.exactVa)
          .toString(16)
          .padStart(addressBits / 4, '0')}`;
  let report: ArchFaultReport;
  switch (format.family) {
    case 'x86':
      report = x86Report(format, state, f, address);
      break;
    case 'riscv':
      report = riscvReport(f, address);
      break;
    case 'arm64':
      report = arm64Report(f, address);
      break;
  }
  const levelName = f.level >= 0 ? (format.levels[f.level]?.name ?? null) : null;
  return new Fault(kindNames[f.kind]!, f, address, levelName, report);
}

/**
 * A `PageFault` whose message is put together only when someone reads it
 * (most faults are handled and forgotten unread). The message is still an
 * own, enumerable property, so Object.keys, spreading, JSON and structured
 * cloning see every field a plain object would, in the same order.
 */
class Fault implements PageFault {
  readonly kind: FaultKindName;
  readonly va: number;
  readonly address: string;
  readonly access: AccessName;
  readonly privilege: PrivilegeName;
  readonly level: number;
  readonly levelName: string | null;
  readonly report: ArchFaultReport;
  declare readonly message: string;
  declare readonly unprivileged?: true;
  #message: string | null = null;

  static readonly #lazyMessage: PropertyDescriptor = {
    get(this: Fault): string {
      this.#message ??= describe(this);
      return this.#message;
    },
    enumerable: true,
    configurable: true,
  };

  constructor(
    kind: FaultKindName,
    f: FaultFacts,
    address: string,
    levelName: string | null,
    report: ArchFaultReport,
  ) {
    this.kind = kind;
    this.va = f.va;
    this.address = address;
    this.access = accessName(f.access);
    this.privilege = privilegeName(f.privilege);
    this.level = f.level;
    this.levelName = levelName;
    this.report = report;
    Object.defineProperty(this, 'message', Fault.#lazyMessage);
    if (f.unprivileged === true) (this as { unprivileged?: true }).unprivileged = true;
  }
}

// Intel SDM Vol. 3A Figure 4-12: page-fault error code.
export const X86ErrorCode = {
  Present: 1 << 0,
  Write: 1 << 1,
  User: 1 << 2,
  ReservedBit: 1 << 3,
  InstructionFetch: 1 << 4,
  ProtectionKey: 1 << 5,
} as const;

function x86Report(
  format: PagingFormat,
  state: { noExecuteEnabled: boolean; smep: boolean },
  f: FaultFacts,
  address: string,
): X86FaultReport {
  if (f.kind === FaultKind.NonCanonical) {
    // SDM Vol. 1 §3.3.7.1: a non-canonical reference raises #GP(0) (#SS for
    // stack references); CR2 is not written.
    return flagsReport(13, '#GP', 0, null);
  }
  if (f.kind === FaultKind.BusError) {
    return flagsReport(18, '#MC', 0, null);
  }
  let code = 0;
  // P = 0 only when the walk met a non-present entry; a reserved bit or a
  // rights violation both mean "there was a valid-looking entry" (P = 1).
  if (f.kind !== FaultKind.NotPresent) code |= X86ErrorCode.Present;
  if (f.access === Access.Write) code |= X86ErrorCode.Write;
  if (f.privilege === Privilege.User) code |= X86ErrorCode.User;
  if (f.kind === FaultKind.ReservedBit) code |= X86ErrorCode.ReservedBit;
  // I/D is reported only when it can matter: NX is honoured or SMEP is on
  // (SDM Vol. 3A §4.7, I/D flag).
  const hasNx = format.family === 'x86' && isModelled(format.bits.noExecute);
  if (f.access === Access.Execute && (state.smep || (hasNx && state.noExecuteEnabled))) {
    code |= X86ErrorCode.InstructionFetch;
  }
  if (f.protectionKey) code |= X86ErrorCode.ProtectionKey;
  return flagsReport(14, '#PF', code, address);
}

function flagsReport(
  vector: 13 | 14 | 18,
  mnemonic: '#PF' | '#GP' | '#MC',
  code: number,
  cr2: string | null,
): X86FaultReport {
  return {
    arch: 'x86',
    vector,
    mnemonic,
    errorCode: code,
    present: (code & X86ErrorCode.Present) !== 0,
    write: (code & X86ErrorCode.Write) !== 0,
    user: (code & X86ErrorCode.User) !== 0,
    reservedBit: (code & X86ErrorCode.ReservedBit) !== 0,
    instructionFetch: (code & X86ErrorCode.InstructionFetch) !== 0,
    protectionKey: (code & X86ErrorCode.ProtectionKey) !== 0,
    cr2,
  };
}

const riscvCauseNames: Record<RiscvFaultReport['scause'], string> = {
  1: 'instruction access fault',
  5: 'load access fault',
  7: 'store/AMO access fault',
  12: 'instruction page fault',
  13: 'load page fault',
  15: 'store/AMO page fault',
};

/** The one place an access kind becomes a RISC-V exception cause. */
function riscvCause(access: Access, busError: boolean): RiscvFaultReport['scause'] {
  switch (access) {
    case Access.Execute:
      return busError ? 1 : 12;
    case Access.Read:
      return busError ? 5 : 13;
    case Access.Write:
      return busError ? 7 : 15;
  }
}

function riscvReport(f: FaultFacts, address: string): RiscvFaultReport {
  // Privileged Spec §4.4.1: a non-canonical Sv39 address is a page fault.
  const scause = riscvCause(f.access, f.kind === FaultKind.BusError);
  return { arch: 'riscv', scause, causeName: riscvCauseNames[scause], stval: address };
}

function arm64Report(f: FaultFacts, address: string): Arm64FaultReport {
  const fetch = f.access === Access.Execute;
  const lowerEl = f.privilege === Privilege.User;
  const ec = fetch ? (lowerEl ? 0x20 : 0x21) : lowerEl ? 0x24 : 0x25;
  const level = Math.max(0, f.level);
  let fsc: number;
  let fscName: string;
  switch (f.kind) {
    case FaultKind.NonCanonical:
    case FaultKind.NotPresent:
    case FaultKind.ReservedBit:
      // An address outside both TTBR ranges, an invalid descriptor and a
      // reserved descriptor encoding are all translation faults.
      fsc = 0b000100 | level;
      fscName = `translation fault, level ${level}`;
      break;
    case FaultKind.AccessFlag:
      fsc = 0b001000 | level;
      fscName = `access flag fault, level ${level}`;
      break;
    case FaultKind.Protection:
      fsc = 0b001100 | level;
      fscName = `permission fault, level ${level}`;
      break;
    case FaultKind.BusError:
      fsc = f.level >= 0 ? 0b010100 | level : 0b010000;
      fscName =
        f.level >= 0
          ? `synchronous external abort on translation table walk, level ${level}`
          : 'synchronous external abort';
      break;
  }
  const wnr = !fetch && f.access === Access.Write;
  const il = 1 << 25;
  const esr = (ec * 2 ** 26 + il + (wnr ? 1 << 6 : 0) + fsc) >>> 0;
  return { arch: 'arm64', esr, ec, wnr, fsc, fscName, far: address };
}

const kindWords: Record<FaultKindName, string> = {
  'non-canonical': 'non-canonical address',
  'not-present': 'page not present',
  'reserved-bit': 'reserved bit set in a paging entry',
  protection: 'protection violation',
  'access-flag': 'accessed/dirty flag must be set by software',
  'bus-error': 'physical address not backed by memory',
};

/** The one line a fault's `message` holds: its report decoded. */
function describe(fault: PageFault): string {
  const { report, kind, address, levelName } = fault;
  const who = `${fault.privilege}${fault.unprivileged === true ? ' unprivileged' : ''} ${fault.access}`;
  const where = levelName === null ? '' : ` (decided at ${levelName})`;
  switch (report.arch) {
    case 'x86': {
      if (report.vector !== 14) return `${report.mnemonic}: ${who} of ${address}: ${kindWords[kind]}`;
      const bits = `P=${+report.present} W=${+report.write} U=${+report.user} RSVD=${+report.reservedBit} I/D=${+report.instructionFetch} PK=${+report.protectionKey}`;
      return `#PF error code 0x${report.errorCode.toString(16)} (${bits}) at ${address}: ${who}, ${kindWords[kind]}${where}`;
    }
    case 'riscv':
      return `scause=${report.scause} (${report.causeName}) stval=${address}: ${who}, ${kindWords[kind]}${where}`;
    case 'arm64':
      return `ESR_EL1=0x${report.esr.toString(16)} (EC=0x${report.ec.toString(16)}, WnR=${+report.wnr}, ${report.fscName}) FAR_EL1=${address}: ${who}`;
  }
}
