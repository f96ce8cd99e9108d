/**
 * ARM64, 4K granule, 48-bit VA, as Linux 6.1 drives it (and 5.10 where the
 * user-access story differs):
 *
 *   pte      arm64-pte.ts (arch/arm64/include/asm/pgtable.h and friends)
 *   faults   ESR_EL1 and FAR_EL1, read as arch/arm64/mm/fault.c reads them
 *   roots    TTBR0_EL1 for user space, TTBR1_EL1 = swapper_pg_dir for the
 *            kernel half (Documentation/arm64/memory.rst): an mm's pgd holds
 *            user entries only, and with no user mm loaded TTBR0 points at
 *            reserved_pg_dir, the empty table placed just below swapper_pg_dir
 *   asids    always (context.c); ASID 0 is reserved, never an mm's
 *   uaccess  three ways, by CPU and version (asm/uaccess.h, lib/copy_*_user.S):
 *            before 5.11 on a CPU with PAN and no UAO, uaccess_enable_not_uao()
 *            clears PSTATE.PAN around each copy, which uses plain LDR/STR;
 *            since 5.11 (or before, on a CPU with UAO) the copies use the
 *            unprivileged LDTR/STTR, checked as EL0, with PAN left set; and a
 *            CPU without PAN emulates it (CONFIG_ARM64_SW_TTBR0_PAN): TTBR0
 *            holds the reserved table and ASID 0 except inside
 *            uaccess_ttbr0_enable()/disable(), and on the way out to EL0
 *   tlb      TLBI VALE1IS / ASIDE1IS are broadcast by the hardware, no IPIs;
 *            ptep_clear_flush_young and ptep_set_access_flags flush
 */
import { formatAddress } from '../../hw/address.ts';
import { arm64 } from '../../hw/formats/arm64.ts';
import { type KernelLayout, layouts } from '../layout.ts';
import { linuxAtLeast } from '../linux-version.ts';
import type { Cpu } from '../types.ts';
import type { ArchConfig, KernelArchitecture, OopsFacts } from './arch.ts';
import { arm64Pte, arm64PteHalves } from './arm64-pte.ts';

const PAGE = 4096;

// ESR_EL1 (arch/arm64/include/asm/esr.h).
const ESR_EC_SHIFT = 26;
const ESR_IL = 1 << 25;
const ESR_ISS_MASK = ESR_IL - 1;
const ESR_WNR = 1 << 6;
const ESR_CM = 1 << 8;
const ESR_FSC = 0x3f;
const ESR_FSC_TYPE = 0x3c;
const FSC_FAULT = 0x04;
const FSC_ACCESS = 0x08;
const FSC_PERM = 0x0c;
const EC_IABT_LOW = 0x20;
const EC_IABT_CUR = 0x21;
const EC_DABT_LOW = 0x24;
const EC_DABT_CUR = 0x25;

const ecName: Record<number, string> = {
  [EC_IABT_LOW]: 'IABT (lower EL)',
  [EC_IABT_CUR]: 'IABT (current EL)',
  [EC_DABT_LOW]: 'DABT (lower EL)',
  [EC_DABT_CUR]: 'DABT (current EL)',
};

/** fault_info[].name in arch/arm64/mm/fault.c, for the codes the walker can raise. */
function fscName(fsc: number): string {
  const level = fsc & 3;
  switch (fsc & ESR_FSC_TYPE) {
    case FSC_FAULT:
      return `level ${level} translation fault`;
    case FSC_ACCESS:
      return level === 0 ? 'unknown 8' : `level ${level} access flag fault`;
    case FSC_PERM:
      return level === 0 ? 'unknown 12' : `level ${level} permission fault`;
    case 0x10:
      return fsc === 0x10 ? 'synchronous external abort' : `unknown ${fsc}`;
    case 0x14:
      return `level ${level} (translation table walk)`;
    default:
      return `unknown ${fsc}`;
  }
}

/**
 * An ESR as a reader wants it: the exception class, WnR for a data abort
 * (CM set: a cache maintenance instruction, which Linux never counts as a
 * write), and the fault status with the level the walk stopped at, in
 * fault_info[]'s words — "DABT (lower EL), WnR 1, level 3 translation fault".
 */
