/**
 * The exception table — where a faulting uaccess instruction resumes — and
 * the oops report printed when a kernel fault has no fixup.
 *
 * Follows arch/x86/mm/extable.c and arch/riscv/mm/extable.c (fixup_exception,
 * search_exception_tables);
 * the report's lines are the architecture's (show_fault_oops on x86,
 * die_kernel_fault on ARM64 and RISC-V: see kernel/arch/).
 */
import type { FaultInfo } from './hooks.ts';
import type { KernelState } from './state.ts';

/** Addresses of the uaccess instructions and their fixups, in the kernel text. */
export const UACCESS_IP = {
  copyUser: 0x1000,
  copyUserFixup: 0x1040,
  getUser: 0x1100,
  getUserFixup: 0x1120,
  putUser: 0x1200,
  putUserFixup: 0x1220,
} as const;

export function registerUaccessFixups(s: KernelState): void {
  // Each uaccess instruction gets an entry: if it faults, execution resumes
  // at the fixup, which makes the routine return what was left to copy.
  s.exceptionTable.set(UACCESS_IP.copyUser, UACCESS_IP.copyUserFixup);
  s.exceptionTable.set(UACCESS_IP.getUser, UACCESS_IP.getUserFixup);
  s.exceptionTable.set(UACCESS_IP.putUser, UACCESS_IP.putUserFixup);
}

export function searchExceptionTable(s: KernelState, ip: number): number | null {
  return s.exceptionTable.get(ip) ?? null;
}

/**
 * show_fault_oops() / die_kernel_fault(): the report's lines, as Linux
 * prints them, with the reason appended. The CPU is the one whose fault a
 * hook is handling (its state still that of the fault), when there is one.
 */
export function oopsReport(s: KernelState, f: FaultInfo, reason: string): string {
  const width = s.layout.format.addressing === 'unsigned' ? 32 : 64;
  const ip = symbolize(
    s.va.fromVirtual(f.ip, 'oopsReport'),
    width,
    s.arch.uaccessSymbols ?? X86_UACCESS_SYMBOLS,
  );
  return [...s.arch.oopsLines({ ...f, ip }, reason, s.inFault?.cpu ?? null), `Why: ${reason}`].join('\n');
}

/** x86's uaccess routines (arch/x86/lib: copy_user_64.S, getuser.S, putuser.S). */
const X86_UACCESS_SYMBOLS = {
  copyUser: 'copy_user_generic',
  getUser: '__get_user_1',
  putUser: '__put_user_1',
} as const;

/** A kernel instruction pointer as an oops prints it: a symbol+offset, or the (unsigned) address. */
function symbolize(
  ip: number,
  width: 32 | 64,
  names: NonNullable<KernelState['arch']['uaccessSymbols']>,
): string {
  const symbols: [number, string][] = [
    [UACCESS_IP.copyUser, names.copyUser],
    [UACCESS_IP.getUser, names.getUser],
    [UACCESS_IP.putUser, names.putUser],
  ];
  for (const [at, name] of symbols)
    if (ip >= at && ip < at + 0x100) return `${name}+0x${(ip - at).toString(16)}`;
  // Kernel-half addresses are negative numbers here (sign-extended, as the
  // hardware's canonical form): print the unsigned address, unpadded, as
  // Linux's %pS does for an address outside every symbol.
  return `0x${BigInt.asUintN(width, BigInt(ip)).toString(16)}`;
}
