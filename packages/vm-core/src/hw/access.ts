/**
 * What an access wants and who makes it. Small integers, not strings, because
 * they index the permission tables on the TLB-hit path; the `*Name` helpers give
 * the words a learner reads.
 */

export const Access = { Read: 0, Write: 1, Execute: 2 } as const;
export type Access = (typeof Access)[keyof typeof Access];

/** User = CPL 3 / U-mode / EL0; Supervisor = CPL 0 / S-mode / EL1. */
export const Privilege = { User: 0, Supervisor: 1 } as const;
export type Privilege = (typeof Privilege)[keyof typeof Privilege];

export type AccessName = 'read' | 'write' | 'execute';
export type PrivilegeName = 'user' | 'supervisor';

const accessNames: readonly AccessName[] = ['read', 'write', 'execute'];
const privilegeNames: readonly PrivilegeName[] = ['user', 'supervisor'];

export function accessName(access: Access): AccessName {
  return accessNames[access]!;
}

export function privilegeName(privilege: Privilege): PrivilegeName {
  return privilegeNames[privilege]!;
}

export function parseAccess(name: AccessName): Access {
  return accessNames.indexOf(name) as Access;
}

export function parsePrivilege(name: PrivilegeName): Privilege {
  return privilegeNames.indexOf(name) as Privilege;
}

/** Row of the permission table for this (privilege, access) pair: 0..5. */
export function accessSlot(access: Access, privilege: Privilege): number {
  return privilege * 3 + access;
}
