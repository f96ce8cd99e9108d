/**
 * The simulator's side of a case: the scenario runs on Faultline's kernel
 * (@faultline/scenario, the same runner as `faultline sim run`), and each
 * step's report is put in the words the comparison uses (observation.ts).
 */
import { bootSession, runOn, ScenarioError, ScenarioSession, type WatchedPage } from '@faultline/scenario';
import type { FaultRecord } from '@faultline/vm-core';
import type { ConformanceCase } from './case-file.ts';
import {
  type CaseArch,
  CaseObserver,
  handlerStepOf,
  type ObservedRun,
  type RawDelivery,
  type RawResult,
  type WatchedState,
} from './observation.ts';

/**
 * Resolutions Linux counts in ru_minflt (mm_account_fault in mm/memory.c):
 * a fault that completed without VM_FAULT_MAJOR. A swap-in is major here;
 * Linux counts one served from the swap cache as minor, and any retried
 * fault as major — neither happens in these cases (no swap, no I/O).
 */
const MINOR = new Set<FaultRecord['resolution']>([
  'demand-zero',
  'zero-page',
  'huge-page',
  'huge-zero-page',
  'cow-copy',
  'cow-reuse',
  'stack-growth',
  'page-cache',
  'page-mkwrite',
  'access-flags',
  'spurious',
]);

/** Steps whose faults the probe measures with getrusage around the operation. */
const MEASURED = new Set([
  'read',
  'write',
  'exec',
  'touch',
  'copy_from_user',
  'copy_to_user',
  // MAP_POPULATE and mlock fault the pages in during the call.
  'mmap',
  'mlock',
  // A locked area that mremap grows is faulted in during the call; a moved page needs no fault at all.
  'mremap',
  'munlock',
  // The copies of these system calls fault user pages in (process_vm_*: the target's too, counted in the caller's ru_minflt).
  'readv',
  'writev',
  'process_vm_readv',
  'process_vm_writev',
  // /proc/PID/mem: the target's pages through get_user_pages (FOLL_FORCE), the caller's buffer through the user copies.
  'proc_mem_read',
  'proc_mem_write',
]);

const builtins = new Map<CaseArch, { stack: number; brk: number }>();

/** Where every new process's stack and heap start on the simulator (fixed: it has no ASLR). */
function builtinLabels(arch: CaseArch): { stack: number; brk: number } {
  let labels = builtins.get(arch);
  if (labels === undefined) {
    labels = readBuiltinLabels(arch);
    builtins.set(arch, labels);
  }
  return labels;
}

function readBuiltinLabels(arch: CaseArch): { stack: number; brk: number } {
  const session = new ScenarioSession({ machine: { arch } });
  const task = session.spawn('probe');
  const mm = task.mm!;
  const stack = mm.vmas.all.find((v) => v.name === '[stack]');
  if (stack === undefined) throw new Error(`a new process on the simulator (${arch}) has no [stack] VMA`);
  return { stack: stack.start, brk: mm.brk };
}

export function observeOnSimulator(c: ConformanceCase, arch: CaseArch): ObservedRun {
  const labels = builtinLabels(arch);
  // The probe's files are on tmpfs (its boot line says so), so the simulator's
  // are too; and its processes run as the case's uid, root unless it says.
  const session = bootSession({ ...c.scenario, arch, files: 'tmpfs', uid: c.linux.uid });
  const zeroPfn = session.kernel.api.zeroPfn();
  let report: ReturnType<typeof runOn>;
  try {
    report = runOn(session, c.scenario, { labels });
  } catch (error) {
    // A case the runner refuses part-way (a handler looping, a jump backwards) is the case's fault.
    if (error instanceof ScenarioError)
      return { steps: [], failure: `the simulator refused the case: ${error.message}` };
    throw error;
  }
  const observer = new CaseObserver(arch);
  for (const step of report.steps) {
    // By index: the steps a handler's siglongjmp skipped are not in the report.
    const scenarioStep = c.scenario.steps[step.index - 1]!;
    const raw = rawOf(step.outcome, scenarioStep);
    // A task killed outright cannot report its counter (the probe's handler never runs).
    const counted = MEASURED.has(step.step) && raw.kind !== 'killed' && raw.kind !== 'died';
    observer.step(step.index, scenarioStep, raw, {
      ...(step.step === 'spawn' ? { spawned: { stack: BigInt(labels.stack), brk: BigInt(labels.brk) } } : {}),
      minflt: counted ? step.faults.filter((f) => MINOR.has(f.resolution)).length : null,
      pages: (step.watch?.pages ?? []).map((page) => watched(page, zeroPfn)),
    });
  }
  const failure =
    report.stopped !== null
      ? `the simulator stopped at step ${report.stopped.index}: ${report.stopped.reason}`
      : report.invariants.length > 0
        ? `the simulated kernel is inconsistent after the last step: ${report.invariants.join('; ')}`
        : null;
  return { steps: observer.steps, failure };
}

