/**
 * Linux's side of a case: the JSON lines the probe printed for it (see
 * PROTOCOL.md), put in the words the comparison uses — the same words
 * simulator.ts gives the simulator's report.
 */
import { z } from 'zod';
import type { ConformanceCase } from './case-file.ts';
import {
  type CaseArch,
  CaseObserver,
  COUNTING_STEPS,
  handlerStepOf,
  type ObservedRun,
  type RawDelivery,
  type RawResult,
  SI_CODES,
  type WatchedState,
} from './observation.ts';

const page = z.union([
  z.object({ state: z.enum(['unknown', 'none', 'swap']) }),
  /** The probe could not read the page's state (its failure, not the kernel's answer). */
  z.object({ state: z.literal('error'), why: z.string() }),
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

export function observeOnLinux(c: ConformanceCase, lines: ProbeLines, arch: CaseArch): ObservedRun {
  const observer = new CaseObserver(arch);
  const steps = observer.steps;
  let failure: string | null = 'the probe printed no "done" line for this case';
  for (const line of lines) {
    if (line.start === true) continue;
    if (line.done === true) {
      // The last step always runs: a handler's jump lands on a mark, which then runs too.
      const last = steps.at(-1)?.step ?? 0;
      failure =
        last === c.scenario.steps.length
          ? null
          : `the probe said it was done after step ${last} of the case's ${c.scenario.steps.length}`;
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
    // Steps a handler's siglongjmp skipped have no line; the others come in order, once each.
    const previous = steps.at(-1)?.step ?? 0;
    if (s.step <= previous) {
      failure = `the probe reported step ${s.step} after step ${previous}: a step line is repeated or out of order`;
      break;
    }
    const unread = s.pages.find((p) => p.state === 'error');
    if (unread !== undefined && unread.state === 'error') {
      failure = `the probe could not read a watched page at step ${s.step}: ${unread.why}`;
      break;
    }
    const r = s.result;
    observer.step(s.step, step, rawOf(step, r), {
      ...(step.kind === 'spawn'
        ? { spawned: { stack: BigInt(String(r.stack)), brk: BigInt(String(r.brk)) } }
        : {}),
      minflt: s.minflt,
      pages: s.pages as WatchedState[],
    });
  }
  return { steps, failure };
}

type Step = ConformanceCase['scenario']['steps'][number];

/** What the probe printed for a step (or for a handler's step), as a RawResult. */
function rawOf(step: Step, r: Readonly<Record<string, unknown>>): RawResult {
  const handled = Array.isArray(r.handled) ? { handled: r.handled.map(deliveryOf) } : {};
  if ('killed' in r)
    return { kind: 'killed', signal: typeof r.killed === 'string' ? r.killed : null, ...handled };
  if (r.died === true) return { kind: 'died', ...handled };
  if (r.jumped === true)
    return { kind: 'jumped', ...(r.pages !== undefined ? { pages: Number(r.pages) } : {}), ...handled };
  const result = plainRawOf(step, r);
  return result.kind === 'done' ? { ...result, ...handled } : result;
}

/** A signal the case's handler took, as the probe printed it (see PROTOCOL.md, "handled"). */
function deliveryOf(entry: unknown): RawDelivery {
  const d = entry as Readonly<Record<string, unknown>>;
  const code = Number(d.code);
  const signal = String(d.signal);
  const steps = (Array.isArray(d.steps) ? d.steps : []) as readonly Readonly<Record<string, unknown>>[];
  return {
    signal,
    code: SI_CODES[signal]?.[code] ?? String(code),
    addr: BigInt(String(d.addr)),
    err: typeof d.err === 'number' ? d.err : null,
    trap: typeof d.trap === 'number' ? d.trap : null,
    esr: typeof d.esr === 'number' ? d.esr : null,
    steps: steps.map((s) => ({
      op: String(s.op),
      raw: rawOf(handlerStepOf(String(s.op)), (s.result ?? {}) as Readonly<Record<string, unknown>>),
    })),
    end: String(d.end),
  };
}

function plainRawOf(step: Step, r: Readonly<Record<string, unknown>>): RawResult {
  if (typeof r.signal === 'string') {
    const code = Number(r.code);
    return {
      kind: 'signal',
      signal: r.signal,
      code: SI_CODES[r.signal]?.[code] ?? String(code),
      addr: BigInt(String(r.addr)),
      err: typeof r.err === 'number' ? r.err : null,
      trap: typeof r.trap === 'number' ? r.trap : null,
      esr: typeof r.esr === 'number' ? r.esr : null,
      ...(r.pages !== undefined ? { pages: Number(r.pages) } : {}),
    };
  }
  const errno = typeof r.errno === 'string' ? r.errno : r.errno === null ? null : undefined;
  return {
    kind: 'done',
    // A wider load's value stays hex text (64 bits do not fit a number).
    ...(r.value !== undefined ? { value: typeof r.value === 'string' ? r.value : Number(r.value) } : {}),
    ...(r.pages !== undefined ? { pages: Number(r.pages) } : {}),
    ...(errno !== undefined ? { errno } : {}),
    ...(typeof r.address === 'string' ? { address: BigInt(r.address) } : {}),
    ...(typeof r.brk === 'string' ? { brk: BigInt(r.brk) } : {}),
    // A system call's count; an error arrives as errno.
    ...(COUNTING_STEPS.has(step.kind) && r.ret !== undefined ? { bytes: Number(r.ret) } : {}),
    ...(r.size !== undefined ? { size: Number(r.size) } : {}),
    ...(Array.isArray(r.bytes) ? { data: r.bytes as number[] } : {}),
  };
}
