/**
 * Runs a parsed scenario on a fresh kernel and reports, step by step, what
 * happened: the value read, the signal and si_code, the errno, the oops text,
 * and every fault taken with its address, error code and resolution. Names
 * and labels of the file become pids and addresses here; the operations
 * themselves are the session's (session.ts), the same the grader's tests use.
 */
import {
  type AccessOutcome,
  addressWidth,
  architectures,
  type CopyOutcome,
  type DeliveredSignal,
  type ExitStatus,
  type FaultRecord,
  formatAddress,
  type IoOutcome,
  type IoVec,
  type KernelArch,
  KernelError,
  narrowAddress,
  PageFlag,
  type SignalFrame,
  type SignalHandlers,
  type SignalName,
  type SizedAccessOutcome,
  type Task,
  type TraceEvent,
  UACCESS_IP,
  type UserValueSize,
} from '@faultline/vm-core';
import type { Counters } from './counters.ts';
import { ScenarioError } from './errors.ts';
import type { HookName, HookSpec, ResolveHookFile } from './hooks.ts';
import { type ScannedPage, wouldFree } from './reclaim-scan.ts';
import { HANDLING_TASK, type HandlerSpec, type Scenario, type Step } from './schema.ts';
import { ScenarioSession } from './session.ts';

/** One watched address after a step: the PTE there and, when it maps a frame, that frame's counts. */
export type WatchedPage = {
  readonly task: string | number;
  readonly addr: string | number;
} & (
  | {
      readonly pte: 'present';
      readonly pfn: number;
      readonly refcount: number;
      readonly mapcount: number;
      /** A transparent huge page's PMD maps it: the frame is one of the 512 of a 2 MiB page. */
      readonly huge?: true;
    }
  | { readonly pte: 'swap'; readonly slot: number }
  | { readonly pte: 'none' }
  /** The task or label does not exist (yet, or any more). */
  | { readonly pte: 'unknown'; readonly why: string }
);

/** One task on the task list after a step (`watch: { tasks: true }`). */
export interface WatchedTask {
  readonly pid: number;
  readonly name: string;
  readonly state: 'running' | 'zombie';
  /** Who may wait for it. */
  readonly parent: number;
  /** How it ended (a zombie's): "exited 0", "killed by SIGSEGV". */
  readonly status: string | null;
}

export interface WatchReport {
  readonly freeFrames?: number;
  readonly pages?: readonly WatchedPage[];
  readonly tasks?: readonly WatchedTask[];
}

export interface StepReport {
  readonly index: number;
  readonly step: Step['kind'];
  readonly cpu: number | null;
  /** One line: what the step did and how it ended. */
  readonly summary: string;
  readonly outcome: Readonly<Record<string, unknown>>;
  readonly faults: readonly FaultRecord[];
  readonly events?: readonly TraceEvent[];
  /** What the scenario's `watch` asked to see, after the step. */
  readonly watch?: WatchReport;
}

/** The step at which the kernel refused to go on (a fault that keeps recurring, a task that has exited, …). */
export interface StoppedAt {
  readonly index: number;
  readonly step: Step['kind'];
  /** The kernel's reason; for a task that had exited, also how and at which step it died. */
  readonly reason: string;
  /** Steps after it, which did not run. */
  readonly notRun: number;
}

export interface ScenarioReport {
  readonly title: string | null;
  readonly arch: KernelArch;
  /** The steps that ran, in order (all of them unless `stopped`). */
  readonly steps: readonly StepReport[];
  /** Null when every step ran; else the step the kernel stopped the run at (not in `steps`). */
  readonly stopped: StoppedAt | null;
  /** Invariant violations after the last step (empty when the kernel is consistent). */
  readonly invariants: readonly string[];
  readonly stats: Readonly<Record<string, number>>;
  /** What the whole run cost: TLB flushes, shootdown IPIs, swap traffic, frames allocated, faults. */
  readonly counters: Counters;
}

