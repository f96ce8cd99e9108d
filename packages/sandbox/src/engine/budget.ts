/**
 * Budget accounting: the step count of one sandbox and the limits of the
 * request running now.
 *
 * A request (a `load` or a `call`) runs under the smaller of its per-call
 * budget and what is left of the sandbox's total, and under a wall-clock cap
 * on the injected clock. A host function the guest called may call back in
 * (a kernel operation that runs another of the learner's hooks): the nested
 * request runs within what is left of the outer one's budget and wall-clock
 * time, its steps count for both, and if it spends the outer budget the outer
 * request stops at its next poll.
 *
 * Steps decide before the clock wherever both could: when both are spent,
 * the verdict is the deterministic one. The clock is read at request start,
 * at each poll and host call while the step budget lasts, and when a nested
 * request hands control back — never for the step budget itself.
 */
import { HOST_CALL_STEPS, STEPS_PER_POLL, type StepBudgets } from './limits.ts';
import type { Failure } from './types.ts';

/** Which budget bounds a request: its own per-call budget, or what is left of the sandbox's total. */
export type BudgetKind = 'call' | 'total';

/** One running request's limits. The innermost one is what polls and host calls check. */
export interface Request {
  /** 'load' or 'call of f()': named in usage errors. */
  readonly what: string;
  /** The step count at which this request's budget is spent (fixed at its start). */
  readonly limit: number;
  readonly budget: BudgetKind;
  readonly wallDeadline: number;
  /** The step count at which polls stop the guest: `limit`, lowered to now once the engine broke under it. */
  stepLimit: number;
  /** Why this request was stopped, if it was. */
  interrupted: 'steps' | 'wall' | null;
  /** The request whose host function started this one (null for a request from the host). */
  readonly outer: Request | null;
  /** 1 for a request from the host, 2 for one nested in it, … */
  readonly depth: number;
}

/** A sandbox's step count and the clock its wall-clock caps are read on. */
export interface Meter {
  steps: number;
  readonly budgets: StepBudgets;
  readonly now: () => number;
}

export function timeoutVerdict(budgets: StepBudgets, budget: BudgetKind): Failure {
  return {
    kind: 'timeout',
    limit: 'cpu',
    budget,
    ms: budget === 'call' ? budgets.cpuMsPerCall : budgets.cpuMsTotal,
  };
}

/**
 * The limits of a request about to start inside `outer` (null: from the
 * host), or the timeout verdict it gets without running when nothing is
 * left of its budget.
 */
export function openRequest(
  meter: Meter,
  what: string,
  outer: Request | null,
): { kind: 'run'; request: Request } | { kind: 'refused'; verdict: Failure } {
  const { budgets } = meter;
  const remaining = budgets.stepsTotal - meter.steps;
  if (remaining <= 0) return { kind: 'refused', verdict: timeoutVerdict(budgets, 'total') };
  let budget: BudgetKind = remaining < budgets.stepsPerCall ? 'total' : 'call';
  let limit = meter.steps + Math.min(remaining, budgets.stepsPerCall);
  if (outer !== null && outer.stepLimit <= limit) {
    limit = outer.stepLimit;
    budget = outer.budget;
  }
  if (limit <= meter.steps) return { kind: 'refused', verdict: timeoutVerdict(budgets, budget) };
  const wallDeadline = Math.min(
    meter.now() + budgets.wallMsPerCall,
    outer?.wallDeadline ?? Number.POSITIVE_INFINITY,
  );
  return {
    kind: 'run',
    request: {
      what,
      limit,
      budget,
      wallDeadline,
      stepLimit: limit,
      interrupted: null,
      outer,
      depth: (outer?.depth ?? 0) + 1,
    },
  };
}

/**
 * The interrupt poll while `request` runs. Once its budget is spent every
 * poll interrupts again, so catching the interrupt does not help for long.
 */
export function pollRequest(meter: Meter, request: Request): boolean {
  meter.steps += STEPS_PER_POLL;
  if (meter.steps >= request.stepLimit) request.interrupted = 'steps';
  else if (meter.now() > request.wallDeadline) request.interrupted = 'wall';
  return request.interrupted !== null;
}

/**
 * Charges a host call; false when the budget is spent or the wall-clock cap
 * passed (the next poll then stops the guest). Checking the clock here too
 * catches a guest whose time goes into slow host calls, between polls.
 */
export function chargeHostCall(meter: Meter, request: Request): boolean {
  meter.steps += HOST_CALL_STEPS;
  // Steps first: when both are spent, the verdict is the deterministic one.
  if (request.interrupted === null && meter.steps < request.stepLimit && meter.now() > request.wallDeadline)
    request.interrupted = 'wall';
  return meter.steps < request.stepLimit && request.interrupted === null;
}

/** The verdict of a request that was stopped (or spent its budget in a refused host call, then returned before a poll). */
export function stoppedVerdict(meter: Meter, request: Request): Failure | null {
  if (request.interrupted === 'wall')
    return { kind: 'timeout', limit: 'wall', ms: meter.budgets.wallMsPerCall };
  return request.interrupted === 'steps' || meter.steps >= request.limit
    ? timeoutVerdict(meter.budgets, request.budget)
    : null;
}

/**
 * Back in `outer`'s host function after a nested request ended: whatever the
 * nested one spent counts against the outer one. After the engine broke, the
 * outer request must not run on: it stops at its next poll and its host
 * calls are refused.
 */
export function resumeOuter(meter: Meter, outer: Request, engineBroken: boolean): void {
  outer.interrupted =
    meter.steps >= outer.stepLimit ? 'steps' : meter.now() > outer.wallDeadline ? 'wall' : outer.interrupted;
  if (engineBroken) {
    outer.stepLimit = meter.steps;
    outer.interrupted ??= 'steps';
  }
}
