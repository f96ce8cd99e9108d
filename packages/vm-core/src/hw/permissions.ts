/**
 * Access rights, normalised. A walk condenses whatever an architecture keeps
 * in its entries (x86 R/W, U/S, XD ANDed down the levels; RISC-V R/W/X/U in
 * the leaf; ARM64 AP/UXN/PXN plus APTable/XNTable limits) into a few `Perm`
 * bits. Whether an access is allowed is then one lookup in a table indexed by
 * (privilege, access, perm bits) and built for the current control state —
 * which is how the TLB-hit path checks rights with a single array read.
 */
import { Access, accessSlot, Privilege } from './access.ts';
import { type ControlState, permissionKey } from './control.ts';
import { type Family, modelsPrivilege, type PagingFormat } from './paging-format.ts';

export const Perm = {
  /** Readable (every valid x86/ARM page; RISC-V R). */
  Read: 1,
  /** Writable by whoever may access it (ANDed across levels on x86). */
  Write: 2,
  /** Executable in user mode (x86 no XD; RISC-V X; ARM !UXN). */
  UserExec: 4,
  /** Executable in supervisor mode (x86 no XD; RISC-V X; ARM !PXN and not EL0-writable). */
  SupervisorExec: 8,
  /** A user page (x86 U/S = 1 at every level; RISC-V U; ARM AP[1] and no APTable[0]). */
  User: 16,
  /** Already dirty: a write through a TLB entry without it must walk to set D. */
  Dirty: 32,
} as const;

/** Protection key (x86 PKU) sits above the flag bits. */
export const PERM_KEY_SHIFT = 6;
export const PERM_SPACE = 1 << (PERM_KEY_SHIFT + 4);

/** One row per (privilege, access) slot; 1 = allowed. */
export type PermissionTable = Uint8Array;

const tables = new Map<string, PermissionTable>();

/**
 * The permission table for a format (or a family's formats with every flag
 * modelled) under a control state. A format without a user/supervisor flag
 * gets a table in which privilege does not matter: user accesses see every
 * page as a user page, supervisor accesses as a supervisor page.
 */
export function permissionTableFor(format: Family | PagingFormat, state: ControlState): PermissionTable {
  const family = typeof format === 'string' ? format : format.family;
  const privileges = typeof format === 'string' || modelsPrivilege(format);
  const pkru = state.protectionKeys ? state.pkru >>> 0 : 0;
  const key = `${family}:${privileges ? 1 : 0}:${permissionKey(state)}:${pkru}`;
  let table = tables.get(key);
  if (table === undefined) {
    table = buildPermissionTable(family, privileges, state);
    // Control states are few (stac/clac, PAN on/off, a handful of PKRU values):
    // the cache stays small. Guard it anyway against a hostile PKRU sweep.
    if (tables.size > 4096) tables.clear();
    tables.set(key, table);
  }
  return table;
}

function buildPermissionTable(family: Family, privileges: boolean, state: ControlState): PermissionTable {
  const table = new Uint8Array(6 * PERM_SPACE);
  for (const privilege of [Privilege.User, Privilege.Supervisor]) {
    for (const access of [Access.Read, Access.Write, Access.Execute]) {
      const row = accessSlot(access, privilege) * PERM_SPACE;
      for (let entry = 0; entry < PERM_SPACE; entry++) {
        const perm = privileges ? entry : asSeenBy(entry, privilege);
        const allowed =
          rightsAllow(family, state, perm, access, privilege) &&
          !(family === 'x86' && protectionKeyDenies(state, perm, access, privilege)) &&
          (access !== Access.Write || (perm & Perm.Dirty) !== 0);
        table[row + entry] = allowed ? 1 : 0;
      }
    }
  }
  return table;
}

/**
 * Rights of a page in a format with no user/supervisor flag, as `privilege`
 * sees them: a user page to user accesses, a supervisor page to the kernel.
 */
export function asSeenBy(perm: number, privilege: Privilege): number {
  return privilege === Privilege.User ? perm | Perm.User : perm & ~Perm.User;
}

/** The architecture's access-rights rules, protection keys aside. */
export function rightsAllow(
  family: Family,
  s: ControlState,
  perm: number,
  access: Access,
  privilege: Privilege,
): boolean {
  const read = (perm & Perm.Read) !== 0;
  const write = (perm & Perm.Write) !== 0;
  const user = (perm & Perm.User) !== 0;
  const userExec = (perm & Perm.UserExec) !== 0;
  const supExec = (perm & Perm.SupervisorExec) !== 0;

  if (privilege === Privilege.User) {
    switch (access) {
      case Access.Read:
        // RISC-V MXR: loads may also read pages that are only executable.
        return user && (read || (family === 'riscv' && s.mxr && userExec));
      case Access.Write:
        return user && write;
      case Access.Execute:
        // ARM64: EL0 execution is governed by UXN alone (execute-only user
        // pages exist); x86 and RISC-V also need a user page.
        return family === 'arm64' ? userExec : user && userExec;
    }
  }

  // Supervisor accesses.
  switch (family) {
    case 'x86': {
      // Intel SDM Vol. 3A §4.6.1: SMAP blocks data accesses to user pages
      // unless EFLAGS.AC = 1; CR0.WP = 0 lets the kernel write read-only pages;
      // SMEP blocks fetches from user pages.
      const smapBlocks = user && s.smap && !s.alignmentCheck;
      switch (access) {
        case Access.Read:
          return !smapBlocks;
        case Access.Write:
          return (write || !s.writeProtect) && !smapBlocks;
        case Access.Execute:
          return supExec && !(user && s.smep);
      }
      break;
    }
    case 'riscv': {
      // Privileged Spec §4.3.1/§4.1.1: S-mode may load/store U pages only with
      // SUM = 1, and never executes them.
      const sumBlocks = user && !s.sum;
      switch (access) {
        case Access.Read:
          return (read || (s.mxr && supExec)) && !sumBlocks;
        case Access.Write:
          return write && !sumBlocks;
        case Access.Execute:
          return supExec && !user;
      }
      break;
    }
    case 'arm64': {
      // ARM ARM D8.4 (PAN): with PSTATE.PAN = 1 a privileged data access to a
      // page accessible from EL0 faults. Fetches are governed by PXN.
      const panBlocks = user && s.pan;
      switch (access) {
        case Access.Read:
          return !panBlocks;
        case Access.Write:
          return write && !panBlocks;
        case Access.Execute:
          return supExec;
      }
      break;
    }
  }
  return false;
}

/**
 * Intel SDM Vol. 3A §4.6.2: with CR4.PKE, data accesses to *user* pages are
 * checked against PKRU[2k] (AD: no access) and PKRU[2k+1] (WD: no write; for
 * supervisor writes only when CR0.WP = 1). Fetches are never checked.
 */
export function protectionKeyDenies(
  s: ControlState,
  perm: number,
  access: Access,
  privilege: Privilege,
): boolean {
  if (!s.protectionKeys || access === Access.Execute || (perm & Perm.User) === 0) return false;
  const pkey = perm >>> PERM_KEY_SHIFT;
  const accessDisable = (s.pkru >>> (2 * pkey)) & 1;
  const writeDisable = (s.pkru >>> (2 * pkey + 1)) & 1;
  if (accessDisable) return true;
  return access === Access.Write && writeDisable === 1 && (privilege === Privilege.User || s.writeProtect);
}