export interface RunOptions {
  /** Every hardware and kernel event of each step, in its report. */
  readonly trace?: boolean;
  /** Loads the hooks a `{ file }` names (the caller's sandbox); without it, files cannot be named. */
  readonly resolveHookFile?: ResolveHookFile;
  /** Labels defined before the first step (a caller's names for addresses it knows, such as the stack's). */
  readonly labels?: Readonly<Record<string, number>>;
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioReport {
  return runOn(bootSession(scenario, options), scenario, options);
}

/** The machine a scenario's header describes, with its `hooks:` installed. */
export function bootSession(scenario: Scenario, options: RunOptions = {}): ScenarioSession {
  checkMachineFields(scenario);
  let session: ScenarioSession;
  try {
    session = new ScenarioSession({
      machine: {
        arch: scenario.arch,
        frames: scenario.frames,
        cpus: scenario.cpus,
        seed: scenario.seed,
        ...(scenario.pcid !== undefined ? { pcid: scenario.pcid } : {}),
        ...(scenario.swap !== undefined ? { swapSlots: scenario.swap } : {}),
        ...(scenario.tlb !== undefined ? { tlb: scenario.tlb } : {}),
        ...(scenario.linux !== undefined ? { linux: scenario.linux } : {}),
        ...(scenario.access_flags !== undefined ? { accessFlags: scenario.access_flags } : {}),
        ...(scenario.files !== undefined ? { fileSystem: scenario.files } : {}),
        ...(scenario.transparent_hugepage !== undefined
          ? { transparentHugepage: scenario.transparent_hugepage }
          : {}),
        ...(scenario.uid !== undefined ? { uid: scenario.uid } : {}),
        ...(scenario.pan !== undefined ? { pan: scenario.pan } : {}),
        ...(scenario.uao !== undefined ? { uao: scenario.uao } : {}),
      },
      ...(options.resolveHookFile !== undefined ? { resolveHookFile: options.resolveHookFile } : {}),
    });
  } catch (error) {
    if (error instanceof KernelError || error instanceof RangeError)
      throw new ScenarioError(`the machine: ${error.message}`);
    throw error;
  }
  for (const [name, spec] of Object.entries(scenario.hooks ?? {}) as [HookName, HookSpec][]) {
    try {
      session.useHook(name, spec);
    } catch (error) {
      if (error instanceof ScenarioError) throw new ScenarioError(`field "hooks.${name}": ${error.message}`);
      throw error;
    }
  }
  return session;
}

/**
 * The machine fields that only some architectures have, checked against
 * the one the run is on — after `--arch` picked it, so that a file listing
 * several archs fails on the one that cannot take the field, naming the
 * field as the file spells it. (The kernel checks the combinations: uao
 * with a 5.11 kernel or with SW PAN.)
 */
function checkMachineFields(scenario: Scenario): void {
  const arch = scenario.arch;
  for (const field of ['pan', 'uao'] as const) {
    if (scenario[field] !== undefined && arch !== 'arm64')
      throw new ScenarioError(
        `field "${field}": ${field}: ${String(scenario[field])} is an ARM64 option (how the CPU keeps the kernel out of user memory); ${arch} has nothing it could set`,
      );
  }
  const flags = architectures[arch].accessFlags;
  const wanted = scenario.access_flags;
  if (wanted !== undefined && wanted !== flags.default && !flags.selectable)
    throw new ScenarioError(
      `field "access_flags": ${arch} keeps accessed and dirty bits in ${flags.default} only (the MMU sets them as it walks); access_flags: ${wanted} is an option on arm64 and riscv-sv39`,
    );
}

/** Told when each step starts and ends (a recorder marks its events with them). */
export interface StepObserver {
  begin(index: number, kind: Step['kind']): void;
  /** `summary`: the step's report line, or the reason the kernel stopped the run at it. */
  end(summary: string, cpu: number | null): void;
  /** The file names a task (spawn, fork, thread, kthread). */
  named?(name: string, pid: number): void;
}

/** Every hook file a scenario names, with the hooks asked of it: what the caller must load before running. */
export function hookFilesOf(scenario: Scenario): ReadonlyMap<string, readonly HookName[]> {
  const files = new Map<string, HookName[]>();
  const add = (name: HookName, spec: HookSpec) => {
    if (typeof spec !== 'object') return;
    const names = files.get(spec.file) ?? [];
    if (!names.includes(name)) names.push(name);
    files.set(spec.file, names);
  };
  for (const [name, spec] of Object.entries(scenario.hooks ?? {}) as [HookName, HookSpec][]) add(name, spec);
  for (const step of scenario.steps) if (step.kind === 'hook') add(step.args.name, step.args.use);
  return files;
}

export function runOn(
  session: ScenarioSession,
  scenario: Scenario,
  options: RunOptions,
  observer?: StepObserver,
): ScenarioReport {
  const kernel = session.kernel;
  const run = new Runner(session, observer, options.labels);
  const reports: StepReport[] = [];
  let stopped: StoppedAt | null = null;
  const deaths = kernel.subscribe((e) => {
    if (e.type === 'task' && e.what === 'exited') run.died(e.pid);
  });
  try {
    let jumpTo: string | null = null;
    for (const [i, step] of scenario.steps.entries()) {
      // A handler siglongjmp'd: the steps up to its mark do not run.
      if (jumpTo !== null) {
        if (step.kind !== 'mark' || step.args.name !== jumpTo) continue;
        jumpTo = null;
      }
      const events: TraceEvent[] = [];
      const stop = options.trace ? kernel.subscribe((e) => events.push(e)) : () => undefined;
      run.at(i + 1, step.kind);
      observer?.begin(i + 1, step.kind);
      try {
        const ran = run.step(step, i);
        let report = ran.report;
        if (ran.jump !== null) jumpTo = ran.jump;
        kernel.runKswapd();
        if (options.trace) report = { ...report, events };
        if (scenario.watch !== undefined) report = { ...report, watch: run.watch(scenario.watch) };
        reports.push(report);
        observer?.end(report.summary, report.cpu);
      } catch (error) {
        // The kernel refused to go on: the report keeps the steps that ran and says where it stopped.
        if (error instanceof KernelError) {
          stopped = {
            index: i + 1,
            step: step.kind,
            reason: `${error.message}${run.deathOf(step)}`,
            notRun: scenario.steps.length - i - 1,
          };
          observer?.end(`the kernel stopped the run: ${stopped.reason}`, null);
          break;
        }
        if (error instanceof ScenarioError || error instanceof RangeError) {
          throw new ScenarioError(`step ${i + 1} (${step.kind}): ${error.message}`);
        }
        throw error;
      } finally {
        stop();
      }
    }
    // A jump to a mark that comes before the step that jumped never lands.
    if (jumpTo !== null && stopped === null)
      throw new ScenarioError(
        `a handler jumped to the mark "${jumpTo}", which is not after the step that faulted: a siglongjmp here goes forward, to a later mark`,
      );
  } finally {
    deaths();
  }
  return {
    title: scenario.title ?? null,
    arch: scenario.arch,
    steps: reports,
    stopped,
    invariants: session.check(),
    stats: session.stats(),
    counters: session.counters(),
  };
}

/** A step's report in the making; `jump`: a handler siglongjmp'd to this mark. */
type Outcome = Omit<StepReport, 'index' | 'step'> & { readonly jump?: string };

/** A handler the file installed: its steps, and how it ends. */
type HandlerBody = Exclude<HandlerSpec, 'default' | 'ignore'>;

/** One signal delivered to a handler during a step: what the handler was handed, what it did, how it ended. */
interface Delivery {
  readonly signal: DeliveredSignal;
  readonly steps: readonly {
    readonly step: Step['kind'];
    readonly summary: string;
    readonly outcome: Readonly<Record<string, unknown>>;
  }[];
  /** `sigreturn`: the access was retried; `siglongjmp`: to the mark; `died`: the task ended inside the handler. */
  readonly end: 'sigreturn' | 'siglongjmp' | 'died';
}

/** How often one access may fault into a handler that returns, and how deep handlers may nest, before the run gives up. */
const MAX_DELIVERIES = 16;
const MAX_NESTING = 8;

/** Why a page the policy would reclaim stays (Kernel.reclaimCheck). */
const KEPT: Readonly<Record<NonNullable<ScannedPage['kept']>, string>> = {
  pinned: 'pinned (held beyond its mappings)',
  'no-swap': 'an anonymous page and no swap',
  'swap-full': 'swap is full',
  'not-anonymous': 'neither a file page nor anonymous',
  mlocked: 'mlocked (an area mapping it is locked)',
};

/** The uaccess instructions by the names an oops report gives them. */
const INSTRUCTIONS: Readonly<Record<string, number>> = {
  copy_user_generic: UACCESS_IP.copyUser,
  __get_user_1: UACCESS_IP.getUser,
  __put_user_1: UACCESS_IP.putUser,
};

/** The instruction a uaccess routine's name stands for (own names only: "toString" is none). */
export function instructionNamed(name: unknown): number | undefined {
  return typeof name === 'string' && Object.hasOwn(INSTRUCTIONS, name) ? INSTRUCTIONS[name] : undefined;
}

/** The names instructionNamed knows. */
export const INSTRUCTION_NAMES: readonly string[] = Object.keys(INSTRUCTIONS);

class Runner {
  private readonly names = new Map<string, number>();
  private readonly labels = new Map<string, number>();
  /** The step running now, and the step each task that exited died at. */
  private current = { index: 0, kind: 'spawn' as Step['kind'] };
  private readonly deaths = new Map<number, { index: number; kind: Step['kind'] }>();
  /** An address as this machine's debugger prints it: 32 bits wide on x86-32, 64 elsewhere. */
  private readonly hex: (va: number | bigint) => string;

  at(index: number, kind: Step['kind']): void {
    this.current = { index, kind };
  }

  died(pid: number): void {
    this.deaths.set(pid, this.current);
  }

  /** For a step on a task that has exited: "; app (pid 3) was killed at step 4 (touch) by …", else "". */
  deathOf(step: Step): string {
    if (!('task' in step.args) || step.args.task === undefined) return '';
    let pid: number;
    try {
      pid = this.pid(step.args.task);
    } catch {
      return '';
    }
    const task = this.session.kernel.tasks.get(pid) ?? reapedTask(this.session, pid);
    const when = this.deaths.get(pid);
    if (task === undefined || task.alive || when === undefined) return '';
    const at = `at step ${when.index} (${when.kind})`;
    const who = `${task.name} (pid ${pid})`;
    const death = task.death;
    if (death === null) return `; ${who} exited ${at}`;
    if ('oops' in death) return `; ${who} was killed ${at} by a kernel oops: ${death.oops.split('\n')[0]}`;
    const { signal, code, address } = death.signal;
    if (signal === 'SIGKILL' && code === 'SI_KERNEL')
      return `; ${who} was killed ${at} by the OOM killer (SIGKILL)`;
    return `; ${who} was killed ${at} by ${signal} (${code}) at ${this.hex(address)}`;
  }

