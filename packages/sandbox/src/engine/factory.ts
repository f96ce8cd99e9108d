/**
 * A sandbox factory: the learner's module loaded once into one instance,
 * snapshotted, and every sandbox handed out on that instance restored to the
 * snapshot in place — as if it had just been created and had loaded the
 * module itself, without paying for either (about 10 ms a sandbox). The
 * instance itself comes from the idle instances of earlier factories when
 * there is one, restored to its boot image, and goes back there when the
 * factory is disposed (`instance-cache.ts`), so a grading run boots QuickJS
 * once per thread, not once per submission.
 *
 * What a restore must bring back, and how it does:
 *
 * - The WebAssembly memory: QuickJS's whole heap (every object, the atom
 *   table, the GC's counters, the interrupt counter, the stack limit, the
 *   module's own state, the prelude's console budget and random seed), the
 *   C stack and emscripten's static data. Restored byte for byte, with what
 *   the last sandbox's heap grew into zeroed again (`snapshot.ts`; how far
 *   it grew is read from sbrk's word, `build-facts.ts`, or else the whole
 *   tail is zeroed).
 * - The instance's one mutable WebAssembly global, the C stack pointer
 *   (the module has no other; its table is internal and never changes).
 *   A call into the instance that returns puts it back where it found it;
 *   a trap unwinds without doing so. A trap the engine sees makes the
 *   sandbox `crashed`, and a crashed instance is never restored: it is
 *   freed, never kept for a later factory, and the next sandbox gets
 *   another instance (idle or newly booted). A trap it cannot see (inside
 *   a host callback, where quickjs-emscripten logs it and returns null to
 *   QuickJS) leaves the pointer moved, so before an instance is reused its
 *   stack pointer is compared with the snapshot's (or, given back to the
 *   cache, with its boot image's), and if it moved the instance is dropped
 *   like a crashed one. Reading it takes the build's stack
 *   exports (`build-facts.ts`) and the compiled module (`wasmModule`), which
 *   the engine then instantiates itself; without them every sandbox loads
 *   the module itself.
 * - quickjs-emscripten's JS side: the host-function table (`hostRefs`) and
 *   the runtime/context callback maps are filled at boot and never change
 *   afterwards: the engine creates no function after the snapshot, and it
 *   keeps a handle on every host function so QuickJS can never free one and
 *   drop its table entry (`instance.ts`). The interrupt handler and the host
 *   functions dispatch to whichever session the instance is bound to.
 *   Handles a sandbox creates after the snapshot (request arguments,
 *   results, errors, its cached export name) are freed by the end of each
 *   request or when the sandbox is disposed, which comes before any
 *   restore; a JS handle that outlived a restore would point into memory
 *   that no longer holds its value. Nothing frees a handle behind the
 *   engine's back (quickjs-emscripten has no finalizers).
 * - emscripten's JS side holds nothing QuickJS reads back: buffered stdout
 *   text of the C code (unused), timers (unused), the abort flag (set only
 *   by a trap).
 * - The engine's own counters (steps, output, lifecycle, limits) belong to
 *   the session, and each sandbox gets a new one, started from what the
 *   snapshot's load left: its steps and its console output.
 *
 * A snapshot is taken only of a load that the snapshot can stand for: one
 * that succeeded without calling the host API (what the host answered could
 * depend on the sandbox it was asked in). A sandbox whose budget would not
 * have let the load finish, or whose wall-clock cap is shorter than the
 * factory's, cannot be served from the snapshot either; those, and every
 * sandbox asked for while the snapshot's instance is out, get a sandbox of
 * their own that loads the module itself (`origin: 'fresh'`), which is
 * exactly what `createSandbox` and `load` give (on an instance at its boot
 * state, from the cache too, and given back to it); so does every sandbox
 * of a factory that cannot read the stack pointer (on newly booted
 * instances: without the stack pointer none can be checked for the cache).
 */

