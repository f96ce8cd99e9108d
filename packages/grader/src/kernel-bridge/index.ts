/**
 * Learner hooks in the sandbox: a KernelHooks function on the host for each
 * hook the learner's module exports. A call serialises the hook's plain-data
 * arguments, calls the guest export (which talks to the kernel through the
 * global `kernel`, whose methods forward to the `k` of this very call), and
 * checks the returned value against the hook's result type.
 *
 * Nothing falls back to the reference hook: a guest that throws, runs out of
 * time, memory or stack, or returns the wrong shape makes the hook throw a
 * `LearnerHookFailure` on the host, for the grader to report.
 *
 * ```ts
 * const bridge = createKernelBridge();
 * const sandbox = await createSandbox({ hostApi: bridge.hostApi });
 * const load = sandbox.load(code); // code from transpile()
 * if (load.kind !== 'ok') …
 * const hooks = learnerHooks(sandbox, ['anonymousFault'], { bridge, exports: load.exports });
 * const kernel = new Kernel({ hooks });
 * ```
 *
 * The guest's `kernel` is the KernelApi the hook was handed: its methods
 * (`kernel.mapPage(…)`) and, under `kernel.hooks`, the installed hooks
 * (`kernel.hooks.cowBreak(fault, pfn)`, which may run the learner's own
 * cowBreak). A method by its name before the move to `kernel.hooks`
 * (`kernel.cowBreak`) is a learner-facing error that says the new name.
 *
 * copyFromUser and copyToUser receive a UaccessApi instead of a KernelApi:
 * during those calls the guest's `kernel` offers the UaccessApi methods
 * (guest-uaccess.ts; `copyInstruction` is the method `kernel.copyInstruction()`),
 * and during the others the KernelApi methods (guest-api.ts). A method of the
 * other API is a learner-facing error in the guest.
 */
import {
  type ConsoleOutput,
  createSandbox,
  createSandboxFactory,
  type FactoryStats,
  type Failure,
  type HostFunction,
  type LeaseOptions,
  type LoadResult,
  MAX_NESTING,
  type PlainValue,
  type Sandbox,
  SandboxNestingError,
  type SandboxOptions,
} from '@faultline/sandbox';
import {
  isKernelError,
  type KernelApi,
  type KernelHooks,
  type UaccessApi,
  type UserCopy,
} from '@faultline/vm-core';
import { brandErrorClass } from '../brand.ts';
import { sizeInWords } from '../sizes.ts';
import { KernelArgumentError, show } from './check.ts';
import {
  checkArguments,
  GUEST_KERNEL_METHODS,
  type GuestKernelContext,
  type GuestKernelMethod,
  guestKernelContext,
  RENAMED_KERNEL_METHODS,
  renamedMethodMessage,
} from './guest-api.ts';
import {
  checkUaccessArguments,
  GUEST_UACCESS_METHODS,
  type GuestUaccessContext,
  guestUaccessContext,
  UACCESS_HOOKS_TEXT,
} from './guest-uaccess.ts';
import {
  type Check,
  checkBoolean,
  checkFaultOutcome,
  checkIpOrNull,
  checkNothing,
  checkPteInfo,
  checkReclaimDecision,
  checkUserCopyResult,
  FAULT_OUTCOME_SHAPE,
  HANDLER_OUTCOME_SHAPE,
  PTE_INFO_SHAPE,
  USER_COPY_RESULT_SHAPE,
} from './shapes.ts';

export { KernelArgumentError } from './check.ts';
export { GUEST_KERNEL_METHODS, type GuestKernelMethod, RENAMED_KERNEL_METHODS } from './guest-api.ts';
export { GUEST_UACCESS_METHODS } from './guest-uaccess.ts';

/** The hooks that can run in the sandbox: all of them (the uaccess ones get a UaccessApi, the rest a KernelApi). */
export type BridgedHookName = keyof KernelHooks;