  constructor(
    private readonly session: ScenarioSession,
    private readonly observer?: StepObserver,
    labels: Readonly<Record<string, number>> = {},
  ) {
    // Where the machine's areas start, so one file can name kernel addresses
    // on every architecture; the caller's labels come after (and win).
    const layout = session.kernel.layout;
    const width = addressWidth(layout.format);
    this.hex = (va) => formatAddress(va, width);
    this.labels.set('page_offset', layout.directMapStart);
    this.labels.set('vmalloc_start', layout.vmallocStart);
    this.labels.set('task_size', layout.userEnd);
    this.labels.set('kernel_text', layout.kernelText);
    this.labels.set('stack_top', layout.stackTop);
    for (const [name, va] of Object.entries(labels)) this.labels.set(name, va);
    this.names.set('swapper', 0);
    this.names.set('init', 1);
    this.names.set('kthreadd', 2);
  }

  /** A task's name in the file (a fork's child keeps its parent's name in the kernel, as in Linux). */
  private name(name: string, pid: number): void {
    this.names.set(name, pid);
    this.observer?.named?.(name, pid);
  }

  step(step: Step, index: number): { report: StepReport; jump: string | null } {
    const { jump, ...out } = this.execute(step);
    return { report: { index: index + 1, step: step.kind, ...out }, jump: jump ?? null };
  }

  /** The bodies of the handlers installed, by the kernel's dispositions they belong to (shared by threads, copied at fork). */
  private readonly handlers = new WeakMap<SignalHandlers, Map<SignalName, HandlerBody>>();

  /**
   * A user access with the process's handlers in the loop: each signal a
   * handler takes runs the handler's steps on the task, then either
   * returns (rt_sigreturn, and the access is retried) or jumps to a mark.
   */
  private userAccess(
    pid: number,
    va: number | bigint,
    kind: 'read' | 'write' | 'exec',
    value: number | bigint,
    cpu: number | undefined,
    size: UserValueSize = 1,
  ): {
    r: AccessOutcome | SizedAccessOutcome;
    faults: FaultRecord[];
    deliveries: Delivery[];
    jump: string | null;
    forced: string | null;
  } {
    const s = this.session;
    const faults: FaultRecord[] = [];
    const deliveries: Delivery[] = [];
    for (;;) {
      const r =
        size === 1 || kind === 'exec'
          ? s.access(pid, va, kind, { value: Number(value), ...on(cpu) })
          : s.accessSized(pid, va, kind, size, BigInt(value), on(cpu));
      faults.push(...r.faults);
      if (r.kind !== 'signal' || r.disposition !== 'handler')
        return {
          r,
          faults,
          deliveries,
          jump: null,
          forced: r.kind === 'signal' ? forcedWhy(r) : null,
        };
      const task = s.kernel.task(pid);
      if (deliveries.length === MAX_DELIVERIES)
        throw new ScenarioError(
          `the access at ${this.hex(va)} faulted ${MAX_DELIVERIES} times, and each time the handler returned without fixing it: a real process would loop here forever (make the handler fix the mapping, or jump)`,
        );
      if (task.signalFrames.length > MAX_NESTING)
        throw new ScenarioError(
          `handlers nested ${MAX_NESTING} deep (SA_NODEFER and a handler that faults again): a real process would go on until its stack ran out`,
        );
      const body = this.handlers.get(task.sighand)?.get(r.signal.signal);
      if (body === undefined) throw new Error(`no handler body for ${r.signal.signal} of pid ${pid}`);
      const steps: Delivery['steps'][number][] = [];
      let jump: string | null = null;
      for (const step of body.do) {
        const out = this.execute(onHandlingTask(step, this.refOf(pid)));
        faults.push(...out.faults);
        steps.push({ step: step.kind, summary: out.summary, outcome: out.outcome });
        if (out.jump !== undefined) {
          jump = out.jump;
          break;
        }
        if (!s.kernel.task(pid).alive) break;
      }
      if (!s.kernel.task(pid).alive) {
        deliveries.push({ signal: r.signal, steps, end: 'died' });
        return { r, faults, deliveries, jump: null, forced: null };
      }
      // A nested handler's jump leaves through every frame, this one too.
      jump ??= body.ends === 'return' ? null : body.ends.jump;
      if (jump !== null) {
        if (s.kernel.task(pid).signalFrames.length > 0) s.siglongjmp(pid, on(cpu));
        deliveries.push({ signal: r.signal, steps, end: 'siglongjmp' });
        return { r, faults, deliveries, jump, forced: null };
      }
      s.sigreturn(pid, on(cpu));
      deliveries.push({ signal: r.signal, steps, end: 'sigreturn' });
    }
  }

  /** A user access's report, with what the handlers did on the way. */
  private accessReport(
    cpu: number,
    what: string,
    access: ReturnType<Runner['userAccess']>,
    extra: Record<string, unknown> = {},
  ): Outcome {
    const { r, faults, deliveries, jump, forced } = access;
    const ended =
      jump !== null
        ? { cpu, summary: `${what} → siglongjmp to ${jump}`, outcome: { jumped: jump }, faults: [] }
        : deliveries.at(-1)?.end === 'died'
          ? {
              cpu,
              summary: `${what} → the process was killed inside its handler`,
              outcome: { diedInHandler: true },
              faults: [],
            }
          : fromAccess(cpu, what, r, this.hex);
    const handled = deliveries.map((d) => ({
      signal: d.signal.signal,
      code: d.signal.code,
      address: this.hex(d.signal.address),
      ...frameFields(d.signal.frame),
      handler: d.steps.map((st) => ({ step: st.step, ...st.outcome })),
      end: d.end,
    }));
    const story = deliveries
      .map((d) => {
        const did = d.steps.length === 0 ? 'does nothing' : d.steps.map((st) => st.summary).join('; ');
        const end =
          d.end === 'sigreturn'
            ? 'returns: the access is retried'
            : d.end === 'siglongjmp'
              ? 'siglongjmps'
              : 'never returns';
        return `${d.signal.signal} (${d.signal.code}) at ${this.hex(d.signal.address)} → the handler runs: ${did}; it ${end}`;
      })
      .join(' → ');
    const summary =
      deliveries.length === 0
        ? ended.summary
        : `${what} → ${story}${jump !== null ? ` to ${jump}` : ` → ${ended.summary.slice(what.length + 3)}`}`;
    return {
      cpu,
      summary: forced === null ? summary : `${summary} (${forced})`,
      outcome: {
        ...ended.outcome,
        ...extra,
        ...(handled.length > 0 ? { handled } : {}),
        ...(forced !== null ? { forced: true } : {}),
      },
      faults,
      ...(jump !== null ? { jump } : {}),
    };
  }