import { type BuildFacts, buildFacts } from './build-facts.ts';
import { bootSide, instanceSetup } from './create.ts';
import type { ConsoleCapture } from './host-calls.ts';
import type { HostSide, Instance, StackPointer } from './instance.ts';
import {
  type BootedInstance,
  dirtAfterUse,
  giveBack,
  type RestingImage,
  stackMoved,
  takeBooted,
} from './instance-cache.ts';
import { resolveLimits, type SandboxLimits, type StepBudgets, stepBudgets } from './limits.ts';
import { openSession, type Session } from './session.ts';
import {
  type Dirt,
  dirtBeyond,
  type MemorySnapshot,
  restoreDirty,
  snapshotSize,
  takeSnapshot,
} from './snapshot.ts';
import {
  type ConsoleOutput,
  type HostFunction,
  type LoadResult,
  type Sandbox,
  type SandboxOptions,
  SandboxUsageError,
} from './types.ts';

export interface SandboxFactoryOptions extends SandboxOptions {
  /** The learner's module (CommonJS, as `transpile` produces), loaded once for the snapshot. */
  code: string;
}

/** What may differ between the sandboxes of one factory (the rest is fixed in the snapshot). */
export interface LeaseOptions {
  /**
   * The host API this sandbox's guest calls: the same function names as the
   * factory's `hostApi` (they are built into the snapshot), new functions
   * behind them. Default: the factory's.
   */
  hostApi?: Record<string, HostFunction>;
  /** CPU budgets and wall-clock cap of this sandbox (default: the factory's). */
  limits?: Partial<Pick<SandboxLimits, 'cpuMsPerCall' | 'cpuMsTotal' | 'wallMsPerCall'>>;
  /** The wall clock of this sandbox's per-call cap (default: the factory's). */
  clock?: () => number;
}

export interface LeasedSandbox {
  /** Loaded already: `load` throws, `call` runs the module's exports. Dispose it to give the instance back. */
  readonly sandbox: Sandbox;
  /** The module's load verdict for this sandbox, as its own `load(code)` would have returned it. */
  readonly load: LoadResult;
  /** `snapshot`: the factory's instance, restored; `fresh`: a sandbox of its own that loaded the module. */
  readonly origin: 'snapshot' | 'fresh';
}

export interface FactoryStats {
  /** Instances the snapshot's load ran on (1, plus one after each crash)… */
  readonly boots: number;
  /** …and how many of those were idle instances of earlier factories, restored to their boot image (the rest were booted). */
  readonly reusedInstances: number;
  /** Sandboxes handed out from the snapshot, and how many of those needed the memory restored first. */
  readonly fromSnapshot: number;
  readonly restores: number;
  /** Sandboxes that loaded the module themselves. */
  readonly fresh: number;
  /** Bytes the snapshot keeps (0 without one), and the size of the memory it restores. */
  readonly snapshotBytes: number;
  readonly memoryBytes: number;
}

export interface SandboxFactory {
  /** The module's load verdict under the factory's own limits (what `createSandbox` and `load` give). */
  readonly load: LoadResult;
  /** Everything the module printed while it loaded. */
  readonly loadOutput: ConsoleOutput;
  /** A loaded sandbox; see `LeasedSandbox`. */
  acquire(options?: LeaseOptions): Promise<LeasedSandbox>;
  stats(): FactoryStats;
  /** Frees the snapshot's instance; a sandbox still out is disposed first (it must not be running). */
  dispose(): void;
}

/** What the snapshot's load left: the memory, and the session counters a sandbox starts from. */
interface LoadedImage extends RestingImage {
  readonly steps: number;
  readonly console: Readonly<ConsoleCapture>;
  readonly exports: readonly string[];
}

/** The snapshot's instance and its image; `booted` is what the instance cache gives back when the factory is done. */
interface Snapshotted {
  readonly booted: BootedInstance;
  readonly image: LoadedImage;
}