/** The running hook call's guest API: which one, and what it talks to. */
type HookContext =
  | { readonly api: 'kernel'; readonly ctx: GuestKernelContext }
  | { readonly api: 'uaccess'; readonly ctx: GuestUaccessContext };

interface ResultSpec {
  readonly api: HookContext['api'];
  readonly shape: string;
  readonly check: (hook: HookContext) => Check;
}

const kernelResult = (shape: string, check: (ctx: GuestKernelContext) => Check): ResultSpec => ({
  api: 'kernel',
  shape,
  check: (hook) => (hook.api === 'kernel' ? check(hook.ctx) : wrongApi(hook.api)),
});
const uaccessResult = (shape: string, check: (ctx: GuestUaccessContext) => Check): ResultSpec => ({
  api: 'uaccess',
  shape,
  check: (hook) => (hook.api === 'uaccess' ? check(hook.ctx) : wrongApi(hook.api)),
});
function wrongApi(api: string): never {
  throw new Error(`kernel bridge: a result spec was given the ${api} context (a bug in the bridge)`);
}

const RESULTS: Readonly<Record<BridgedHookName, ResultSpec>> = {
  pageFault: kernelResult(FAULT_OUTCOME_SHAPE, () => checkFaultOutcome),
  anonymousFault: kernelResult(HANDLER_OUTCOME_SHAPE, () => checkFaultOutcome),
  cowBreak: kernelResult(HANDLER_OUTCOME_SHAPE, () => checkFaultOutcome),
  swapIn: kernelResult(HANDLER_OUTCOME_SHAPE, () => checkFaultOutcome),
  vmallocFault: kernelResult('a boolean (true if it synced a mapping)', () => checkBoolean),
  reclaimDecision: kernelResult("'reclaim' | 'activate' | 'keep'", () => checkReclaimDecision),
  flushTlbPage: kernelResult('nothing (undefined)', () => checkNothing),
  walkPageTable: kernelResult(PTE_INFO_SHAPE, (ctx) => checkPteInfo(ctx.frames)),
  exceptionFixup: kernelResult('the fixup address (a bigint) or null', () => checkIpOrNull),
  copyFromUser: uaccessResult(USER_COPY_RESULT_SHAPE, (ctx) => checkUserCopyResult(ctx.copy.length)),
  copyToUser: uaccessResult(USER_COPY_RESULT_SHAPE, (ctx) => checkUserCopyResult(ctx.copy.length)),
};

export const BRIDGED_HOOKS = Object.keys(RESULTS) as readonly BridgedHookName[];

/** Why a learner hook call produced no usable result. */
export type LearnerHookVerdict =
  | Failure
  /** The hook returned a value of the wrong type. */
  | { kind: 'invalid-result'; message: string }
  /** The learner's hooks called each other through the kernel too deep (without end). */
  | { kind: 'nested-too-deep'; message: string };

/** A learner's hook failed: the grader turns this into a test failure naming `hook` and `verdict`. */
export class LearnerHookFailure extends Error {
  static {
    brandErrorClass(LearnerHookFailure, 'faultline.learner-hook-failure');
  }
  override name = 'LearnerHookFailure';
  constructor(
    readonly hook: string,
    readonly verdict: LearnerHookVerdict,
  ) {
    super(`${hook}: ${describeVerdict(verdict)}`);
  }
}

/**
 * The engine's words for mixing a bigint with a number ("cannot convert
 * bigint to number", "Cannot mix BigInt and other types"): virtual addresses
 * are bigints, so that is how an off-by-type shows — say what to write.
 */
function bigintHint(v: { readonly name: string; readonly message: string }): string {
  return v.name === 'TypeError' && /cannot convert (a )?bigint|mix bigint/i.test(v.message)
    ? ' (virtual addresses are bigints, like C’s unsigned long: write fault.address + BigInt(i), or 0x1000n — not a number)'
    : '';
}

/**
 * A verdict as the rest of a sentence that starts "Your <hook> …" or "Your
 * module failed to load: it …": learner-facing, naming the limit.
 */