  private execute(step: Step): Outcome {
    const s = this.session;
    const k = s.kernel;
    const cpuOf = (cpu: number | undefined) => cpu ?? null;
    switch (step.kind) {
      case 'spawn': {
        const t = s.spawn(step.args.name, step.args.cpu, step.args.uid);
        this.name(step.args.name, t.pid);
        return plain(cpuOf(step.args.cpu), `spawn ${step.args.name} → pid ${t.pid}`, { pid: t.pid });
      }
      case 'thread': {
        const t = s.thread(this.pid(step.args.task), step.args.name);
        if (step.args.name !== undefined) this.name(step.args.name, t.pid);
        return plain(cpuOf(step.args.cpu), `thread of ${step.args.task} → pid ${t.pid}, sharing its mm`, {
          pid: t.pid,
        });
      }
      case 'kthread': {
        const t = s.kthread(step.args.name, step.args.cpu);
        this.name(step.args.name, t.pid);
        return plain(cpuOf(step.args.cpu), `kthread ${step.args.name} → pid ${t.pid} (mm = null)`, {
          pid: t.pid,
        });
      }
      case 'switch': {
        const { cr3Changed } = s.switchTo(step.args.cpu, this.pid(step.args.task));
        const how = cr3Changed
          ? `${k.arch.terms.userRoot} switched`
          : 'page tables unchanged (same mm, or a kernel thread borrowing it)';
        return plain(step.args.cpu, `switch cpu ${step.args.cpu} to ${step.args.task}: ${how}`, {
          cr3Changed,
        });
      }
      case 'mmap': {
        const a = step.args;
        const flags = new Set(a.flags ?? []);
        const r = s.mmap(
          this.pid(a.task),
          {
            length: a.length,
            prot: protOf(a.prot),
            shared: flags.has('shared'),
            fixed: flags.has('fixed'),
            growsDown: flags.has('growsdown'),
            populate: flags.has('populate'),
            ...(a.addr !== undefined ? { address: this.addr(a.addr) } : {}),
            ...(a.file !== undefined ? { file: a.file } : {}),
            ...(a.offset !== undefined ? { offset: a.offset } : {}),
          },
          on(a.cpu),
        );
        if (r.kind === 'error')
          return plain(cpuOf(a.cpu), `mmap ${a.length} bytes ${a.prot} → -${r.errno}`, { errno: r.errno });
        if (a.as !== undefined) this.labels.set(a.as, r.address);
        const what = a.file === undefined ? '' : ` of ${a.file}${a.offset ? ` at offset ${a.offset}` : ''}`;
        const faults = r.faults ?? [];
        const populated = flags.has('populate')
          ? ` (MAP_POPULATE: ${countsText(faults) || 'no faults'})`
          : '';
        return {
          ...plain(
            cpuOf(a.cpu),
            `mmap ${a.length} bytes${what} ${a.prot}${a.as ? ` as ${a.as}` : ''} → ${this.hex(r.address)}${populated}`,
            { address: this.hex(r.address) },
          ),
          faults,
        };
      }
      case 'mremap': {
        const a = step.args;
        const va = this.addr(a.addr);
        const flags = new Set(a.flags ?? []);
        const r = s.mremap(
          this.pid(a.task),
          {
            address: va,
            oldLength: a.old_length,
            newLength: a.new_length,
            mayMove: flags.has('maymove'),
            fixed: flags.has('fixed'),
            dontUnmap: flags.has('dontunmap'),
            ...(a.new_addr !== undefined ? { newAddress: this.addr(a.new_addr) } : {}),
          },
          on(a.cpu),
        );
        const call = `mremap ${this.hex(va)} ${a.old_length} → ${a.new_length}${flags.size ? ` (${[...flags].join(', ')})` : ''}`;
        if (r.kind === 'error') return plain(cpuOf(a.cpu), `${call} → -${r.errno}`, { errno: r.errno });
        if (a.as !== undefined) this.labels.set(a.as, r.address);
        const how =
          r.address === va
            ? 'in place'
            : a.old_length === 0
              ? 'a second mapping of the same shared pages; the first stays'
              : flags.has('dontunmap')
                ? 'moved with its page tables; the old range stays mapped, empty'
                : 'moved with its page tables: its pages are there without a fault';
        const faults = r.faults ?? [];
        const populated = faults.length > 0 ? `; locked, so faulted in: ${countsText(faults)}` : '';
        return {
          ...plain(
            cpuOf(a.cpu),
            `${call} → ${this.hex(r.address)}${a.as ? ` as ${a.as}` : ''} (${how}${populated})`,
            { address: this.hex(r.address) },
          ),
          faults,
        };
      }
      case 'munmap': {
        const va = this.addr(step.args.addr);
        const e = s.munmap(this.pid(step.args.task), va, step.args.length, on(step.args.cpu));
        return plain(
          cpuOf(step.args.cpu),
          `munmap ${this.hex(va)} +${step.args.length} → ${e ? `-${e}` : '0'}`,
          {
            errno: e,
          },
        );
      }
      case 'mprotect': {
        const va = this.addr(step.args.addr);
        const e = s.mprotect(
          this.pid(step.args.task),
          va,
          step.args.length,
          protOf(step.args.prot),
          on(step.args.cpu),
        );
        return plain(
          cpuOf(step.args.cpu),
          `mprotect ${this.hex(va)} +${step.args.length} ${step.args.prot} → ${e ? `-${e}` : '0'}`,
          { errno: e },
        );
      }
      case 'madvise': {
        const a = step.args;
        const va = this.addr(a.addr);
        const e = s.madviseDontneed(this.pid(a.task), va, a.length, on(a.cpu));
        return plain(
          cpuOf(a.cpu),
          `madvise ${this.hex(va)} +${a.length} MADV_DONTNEED → ${e ? `-${e}` : '0'}${e ? '' : ' (the pages are gone; the areas stay)'}`,
          { errno: e },
        );
      }
      case 'mlock': {
        const a = step.args;
        const va = this.addr(a.addr);
        const r = s.mlock(this.pid(a.task), va, a.length, on(a.cpu));
        const how = countsText(r.faults);
        return {
          ...plain(
            cpuOf(a.cpu),
            `mlock ${this.hex(va)} +${a.length} → ${r.errno ? `-${r.errno}` : `0${how ? ` (faulted in: ${how})` : ''}`}`,
            { errno: r.errno },
          ),
          faults: r.faults,
        };
      }
      case 'munlock': {
        const a = step.args;
        const va = this.addr(a.addr);
        const e = s.munlock(this.pid(a.task), va, a.length, on(a.cpu));
        return plain(cpuOf(a.cpu), `munlock ${this.hex(va)} +${a.length} → ${e ? `-${e}` : '0'}`, {
          errno: e,
        });
      }
      case 'ftruncate': {
        const a = step.args;
        const e = s.truncateFile(a.name, a.length);
        return plain(null, `ftruncate ${a.name} to ${a.length} bytes → ${e ? `-${e}` : '0'}`, { errno: e });
      }
      case 'brk': {
        const r = s.brk(this.pid(step.args.task), this.addr(step.args.addr), on(step.args.cpu));
        return plain(cpuOf(step.args.cpu), `brk → ${this.hex(r)}`, { brk: this.hex(r) });
      }
      case 'read':
      case 'write':
      case 'exec': {
        const a = step.args;
        const pid = this.pid(a.task);
        const va = this.exactAddr(a.addr);
        const size = step.kind === 'exec' ? 1 : (step.args.size ?? 1);
        const value = step.kind === 'write' ? BigInt(String(step.args.value).replaceAll('_', '')) : 0n;
        const access = this.userAccess(pid, va, step.kind, value, a.cpu, size);
        const wide = size === 1 ? '' : ` (${size} bytes)`;
        const shown = size === 1 ? String(value) : `0x${value.toString(16)}`;
        const verb =
          step.kind === 'write'
            ? `write ${this.hex(va)} = ${shown}${wide}`
            : `${step.kind} ${this.hex(va)}${wide}`;
        return this.accessReport(a.cpu ?? this.cpuRunning(pid), `${a.task}: ${verb}`, access);
      }
      case 'touch': {
        const a = step.args;
        const pid = this.pid(a.task);
        const start = this.addr(a.addr);
        const faults: FaultRecord[] = [];
        const handled: unknown[] = [];
        let pages = 0;
        // Every page the range covers, from the one holding its first byte to the one holding its last.
        const last = Math.floor((start + a.length - 1) / 4096) * 4096;
        for (let page = Math.floor(start / 4096) * 4096; page <= last; page += 4096) {
          const va = Math.max(page, start);
          const access = this.userAccess(pid, va, 'write', a.value ?? 1, a.cpu);
          faults.push(...access.faults);
          const ended = this.accessReport(
            a.cpu ?? this.cpuRunning(pid),
            `${a.task}: touch page ${pages + 1} at ${this.hex(va)}`,
            { ...access, faults: [] },
          );
          if (Array.isArray(ended.outcome.handled)) handled.push(...ended.outcome.handled);
          if (access.r.kind !== 'ok' || access.jump !== null) {
            const { handled: _, ...rest } = ended.outcome;
            return {
              ...ended,
              outcome: { ...rest, pages, ...(handled.length > 0 ? { handled } : {}) },
              faults,
            };
          }
          pages++;
        }
        const how = countsText(faults);
        const caught =
          handled.length === 0
            ? ''
            : `; ${handled.length} signal${handled.length > 1 ? 's' : ''} handled on the way`;
        return {
          cpu: a.cpu ?? this.cpuRunning(pid),
          summary: `${a.task}: touch ${pages} pages from ${this.hex(start)}${how ? ` (${how})` : ''}${caught}`,
          outcome: { pages, ...(handled.length > 0 ? { handled } : {}) },
          faults,
        };
      }
      case 'execve': {
        s.execve(this.pid(step.args.task), on(step.args.cpu));
        return plain(cpuOf(step.args.cpu), `execve ${step.args.task}: a fresh address space`, {});
      }
      case 'fork': {
        const parent = this.pid(step.args.task);
        const child = s.fork(parent, on(step.args.cpu));
        // copy_sighand: the child's handlers are the parent's code, in its copy of the image.
        const bodies = this.handlers.get(k.task(parent).sighand);
        if (bodies !== undefined) this.handlers.set(child.sighand, new Map(bodies));
        if (step.args.name !== undefined) this.name(step.args.name, child.pid);
        return plain(
          cpuOf(step.args.cpu),
          `fork ${step.args.task} → pid ${child.pid} (private writable pages now copy-on-write)`,
          { pid: child.pid },
        );
      }
      case 'exit': {
        const pid = this.pid(step.args.task);
        const code = step.args.code ?? 0;
        const freed = s.exit(pid, { ...on(step.args.cpu), code });
        const t = k.task(pid);
        const parent = this.nameOf(t.parent);
        const after =
          t.state === 'zombie'
            ? `a zombie until ${parent} waits for it`
            : t.pid !== t.tgid || t.kind === 'kthread'
              ? 'reaped at once (a thread is not waited for)'
              : `reaped at once (${parent} ignores SIGCHLD)`;
        const status = code === 0 ? '' : ` with status ${code}`;
        return plain(
          cpuOf(step.args.cpu),
          `exit ${step.args.task}${status}: ${freed} frames freed; ${after}`,
          { framesFreed: freed, state: t.state },
        );
      }
      case 'wait': {
        const a = step.args;
        const r = s.wait(this.pid(a.task), a.child === undefined ? -1 : this.pid(a.child), on(a.cpu));
        const whom = a.child === undefined ? 'any child' : String(a.child);
        const [end, outcome] =
          r.kind === 'reaped'
            ? [
                `reaped ${this.nameOf(r.pid)}: ${statusText(r.status)}`,
                { pid: r.pid, status: statusText(r.status) },
              ]
            : r.kind === 'would-block'
              ? ['none has exited yet (a real wait would sleep; WNOHANG returns 0)', { wouldBlock: true }]
              : [`-${r.errno} (no such child)`, { errno: r.errno }];
        return plain(cpuOf(a.cpu), `${a.task} waits for ${whom} → ${end}`, outcome);
      }
      case 'copy_from_user': {
        const a = step.args;
        const va = this.exactAddr(a.addr);
        const r = s.copyFromUser(this.pid(a.task), va, a.length, on(a.cpu));
        return fromCopy(cpuOf(a.cpu), `copy_from_user ${this.hex(va)} +${a.length}`, r, { data: r.data });
      }
      case 'copy_to_user': {
        const a = step.args;
        const va = this.exactAddr(a.addr);
        const bytes = a.bytes ?? new Array<number>(a.length ?? 0).fill(a.fill ?? 0);
        const r = s.copyToUser(this.pid(a.task), va, bytes, on(a.cpu));
        return fromCopy(cpuOf(a.cpu), `copy_to_user ${this.hex(va)} +${bytes.length}`, r, {});
      }
      case 'get_user': {
        const a = step.args;
        const va = this.exactAddr(a.addr);
        const r = s.getUser(this.pid(a.task), va, a.size, on(a.cpu));
        const end = r.oops !== null ? 'oops' : r.errno !== null ? `-${r.errno}` : `0x${r.value.toString(16)}`;
        return {
          cpu: cpuOf(a.cpu),
          summary: `get_user ${a.size} bytes at ${this.hex(va)} → ${end}`,
          outcome: { value: `0x${r.value.toString(16)}`, errno: r.errno, oops: r.oops },
          faults: r.faults,
        };
      }
      case 'put_user': {
        const a = step.args;
        const va = this.exactAddr(a.addr);
        const value = BigInt(String(a.value).replaceAll('_', ''));
        const r = s.putUser(this.pid(a.task), va, a.size, value, on(a.cpu));
        const end = r.oops !== null ? 'oops' : r.errno !== null ? `-${r.errno}` : '0';
        return {
          cpu: cpuOf(a.cpu),
          summary: `put_user 0x${value.toString(16)} (${a.size} bytes) at ${this.hex(va)} → ${end}`,
          outcome: { errno: r.errno, oops: r.oops },
          faults: r.faults,
        };
      }
      case 'kernel_access': {
        const a = step.args;
        const cpu = a.cpu ?? 0;
        const va = this.exactAddr(a.addr);
        const ip = a.ip === undefined ? undefined : this.instruction(a.ip);
        const pid = a.task === undefined ? undefined : this.pid(a.task);
        if (pid !== undefined) s.switchTo(cpu, pid);
        // Named before the access: a task that oopses dies, and idle takes the CPU.
        const who = k.cpu(cpu).current.name;
        const r = s.kernelAccess(va, a.access, {
          cpu,
          ...(a.value !== undefined ? { value: a.value } : {}),
          ...(a.uaccess !== undefined ? { uaccess: a.uaccess } : {}),
          ...(ip !== undefined ? { ip } : {}),
        });
        const window = a.uaccess ? ` (inside ${k.arch.terms.userAccessWindow})` : '';
        // ARM64 since 5.11 (or with UAO): a uaccess instruction is LDTR/STTR, checked as EL0 would be.
        const unprivileged =
          ip !== undefined && k.arch.unprivilegedUaccess === true && k.exceptionTable.has(ip)
            ? ` (${a.access === 'read' ? 'LDTR' : 'STTR'}: checked with EL0's permissions)`
            : '';
        const by = ip === undefined ? '' : ` by the instruction at ${this.hex(ip)}${unprivileged}`;
        return fromAccess(cpu, `kernel ${a.access} ${this.hex(va)}${window}${by} as ${who}`, r, this.hex);
      }
      case 'file': {
        const a = step.args;
        if ((a.text === undefined) === (a.bytes === undefined)) {
          throw new ScenarioError('give the file either "text" or "bytes"');
        }
        const content = a.bytes ?? [...new TextEncoder().encode(a.text)];
        s.createFile(a.name, content);
        return plain(null, `file ${a.name}: ${content.length} bytes`, { size: content.length });
      }
      case 'pipe':
        s.pipe(step.args.name);
        return plain(null, `pipe ${step.args.name} (O_NONBLOCK)`, {});
      case 'readv':
      case 'writev': {
        const a = step.args;
        const iov = this.iovecs(a.iov);
        const on_ = a.pipe !== undefined ? { pipe: a.pipe } : { file: a.file!, offset: a.offset ?? 0 };
        const pid = this.pid(a.task);
        const r =
          step.kind === 'readv' ? s.readv(pid, on_, iov, on(a.cpu)) : s.writev(pid, on_, iov, on(a.cpu));
        const call = `${step.kind === 'readv' ? 'read' : 'write'}${iov.length > 1 ? 'v' : ''}`;
        const what = a.pipe !== undefined ? `pipe ${a.pipe}` : `${a.file} at ${a.offset ?? 0}`;
        return fromIo(cpuOf(a.cpu), `${a.task} ${call}(${what}, ${this.iovText(iov)})`, r);
      }
      case 'process_vm_readv':
      case 'process_vm_writev': {
        const a = step.args;
        const local = this.iovecs(a.local);
        const remote = this.iovecs(a.remote);
        const write = step.kind === 'process_vm_writev';
        const r = s.processVm(this.pid(a.task), this.pid(a.target), local, remote, write, on(a.cpu));
        return fromIo(
          cpuOf(a.cpu),
          `${a.task} ${step.kind}(${a.target}: ${this.iovText(remote)} ${write ? '←' : '→'} ${this.iovText(local)})`,
          r,
        );
      }
      case 'proc_mem_read':
      case 'proc_mem_write': {
        const a = step.args;
        const write = step.kind === 'proc_mem_write';
        const target = a.target ?? a.task;
        const at = this.exactAddr(a.addr);
        const buffer = { address: this.exactAddr(a.buf, 'buf'), length: a.length };
        const r = s.procMem(this.pid(a.task), this.pid(target), at, buffer, write, on(a.cpu));
        const file = a.target === undefined ? '/proc/self/mem' : `/proc/${target}/mem`;
        return fromIo(
          cpuOf(a.cpu),
          `${a.task} ${write ? 'pwrite' : 'pread'}(${file} at ${this.hex(at)}, ${this.iovText([buffer])})`,
          r,
        );
      }
      case 'read_file': {
        const a = step.args;
        const bytes = s.readFile(a.name, a.offset, a.length);
        const shown = String.fromCharCode(...bytes.map((b) => (b >= 32 && b < 127 ? b : 46)));
        return plain(null, `read ${a.name} [${a.offset}, +${a.length}) → "${shown}"`, { bytes });
      }
      case 'kmalloc': {
        const va = s.kmalloc(step.args.bytes, on(step.args.cpu));
        if (va !== null && step.args.as !== undefined) this.labels.set(step.args.as, va);
        return plain(
          cpuOf(step.args.cpu),
          `kmalloc ${step.args.bytes} → ${va === null ? 'NULL' : this.hex(va)}`,
          {
            address: va === null ? null : this.hex(va),
          },
        );
      }
      case 'vmalloc': {
        const va = s.vmalloc(step.args.bytes, on(step.args.cpu));
        if (va !== null && step.args.as !== undefined) this.labels.set(step.args.as, va);
        return plain(
          cpuOf(step.args.cpu),
          `vmalloc ${step.args.bytes} → ${va === null ? 'NULL' : this.hex(va)}`,
          {
            address: va === null ? null : this.hex(va),
          },
        );
      }
      case 'kfree':
      case 'vfree': {
        const va = this.addr(step.args.addr);
        const free = s.freeFrames();
        if (step.kind === 'kfree') s.kfree(va, on(step.args.cpu));
        else s.vfree(va, on(step.args.cpu));
        const freed = s.freeFrames() - free;
        return plain(cpuOf(step.args.cpu), `${step.kind} ${this.hex(va)}: ${freed} frames freed`, {
          framesFreed: freed,
        });
      }
      case 'reclaim': {
        const a = step.args;
        if (a.scan_only) return this.scan(a.pages, cpuOf(a.cpu));
        const freed = s.reclaim(a.pages, a.cpu ?? 0);
        return plain(
          cpuOf(a.cpu),
          `reclaim ${a.pages} pages → ${freed} freed (${k.stats.swapOuts} written to swap so far)`,
          { freed },
        );
      }
      case 'sigaction': {
        const a = step.args;
        const pid = this.pid(a.task);
        const flags = new Set(a.flags ?? []);
        const handler = typeof a.handler === 'object' ? 'handler' : a.handler;
        const e = s.sigaction(
          pid,
          a.signal,
          { handler, nodefer: flags.has('nodefer'), resetHand: flags.has('resethand') },
          on(a.cpu),
        );
        if (e === null) {
          const sighand = k.task(pid).sighand;
          const bodies = this.handlers.get(sighand) ?? new Map<SignalName, HandlerBody>();
          this.handlers.set(sighand, bodies);
          if (typeof a.handler === 'object') bodies.set(a.signal, a.handler);
          else bodies.delete(a.signal);
        }
        const what =
          typeof a.handler === 'object'
            ? `a handler (${a.handler.do.length} step${a.handler.do.length === 1 ? '' : 's'}, then ${a.handler.ends === 'return' ? 'return' : `jump to ${a.handler.ends.jump}`})`
            : a.handler === 'ignore'
              ? 'SIG_IGN'
              : 'SIG_DFL';
        const shown = [...flags].map((f) => `SA_${f.toUpperCase()}`).join(' | ');
        return plain(
          cpuOf(a.cpu),
          `sigaction(${a.signal}) of ${a.task}: ${what}${shown ? ` with ${shown}` : ''} → ${e === null ? '0' : `-${e}`}`,
          { errno: e },
        );
      }
      case 'sigprocmask': {
        const a = step.args;
        const pid = this.pid(a.task);
        s.sigprocmask(pid, a.how, a.signals, on(a.cpu));
        const blocked = [...k.task(pid).blocked];
        return plain(
          cpuOf(a.cpu),
          `sigprocmask(${a.how.toUpperCase()}, {${a.signals.join(', ')}}) of ${a.task} → blocked: {${blocked.join(', ')}}`,
          { blocked },
        );
      }
      case 'mark':
        return plain(null, `mark ${step.args.name}`, {});
      case 'hook': {
        const { name, use } = step.args;
        s.useHook(name, use);
        return plain(null, `${name} now runs ${describeSpec(use)}`, {
          hook: name,
          use: typeof use === 'object' ? use.file : use,
        });
      }
      case 'schedule': {
        const placements = s.schedule(step.args.ticks);
        const last = new Map<number, number>();
        for (const p of placements) last.set(p.cpu, p.pid);
        const now = [...last]
          .sort(([a], [b]) => a - b)
          .map(([cpu, pid]) => `cpu ${cpu}: ${k.task(pid).name}`);
        return plain(null, `schedule ${step.args.ticks} ticks → ${now.join(', ')}`, { placements });
      }
      case 'check': {
        const problems = s.check();
        return plain(
          cpuOf(step.args.cpu),
          problems.length === 0 ? 'invariants hold' : `invariants violated: ${problems.join('; ')}`,
          { problems },
        );
      }
    }
  }

