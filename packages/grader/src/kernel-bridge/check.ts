/**
 * Host-side checks of values that come from the guest: learner-facing
 * messages that show the offending value the way the learner wrote it.
 */

/** A bad argument the guest passed to a `kernel.*` method; it reaches the guest as an exception. */
export class KernelArgumentError extends Error {
  override name = 'KernelArgumentError';
}

const MAX_SHOWN = 160;

/** A short JavaScript-like rendering of a guest value (NaN, Infinity and undefined stay visible, unlike JSON). */
export function show(value: unknown): string {
  const text = render(value, 0);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function render(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `0x${value.toString(16)}n`.replace('0x-', '-0x');
  if (depth > 3) return '…';
  if (Array.isArray(value))
    return `[${value
      .slice(0, 20)
      .map((v) => render(v, depth + 1))
      .join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).slice(0, 20);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v, depth + 1)}`).join(',')}}`;
  }
  return String(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The problem with an object's set of fields, or null: every required field
 * present, nothing unknown (a misspelt field is a bug, not something to ignore).
 */
export function fieldProblem(
  value: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[] = [],
): string | null {
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) return `unknown field "${key}"`;
  }
  for (const key of required) if (!Object.hasOwn(value, key)) return `missing field "${key}"`;
  return null;
}

/** The problem with a number that must be a safe integer, or null. */
export function integerProblem(what: string, value: unknown): string | null {
  if (typeof value !== 'number') return `${what} must be a number, got ${show(value)}`;
  if (!Number.isSafeInteger(value)) return `${what} ${show(value)} is not a safe integer`;
  return null;
}

/**
 * The problem with a virtual address, or null: a bigint, as the kernel's
 * unsigned long (0xffff888000001000n). A number is refused with how to
 * write it, so a learner's `fault.address + 4096` is caught at the call.
 */
export function addressProblem(what: string, value: unknown): string | null {
  if (typeof value === 'bigint') return null;
  const hint =
    typeof value === 'number' && Number.isSafeInteger(value)
      ? ` (write ${value < 0 ? '-' : ''}0x${Math.abs(value).toString(16)}n, or BigInt(x))`
      : '';
  return `${what} must be a bigint (a virtual address), got ${show(value)}${hint}`;
}

/** One parameter of a guest API method: the problem with the value the guest passed, or null. */
export type ParamCheck<C> = (ctx: C, value: unknown, label: string) => string | null;

/** A guest API method: its parameters (label and check) and how to run it on the host API `Api`. */
export interface MethodSpec<Api, C> {
  readonly params: readonly (readonly [string, ParamCheck<C>])[];
  // biome-ignore lint/suspicious/noExplicitAny: the arguments have been checked against `params`.
  readonly run: (api: Api, a: any[]) => unknown;
}

/**
 * Checks a guest call's arguments against a method's parameters; throws a
 * KernelArgumentError naming the method and the argument.
 */
export function checkCall<C>(
  ctx: C,
  method: string,
  params: readonly (readonly [string, ParamCheck<C>])[],
  args: readonly unknown[],
): void {
  if (args.length !== params.length) {
    if (params.length === 0) throw new KernelArgumentError(`${method} takes no arguments`);
    const labels = params.map(([label]) => label).join(', ');
    throw new KernelArgumentError(
      `${method} takes ${params.length} argument${params.length === 1 ? '' : 's'} (${labels}), got ${args.length}`,
    );
  }
  params.forEach(([label, check], i) => {
    const problem = check(ctx, args[i], label);
    if (problem !== null) throw new KernelArgumentError(`${method}: ${problem}`);
  });
}

/** A virtual address as Linux prints it. */
export function hex(n: bigint): string {
  return n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