export function describeVerdict(v: LearnerHookVerdict): string {
  switch (v.kind) {
    case 'error':
      return v.name === 'MissingExport' ? v.message : `threw ${v.name}: ${v.message}${bigintHint(v)}`;
    case 'invalid-value':
      return `returned a value that cannot leave the sandbox: ${v.message}`;
    case 'timeout':
      return v.limit === 'wall'
        ? `ran out of time (it ran for ${v.ms} ms of wall-clock time without finishing; a built-in such as sort, repeat or a regular expression working on huge data can do that)`
        : `ran out of time (it used up the ${v.budget === 'call' ? 'per-call' : 'total'} CPU budget of ${v.ms} ms, counted in interpreter steps so that every machine gives the same verdict; is there an endless loop?)`;
    case 'memory-limit':
      return `ran out of memory (the sandbox has ${sizeInWords(v.bytes)})`;
    case 'stack-overflow':
      return 'overflowed the stack (recursion too deep)';
    case 'crashed':
      return `crashed the sandbox: ${v.message}`;
    case 'invalid-result':
      return `returned the wrong kind of value: ${v.message}`;
    case 'nested-too-deep':
      return v.message;
  }
}

/**
 * The host side of one sandbox's `kernel` global. Give `hostApi` to
 * `createSandbox`, then the bridge to `learnerHooks`. One bridge per sandbox.
 */
export interface KernelBridge {
  readonly hostApi: Readonly<Record<string, HostFunction>>;
}

interface BridgeState {
  sandbox: Sandbox | null;
  /** The running hook call's API and what it talks to, or null between calls. */
  current: HookContext | null;
  currentHook: string | null;
  /** A failure thrown through the guest (a nested learner hook failed): rethrown when the call ends, even if the guest caught it. */
  nested: LearnerHookFailure | null;
  /** A host error that is nobody's argument mistake (a bug on the host side): rethrown when the call ends. */
  hostError: unknown;
}

const states = new WeakMap<KernelBridge, BridgeState>();

const UACCESS_METHOD_LIST = (Object.keys(GUEST_UACCESS_METHODS) as (keyof UaccessApi)[])
  .map((m) => (m === 'copyInstruction' ? `${m}()` : m))
  .join(', ');

export function createKernelBridge(): KernelBridge {
  const state: BridgeState = {
    sandbox: null,
    current: null,
    currentHook: null,
    nested: null,
    hostError: null,
  };
  // Runs a kernel operation for the guest; an error reaches the guest, and is
  // also kept for the end of the call unless it is the guest's own mistake.
  const forward = (run: () => unknown): PlainValue | undefined => {
    try {
      return run() as PlainValue | undefined;
    } catch (error) {
      if (error instanceof LearnerHookFailure) state.nested ??= error;
      else if (!(isKernelError(error) || error instanceof KernelArgumentError)) state.hostError ??= error;
      throw error;
    }
  };
  /** The running hook's context, if `method` belongs to its API; otherwise a learner-facing error. */
  const contextFor = <A extends HookContext['api']>(method: string, api: A) => {
    const current = state.current;
    if (current === null)
      throw new KernelArgumentError(`${method}: the kernel can only be used while a hook runs`);
    if (current.api !== api)
      throw new KernelArgumentError(
        api === 'kernel'
          ? `${method} cannot be used inside ${UACCESS_HOOKS_TEXT}: a user copy has only ${UACCESS_METHOD_LIST}`
          : `${method} can only be used inside ${UACCESS_HOOKS_TEXT}`,
      );
    return current.ctx as Extract<HookContext, { api: A }>['ctx'];
  };
  const hostApi: Record<string, HostFunction> = {};
  for (const method of Object.keys(GUEST_KERNEL_METHODS) as GuestKernelMethod[]) {
    const { run } = GUEST_KERNEL_METHODS[method];
    hostApi[method] = (...args) => {
      const ctx = contextFor(method, 'kernel');
      checkArguments(ctx, method, args);
      return forward(() => run(ctx.k, args));
    };
  }
  for (const method of Object.keys(GUEST_UACCESS_METHODS) as (keyof UaccessApi)[]) {
    const { run } = GUEST_UACCESS_METHODS[method];
    hostApi[method] = (...args) => {
      const ctx = contextFor(method, 'uaccess');
      checkUaccessArguments(ctx, method, args);
      return forward(() => run(ctx.u, args));
    };
  }
  for (const old of Object.keys(RENAMED_KERNEL_METHODS)) {
    hostApi[old] = () => {
      throw new KernelArgumentError(renamedMethodMessage(old));
    };
  }
  const bridge: KernelBridge = { hostApi: Object.freeze(hostApi) };
  states.set(bridge, state);
  return bridge;
}