  private scan(pages: number, cpu: number | null): Outcome {
    const scanned = this.session.scanForReclaim(pages);
    const victims = scanned.filter(wouldFree);
    // PG_referenced: seen referenced on the last trip (Linux 5.9+ gives anonymous pages that look too).
    const flag = (p: ScannedPage) =>
      this.session.kernel.frames.has(p.pfn, PageFlag.Referenced) ? ', PG_referenced set,' : '';
    const how = (p: ScannedPage) =>
      p.decision !== 'reclaim'
        ? `pfn ${p.pfn}${flag(p)} ${p.referenced ? 'referenced' : 'not referenced'}: ${p.decision}`
        : p.kept !== null
          ? `pfn ${p.pfn}${flag(p)} reclaim, but it stays: ${KEPT[p.kept]}`
          : `pfn ${p.pfn}${flag(p)} ${p.dirty ? (p.file ? 'dirty: write back to its file' : 'dirty: write to swap') : 'clean: drop'}`;
    const list = scanned.length === 0 ? 'the inactive list is empty' : scanned.map(how).join('; ');
    return plain(
      cpu,
      `scan for ${pages} pages (nothing reclaimed) → ${victims.length} would be freed: ${list}`,
      { scanned, wouldFree: victims.length },
    );
  }

  /** The scenario's watch, read now; names and labels that do not resolve are reported, not errors. */
  watch(watch: NonNullable<Scenario['watch']>): WatchReport {
    const out: { freeFrames?: number; pages?: WatchedPage[]; tasks?: WatchedTask[] } = {};
    if (watch.free_frames) out.freeFrames = this.session.freeFrames();
    if (watch.pages !== undefined) out.pages = watch.pages.map((w) => this.watchPage(w.task, w.addr));
    if (watch.tasks) out.tasks = this.watchTasks();
    return out;
  }

