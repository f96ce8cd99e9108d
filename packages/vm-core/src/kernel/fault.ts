/**
 * The fault path: a user or kernel access with the MMU in the loop, the
 * page-fault hook for each fault it raises, and what the kernel does with
 * the hook's verdict — retry, resume at a fixup, deliver the signal, oops,
 * or die of OOM.
 *
 * Follows arch/x86/mm/fault.c (exc_page_fault, handle_page_fault,
 * do_user_addr_fault's signal delivery), arch/x86/kernel/traps.c
 * (exc_general_protection), arch/riscv/kernel/traps.c (do_page_fault's
 * entry from scause 12/13/15), arch/arm64/mm/fault.c (do_mem_abort) and
 * mm/memory.c (handle_mm_fault's VM_FAULT_OOM).
 */
import { Access, Privilege } from '../hw/access.ts';
import { formatAddress, narrowAddress } from '../hw/address.ts';
import type { PageFault } from '../hw/fault.ts';
import type { DeliveredSignal } from './abi.ts';
import type { DecodedFault } from './arch/arch.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { cpuFor } from './context-switch.ts';
import { exit, killThreadGroup } from './exit.ts';
import { oopsReport } from './extable.ts';
import type { FaultInfo, FaultOutcome, Resolution, VirtualAddress } from './hooks.ts';
import { KernelError } from './kernel.ts';
import { OutOfMemory } from './mm.ts';
import { forceFaultSignal } from './signal.ts';
import { cpuOf, emit, type KernelState, PAGE, userTask } from './state.ts';
import type { AccessOutcome, Cpu, FaultRecord, SizedAccessOutcome, Task } from './types.ts';

/** How a fault can end an access, when it is not retried. */
type FaultEnding = Exclude<AccessOutcome, { readonly kind: 'ok' }>;

/** The error for a user access whose fault comes back after every fix. */
function recurring(pid: number, address: number | VirtualAddress): KernelError {
  return new KernelError(
    `pid ${pid}: the fault at ${formatAddress(address)} keeps recurring (a fault handler that never fixes it)`,
  );
}

/** Faults one access may take before the kernel calls the handler broken. */
export const MAX_FAULTS_PER_ACCESS = 8;

/** A user-mode load, store or instruction fetch of one byte by `pid`, with the fault path in the loop. */
export function access(
  s: KernelState,
  pid: number,
  address: number | VirtualAddress,
  kind: 'read' | 'write' | 'exec',
  value: number,
): AccessOutcome {
  const va = narrowed(s, address);
  const task = userTask(s, pid);
  const cpu = cpuFor(s, pid);
  const access = kind === 'read' ? Access.Read : kind === 'write' ? Access.Write : Access.Execute;
  const arch = s.arch;
  const base = pendingTop;
  try {
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      // The way out to user mode and back in, where it changes the CPU's
      // state (ARM64 SW PAN: the task's TTBR0 only while in user mode).
      arch.enterUserMode?.(cpu, task);
      const pa =
        typeof va === 'number'
          ? cpu.mmu.translate(va, access, Privilege.User)
          : cpu.mmu.translateWide(va, access, Privilege.User);
      arch.enterKernelMode?.(cpu);
      if (typeof pa === 'number') {
        if (access === Access.Write) s.memory.bytes[pa] = value & 0xff;
        return { kind: 'ok', value: s.memory.bytes[pa]!, faults: takeFaults(base) };
      }
      const outcome = handleFault(s, cpu, task, pa, 0, base);
      if (outcome !== null) return outcome;
    }
  } finally {
    dropFaults(base);
  }
  throw recurring(pid, address);
}

/**
 * handle_mm_fault() for get_user_pages (gup.ts): the hook's fix, or false
 * where the fault could not be fixed (no signal is sent). `forced`: a
 * FOLL_FORCE fault (FaultInfo.forced).
 */
