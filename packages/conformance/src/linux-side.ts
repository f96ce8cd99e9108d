/**
 * Linux's side of a case: the JSON lines the probe printed for it (see
 * PROTOCOL.md), put in the words the comparison uses — the same words
 * simulator.ts gives the simulator's report.
 */
import { z } from 'zod';
import type { ConformanceCase } from './case-file.ts';
import {
  AddressNamer,
  describePage,
  FrameNamer,
  hex,
  type ObservedRun,
  type ObservedStep,
  SI_CODES,
  type WatchedState,
} from './observation.ts';

const page = z.union([
  z.object({ state: z.enum(['unknown', 'none', 'swap']) }),
  z.object({
    state: z.literal('present'),
    pfn: z.number().int().nonnegative(),
    zero: z.boolean(),
    mapcount: z.number().int(),
  }),
]);

export const probeStepLine = z.object({
  case: z.string(),
  step: z.number().int().positive(),
  op: z.string(),
  result: z.record(z.string(), z.unknown()),
  minflt: z.number().int().nullable(),
  pages: z.array(page),
});

export type ProbeStepLine = z.infer<typeof probeStepLine>;

/** The lines of one case, as the probe printed them: a start line, its steps, then done or error. */
export type ProbeLines = readonly Readonly<Record<string, unknown>>[];

export function observeOnLinux(c: ConformanceCase, lines: ProbeLines): ObservedRun {
  const addresses = new AddressNamer();
  const frames = new FrameNamer();
  const steps: ObservedStep[] = [];
  let failure: string | null = 'the probe printed no "done" line for this case';
  for (const line of lines) {
    if (line.start === true) continue;
    if (line.done === true) {
      failure = null;
      break;
    }
    if (typeof line.error === 'string') {
      failure = `the probe failed: ${line.error}`;
      break;
    }
    const parsed = probeStepLine.safeParse(line);
    if (!parsed.success) {
      failure = `the probe printed a step line this suite cannot read: ${JSON.stringify(line).slice(0, 200)}`;
      break;
    }
    const s = parsed.data;
    const step = c.scenario.steps[s.step - 1];
    if (step === undefined || step.kind !== s.op) {
      failure = `the probe reported step ${s.step} as "${s.op}", which the case does not have there`;
      break;
    }
    const r = s.result;
    if (step.kind === 'spawn') {
      addresses.builtin('stack', BigInt(String(r.stack)));
      addresses.builtin('brk', BigInt(String(r.brk)));
    }
    if (step.kind === 'mmap' && step.args.as !== undefined && typeof r.address === 'string')
      addresses.mapped(step.args.as, BigInt(r.address), step.args.length);
    const fields: Record<string, string | number | null> = { ...resultOf(step, r, addresses) };
    if (s.minflt !== null) fields.minflt = s.minflt;
    for (const [n, p] of s.pages.entries()) fields[`page ${n + 1}`] = describePage(p as WatchedState, frames);
    steps.push({ step: s.step, op: s.op, fields });
  }
  return { steps, failure };
}

type Step = ConformanceCase['scenario']['steps'][number];

function resultOf(
  step: Step,
  r: Readonly<Record<string, unknown>>,
  addresses: AddressNamer,
): Record<string, string | number | null> {
  if (typeof r.signal === 'string') {
    const code = Number(r.code);
    return {
      signal: r.signal,
      si_code: SI_CODES[r.signal]?.[code] ?? String(code),
      si_addr: addresses.name(BigInt(String(r.addr)), targetOf(step)),
      error_code: hex(Number(r.err)),
      trap: Number(r.trap),
    };
  }
  switch (step.kind) {
    case 'read':
      return { value: Number(r.value) };
    case 'touch':
      return { pages_stored: Number(r.pages) };
    case 'mmap':
      if (typeof r.errno === 'string') return { errno: r.errno };
      return { address: step.args.addr === undefined ? 'placed' : addresses.name(BigInt(String(r.address))) };
    case 'munmap':
    case 'mprotect':
      return { errno: typeof r.errno === 'string' ? r.errno : null };
    case 'brk':
      return { brk: addresses.name(BigInt(String(r.brk))) };
    case 'copy_from_user':
    case 'copy_to_user':
      return typeof r.errno === 'string' ? { errno: r.errno } : { bytes: Number(r.ret) };
    case 'file':
      return { size: Number(r.size) };
    case 'read_file':
      return { data: (r.bytes as number[]).join(',') };
    default:
      return {};
  }
}

/** The address a step accesses, as the case wrote it (for naming a fault there). */
function targetOf(step: Step): string | number | undefined {
  return 'addr' in step.args && step.args.addr !== undefined ? step.args.addr : undefined;
}