  /** The task list (user processes and threads; the boot tasks only once they have changed). */
  private watchTasks(): WatchedTask[] {
    const out: WatchedTask[] = [];
    for (const t of this.session.kernel.tasks.values()) {
      if (t.kind === 'idle' || (t.pid <= 2 && t.alive)) continue;
      out.push({
        pid: t.pid,
        name: this.nameOf(t.pid),
        state: t.state === 'zombie' ? 'zombie' : 'running',
        parent: t.parent,
        status: t.exitStatus === null ? null : statusText(t.exitStatus),
      });
    }
    return out;
  }

  /** A task as a step may name it: by its name in the file, else by pid. */
  private refOf(pid: number): string | number {
    for (const [name, p] of this.names) if (p === pid) return name;
    return pid;
  }

  /** A task as the file names it ("child"), else its kernel name and pid. */
  private nameOf(pid: number): string {
    for (const [name, p] of this.names) if (p === pid) return name;
    const t = this.session.kernel.tasks.get(pid) ?? reapedTask(this.session, pid);
    return t === undefined ? `pid ${pid}` : `${t.name} (pid ${pid})`;
  }

  private watchPage(task: string | number, addr: string | number): WatchedPage {
    const where = { task, addr };
    let pid: number;
    let va: number;
    try {
      pid = this.pid(task);
    } catch (error) {
      if (!(error instanceof ScenarioError || error instanceof KernelError)) throw error;
      return { ...where, pte: 'unknown', why: `no task ${task} yet` };
    }
    try {
      va = this.addr(addr);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      return { ...where, pte: 'unknown', why: `${addr} is not defined yet` };
    }
    const t = this.session.kernel.task(pid);
    if (!t.alive || t.mm === null) {
      return { ...where, pte: 'unknown', why: `${task} ${t.alive ? 'has no address space' : 'has exited'}` };
    }
    const { pte, page } = this.session.page(pid, va);
    if (pte.kind === 'present' && page !== null) {
      const present = {
        ...where,
        pte: 'present',
        pfn: pte.pfn,
        refcount: page.refcount,
        mapcount: page.mapcount,
      } as const;
      return this.session.kernel.mappedHuge(pid, va) ? { ...present, huge: true } : present;
    }
    if (pte.kind === 'swap') return { ...where, pte: 'swap', slot: pte.slot };
    return { ...where, pte: 'none' };
  }