type FactoryState =
  /** The instance is at rest; `dirt` says how far its memory may differ from the snapshot's. */
  | { readonly kind: 'idle'; readonly instance: Instance; readonly dirt: Dirt }
  | { readonly kind: 'leased'; readonly instance: Instance; readonly session: Session }
  /** The last sandbox crashed its instance: the next one takes another (idle or newly booted) for the snapshot. */
  | { readonly kind: 'crashed' }
  | { readonly kind: 'booting' }
  /** The module's load cannot be snapshotted (see the module comment): every sandbox loads it itself. */
  | { readonly kind: 'no-snapshot' }
  | { readonly kind: 'disposed' };

const performanceClock = (): number => performance.now();

/** What the factory's tests look at: the snapshot's instance (its memory and stack pointer) and the snapshot (internal, not exported by engine.ts). */
export interface FactoryInternals {
  readonly memory: WebAssembly.Memory | null;
  readonly stack: StackPointer | null;
  readonly snapshot: MemorySnapshot | null;
  /** The snapshot's instance's boot image (what it is restored to when the next factory takes it). */
  readonly boot: MemorySnapshot | null;
}
const internals = new WeakMap<SandboxFactory, () => FactoryInternals>();
export function inspectFactory(factory: SandboxFactory): FactoryInternals {
  const inspect = internals.get(factory);
  if (inspect === undefined) throw new TypeError('inspectFactory: not a sandbox factory');
  return inspect();
}

/** Nothing runs in the instance between sandboxes; this answers if something did. */
const IDLE_SIDE: HostSide = bootSide(() => 0);

export function createSandboxFactory(options: SandboxFactoryOptions): Promise<SandboxFactory> {
  return buildFactory(options, buildFacts(options.wasmModule));
}