export function describeEsr(esr: number): string {
  const ec = esr >>> ESR_EC_SHIFT;
  const dataAbort = ec === EC_DABT_LOW || ec === EC_DABT_CUR;
  const parts = [ecName[ec] ?? `EC ${hex(ec, 2)}`];
  if (dataAbort) parts.push((esr & ESR_CM) !== 0 ? 'CM 1' : `WnR ${(esr & ESR_WNR) !== 0 ? 1 : 0}`);
  if (dataAbort || ec === EC_IABT_LOW || ec === EC_IABT_CUR) parts.push(fscName(esr & ESR_FSC));
  return parts.join(', ');
}

const hex = (n: number, digits: number) => `0x${(n >>> 0).toString(16).padStart(digits, '0')}`;

const USER_ACCESS_VIOLATION = 'access to user memory outside uaccess routines';

/** How this machine lets the kernel at user memory (see the module comment). */
interface Arm64Config {
  /** PSTATE.PAN (FEAT_PAN) or its emulation by the reserved TTBR0. */
  readonly pan: 'hardware' | 'software';
  /** The uaccess routines' loads and stores: LDTR/STTR, or plain LDR/STR inside the window. */
  readonly unprivileged: boolean;
  /** What opening the window does: clear PAN (before 5.11, no UAO), switch TTBR0 (SW PAN), or nothing. */
  readonly window: 'pan' | 'ttbr0' | 'none';
}

/** reserved_pg_dir sits just below swapper_pg_dir, so TTBR1 - RESERVED_SWAPPER_OFFSET finds it (asm-uaccess.h). */
const reservedRoot = (cpu: Cpu) => cpu.mmu.control.rootHigh - PAGE;

function loadTtbr0(cpu: Cpu, root: number, asid: number): void {
  // TCR_EL1.A1 = 1: the ASID lives in TTBR1, and one write of each switches
  // both; no TLB maintenance, the tag keeps the entries apart.
  cpu.mmu.switchAddressSpace(root, { asid, flush: 'none' });
}