  private pid(ref: string | number): number {
    if (typeof ref === 'number') {
      this.session.kernel.task(ref);
      return ref;
    }
    const pid = this.names.get(ref);
    if (pid === undefined)
      throw new ScenarioError(
        `field "task": no task named "${ref}" (name it in a spawn, fork, thread or kthread step)`,
      );
    return pid;
  }

  private cpuRunning(pid: number): number {
    return this.session.cpuRunning(pid) ?? 0;
  }

  /**
   * An instruction pointer: a uaccess routine's name — x86's, or the
   * machine's own (arm64's __arch_copy_from_user, riscv-sv39's
   * __asm_copy_from_user, as its oopses name them) — or an address.
   */
  private instruction(expr: string | number): number {
    const named = instructionNamed(expr) ?? this.ownInstruction(expr);
    if (named !== undefined) return named;
    try {
      return this.addr(expr, 'ip');
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      const own = Object.values(this.session.kernel.arch.uaccessSymbols ?? {});
      const known = [...new Set([...own, ...Object.keys(INSTRUCTIONS)])];
      throw new ScenarioError(
        `field "ip": "${expr}" is not an address or a known instruction (${known.join(', ')})`,
      );
    }
  }

  /** The machine's own name for a uaccess routine (__arch_copy_from_user, …), as its instruction's address. */
  private ownInstruction(expr: string | number): number | undefined {
    const own = this.session.kernel.arch.uaccessSymbols;
    if (own === undefined || typeof expr !== 'string') return undefined;
    if (expr === own.copyUser) return UACCESS_IP.copyUser;
    if (expr === own.getUser) return UACCESS_IP.getUser;
    if (expr === own.putUser) return UACCESS_IP.putUser;
    return undefined;
  }

  /**
   * An address a load, store or copy goes to: exact, so a non-canonical one
   * no number holds (0x8000000000000000) reaches the MMU as it was written
   * and faults as the hardware would.
   */
  /** A step's iovec array with its addresses resolved. */
  private iovecs(iov: readonly { readonly addr: string | number; readonly length: number }[]): IoVec[] {
    return iov.map((v) => ({ address: this.exactAddr(v.addr), length: v.length }));
  }

  private iovText(iov: readonly IoVec[]): string {
    return iov.map((v) => `${this.hex(v.address)} +${v.length}`).join(', ');
  }

  private exactAddr(expr: string | number, field = 'addr'): number | bigint {
    if (typeof expr === 'string' && /^\s*(0x[0-9a-fA-F_]+|\d+)\s*$/.test(expr)) {
      const big = BigInt(expr.trim().replaceAll('_', ''));
      if (big >= 1n << 64n) throw new ScenarioError(`field "${field}": ${expr} does not fit in 64 bits`);
      const n = narrowAddress(big, true);
      if (n === null) return big;
    }
    return this.addr(expr, field);
  }