export function gupFault(s: KernelState, cpu: Cpu, task: Task, fault: PageFault, forced = false): boolean {
  const decoded = decodeFault(s, cpu, fault);
  const info = faultInfo(s, cpu, task, fault, decoded, 0, forced);
  s.inFault = { task, cpu };
  let outcome: FaultOutcome;
  try {
    outcome = s.hooks.pageFault(s.api, info);
  } catch (error) {
    if (!(error instanceof OutOfMemory)) throw error;
    return false;
  } finally {
    s.inFault = null;
  }
  if (outcome.kind !== 'resolved') return false;
  finishFault(s, cpu, task, fault, info, outcome, pendingTop);
  return true;
}

/**
 * A user-mode load or store of 2, 4 or 8 bytes (little-endian), which may
 * straddle two pages. The instruction completes only once both pages
 * translate: a store that faults on its second page has written nothing,
 * and is retried whole. Each page is translated in address order, so a
 * fault on the second reports the first byte of that page (CR2 on x86,
 * stval on RISC-V — "the portion of the access that caused the fault" —,
 * FAR on ARM64): si_addr is the page boundary, not the access's address.
 */
export function accessSized(
  s: KernelState,
  pid: number,
  address: number | VirtualAddress,
  kind: 'read' | 'write',
  size: 2 | 4 | 8,
  value: bigint,
): SizedAccessOutcome {
  const va = narrowed(s, address);
  const task = userTask(s, pid);
  const cpu = cpuFor(s, pid);
  const access = kind === 'read' ? Access.Read : Access.Write;
  const arch = s.arch;
  const base = pendingTop;
  // The bytes in the first page, and where the second starts (none: it fits in one).
  const first = typeof va === 'number' ? Math.min(size, PAGE - (((va % PAGE) + PAGE) % PAGE)) : size;
  try {
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      arch.enterUserMode?.(cpu, task);
      const low =
        typeof va === 'number'
          ? cpu.mmu.translate(va, access, Privilege.User)
          : cpu.mmu.translateWide(va, access, Privilege.User);
      const high =
        typeof low === 'number' && first < size && typeof va === 'number'
          ? cpu.mmu.translate(va + first, access, Privilege.User)
          : null;
      arch.enterKernelMode?.(cpu);
      const fault = typeof low !== 'number' ? low : high !== null && typeof high !== 'number' ? high : null;
      if (fault === null) {
        const at = (i: number) => (i < first ? (low as number) + i : (high as number) + i - first);
        const bytes = s.memory.bytes;
        let result = 0n;
        for (let i = size - 1; i >= 0; i--) {
          if (access === Access.Write) bytes[at(i)] = Number((value >> BigInt(8 * i)) & 0xffn);
          result = (result << 8n) | BigInt(bytes[at(i)]!);
        }
        return { kind: 'ok', value: result, faults: takeFaults(base) };
      }
      const outcome = handleFault(s, cpu, task, fault, 0, base);
      if (outcome !== null) return outcome;
    }
  } finally {
    dropFaults(base);
  }
  throw recurring(pid, address);
}

/**
 * A kernel-mode access on `cpu` (the current task's context). `ip` names
 * the instruction, so the exception table can find a fixup for it;
 * `unprivileged`: it is an ARM64 LDTR/STTR, checked as EL0.
 */
export function kernelAccess(
  s: KernelState,
  cpuId: number,
  address: number | VirtualAddress,
  kind: 'read' | 'write',
  options: { ip?: number; value?: number; unprivileged?: boolean },
): AccessOutcome {
  const cpu = cpuOf(s, cpuId);
  const va = narrowed(s, address);
  const access = kind === 'read' ? Access.Read : Access.Write;
  const base = pendingTop;
  try {
    for (let attempt = 0; attempt <= MAX_FAULTS_PER_ACCESS; attempt++) {
      const pa =
        typeof va !== 'number'
          ? options.unprivileged === true
            ? cpu.mmu.translateUnprivilegedWide(va, access)
            : cpu.mmu.translateWide(va, access, Privilege.Supervisor)
          : options.unprivileged === true
            ? cpu.mmu.translateUnprivileged(va, access)
            : cpu.mmu.translate(va, access, Privilege.Supervisor);
      if (typeof pa === 'number') {
        if (access === Access.Write) s.memory.bytes[pa] = (options.value ?? 0) & 0xff;
        return { kind: 'ok', value: s.memory.bytes[pa]!, faults: takeFaults(base) };
      }
      const outcome = handleFault(s, cpu, cpu.current, pa, options.ip ?? s.layout.kernelText, base);
      if (outcome !== null) return outcome;
    }
  } finally {
    dropFaults(base);
  }
  throw new KernelError(`kernel access to ${formatAddress(address)} keeps faulting`);
}

