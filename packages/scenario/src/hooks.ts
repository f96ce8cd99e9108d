/**
 * Which implementation each kernel hook runs, and how a scenario changes it
 * mid-run. The kernel is given a switchboard: one small function per hook
 * that calls whatever the table holds now, so a run (or a test) can put the
 * reference, an empty hook or someone's file in place of one hook and later
 * put the original back, without rebuilding the kernel.
 *
 * This package never loads code. A hook from a file is resolved by the
 * caller (`resolveHookFile`), which for learners' or instructors' files means
 * the grader's sandbox bridge: untrusted code stays in the sandbox.
 */
import { type KernelHooks, referenceHooks } from '@faultline/vm-core';
import { ScenarioError } from './errors.ts';

export type HookName = keyof KernelHooks;

/** Every hook point, in the kernel's order. */
export const HOOK_NAMES = Object.keys(referenceHooks) as readonly HookName[];

export function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

/** How a scenario file names an implementation: Linux's, one that does nothing, or one from a file. */
export type HookSpec = 'reference' | 'empty' | { readonly file: string };

/**
 * The hooks a file provides, loaded by the caller (in the CLI: transpiled and
 * run in the sandbox). Hooks the file does not export are simply absent.
 */
export type ResolveHookFile = (file: string) => Partial<KernelHooks>;

const unresolved = { kind: 'resolved', resolution: 'spurious' } as const;

/**
 * Hooks that do nothing and return at once, for showing what the kernel does
 * without a piece. Each returns the neutral answer of its kind:
 *
 * - fault hooks (pageFault, anonymousFault, cowBreak, swapIn) map nothing
 *   and say the fault was spurious, so the access faults again until the
 *   kernel gives up ("the fault … keeps recurring");
 * - vmallocFault syncs nothing (false), exceptionFixup finds no fixup (null):
 *   the kernel oopses;
 * - copyFromUser / copyToUser copy nothing and report every byte not copied
 *   (-EFAULT); the kernel buffer keeps whatever it held;
 * - reclaimDecision keeps every page (reclaim frees nothing);
 * - flushTlbPage invalidates nothing (stale TLB entries keep working);
 * - walkPageTable finds no PTE anywhere.
 */
export const emptyHooks: KernelHooks = {
  pageFault: () => unresolved,
  anonymousFault: () => unresolved,
  cowBreak: () => unresolved,
  vmallocFault: () => false,
  copyFromUser: (_k, copy) => ({ notCopied: copy.length, errno: 'EFAULT', oops: null }),
  copyToUser: (_k, copy) => ({ notCopied: copy.length, errno: 'EFAULT', oops: null }),
  reclaimDecision: () => 'keep',
  flushTlbPage: () => undefined,
  walkPageTable: () => ({ kind: 'none' }),
  swapIn: () => unresolved,
  exceptionFixup: () => null,
};

/** A hook from a file failed (threw, ran out of budget, returned nonsense): named with its file. */
export class HookFileError extends ScenarioError {}

/**
 * One hook call as an observer sees it: when it starts and when it returns,
 * which implementation ran (Linux's, the empty one, or another — a
 * learner's, a file's), and what it answered.
 */
export type HookCall =
  | { readonly phase: 'call'; readonly hook: HookName; readonly impl: HookImpl }
  | { readonly phase: 'return'; readonly hook: HookName; readonly impl: HookImpl; readonly result: unknown }
  | { readonly phase: 'throw'; readonly hook: HookName; readonly impl: HookImpl; readonly error: unknown };

export type HookImpl = 'reference' | 'empty' | 'other';
export type HookObserver = (call: HookCall) => void;

/**
 * The table of installed hooks behind the kernel's switchboard. `base` is
 * what the run started with (the reference hooks, with the given ones in
 * their place); `use` swaps one hook, `restore` puts the base one back.
 */
