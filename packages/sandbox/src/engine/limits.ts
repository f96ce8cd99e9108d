/**
 * The sandbox's limits and the exchange rates behind them.
 *
 * CPU budgets are counted in interpreter steps, not measured in time, so the
 * same code gets the same verdict on a loaded CI runner and on a fast laptop.
 * QuickJS decrements a counter on every function call and backward jump and
 * polls the interrupt handler each time it reaches zero
 * (JS_INTERRUPT_COUNTER_INIT = 10 000 in quickjs.c's `js_poll_interrupts`);
 * the handler adds those steps to the sandbox's count, and every host API
 * call adds `HOST_CALL_STEPS`. A wall-clock cap per request stays as a safety
 * net for built-ins that work long between polls (a sort with a comparator, a
 * huge `repeat`), with its own verdict.
 */
import { DEFAULT_PLAIN_LIMITS, type PlainLimits } from '../plain.ts';

export interface SandboxLimits {
  /** Size of the guest's whole WebAssembly memory (heap, stack, QuickJS itself). At least 16 MiB. */
  memoryBytes: number;
  /** QuickJS's native stack limit. */
  stackBytes: number;
  /** CPU budget of one `load` or `call`, in ms of reference CPU (counted in steps: `STEPS_PER_CPU_MS`). */
  cpuMsPerCall: number;
  /** CPU budget of all `load` and `call`s of this sandbox together (same unit). */
  cpuMsTotal: number;
  /**
   * Wall-clock cap of one `load` or `call` (default `WALL_FACTOR` × cpuMsPerCall
   * + 100 ms): the safety net for work the step count cannot see.
   */
  wallMsPerCall?: number | undefined;
  /** console output kept, in UTF-16 code units; the rest is dropped. */
  maxOutputLength: number;
  /** Caps on every value crossing the boundary. */
  values: PlainLimits;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  cpuMsPerCall: 1_000,
  cpuMsTotal: 5_000,
  maxOutputLength: 64 * 1024,
  values: DEFAULT_PLAIN_LIMITS,
};

export const MIB = 1024 * 1024;
export const WASM_PAGE = 64 * 1024;

/** QuickJS polls the interrupt handler once per this many steps (JS_INTERRUPT_COUNTER_INIT in quickjs.c). */
export const STEPS_PER_POLL = 10_000;
/**
 * The exchange rate of CPU budgets: interpreter steps per ms of reference CPU.
 * Measured on the 2-core CI machine (`pnpm --filter @faultline/sandbox bench`,
 * `stepsPerMs`): plain loops ≈ 45 k steps/ms, function calls ≈ 60 k, kernel
 * API calls ≈ 55 k (with `HOST_CALL_STEPS`), sorts with a comparator ≈ 30 k,
 * loops that allocate an object or two per step ≈ 10 k. So a budget in ms is
 * about what loops and calls take there, allocation-heavy code may run up to
 * five times longer, and the verdict is the same on every machine.
 */
export const STEPS_PER_CPU_MS = 50_000;
/**
 * What one call of a host API function (or console line) costs in steps: a
 * boundary round trip takes ≈ 4–5 µs, ≈ 250 steps at the rate above.
 * Without it, a loop that only calls the kernel would poll rarely and run
 * far longer than its budget.
 */
export const HOST_CALL_STEPS = 250;
/**
 * The default wall-clock cap of a request, as a multiple of its CPU budget
 * (plus 100 ms): far enough above the slowest kind of step (allocation, at a
 * fifth of the reference rate) that only work between polls ever reaches it.
 */
export const WALL_FACTOR = 10;

/**
 * What the guest's clock reads before its first step: 2026-01-01T00:00:00Z.
 * Its `Date.now()` is this plus the steps it has run, in budget ms, so the
 * same code sees the same times on every machine (see the prelude).
 */
export const GUEST_EPOCH_MS = Date.UTC(2026, 0, 1);

/** How deep guest code and host functions may call each other (hook → kernel → hook …). */
export const MAX_NESTING = 8;

/** Limits with defaults filled in, checked once. */
export function resolveLimits(partial: Partial<SandboxLimits> | undefined): SandboxLimits {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...partial };
  if (limits.memoryBytes < 16 * MIB)
    throw new RangeError('memoryBytes must be at least 16 MiB (QuickJS needs that to start)');
  return limits;
}

/** The budgets of one sandbox's requests, in the units the meter counts. */
export interface StepBudgets {
  readonly stepsPerCall: number;
  readonly stepsTotal: number;
  readonly cpuMsPerCall: number;
  readonly cpuMsTotal: number;
  readonly wallMsPerCall: number;
}

export function stepBudgets(
  limits: Pick<SandboxLimits, 'cpuMsPerCall' | 'cpuMsTotal' | 'wallMsPerCall'>,
): StepBudgets {
  return {
    stepsPerCall: limits.cpuMsPerCall * STEPS_PER_CPU_MS,
    stepsTotal: limits.cpuMsTotal * STEPS_PER_CPU_MS,
    cpuMsPerCall: limits.cpuMsPerCall,
    cpuMsTotal: limits.cpuMsTotal,
    wallMsPerCall: limits.wallMsPerCall ?? WALL_FACTOR * limits.cpuMsPerCall + 100,
  };
}

/** The fixed size of the guest's memory, rounded up to whole WebAssembly pages. */
export function memoryPages(limits: Pick<SandboxLimits, 'memoryBytes'>): number {
  return Math.ceil(limits.memoryBytes / WASM_PAGE);
}