function arm64Architecture(layout: KernelLayout, config: Arm64Config): KernelArchitecture {
  const swPan = config.pan === 'software';
  const ttbr0Reserved = (cpu: Cpu) => cpu.mmu.control.root === reservedRoot(cpu);
  // __uaccess_ttbr0_disable: the reserved table, and the reserved ASID so
  // that no cached user translation can hit either.
  const ttbr0Disable = (cpu: Cpu) => loadTtbr0(cpu, reservedRoot(cpu), 0);
  return {
    name: 'arm64',
    terms: {
      userRoot: 'TTBR0_EL1',
      userAccessWindow:
        config.window === 'pan'
          ? 'PAN = 0 … PAN = 1'
          : config.window === 'ttbr0'
            ? 'uaccess_ttbr0_enable/disable'
            : // user_access_begin() since 5.11: uaccess_ttbr0_enable(), a no-op with hardware PAN.
              'user_access_begin/end, PAN left set',
      syndrome: 'ESR',
    },
    format: arm64,
    layout,
    pte: arm64Pte,
    pteHalves: arm64PteHalves,
    hasNx: true,
    // FEAT_HAFDBS (TCR_EL1.HA/HD, which Linux sets where the CPU has it,
    // CONFIG_ARM64_HW_AFDBM) is optional from ARMv8.1: the server and phone
    // cores Debian 12 runs on mostly have it, so hardware is the default;
    // a CPU old enough to lack PAN (the SW PAN machine, ARMv8.0 such as the
    // Cortex-A72) lacks it too, so there the default is software.
    accessFlags: { default: swPan ? 'software' : 'hardware', selectable: true },
    hasAsids: true,
    kernelHalfInUserRoot: false,
    decodeFault(fault, _loadedLeaf, out) {
      const r = fault.report;
      if (r.arch !== 'arm64') throw new TypeError(`an arm64 kernel got a ${r.arch} fault report`);
      const esr = r.esr;
      const ec = esr >>> ESR_EC_SHIFT;
      const type = esr & ESR_FSC_TYPE;
      const dataAbort = ec === EC_DABT_LOW || ec === EC_DABT_CUR;
      // A synchronous external abort (the walk or the page is not backed
      // by memory) is do_sea's, not the page-fault handler's.
      out.otherException = type === 0x10 || type === 0x14 ? r.fscName : null;
      out.errorCode = esr;
      // do_page_fault's cases: a permission or access-flag fault found a
      // translation; a translation fault did not.
      out.present = type === FSC_PERM || type === FSC_ACCESS;
      // is_write_abort(): WnR, and not a cache-maintenance operation.
      out.write = dataAbort && (esr & ESR_WNR) !== 0 && (esr & ESR_CM) === 0;
      out.exec = ec === EC_IABT_LOW || ec === EC_IABT_CUR;
      out.user = ec === EC_DABT_LOW || ec === EC_IABT_LOW;
      // ARM64 reports a reserved descriptor encoding as a translation fault.
      out.reservedBit = false;
    },
    // do_page_fault()'s vm_flags: an EL0 fetch needs VM_EXEC, a write
    // VM_WRITE, anything else any of VM_READ | VM_WRITE | VM_EXEC ("write
    // implies read", and without EPAN "exec implies read").
    accessError(f, vma) {
      if (f.exec && f.user) return !vma.exec;
      if (f.write) return !vma.write;
      return !(vma.read || vma.write || vma.exec);
    },
    // TTBR1 = swapper_pg_dir; TTBR0 = reserved_pg_dir (cpu_set_reserved_ttbr0,
    // as paging_init leaves it), ASID 0.
    bootControl: (kernelRoot) => ({
      root: kernelRoot - PAGE,
      rootHigh: kernelRoot,
      asid: 0,
      pan: !swPan,
    }),
    loadUserRoot(cpu, root, asid, tagged) {
      // __switch_mm(&init_mm): "init_mm.pgd does not contain any user
      // mappings and it is always active for kernel addresses in TTBR1.
      // Just set the reserved TTBR0." (Linux leaves TTBR1's ASID alone; 0
      // here, so that no tag of a freed mm stays loaded.)
      if (root === cpu.mmu.control.rootHigh) {
        loadTtbr0(cpu, reservedRoot(cpu), 0);
        return;
      }
      if (swPan) {
        // check_and_switch_context() defers TTBR0 to uaccess_ttbr0_enable()
        // and the return to EL0. Only an open window (a task switched in
        // the middle of a copy) needs the new table now.
        if (!ttbr0Reserved(cpu)) loadTtbr0(cpu, root, asid);
        return;
      }
      // cpu_do_switch_mm(): TTBR0 and the ASID; `tagged` false (pcid: false)
      // models a CPU whose tags cannot keep address spaces apart, which
      // Linux arm64 never runs on: the switch drops every non-global entry.
      cpu.mmu.switchAddressSpace(root, { asid, flush: tagged ? 'none' : 'non-global' });
    },
    openUserAccess(cpu, task) {
      switch (config.window) {
        case 'pan':
          cpu.mmu.userAccessBegin();
          return;
        case 'ttbr0': {
          // __uaccess_ttbr0_enable(): the task's saved TTBR0 — a kernel
          // thread's is reserved_pg_dir (enter_lazy_tlb's update_saved_ttbr0).
          const mm = task.mm;
          if (mm === null) ttbr0Disable(cpu);
          else loadTtbr0(cpu, mm.pgdPfn * PAGE, mm.asid);
          return;
        }
        case 'none':
          return;
      }
    },
    closeUserAccess(cpu) {
      if (config.window === 'pan') cpu.mmu.userAccessEnd();
      else if (config.window === 'ttbr0') ttbr0Disable(cpu);
    },
    userAccessWindowOpen: (cpu) => (swPan ? !ttbr0Reserved(cpu) : cpu.mmu.userAccessOpen),
    userAccessAllowed(cpu, fault, uaccessInstruction) {
      // do_page_fault(): a task without an mm goes to no_context before
      // anything asks about user access; and only TTBR0 addresses are user.
      if (cpu.current.mm === null || fault.va < 0) return true;
      // is_el1_permission_fault(): a permission fault, or with SW PAN a
      // translation fault taken while the emulated PAN was set.
      const reserved = swPan && ttbr0Reserved(cpu);
      const permission = fault.kind === 'protection' || (reserved && fault.kind === 'not-present');
      if (!permission) return true;
      // Linux dies unless the instruction is in the exception table. A
      // uaccess instruction that PAN itself stopped (a copy that forgot to
      // open the window) would only fault again for ever there; it oopses
      // here instead, as the lesson wants.
      const panStoppedIt = swPan ? reserved : cpu.mmu.control.pan && fault.unprivileged !== true;
      return uaccessInstruction && !panStoppedIt;
    },
    unprivilegedUaccess: config.unprivileged,
    ...(swPan
      ? {
          // kernel_exit to EL0 restores the task's TTBR0; kernel_entry from
          // EL0 (__swpan_entry_el0) sets the reserved one again.
          enterUserMode(cpu, task) {
            const mm = task.mm;
            if (mm !== null) loadTtbr0(cpu, mm.pgdPfn * PAGE, mm.asid);
          },
          enterKernelMode: ttbr0Disable,
        }
      : {}),
    tlb: {
      clearYoungFlushes: true,
      setDirtyFlushes: true,
      invalidatePage: 'TLBI VALE1IS',
      invalidateTag: 'TLBI ASIDE1IS',
    },
    // 16-bit ASIDs (TCR_EL1.AS where ID_AA64MMFR0_EL1.ASIDBits says so,
    // which context.c's get_cpu_asid_bits prefers); ASID 0 is reserved.
    asidSpace: { name: 'ASID', count: 2 ** 16 },
    oopsLines: (f, reason, cpu) => oopsLines(f, reason, swPan && cpu !== null && ttbr0Reserved(cpu)),
    userAccessViolation: USER_ACCESS_VIOLATION,
    signalFrame: (fault) => {
      const r = fault.report;
      if (r.arch !== 'arm64') throw new TypeError(`an arm64 kernel got a ${r.arch} fault report`);
      const esr = signalFrameEsr(r.esr, fault.va >= 0 && fault.va < layout.userEnd);
      return esr === 0 ? null : { arch: 'arm64', esr };
    },
    // One simulated copy instruction serves both directions; get_user and
    // put_user are inline on arm64, so Linux would name their caller.
    uaccessSymbols: { copyUser: '__arch_copy_from_user', getUser: '__get_user', putUser: '__put_user' },
    configure: (c) => configure(layout, c),
  };
}

