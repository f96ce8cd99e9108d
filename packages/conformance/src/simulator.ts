/**
 * The simulator's side of a case: the scenario runs on Faultline's kernel
 * (@faultline/scenario, the same runner as `faultline sim run`), and each
 * step's report is put in the words the comparison uses (observation.ts).
 */
import { bootSession, runOn, ScenarioSession, type StepReport, type WatchedPage } from '@faultline/scenario';
import type { FaultRecord } from '@faultline/vm-core';
import type { ConformanceCase } from './case-file.ts';
import {
  AddressNamer,
  describePage,
  FrameNamer,
  type ObservedRun,
  type ObservedStep,
  type WatchedState,
} from './observation.ts';

/** Resolutions Linux counts in ru_minflt: handled without I/O (mm_account_fault in mm/memory.c). */
const MINOR = new Set<FaultRecord['resolution']>([
  'demand-zero',
  'zero-page',
  'cow-copy',
  'cow-reuse',
  'stack-growth',
  'page-cache',
  'page-mkwrite',
  'spurious',
]);

/** Steps whose faults the probe measures with getrusage around the operation. */
const MEASURED = new Set(['read', 'write', 'exec', 'touch', 'copy_from_user', 'copy_to_user']);

/** Where every new process's stack and heap start on the simulator (fixed: it has no ASLR). */
function builtinLabels(): { stack: number; brk: number } {
  const session = new ScenarioSession({ machine: { arch: 'x86-64' } });
  const task = session.spawn('probe');
  const mm = task.mm!;
  const stack = mm.vmas.all.find((v) => v.name === '[stack]');
  if (stack === undefined) throw new Error('a new process on the simulator has no [stack] VMA');
  return { stack: stack.start, brk: mm.brk };
}

export function observeOnSimulator(c: ConformanceCase): ObservedRun {
  const labels = builtinLabels();
  const session = bootSession(c.scenario);
  const zeroPfn = session.kernel.zeroPfn();
  const report = runOn(session, c.scenario, { labels });
  const addresses = new AddressNamer();
  const frames = new FrameNamer();
  const steps: ObservedStep[] = [];
  for (const [i, step] of report.steps.entries()) {
    const scenarioStep = c.scenario.steps[i]!;
    if (step.step === 'spawn') {
      addresses.builtin('stack', BigInt(labels.stack));
      addresses.builtin('brk', BigInt(labels.brk));
    }
    if (scenarioStep.kind === 'mmap' && scenarioStep.args.as !== undefined && 'address' in step.outcome)
      addresses.mapped(scenarioStep.args.as, BigInt(String(step.outcome.address)), scenarioStep.args.length);
    const fields: Record<string, string | number | null> = {
      ...resultOf(step, scenarioStep, addresses),
    };
    if (MEASURED.has(step.step)) fields.minflt = step.faults.filter((f) => MINOR.has(f.resolution)).length;
    for (const [n, page] of (step.watch?.pages ?? []).entries())
      fields[`page ${n + 1}`] = describePage(watched(page, zeroPfn), frames);
    steps.push({ step: step.index, op: step.step, fields });
  }
  const failure =
    report.stopped === null
      ? null
      : `the simulator stopped at step ${report.stopped.index}: ${report.stopped.reason}`;
  return { steps, failure };
}

function watched(page: WatchedPage, zeroPfn: number): WatchedState {
  if (page.pte !== 'present') return { state: page.pte === 'swap' ? 'swap' : page.pte };
  return { state: 'present', pfn: page.pfn, zero: page.pfn === zeroPfn, mapcount: page.mapcount };
}

type Step = ConformanceCase['scenario']['steps'][number];

function resultOf(
  report: StepReport,
  step: Step,
  addresses: AddressNamer,
): Record<string, string | number | null> {
  const o = report.outcome;
  if (typeof o.signal === 'string') {
    const last = [...report.faults].reverse().find((f) => f.resolution === 'signal');
    // The simulator sends SI_KERNEL only for a #GP (a non-canonical address), which pushes error code 0.
    const trap = o.code === 'SI_KERNEL' ? 13 : 14;
    return {
      signal: o.signal,
      si_code: String(o.code),
      si_addr: addresses.name(BigInt(String(o.address)), targetOf(step)),
      error_code: `0x${(trap === 13 ? 0 : (last?.errorCode ?? 0)).toString(16)}`,
      trap,
    };
  }
  if ('oops' in o && o.oops !== null) return { oops: String(o.oops).split('\n')[0] ?? '' };
  switch (step.kind) {
    case 'spawn':
    case 'fork':
    case 'exit':
    case 'write':
    case 'exec':
      return {};
    case 'read':
      return { value: Number(o.value) };
    case 'touch':
      return { pages_stored: Number(o.pages) };
    case 'mmap':
      if (o.errno !== undefined) return { errno: String(o.errno) };
      // Where the kernel placed it is its own business, unless the case asked for an address.
      return { address: step.args.addr === undefined ? 'placed' : addresses.name(BigInt(String(o.address))) };
    case 'munmap':
    case 'mprotect':
      return { errno: o.errno === null ? null : String(o.errno) };
    case 'brk':
      return { brk: addresses.name(BigInt(String(o.brk))) };
    case 'copy_from_user':
    case 'copy_to_user': {
      // As read(2)/write(2) report it: the bytes copied, or -EFAULT when none were.
      const length = step.kind === 'copy_from_user' ? step.args.length : (step.args.length ?? 0);
      const copied = length - Number(o.notCopied);
      return copied === 0 ? { errno: 'EFAULT' } : { bytes: copied };
    }
    case 'file':
      return { size: Number(o.size) };
    case 'read_file':
      return { data: (o.bytes as number[]).join(',') };
    default:
      return {};
  }
}

/** The address a step accesses, as the case wrote it (for naming a fault there). */
function targetOf(step: Step): string | number | undefined {
  return 'addr' in step.args && step.args.addr !== undefined ? step.args.addr : undefined;
}
