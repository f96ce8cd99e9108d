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
  fieldsOf,
  type ObservedRun,
  type ObservedStep,
  type RawResult,
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
    const fields = fieldsOf(step, rawOf(step, r), addresses);
    if (s.minflt !== null) fields.minflt = s.minflt;
    for (const [n, p] of s.pages.entries()) fields[`page ${n + 1}`] = describePage(p as WatchedState, frames);
    steps.push({ step: s.step, op: s.op, fields });
  }
  return { steps, failure };
}

type Step = ConformanceCase['scenario']['steps'][number];

/** What the probe printed for a step, as a RawResult. */
function rawOf(step: Step, r: Readonly<Record<string, unknown>>): RawResult {
  if (typeof r.signal === 'string') {
    const code = Number(r.code);
    return {
      kind: 'signal',
      signal: r.signal,
      code: SI_CODES[r.signal]?.[code] ?? String(code),
      addr: BigInt(String(r.addr)),
      err: Number(r.err),
      trap: Number(r.trap),
    };
  }
  const errno = typeof r.errno === 'string' ? r.errno : r.errno === null ? null : undefined;
  return {
    kind: 'done',
    ...(r.value !== undefined ? { value: Number(r.value) } : {}),
    ...(r.pages !== undefined ? { pages: Number(r.pages) } : {}),
    ...(errno !== undefined ? { errno } : {}),
    ...(typeof r.address === 'string' ? { address: BigInt(r.address) } : {}),
    ...(typeof r.brk === 'string' ? { brk: BigInt(r.brk) } : {}),
    // read(2)/write(2)'s count; -EFAULT arrives as errno.
    ...(step.kind.startsWith('copy_') && r.ret !== undefined ? { bytes: Number(r.ret) } : {}),
    ...(r.size !== undefined ? { size: Number(r.size) } : {}),
    ...(Array.isArray(r.bytes) ? { data: r.bytes as number[] } : {}),
  };
}
