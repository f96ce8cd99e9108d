/**
 * The CPU state that paging consults: the root of the page tables, the
 * address-space tag, and the control bits that change what an access may do.
 * One record serves every architecture; each reads only its own fields.
 *
 *   x86:    CR3 (root) + PCID (asid), CR0.WP, EFER.NXE, CR4.SMEP/SMAP/PKE/PSE,
 *           EFLAGS.AC (set by stac, cleared by clac), PKRU
 *   RISC-V: satp.PPN (root) + satp.ASID, sstatus.SUM/MXR, Svadu vs Svade
 *   ARM64:  TTBR0_EL1 (root) / TTBR1_EL1 (rootHigh) + ASID, PSTATE.PAN,
 *           TCR_EL1.HA/HD (hardware Access flag and dirty state)
 */

export interface ControlState {
  /** Physical address of the root table (CR3, satp.PPN × 4096, TTBR0_EL1). */
  root: number;
  /** ARM64 only: TTBR1_EL1, the table for the upper (kernel) half. */
  rootHigh: number;
  /** PCID / ASID tagging TLB entries of this address space. */
  asid: number;
  /** CR0.WP: supervisor writes honour read-only pages. Linux sets it. */
  writeProtect: boolean;
  /** EFER.NXE: the XD bit is honoured (else it is reserved). */
  noExecuteEnabled: boolean;
  /** CR4.SMEP: the kernel may not execute user pages. */
  smep: boolean;
  /** CR4.SMAP: the kernel may not read or write user pages unless EFLAGS.AC is set. */
  smap: boolean;
  /** EFLAGS.AC, toggled by stac/clac around user accesses. */
  alignmentCheck: boolean;
  /** CR4.PKE: protection keys for user pages. */
  protectionKeys: boolean;
  /** PKRU: two bits per key, AD (bit 2k) and WD (bit 2k+1). */
  pkru: number;
  /** CR4.PSE: 4 MiB pages on 32-bit paging. */
  pse: boolean;
  /** PSTATE.PAN: privileged data accesses to EL0-accessible pages fault. */
  pan: boolean;
  /** sstatus.SUM: S-mode loads and stores may touch U pages. */
  sum: boolean;
  /** sstatus.MXR: loads may read execute-only pages. */
  mxr: boolean;
  /**
   * Whether the MMU sets accessed flags itself (x86 always; RISC-V Svadu;
   * ARM64 TCR_EL1.HA) or faults so that software sets them (Svade; HA = 0).
   */
  hardwareAccessed: boolean;
  /** Dirty state kept by hardware (x86 always; RISC-V Svadu; ARM64 TCR_EL1.HD with DBM). */
  hardwareDirty: boolean;
}

/** What Linux configures on a modern machine. */
export function defaultControlState(): ControlState {
  return {
    root: 0,
    rootHigh: 0,
    asid: 0,
    writeProtect: true,
    noExecuteEnabled: true,
    smep: true,
    smap: true,
    alignmentCheck: false,
    protectionKeys: false,
    pkru: 0,
    pse: true,
    pan: true,
    sum: false,
    mxr: false,
    hardwareAccessed: true,
    hardwareDirty: true,
  };
}

/** Packs the flags that shape the permission table into one small integer. */
export function permissionKey(s: ControlState): number {
  return (
    (s.writeProtect ? 1 : 0) |
    (s.noExecuteEnabled ? 2 : 0) |
    (s.smep ? 4 : 0) |
    (s.smap ? 8 : 0) |
    (s.alignmentCheck ? 16 : 0) |
    (s.protectionKeys ? 32 : 0) |
    (s.pan ? 64 : 0) |
    (s.sum ? 128 : 0) |
    (s.mxr ? 256 : 0)
  );
}