/** `createSandboxFactory` with the build's facts given (tests pass fewer to try the slower ways); exported for tests. */
export async function buildFactory(
  options: SandboxFactoryOptions,
  knownFacts: Promise<BuildFacts>,
): Promise<SandboxFactory> {
  const limits = resolveLimits(options.limits);
  const hostApi: Record<string, HostFunction> = options.hostApi ?? {};
  const apiNames = Object.keys(hostApi);
  const clock = options.clock ?? performanceClock;
  const factoryBudgets = stepBudgets(limits);
  const setup = instanceSetup(limits, options, apiNames);
  const facts = await knownFacts;
  const { heapEnd } = facts;

  let boots = 0;
  let reusedInstances = 0;
  let fromSnapshot = 0;
  let restores = 0;
  let fresh = 0;

  /**
   * Gives an instance back to the cache (`instance-cache.ts`), which keeps it
   * if it can be trusted: `dirt` says how far it may differ from its boot
   * image; null: it trapped.
   */
  const retire = (booted: BootedInstance, dirt: Dirt | null) => {
    booted.instance.bind(IDLE_SIDE);
    giveBack(booted, dirt);
  };
  /** How far an instance that ran one session from its boot state may differ from its boot image (null: it trapped). */
  const dirtSinceBoot = (booted: BootedInstance, crashed: boolean): Dirt | null =>
    crashed || booted.boot === null ? null : dirtAfterUse(booted.instance, heapEnd, booted.boot);

  /** Takes an instance at its boot state and loads the module: the verdict, and the image to restore if the load can be one. */
  const bootLoaded = async (): Promise<{
    load: LoadResult;
    loadOutput: ConsoleOutput;
    snapshot: Snapshotted | null;
  }> => {
    boots += 1;
    const booted = await takeBooted(setup, facts, bootSide(clock));
    if (booted.reused) reusedInstances += 1;
    const { instance } = booted;
    let crashed = false;
    const session = openSession(instance, {
      budgets: factoryBudgets,
      clock,
      hostApi,
      start: { kind: 'fresh' },
      onDispose: (trapped) => {
        crashed = trapped;
      },
    });
    const load = session.sandbox.load(options.code);
    const loadOutput = session.sandbox.output();
    const steps = session.sandbox.stepsUsed();
    // (A stack pointer that moved during the load: a trap in a console call, see stackMoved.)
    const snapshotable =
      load.kind === 'ok' &&
      session.loadedAndIntact() &&
      session.hostApiCalls() === 0 &&
      booted.boot !== null &&
      !stackMoved(instance, booted.boot);
    session.sandbox.dispose();
    instance.bind(IDLE_SIDE);
    if (!snapshotable || load.kind !== 'ok' || instance.stack === null) {
      retire(booted, dirtSinceBoot(booted, crashed));
      return { load, loadOutput, snapshot: null };
    }
    const end = heapEnd?.read(instance.memory) ?? null;
    const image: LoadedImage = {
      memory: takeSnapshot(instance.memory, end),
      stackPointer: instance.stack.read(),
      heapEnd: end,
      steps,
      console: { ...loadOutput },
      exports: [...load.exports],
    };
    return { load, loadOutput, snapshot: { booted, image } };
  };

  const first = await bootLoaded();
  let image: LoadedImage | null = first.snapshot?.image ?? null;
  /** The snapshot's instance, as the cache gave it (null after a crash, until the next one). */
  let snapshotInstance: BootedInstance | null = first.snapshot?.booted ?? null;
  let state: FactoryState =
    first.snapshot === null
      ? { kind: 'no-snapshot' }
      : { kind: 'idle', instance: first.snapshot.booted.instance, dirt: { kind: 'pristine' } };

  const checkedHostApi = (lease: LeaseOptions): Record<string, HostFunction> => {
    const api = lease.hostApi ?? hostApi;
    const names = Object.keys(api);
    if (names.length !== apiNames.length || names.some((name) => !apiNames.includes(name)))
      throw new SandboxUsageError(
        `sandbox factory: a sandbox's hostApi must have the factory's function names (${apiNames.join(', ') || 'none'}); got ${names.join(', ') || 'none'}`,
      );
    return api;
  };

  /**
   * Whether the snapshot stands for this sandbox's own load. That load is
   * its first request, at 0 steps; it ran `image.steps` steps and finished,
   * so it finishes the same way under any budget above that, and under any
   * wall-clock cap at least the factory's. The load was timed on the
   * factory's clock: a lease's own clock times its calls, not the load it
   * stands on (the load's wall-clock verdict is the factory's).
   */
  const snapshotFits = (budgets: StepBudgets, loaded: LoadedImage): boolean =>
    loaded.steps < Math.min(budgets.stepsTotal, budgets.stepsPerCall) &&
    budgets.wallMsPerCall >= factoryBudgets.wallMsPerCall;

  /**
   * A sandbox of its own that loads the module itself: what `createSandbox`
   * and `load` give, on an instance at its boot state (an idle one from the
   * cache, or a new one), given back when the sandbox is disposed.
   */
  const freshSandbox = async (
    lease: LeaseOptions,
    api: Record<string, HostFunction>,
    budgets: StepBudgets,
  ): Promise<LeasedSandbox> => {
    fresh += 1;
    const sandboxClock = lease.clock ?? clock;
    const booted = await takeBooted(setup, facts, bootSide(sandboxClock));
    const session = openSession(booted.instance, {
      budgets,
      clock: sandboxClock,
      hostApi: api,
      start: { kind: 'fresh' },
      onDispose: (crashed) => retire(booted, dirtSinceBoot(booted, crashed)),
    });
    return { sandbox: session.sandbox, load: session.sandbox.load(options.code), origin: 'fresh' };
  };

  /** A sandbox from the snapshot was disposed: its instance is idle again, or freed if it (may have) crashed. */
  const release = (instance: Instance, crashed: boolean) => {
    instance.bind(IDLE_SIDE);
    if (crashed || state.kind !== 'leased' || image === null || stackMoved(instance, image)) {
      instance.dispose();
      if (state.kind === 'leased') state = { kind: 'crashed' };
      snapshotInstance = null;
      return;
    }
    state = { kind: 'idle', instance, dirt: dirtAfterUse(instance, heapEnd, image) };
  };

  const leaseFrom = (
    instance: Instance,
    dirt: Dirt,
    loaded: LoadedImage,
    lease: LeaseOptions,
    api: Record<string, HostFunction>,
    budgets: StepBudgets,
  ): LeasedSandbox => {
    if (restoreDirty(instance.memory, loaded.memory, dirt)) restores += 1;
    fromSnapshot += 1;
    const session = openSession(instance, {
      budgets,
      clock: lease.clock ?? clock,
      hostApi: api,
      start: { kind: 'loaded', steps: loaded.steps, console: loaded.console },
      onDispose: (crashed) => release(instance, crashed),
    });
    state = { kind: 'leased', instance, session };
    return {
      sandbox: session.sandbox,
      load: { kind: 'ok', exports: [...loaded.exports] },
      origin: 'snapshot',
    };
  };

  /** After a crash: another instance for the snapshot (the same module under the same limits loads the same way). */
  const rebuild = async (): Promise<Snapshotted | null> => {
    state = { kind: 'booting' };
    const again = await bootLoaded();
    const disposed = (state as FactoryState).kind === 'disposed';
    if (again.snapshot === null || disposed) {
      if (again.snapshot !== null)
        retire(again.snapshot.booted, dirtBeyond({ kind: 'pristine' }, again.snapshot.image.memory));
      if (!disposed) state = { kind: 'no-snapshot' };
      image = null;
      return null;
    }
    ({ image, booted: snapshotInstance } = again.snapshot);
    return again.snapshot;
  };

  const factory: SandboxFactory = {
    load: first.load,
    loadOutput: first.loadOutput,

    async acquire(lease = {}) {
      if (state.kind === 'disposed') throw new SandboxUsageError('sandbox factory: used after dispose()');
      const api = checkedHostApi(lease);
      const budgets = stepBudgets({ ...limits, ...lease.limits });
      if (image === null || !snapshotFits(budgets, image)) return freshSandbox(lease, api, budgets);
      switch (state.kind) {
        case 'idle':
          return leaseFrom(state.instance, state.dirt, image, lease, api, budgets);
        case 'crashed': {
          const booted = await rebuild();
          if (booted === null || !snapshotFits(budgets, booted.image)) {
            if (booted !== null)
              state = { kind: 'idle', instance: booted.booted.instance, dirt: { kind: 'pristine' } };
            return freshSandbox(lease, api, budgets);
          }
          return leaseFrom(booted.booted.instance, { kind: 'pristine' }, booted.image, lease, api, budgets);
        }
        case 'leased':
        case 'booting':
        case 'no-snapshot':
          return freshSandbox(lease, api, budgets);
        default: {
          const _: never = state;
          return _;
        }
      }
    },

    stats() {
      return {
        boots,
        reusedInstances,
        fromSnapshot,
        restores,
        fresh,
        snapshotBytes: image === null ? 0 : snapshotSize(image.memory),
        memoryBytes: image?.memory.memoryBytes ?? 0,
      };
    },

    dispose() {
      // A sandbox still out is disposed first (it throws if it is running);
      // that gives its instance back, to go to the cache from here.
      if (state.kind === 'leased') state.session.sandbox.dispose();
      if (state.kind === 'idle' && snapshotInstance !== null && image !== null)
        retire(snapshotInstance, dirtBeyond(state.dirt, image.memory));
      state = { kind: 'disposed' };
      image = null;
      snapshotInstance = null;
    },
  };
  internals.set(factory, () => {
    const instance = state.kind === 'idle' || state.kind === 'leased' ? state.instance : null;
    return {
      memory: instance?.memory ?? null,
      stack: instance?.stack ?? null,
      snapshot: image?.memory ?? null,
      boot: instance === null ? null : (snapshotInstance?.boot?.memory ?? null),
    };
  });
  return factory;
}