/**
 * The faults of the accesses in progress, innermost last: an access records
 * its faults above the `base` it started at and takes them, as one array of
 * exactly their number, when it ends (accesses nest: a hook may copy from
 * user memory while it handles a fault).
 */
const pending: (FaultRecord | undefined)[] = [];
/** How many of `pending`'s slots hold faults. The array itself never shrinks: a shrunk one would grow its store again on the next fault. */
let pendingTop = 0;
/** The faults of an access that took none: most accesses, so one shared value. */
const NO_FAULTS: readonly FaultRecord[] = Object.freeze([]);

/** The faults recorded since `base`, taken off the pending list. */
function takeFaults(base: number): readonly FaultRecord[] {
  if (pendingTop === base) return NO_FAULTS;
  const taken = pending.slice(base, pendingTop) as FaultRecord[];
  dropFaults(base);
  return taken;
}

/**
 * Runs `body`, a kernel routine that resolves faults itself (gupFault's
 * callers), and hands back the faults it took with its result.
 */
export function collectingFaults<T>(body: () => T): {
  readonly result: T;
  readonly faults: readonly FaultRecord[];
} {
  const base = pendingTop;
  try {
    const result = body();
    return { result, faults: takeFaults(base) };
  } finally {
    dropFaults(base);
  }
}

/** Forgets the faults recorded since `base` (their slots emptied, so nothing keeps them alive). */
function dropFaults(base: number): void {
  for (let i = base; i < pendingTop; i++) pending[i] = undefined;
  pendingTop = base;
}

/** Runs the page-fault hook for a hardware fault; null means "retry the access". */
function handleFault(
  s: KernelState,
  cpu: Cpu,
  task: Task,
  fault: PageFault,
  ip: number,
  base: number,
): FaultEnding | null {
  const decoded = decodeFault(s, cpu, fault);
  const info = faultInfo(s, cpu, task, fault, decoded, ip);
  if (decoded.otherException !== null) {
    // x86's #GP on a non-canonical address: SIGSEGV for user mode, an oops
    // for the kernel. A #GP pushes error code 0, so the mode comes from the
    // access itself; Linux answers a user #GP with SIGSEGV, si_code
    // SI_KERNEL, si_addr 0 (gp_user_force_sig_segv).
    const outcome: FaultOutcome =
      fault.privilege === 'user'
        ? { kind: 'signal', signal: { signal: 'SIGSEGV', code: 'SI_KERNEL', address: 0n } }
        : {
            kind: 'oops',
            report: oopsReport(
              s,
              info,
              `general protection fault (${decoded.otherException}): non-canonical address`,
            ),
          };
    return finishFault(s, cpu, task, fault, info, outcome, base);
  }
  // The hook calls back into the kernel (allocPage, syncKernelMapping),
  // which needs to know whose fault this is: see KernelState.inFault.
  s.inFault = { task, cpu };
  let outcome: FaultOutcome;
  try {
    outcome = s.hooks.pageFault(s.api, info);
  } catch (error) {
    // A page table could not be allocated: VM_FAULT_OOM.
    if (!(error instanceof OutOfMemory)) throw error;
    outcome = { kind: 'oom' };
  } finally {
    s.inFault = null;
  }
  return finishFault(s, cpu, task, fault, info, outcome, base);
}

/**
 * The architecture's report read into `decoded`, which the caller copies
 * out before anything else can fault. `loadedLeaf` is the PTE for an
 * address as the kernel would read it, in the tables the CPU has loaded
 * (satp, CR3): how a RISC-V kernel learns whether the translation existed.
 */
