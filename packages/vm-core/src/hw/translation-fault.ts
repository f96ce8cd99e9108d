/**
 * A walk that stopped, as the CPU raises it: the fault kind and level the
 * walker found, with the access and the privilege it is charged to, become a
 * `PageFault` carrying the architecture's own report (fault.ts builds it).
 *
 * The privilege is the one the access ran at, with one exception: ARM64's
 * unprivileged loads and stores (LDTR/STTR, used by Linux's uaccess routines
 * since 5.11) are checked with EL0's permissions but executed at EL1, so
 * their abort is taken from EL1 — EC 0x25, "DABT (current EL)" (ARM ARM,
 * the LDTR/STTR descriptions, for PSTATE.UAO = 0) — and the fault says it
 * was unprivileged.
 */
import { Access, Privilege } from './access.ts';
import type { ControlState } from './control.ts';
import { type FaultFacts, FaultKind, makeFault, type PageFault } from './fault.ts';
import type { PagingFormat } from './paging-format.ts';
import type { WalkResult } from './walk.ts';

/**
 * The fault a failed walk describes. `privilege` is the one the access was
 * checked with; `unprivileged`: it was an LDTR/STTR (checked as EL0, taken at EL1).
 */
export function faultFromWalk(
  format: PagingFormat,
  state: ControlState,
  w: WalkResult,
  va: number,
  access: Access,
  privilege: Privilege,
  unprivileged: boolean,
): PageFault {
  const f = facts;
  f.kind = w.faultKind;
  f.va = va;
  f.access = access;
  f.privilege = unprivileged ? Privilege.Supervisor : privilege;
  f.level = w.faultLevel;
  f.protectionKey = w.protectionKey;
  f.unprivileged = unprivileged;
  return makeFault(format, state, f);
}

/** The facts handed to makeFault, which reads them and keeps none: one record serves every fault. */
const facts: { -readonly [K in keyof Omit<FaultFacts, 'exactVa'>]-?: FaultFacts[K] } = {
  kind: FaultKind.NotPresent,
  va: 0,
  access: Access.Read,
  privilege: Privilege.Supervisor,
  level: -1,
  protectionKey: false,
  unprivileged: false,
};

/**
 * Addresses are safe integers; anything else (NaN, 1.5, 2^60) is a caller's
 * bug, not an address the MMU could fault on. Checked on the slow path only:
 * such a value can never match a TLB tag, so it always gets there.
 */
export function assertAddress(va: number): void {
  if (!Number.isSafeInteger(va)) {
    throw new RangeError(
      `virtual address ${va} is not an integer address (use toAddress() for 64-bit values)`,
    );
  }
}