function configure(
  layout: KernelLayout,
  c: ArchConfig,
): { kind: 'ok'; arch: KernelArchitecture } | { kind: 'err'; message: string } {
  const pan = c.pan ?? 'hardware';
  if (pan !== 'hardware' && pan !== 'software')
    return { kind: 'err', message: `pan must be 'hardware' or 'software', not ${JSON.stringify(c.pan)}` };
  if (c.uao !== undefined && typeof c.uao !== 'boolean')
    return { kind: 'err', message: `uao must be true or false, not ${JSON.stringify(c.uao)}` };
  // 5.11 removed set_fs(), and with it the kernel's use of UAO: copy_to/
  // from_user, get_user and put_user became LDTR/STTR on every CPU.
  const since511 = linuxAtLeast(c.linux, '5.11');
  if (c.uao === true && since511) {
    return {
      kind: 'err',
      message: `uao: true changes nothing in Linux ${c.linux}: since 5.11 every CPU copies with LDTR/STTR (set_fs() and the kernel's use of UAO are gone); give linux: '5.10' to see a UAO CPU`,
    };
  }
  if (c.uao === true && pan === 'software') {
    return {
      kind: 'err',
      message: 'a CPU without PAN (pan: software, ARMv8.0) has no UAO either (ARMv8.2)',
    };
  }
  if (pan === 'software' && !c.tagged) {
    return {
      kind: 'err',
      message:
        'SW PAN needs ASIDs: uaccess_ttbr0_disable() switches to the reserved ASID so that no cached user translation stays reachable; use pcid: true (the default on arm64)',
    };
  }
  const unprivileged = since511 || c.uao === true;
  const window = pan === 'software' ? 'ttbr0' : unprivileged ? 'none' : 'pan';
  return { kind: 'ok', arch: arm64Architecture(layout, { pan, unprivileged, window }) };
}