export interface LearnerHooksOptions {
  /** The bridge whose `hostApi` the sandbox was created with. */
  readonly bridge: KernelBridge;
  /** What the learner's module exports (`load(code).exports`): hooks it does not export are left out. */
  readonly exports: readonly string[];
}

/**
 * Host-side KernelHooks functions for the requested hooks that the learner
 * exports, ready for `new Kernel({ hooks })`. Missing hooks are simply absent
 * (the kernel then uses its reference), so the caller decides whether a
 * missing export is an error.
 */
export function learnerHooks(
  sandbox: Sandbox,
  hookNames: readonly BridgedHookName[],
  options: LearnerHooksOptions,
): Partial<KernelHooks> {
  const state = states.get(options.bridge);
  if (state === undefined)
    throw new TypeError('learnerHooks: the bridge does not come from createKernelBridge()');
  if (state.sandbox !== null && state.sandbox !== sandbox)
    throw new TypeError('learnerHooks: this bridge already serves another sandbox (one bridge per sandbox)');
  state.sandbox = sandbox;

  const hooks: Record<string, unknown> = {};
  for (const name of hookNames) {
    if (!Object.hasOwn(RESULTS, name))
      throw new TypeError(
        `learnerHooks: ${String(name)} cannot run in the sandbox (supported: ${BRIDGED_HOOKS.join(', ')})`,
      );
    if (!options.exports.includes(name)) continue;
    hooks[name] = (k: KernelApi | UaccessApi, ...args: unknown[]) => callHook(sandbox, state, name, k, args);
  }
  return hooks as Partial<KernelHooks>;
}

function callHook(
  sandbox: Sandbox,
  state: BridgeState,
  name: BridgedHookName,
  k: KernelApi | UaccessApi,
  args: unknown[],
): unknown {
  const spec = RESULTS[name];
  const hook: HookContext =
    spec.api === 'kernel'
      ? { api: 'kernel', ctx: guestKernelContext(k as KernelApi) }
      : { api: 'uaccess', ctx: guestUaccessContext(k as UaccessApi, args[0] as UserCopy) };
  // A hook may be reached while another hook of this sandbox runs (the
  // learner's pageFault calls kernel.hooks.cowBreak, which runs their cowBreak): the
  // running call's frame is put aside and restored when this one ends.
  const outer = {
    current: state.current,
    currentHook: state.currentHook,
    nested: state.nested,
    hostError: state.hostError,
  };
  state.current = hook;
  state.currentHook = name;
  state.nested = null;
  state.hostError = null;
  let result: ReturnType<Sandbox['call']> | Extract<LearnerHookVerdict, { kind: 'nested-too-deep' }>;
  let nested: LearnerHookFailure | null;
  let hostError: unknown;
  try {
    result = sandbox.call(name, args as PlainValue[]);
  } catch (error) {
    if (!(error instanceof SandboxNestingError) || outer.currentHook === null) throw error;
    result = {
      kind: 'nested-too-deep',
      message: `was called through the kernel while your ${outer.currentHook} was still running, ${MAX_NESTING} calls deep: your hooks keep calling each other through the kernel without end`,
    };
  } finally {
    nested = state.nested;
    hostError = state.hostError;
    state.current = outer.current;
    state.currentHook = outer.currentHook;
    state.nested = outer.nested;
    state.hostError = outer.hostError;
  }
  if (hostError !== null) throw hostError;
  if (nested !== null) throw nested;
  if (result.kind !== 'ok') throw new LearnerHookFailure(name, result);
  const problem = spec.check(hook)(result.value);
  if (problem !== null) {
    throw new LearnerHookFailure(name, {
      kind: 'invalid-result',
      // A function that falls off its end returns undefined, which reaches
      // the host as null: say so, as that is nearly always what happened.
      message:
        result.value === null
          ? `${name} returned nothing (undefined or null — a missing \`return\`?); it must return ${spec.shape}`
          : `${name} returned ${show(result.value)} — expected ${spec.shape} (${problem})`,
    });
  }
  return name === 'flushTlbPage' ? undefined : result.value;
}