function decodeFault(s: KernelState, cpu: Cpu, fault: PageFault): DecodedFault {
  leafState = s;
  leafCpu = cpu;
  try {
    s.arch.decodeFault(fault, loadedLeaf, decoded);
    return decoded;
  } finally {
    leafState = null;
    leafCpu = null;
  }
}

/**
 * An address as the access gave it: a number, or a bigint (exact, from a hook
 * or a scenario), made a number whenever one holds it so the MMU's fast path
 * runs — only a non-canonical value beyond ±2^53 stays a bigint.
 */
function narrowed(s: KernelState, address: number | VirtualAddress): number | VirtualAddress {
  if (typeof address === 'number') return address;
  const register = BigInt.asUintN(s.va.bits, address);
  return narrowAddress(register, s.layout.format.addressing === 'sign-extended') ?? register;
}

/** The exact faulting address: the number when it holds it, else the report's (a non-canonical bigint). */
function faultAddress(s: KernelState, fault: PageFault): VirtualAddress {
  return Number.isSafeInteger(fault.va) && Math.abs(fault.va) !== Number.MAX_SAFE_INTEGER
    ? s.va.toVirtual(fault.va)
    : BigInt(fault.address);
}

const decoded: { -readonly [K in keyof DecodedFault]: DecodedFault[K] } = {
  otherException: null,
  errorCode: 0,
  present: false,
  write: false,
  exec: false,
  user: false,
  reservedBit: false,
};
let leafState: KernelState | null = null;
let leafCpu: Cpu | null = null;
const leaf = new PteHalves();
const loadedLeaf = (va: number): PteHalves =>
  leafState!.tables.leafEntry(leafCpu!.mmu.control.root / PAGE, va, leaf);

/** What the hooks are told about a fault: the architecture's report decoded, and the context it was taken in. */
function faultInfo(
  s: KernelState,
  cpu: Cpu,
  task: Task,
  fault: PageFault,
  d: DecodedFault,
  ip: number,
  forced = false,
): FaultInfo {
  return {
    arch: s.arch.name,
    address: faultAddress(s, fault),
    errorCode: d.errorCode,
    present: d.present,
    write: d.write,
    user: d.user,
    reservedBit: d.reservedBit,
    exec: d.exec,
    ip: s.va.toVirtual(ip),
    userAccessOpen: s.arch.userAccessAllowed(cpu, fault, s.exceptionTable.has(ip)),
    pid: task.pid,
    mm: task.mm?.id ?? null,
    forced,
  };
}

/** Records the fault and carries out the verdict; null means "retry the access". */
function finishFault(
  s: KernelState,
  cpu: Cpu,
  task: Task,
  fault: PageFault,
  info: FaultInfo,
  outcome: FaultOutcome,
  base: number,
): FaultEnding | null {
  switch (outcome.kind) {
    case 'resolved':
      record(s, cpu, task, fault, info, outcome.resolution);
      if (s.listener !== null && (outcome.resolution === 'cow-copy' || outcome.resolution === 'cow-reuse')) {
        emit(s, {
          type: 'cow',
          pid: task.pid,
          address: fault.va,
          action: outcome.resolution === 'cow-copy' ? 'copy' : 'reuse',
        });
      }
      return null;
    case 'fixup':
      record(s, cpu, task, fault, info, 'exception-fixup');
      // The facade speaks the kernel's numbers; the hook answered in a bigint.
      return {
        kind: 'fixup',
        fixupIp: s.va.fromVirtual(outcome.fixupIp, 'the fixup address'),
        faults: takeFaults(base),
      };
    case 'signal': {
      record(s, cpu, task, fault, info, 'signal');
      // A kernel-mode fault has no user frame to write (the hook's signal
      // then comes from nowhere a handler could read).
      const frame = fault.privilege === 'user' ? s.arch.signalFrame(fault) : null;
      const signal: DeliveredSignal = { ...outcome.signal, frame };
      // A kernel-mode fault's signal has no user instruction to resume, so
      // no handler could run for it: it is fatal as it stands.
      const { disposition, forced } =
        fault.privilege === 'user'
          ? forceFaultSignal(task, signal)
          : { disposition: 'killed' as const, forced: null };
      if (s.listener !== null) emit(s, { type: 'signal', pid: task.pid, signal, disposition });
      if (disposition === 'killed') {
        // SIGSEGV and SIGBUS kill by default — the whole process, every
        // thread sharing its address space.
        task.death = { signal };
        killThreadGroup(s, task);
      }
      const ended = { kind: 'signal', signal, disposition, faults: takeFaults(base) } as const;
      return forced === null ? ended : { ...ended, forced };
    }
    case 'oops':
      record(s, cpu, task, fault, info, 'oops');
      if (s.listener !== null) emit(s, { type: 'oops', cpu: cpu.id, pid: task.pid, report: outcome.report });
      if (task.kind !== 'idle') {
        task.death = { oops: outcome.report };
        exit(s, task.pid);
      }
      return { kind: 'oops', report: outcome.report, faults: takeFaults(base) };
    case 'oom': {
      // VM_FAULT_OOM: the OOM killer has chosen this task (or found nothing
      // to kill); either way the faulting task cannot go on.
      record(s, cpu, task, fault, info, 'signal');
      const signal: DeliveredSignal = { signal: 'SIGKILL', code: 'SI_KERNEL', address: 0n, frame: null };
      task.death ??= { signal };
      if (s.listener !== null) emit(s, { type: 'signal', pid: task.pid, signal, disposition: 'killed' });
      for (const t of [...s.tasks.values()])
        if (t.alive && t.mm !== null && t.mm === task.mm && t !== task) {
          t.death = task.death;
          exit(s, t.pid);
        }
      exit(s, task.pid);
      return { kind: 'signal', signal, disposition: 'killed', faults: takeFaults(base) };
    }
  }
}