/**
 * die_kernel_fault() and mem_abort_decode() (arch/arm64/mm/fault.c), then
 * die()'s "Internal error" line (arch/arm64/kernel/traps.c). Linux prints
 * the page-table walk (show_pte) and the registers in between; the
 * simulation's trace shows the walk instead.
 */
/**
 * set_thread_esr() (arch/arm64/mm/fault.c, 6.1): the ESR a signal frame's
 * esr_context record carries, 0 for none. A fault on a TTBR0 address
 * (below TASK_SIZE) keeps the CPU's syndrome; for any other address user
 * space must not learn what the kernel maps there, so only the exception
 * class, IL and (for data aborts) CM and WnR survive, with a level-0
 * translation fault as the status — the same for an unmapped kernel page,
 * a kernel-only one, or an address past 48 bits.
 */
function signalFrameEsr(esr: number, ttbr0Address: boolean): number {
  if (ttbr0Address) return esr;
  const ec = esr >>> ESR_EC_SHIFT;
  const kept = ec === EC_DABT_LOW ? ESR_IL | ESR_CM | ESR_WNR : ec === EC_IABT_LOW ? ESR_IL : null;
  // Linux WARNs: only aborts from EL0 come here. No record at all, as it does.
  if (kept === null) return 0;
  return ((ec << ESR_EC_SHIFT) | (esr & kept) | FSC_FAULT) >>> 0;
}

function oopsLines(f: OopsFacts, reason: string, swPanReserved: boolean): readonly string[] {
  const esr = f.errorCode >>> 0;
  const ec = esr >>> ESR_EC_SHIFT;
  const fsc = esr & ESR_FSC;
  const dataAbort = ec === EC_DABT_LOW || ec === EC_DABT_CUR;
  // __do_kernel_fault()'s words for what went wrong, unless do_page_fault
  // died first with its own.
  const permission = (fsc & ESR_FSC_TYPE) === FSC_PERM || (swPanReserved && f.address >= 0);
  const what =
    reason === USER_ACCESS_VIOLATION
      ? reason
      : permission
        ? (esr & ESR_WNR) !== 0
          ? 'write to read-only memory'
          : ec === EC_IABT_CUR
            ? 'execute from non-executable memory'
            : 'read from unreadable memory'
        : f.address < PAGE
          ? 'NULL pointer dereference'
          : 'paging request';
  const lines = [
    `Unable to handle kernel ${what} at virtual address ${formatAddress(f.address).slice(2)}`,
    'Mem abort info:',
    `  ESR = 0x${esr.toString(16).padStart(16, '0')}`,
    `  EC = ${hex(ec, 2)}: ${ecName[ec] ?? 'UNRECOGNIZED EC'}, IL = ${(esr & ESR_IL) !== 0 ? 32 : 16} bits`,
    `  SET = ${(esr >>> 11) & 3}, FnV = ${(esr >>> 10) & 1}`,
    `  EA = ${(esr >>> 9) & 1}, S1PTW = ${(esr >>> 7) & 1}`,
    `  FSC = ${hex(fsc, 2)}: ${fscName(fsc)}`,
  ];
  if (dataAbort) {
    lines.push(
      'Data abort info:',
      `  ISV = 0, ISS = ${hex(esr & ESR_ISS_MASK, 8)}`,
      `  CM = ${(esr >>> 8) & 1}, WnR = ${(esr >>> 6) & 1}`,
    );
  }
  lines.push(
    `Internal error: Oops: ${esr.toString(16).padStart(16, '0')} [#1] SMP`,
    `PID: ${f.pid}`,
    `pc : ${f.ip}`,
  );
  return lines;
}

/** Linux 6.1 on a CPU with PAN: what `architectures.arm64` describes; boot specialises it (configure). */
export const arm64Architecture6_1 = arm64Architecture(layouts.arm64, {
  pan: 'hardware',
  unprivileged: true,
  window: 'none',
});