export class HookTable {
  /** Pass this to `new Kernel({ hooks })`: every call goes to the table's current entry. */
  readonly switchboard: KernelHooks;
  private readonly base: KernelHooks;
  private readonly current: KernelHooks;
  private observers: readonly HookObserver[] = [];

  constructor(
    base: Partial<KernelHooks> = {},
    private readonly resolveHookFile?: ResolveHookFile,
  ) {
    this.base = { ...referenceHooks, ...base };
    this.current = { ...this.base };
    const t = this.current;
    // Unobserved, a call costs one length test more than calling the hook.
    const via =
      <K extends HookName>(name: K) =>
      (...args: Parameters<KernelHooks[K]>): ReturnType<KernelHooks[K]> => {
        const hook = t[name] as (...a: Parameters<KernelHooks[K]>) => ReturnType<KernelHooks[K]>;
        return this.observers.length === 0 ? hook(...args) : this.observed(name, hook, args);
      };
    this.switchboard = {
      pageFault: via('pageFault'),
      anonymousFault: via('anonymousFault'),
      cowBreak: via('cowBreak'),
      vmallocFault: via('vmallocFault'),
      copyFromUser: via('copyFromUser'),
      copyToUser: via('copyToUser'),
      reclaimDecision: via('reclaimDecision'),
      flushTlbPage: via('flushTlbPage'),
      walkPageTable: via('walkPageTable'),
      swapIn: via('swapIn'),
      exceptionFixup: via('exceptionFixup'),
    };
  }

  /** Tells `observer` of every hook call from now on; returns the function that stops it. */
  observe(observer: HookObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  private observed<A extends unknown[], R>(name: HookName, hook: (...args: A) => R, args: A): R {
    const fn: unknown = hook;
    const impl: HookImpl =
      fn === referenceHooks[name] ? 'reference' : fn === emptyHooks[name] ? 'empty' : 'other';
    const tell = (call: HookCall) => {
      for (const o of this.observers) o(call);
    };
    tell({ phase: 'call', hook: name, impl });
    let result: R;
    try {
      result = hook(...args);
    } catch (error) {
      tell({ phase: 'throw', hook: name, impl, error });
      throw error;
    }
    tell({ phase: 'return', hook: name, impl, result });
    return result;
  }

  /** The implementation a hook runs now. */
  installed<K extends HookName>(name: K): KernelHooks[K] {
    return this.current[name];
  }

  /** Runs `implementation` for `name` from now on. */
  use<K extends HookName>(name: K, implementation: KernelHooks[K]): void {
    this.current[name] = implementation;
  }

  /** Puts back the hook the run started with. */
  restore(name: HookName): void {
    this.use(name, this.base[name]);
  }

  /** The implementation a spec names; a file's hook is resolved by the caller and wrapped to name its file. */
  resolve<K extends HookName>(name: K, spec: HookSpec): KernelHooks[K] {
    if (spec === 'reference') return referenceHooks[name];
    if (spec === 'empty') return emptyHooks[name];
    if (this.resolveHookFile === undefined) {
      throw new ScenarioError(
        `the ${name} hook from "${spec.file}": this runner loads no hook files (only "reference" and "empty")`,
      );
    }
    const fromFile = this.resolveHookFile(spec.file)[name];
    if (fromFile === undefined) {
      throw new ScenarioError(`"${spec.file}" does not export ${name}, so it cannot replace that hook`);
    }
    return namingFile(name, spec.file, fromFile);
  }
}

/** Wraps a hook from a file so that its failures say which hook of which file failed. */
function namingFile<K extends HookName>(name: K, file: string, hook: KernelHooks[K]): KernelHooks[K] {
  const call = hook as (...args: unknown[]) => unknown;
  const wrapped = (...args: unknown[]) => {
    try {
      return call(...args);
    } catch (error) {
      if (error instanceof HookFileError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new HookFileError(`the ${name} hook from "${file}" failed: ${why}`, { cause: error });
    }
  };
  return wrapped as KernelHooks[K];
}
