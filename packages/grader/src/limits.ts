/**
 * The limits a submission is graded under: what each one bounds, its default,
 * and the rule that keeps wall-clock limits out of the way of the verdict.
 *
 * CPU budgets are counted in interpreter steps (the sandbox's
 * `STEPS_PER_CPU_MS`), so they give the same verdict on every machine. The
 * wall-clock limits are safety nets behind them — for built-ins that work
 * long between the engine's interrupt polls, and for a grading job that
 * hangs outside the guest — and they must never be what decides a verdict
 * on a merely slow or busy machine. Hence the rule: each wall-clock limit is
 * at least `MIN_WALL_FACTOR` times the step budget it backs, the defaults are
 * far above that (see `DEFAULT_WALL_PER_CALL_FACTOR`: steps undercount heavy
 * loop bodies), and a job that a wall-clock limit stopped is graded again on
 * a fresh worker before that verdict stands (`gradeInPool`).
 *
 * Every limit is visible: an exercise may set each in its exercise.json, the
 * report lists the ones it was graded under, and a test stopped at a limit
 * names it.
 */
import { z } from 'zod';

/** The console output kept per test by default, in UTF-16 code units (the report's own cap). */
export const MAX_OUTPUT_LENGTH = 16_384;

/** A wall-clock limit is at least this many times the step budget it backs. */
export const MIN_WALL_FACTOR = 10;
/**
 * The default per-call wall-clock limit, as a multiple of the per-call CPU
 * budget. Far above the minimum because steps undercount heavy loop bodies:
 * QuickJS counts a step per call and backward jump, so a loop that builds an
 * object or two per iteration runs 10–25 times longer than its budget says
 * on an idle machine (`stepsPerMs.nestedObjects` of `npx pnpm --filter
 * @faultline/sandbox bench`: ≈ 4 k steps/ms against the nominal 50 k; a whole
 * 250 ms budget of it took 5.6 s here).
 */
export const DEFAULT_WALL_PER_CALL_FACTOR = 100;
/** The default whole-job wall-clock limit, as a multiple of the submission's CPU budget… */
export const DEFAULT_WALL_TOTAL_FACTOR = MIN_WALL_FACTOR;
/** …but never less than this: a job also starts a worker and runs the tests' own (host) code. */
export const MIN_DEFAULT_WALL_MS_TOTAL = 60_000;

export const GradingLimitsSchema = z
  .object({
    cpuMsPerCall: z
      .number()
      .positive()
      .describe(
        'CPU budget of one hook call, or of loading the module, in ms of reference CPU (counted in steps).',
      ),
    cpuMsPerTest: z
      .number()
      .positive()
      .describe('CPU budget of all hook calls of one test together (steps).'),
    cpuMsTotal: z
      .number()
      .positive()
      .describe('CPU budget of the whole submission, every test together (steps).'),
    wallMsPerCall: z
      .number()
      .positive()
      .describe(
        'Wall-clock limit of one hook call or module load: the safety net behind cpuMsPerCall for work the step count cannot see.',
      ),
    wallMsTotal: z
      .number()
      .positive()
      .describe(
        "Wall-clock limit of the whole grading job (the worker's watchdog): the safety net behind cpuMsTotal for a job that hangs outside the learner's code.",
      ),
    memoryBytes: z.number().positive().describe("Size of each test's sandbox memory, in bytes."),
    stackBytes: z.number().positive().describe("The sandbox's native stack, in bytes."),
    outputChars: z.number().min(0).describe('Console output kept per test, in UTF-16 code units.'),
  })
  .strict()
  .describe('The limits the submission was graded under.');
export type GradingLimits = z.infer<typeof GradingLimitsSchema>;

/** The name of one limit, as exercise.json and the report spell it. */
export type LimitName = keyof GradingLimits;

/** The limits that stop a test with status timeout or memory-limit. */
export const StoppingLimitSchema = z
  .enum(['cpuMsPerCall', 'cpuMsPerTest', 'cpuMsTotal', 'wallMsPerCall', 'wallMsTotal', 'memoryBytes'])
  .describe(
    'Which limit stopped the test: a CPU budget (counted in steps, the same on every machine), a wall-clock limit (the safety net behind it), or the memory limit.',
  );
export type StoppingLimit = z.infer<typeof StoppingLimitSchema>;