  /** Resolves a number, "0x…", "label", or "label+offset" / "label-offset". */
  private addr(expr: string | number, field = 'addr'): number {
    if (typeof expr === 'number') return expr;
    const m =
      /^\s*([A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F_]+|\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F_]+|\d+))?\s*$/.exec(expr);
    if (m === null)
      throw new ScenarioError(
        `field "${field}": "${expr}" is not an address (a number, "0x…", or "label+offset")`,
      );
    const [, head, sign, tail] = m;
    let base: number;
    if (/^(0x|\d)/.test(head!)) base = toNumber(head!, field);
    else {
      const v = this.labels.get(head!);
      if (v === undefined)
        throw new ScenarioError(
          `field "${field}": no label "${head}" (define it with "as:" on an mmap, mremap, kmalloc or vmalloc step)`,
        );
      base = v;
    }
    if (tail === undefined) return base;
    return sign === '+' ? base + toNumber(tail, field) : base - toNumber(tail, field);
  }
}

/** A pid's task record after it was reaped (the facade still answers for it), or undefined. */
function reapedTask(session: ScenarioSession, pid: number): Task | undefined {
  try {
    return session.kernel.task(pid);
  } catch (error) {
    if (error instanceof KernelError) return undefined;
    throw error;
  }
}

/** "exited 0", "killed by SIGSEGV": wait's status as a report says it. */
function statusText(status: ExitStatus): string {
  return status.kind === 'exited' ? `exited ${status.code}` : `killed by ${status.signal}`;
}

function toNumber(text: string, field: string): number {
  const big = BigInt(text.replaceAll('_', ''));
  const n = Number(BigInt.asIntN(64, big));
  if (!Number.isSafeInteger(n))
    throw new ScenarioError(
      `field "${field}": ${text} is out of range here (a non-canonical address; loads, stores and user copies take it as written)`,
    );
  return n;
}

/** The session's CPU option: the step's `cpu`, when it names one. */
const on = (cpu: number | undefined) => (cpu === undefined ? {} : { cpu });

function protOf(prot: string) {
  return { read: prot[0] === 'r', write: prot[1] === 'w', exec: prot[2] === 'x' };
}

function describeSpec(spec: HookSpec): string {
  if (spec === 'reference') return 'the reference (Linux’s) implementation';
  if (spec === 'empty') return 'an empty hook (it does nothing)';
  return `the implementation in ${spec.file}`;
}

/** A handler's step with the task it runs on filled in, where it named none. */
function onHandlingTask(step: Step, task: string | number): Step {
  if (!('task' in step.args) || step.args.task !== HANDLING_TASK) return step;
  return { ...step, args: { ...step.args, task } } as Step;
}

/**
 * Why a fault's signal killed where the task had made other plans: the
 * signal was blocked (inside its own handler, or by sigprocmask) or
 * ignored, and force_sig_fault reset it to the default action — a fault
 * cannot wait, the instruction would only fault again. Null when the
 * default action was the task's own choice.
 */
function forcedWhy(r: Extract<AccessOutcome, { kind: 'signal' }>): string | null {
  if (r.forced === undefined) return null;
  const sig = r.signal.signal;
  const why = r.forced === 'blocked' ? `${sig} was blocked` : `${sig} was ignored (SIG_IGN)`;
  return `${why}: a fault's signal cannot wait or be ignored, so force_sig_fault reset it to the default action, which kills`;
}

/** The signal frame's report of the fault, as a step's outcome lists it (x86: trapNo and errorCode; ARM64: esr). */
function frameFields(frame: SignalFrame | null): Record<string, unknown> {
  if (frame === null) return {};
  return frame.arch === 'x86'
    ? { trapNo: frame.trapNo, errorCode: `0x${frame.errorCode.toString(16)}` }
    : { esr: `0x${frame.esr.toString(16)}` };
}

/**
 * Where the frame tells the handler something other than what the CPU
 * reported (Linux hiding its kernel mappings), both values, since a
 * learner comparing the fault with the signal would otherwise see a
 * contradiction.
 */
function frameNote(r: Extract<AccessOutcome, { kind: 'signal' }>): string {
  const frame = r.signal.frame;
  const cpu = r.faults.at(-1)?.errorCode;
  if (frame === null || cpu === undefined) return '';
  const told = frame.arch === 'x86' ? frame.errorCode : frame.esr;
  if (told === cpu) return '';
  return frame.arch === 'x86'
    ? `; the signal frame's error code is 0x${told.toString(16)} where the CPU pushed 0x${cpu.toString(16)} (Linux sets PROT for addresses at or above TASK_SIZE_MAX: sanitize_error_code)`
    : `; the signal frame's ESR is 0x${told.toString(16)} where the CPU reported 0x${cpu.toString(16)} (Linux reports a level-0 translation fault for addresses outside TTBR0: set_thread_esr)`;
}

/** "3 demand-zero, 1 zero-page": how a run of faults was resolved. */
function countsText(faults: readonly FaultRecord[]): string {
  const counts = new Map<string, number>();
  for (const f of faults) counts.set(f.resolution, (counts.get(f.resolution) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
}

function plain(cpu: number | null, summary: string, outcome: Record<string, unknown>): Outcome {
  return { cpu, summary, outcome, faults: [] };
}

/** A uaccess routine's result: bytes not copied, -EFAULT, or an oops. */
/** A read- or write-like call's outcome: the count, or the errno when nothing moved. */
function fromIo(cpu: number | null, what: string, r: IoOutcome): Outcome {
  switch (r.kind) {
    case 'done':
      return { cpu, summary: `${what} → ${r.bytes}`, outcome: { bytes: r.bytes }, faults: r.faults };
    case 'error':
      return { cpu, summary: `${what} → -${r.errno}`, outcome: { errno: r.errno }, faults: r.faults };
    case 'oops':
      return { cpu, summary: `${what} → oops`, outcome: { oops: r.report }, faults: r.faults };
  }
}

function fromCopy(cpu: number | null, what: string, r: CopyOutcome, extra: Record<string, unknown>): Outcome {
  const end =
    r.oops !== null
      ? 'oops'
      : r.errno === null
        ? '0 (all copied)'
        : `${r.notCopied} not copied → -${r.errno}`;
  return {
    cpu,
    summary: `${what} → ${end}`,
    outcome: { notCopied: r.notCopied, errno: r.errno, oops: r.oops, ...extra },
    faults: r.faults,
  };
}

function fromAccess(
  cpu: number,
  what: string,
  r: AccessOutcome | SizedAccessOutcome,
  hex: (va: number | bigint) => string,
): Outcome {
  switch (r.kind) {
    case 'ok': {
      // A wider access's value in hex: it may need all 64 bits.
      const value = typeof r.value === 'bigint' ? `0x${r.value.toString(16)}` : r.value;
      return { cpu, summary: `${what} → ${value}`, outcome: { value }, faults: r.faults };
    }
    case 'signal':
      return {
        cpu,
        summary:
          r.signal.signal === 'SIGKILL'
            ? `${what} → out of memory: the OOM killer chose this process (SIGKILL)`
            : `${what} → ${r.signal.signal} (${r.signal.code}) at ${hex(r.signal.address)}${frameNote(r)}; the process is killed`,
        outcome: {
          signal: r.signal.signal,
          code: r.signal.code,
          address: hex(r.signal.address),
          ...frameFields(r.signal.frame),
        },
        faults: r.faults,
      };
    case 'oops':
      return {
        cpu,
        summary: `${what} → kernel oops: ${r.report.split('\n')[0]}`,
        outcome: { oops: r.report },
        faults: r.faults,
      };
    case 'fixup':
      return {
        cpu,
        summary: `${what} → exception-table fixup: resumes at ${hex(r.fixupIp)}`,
        outcome: { fixup: r.fixupIp },
        faults: r.faults,
      };
    case 'oom':
      return { cpu, summary: `${what} → out of memory`, outcome: { oom: true }, faults: r.faults };
  }
}