export type LoadLearnerHooksResult =
  | { kind: 'ok'; hooks: Partial<KernelHooks>; sandbox: Sandbox; exports: string[] }
  | { kind: 'load-failed'; failure: Failure; sandbox: Sandbox };

/** A fresh sandbox with a bridge, the learner's code loaded, and its hooks. The caller disposes the sandbox. */
export async function loadLearnerHooks(
  code: string,
  hookNames: readonly BridgedHookName[],
  options: Omit<SandboxOptions, 'hostApi' | 'hostApiName'> = {},
): Promise<LoadLearnerHooksResult> {
  const bridge = createKernelBridge();
  const sandbox = await createSandbox({ ...options, hostApi: bridge.hostApi });
  const load = sandbox.load(code);
  if (load.kind !== 'ok') return { kind: 'load-failed', failure: load, sandbox };
  return {
    kind: 'ok',
    hooks: learnerHooks(sandbox, hookNames, { bridge, exports: load.exports }),
    sandbox,
    exports: load.exports,
  };
}

/** How each of a factory's sandboxes may differ: its budgets and wall-clock cap (the rest is the snapshot's). */
export type LearnerHookLease = NonNullable<LeaseOptions['limits']>;

/**
 * The learner's module loaded once, and each test's sandbox restored from a
 * snapshot of that load (see `createSandboxFactory`): what `loadLearnerHooks`
 * gives, for many tests of one submission, without booting QuickJS and
 * loading the module for each. Every sandbox gets a bridge of its own, so no
 * hook call of one test can reach the kernel of another.
 */
export interface LearnerHookFactory {
  /** The module's load verdict under the factory's limits, and what it printed. */
  readonly load: LoadResult;
  readonly loadOutput: ConsoleOutput;
  /** A loaded sandbox with the learner's hooks bridged (or the load's failure). The caller disposes the sandbox. */
  acquire(limits?: LearnerHookLease): Promise<LoadLearnerHooksResult>;
  stats(): FactoryStats;
  dispose(): void;
}

export async function createLearnerHookFactory(
  code: string,
  hookNames: readonly BridgedHookName[],
  options: Omit<SandboxOptions, 'hostApi' | 'hostApiName'> = {},
): Promise<LearnerHookFactory> {
  // The snapshot's host functions are named after the bridge's API; each
  // sandbox gets its own functions of those names, from its own bridge.
  const factory = await createSandboxFactory({ ...options, code, hostApi: createKernelBridge().hostApi });
  return {
    load: factory.load,
    loadOutput: factory.loadOutput,
    async acquire(limits) {
      const bridge = createKernelBridge();
      const leased = await factory.acquire({
        hostApi: bridge.hostApi,
        ...(limits === undefined ? {} : { limits }),
      });
      const { sandbox, load } = leased;
      if (load.kind !== 'ok') return { kind: 'load-failed', failure: load, sandbox };
      return {
        kind: 'ok',
        hooks: learnerHooks(sandbox, hookNames, { bridge, exports: load.exports }),
        sandbox,
        exports: load.exports,
      };
    },
    stats: () => factory.stats(),
    dispose: () => factory.dispose(),
  };
}