function watched(page: WatchedPage, zeroPfn: number): WatchedState {
  if (page.pte !== 'present') return { state: page.pte === 'swap' ? 'swap' : page.pte };
  return { state: 'present', pfn: page.pfn, zero: page.pfn === zeroPfn, mapcount: page.mapcount };
}

type Step = ConformanceCase['scenario']['steps'][number];

/** The simulator's report of a step (or of a handler's step), as a RawResult. */
function rawOf(o: Readonly<Record<string, unknown>>, step: Step): RawResult {
  const handled = Array.isArray(o.handled) ? { handled: o.handled.map(deliveryOf) } : {};
  if (o.forced === true) return { kind: 'killed', signal: String(o.signal), ...handled };
  if (o.diedInHandler === true) return { kind: 'died', ...handled };
  if (typeof o.jumped === 'string')
    return { kind: 'jumped', ...(o.pages !== undefined ? { pages: Number(o.pages) } : {}), ...handled };
  const result = plainRawOf(o, step);
  return result.kind === 'done' ? { ...result, ...handled } : result;
}

/** A signal a handler took, as the runner's report lists it. */
function deliveryOf(entry: unknown): RawDelivery {
  const d = entry as Readonly<Record<string, unknown>>;
  const steps = (d.handler as readonly Readonly<Record<string, unknown>>[]).map(({ step, ...outcome }) => ({
    op: String(step),
    raw: rawOf(outcome, handlerStepOf(String(step))),
  }));
  return {
    signal: String(d.signal),
    code: String(d.code),
    addr: BigInt(String(d.address)),
    err: typeof d.errorCode === 'string' ? Number(d.errorCode) : null,
    trap: typeof d.trapNo === 'number' ? d.trapNo : null,
    esr: typeof d.esr === 'string' ? Number(d.esr) : null,
    steps,
    end: String(d.end),
  };
}

function plainRawOf(o: Readonly<Record<string, unknown>>, step: Step): RawResult {
  if (typeof o.signal === 'string') {
    // What the signal frame said (x86: REG_ERR, REG_TRAPNO; arm64: the ESR), as the probe reads it from the handler's ucontext.
    return {
      kind: 'signal',
      signal: o.signal,
      code: String(o.code),
      addr: BigInt(String(o.address)),
      err: typeof o.errorCode === 'string' ? Number(o.errorCode) : null,
      trap: typeof o.trapNo === 'number' ? o.trapNo : null,
      esr: typeof o.esr === 'string' ? Number(o.esr) : null,
      ...(o.pages !== undefined ? { pages: Number(o.pages) } : {}),
    };
  }
  if (typeof o.oops === 'string') return { kind: 'oops', first: o.oops.split('\n')[0] ?? '' };
  switch (step.kind) {
    case 'copy_from_user':
    case 'copy_to_user': {
      // As read(2)/write(2) report it: the bytes copied, or -EFAULT when none were.
      const length = step.kind === 'copy_from_user' ? step.args.length : (step.args.length ?? 0);
      const copied = length - Number(o.notCopied);
      return copied === 0 ? { kind: 'done', errno: 'EFAULT' } : { kind: 'done', bytes: copied };
    }
    case 'read_file':
      return { kind: 'done', data: o.bytes as number[] };
    case 'readv':
    case 'writev':
    case 'process_vm_readv':
    case 'process_vm_writev':
    case 'proc_mem_read':
    case 'proc_mem_write':
      return typeof o.bytes === 'number'
        ? { kind: 'done', bytes: o.bytes }
        : { kind: 'done', errno: String(o.errno) };
    default:
      return {
        kind: 'done',
        // A wider load's value stays hex text (64 bits do not fit a number).
        ...(o.value !== undefined ? { value: typeof o.value === 'string' ? o.value : Number(o.value) } : {}),
        ...(o.pages !== undefined ? { pages: Number(o.pages) } : {}),
        ...('errno' in o ? { errno: o.errno === null ? null : String(o.errno) } : {}),
        ...(o.address !== undefined ? { address: BigInt(String(o.address)) } : {}),
        ...(o.brk !== undefined ? { brk: BigInt(String(o.brk)) } : {}),
        ...(o.size !== undefined ? { size: Number(o.size) } : {}),
      };
  }
}