/**
 * A fault the kernel raises on itself, with no hardware exception behind
 * it — GUP's unsharing of a COW-shared page (FAULT_FLAG_UNSHARE): listed
 * with the step's faults and counted in ru_minflt as Linux counts it.
 * `errorCode` is 0: nothing was pushed.
 */
export function recordSoftwareFault(
  s: KernelState,
  cpu: Cpu,
  task: Task,
  va: number,
  resolution: Resolution,
  message: string,
): void {
  const address = formatAddress(va, s.layout.format.addressing === 'unsigned' ? 32 : 64);
  pending[pendingTop++] = { address, errorCode: 0, message, resolution };
  if (s.listener !== null) {
    emit(s, { type: 'fault-resolved', cpu: cpu.id, pid: task.pid, address: va, errorCode: 0, resolution });
    if (resolution === 'cow-copy' || resolution === 'cow-reuse')
      emit(s, {
        type: 'cow',
        pid: task.pid,
        address: va,
        action: resolution === 'cow-copy' ? 'copy' : 'reuse',
      });
  }
}

/** The fault as the access's outcome lists it, and as a trace shows it resolved. */
function record(
  s: KernelState,
  cpu: Cpu,
  task: Task,
  fault: PageFault,
  info: FaultInfo,
  resolution: Resolution,
): void {
  const errorCode = info.errorCode;
  pending[pendingTop++] = new Record(fault, errorCode, resolution);
  if (s.listener !== null)
    emit(s, { type: 'fault-resolved', cpu: cpu.id, pid: task.pid, address: fault.va, errorCode, resolution });
}

/**
 * A `FaultRecord` whose message is the fault's own, read from it only when
 * someone asks (hw/fault.ts builds it then): an own, enumerable property
 * all the same, so the record serialises and compares as a plain object.
 */
class Record implements FaultRecord {
  readonly address: string;
  readonly errorCode: number;
  declare readonly message: string;
  // Declared, and assigned after `message`: the keys keep a plain record's order.
  declare readonly resolution: Resolution;
  readonly #fault: PageFault;

  static readonly #message: PropertyDescriptor = {
    get(this: Record): string {
      return this.#fault.message;
    },
    enumerable: true,
    configurable: true,
  };

  constructor(fault: PageFault, errorCode: number, resolution: Resolution) {
    this.#fault = fault;
    this.address = fault.address;
    this.errorCode = errorCode;
    Object.defineProperty(this, 'message', Record.#message);
    this.resolution = resolution;
  }
}