export const WALL_CLOCK_LIMITS: readonly StoppingLimit[] = ['wallMsPerCall', 'wallMsTotal'];

/** The CPU, memory and output limits an exercise gets when it sets none; wall-clock defaults follow from them. */
export const DEFAULT_GRADING_LIMITS = {
  cpuMsPerCall: 500,
  cpuMsPerTest: 5_000,
  cpuMsTotal: 30_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  outputChars: MAX_OUTPUT_LENGTH,
} as const satisfies Omit<GradingLimits, 'wallMsPerCall' | 'wallMsTotal'>;

/** Limits as an exercise states them: any may be left out. */
export type LimitSettings = { readonly [K in LimitName]?: number | undefined };

/**
 * The limits an exercise is graded under: what it sets, the defaults for the
 * rest, and wall-clock limits that default to a multiple of the CPU budget
 * they back (`DEFAULT_WALL_PER_CALL_FACTOR`, `DEFAULT_WALL_TOTAL_FACTOR`).
 */
export function resolveLimits(settings: LimitSettings = {}): GradingLimits {
  const pick = <K extends keyof typeof DEFAULT_GRADING_LIMITS>(key: K): number =>
    settings[key] ?? DEFAULT_GRADING_LIMITS[key];
  const cpuMsPerCall = pick('cpuMsPerCall');
  const cpuMsTotal = pick('cpuMsTotal');
  return {
    cpuMsPerCall,
    cpuMsPerTest: pick('cpuMsPerTest'),
    cpuMsTotal,
    wallMsPerCall: settings.wallMsPerCall ?? DEFAULT_WALL_PER_CALL_FACTOR * cpuMsPerCall,
    wallMsTotal:
      settings.wallMsTotal ?? Math.max(MIN_DEFAULT_WALL_MS_TOTAL, DEFAULT_WALL_TOTAL_FACTOR * cpuMsTotal),
    memoryBytes: pick('memoryBytes'),
    stackBytes: pick('stackBytes'),
    outputChars: pick('outputChars'),
  };
}

/** What a wall-clock limit backs, for the rule and its messages. */
const BACKED_BY: readonly { wall: 'wallMsPerCall' | 'wallMsTotal'; cpu: 'cpuMsPerCall' | 'cpuMsTotal' }[] = [
  { wall: 'wallMsPerCall', cpu: 'cpuMsPerCall' },
  { wall: 'wallMsTotal', cpu: 'cpuMsTotal' },
];

/**
 * Where resolved limits break the rule that a wall-clock limit is at least
 * `MIN_WALL_FACTOR` × the step budget it backs: one entry per broken limit.
 */
export function wallLimitProblems(limits: GradingLimits): { limit: LimitName; message: string }[] {
  return BACKED_BY.filter(({ wall, cpu }) => limits[wall] < MIN_WALL_FACTOR * limits[cpu]).map(
    ({ wall, cpu }) => ({
      limit: wall,
      message: `${limits[wall]} ms is less than ${MIN_WALL_FACTOR} × ${cpu} (${limits[cpu]} ms) = ${MIN_WALL_FACTOR * limits[cpu]} ms: a wall-clock limit that close to the step budget it backs could decide a verdict on a slow or busy machine`,
    }),
  );
}

/** A limit in a learner-facing sentence: what it bounds and its value, with its exercise.json name. */
export function describeLimit(name: StoppingLimit, limits: GradingLimits): string {
  const value = limits[name];
  switch (name) {
    case 'cpuMsPerCall':
      return `the CPU budget of one call (${value} ms, counted in interpreter steps so that every machine gives the same verdict; cpuMsPerCall)`;
    case 'cpuMsPerTest':
      return `the CPU budget that one test may spend (${value} ms, counted in interpreter steps; cpuMsPerTest)`;
    case 'cpuMsTotal':
      return `your submission's CPU budget for all tests together (${value} ms, counted in interpreter steps; cpuMsTotal)`;
    case 'wallMsPerCall':
      return `the wall-clock limit of one call (${value} ms of real time; wallMsPerCall)`;
    case 'wallMsTotal':
      return `the wall-clock limit for grading the whole submission (${value} ms of real time; wallMsTotal)`;
    case 'memoryBytes':
      return `the sandbox's memory (${value} bytes; memoryBytes)`;
  }
}
