/**
 * The trusted test API for exercise test files. A test file builds its tests
 * with `defineTests`; the runner calls each test's body with a fresh
 * `TestContext`, whose kernel has the learner's hooks installed.
 *
 * ```ts
 * export default defineTests((test) => {
 *   test('the first read maps the zero page', { points: 1, visibility: 'visible' }, (t) => {
 *     const pid = t.spawn();
 *     const addr = t.mmap(pid, 4096);
 *     t.expectResolutions(t.read(pid, addr), ['zero-page'], 'the first read of an untouched anonymous page');
 *   });
 * });
 * ```
 *
 * Everything here runs on the host; only the hooks run in the sandbox.
 * Assertions throw `AssertionFailure`, whose message tells the learner what
 * the kernel should have done and what theirs did. The helpers are thin
 * calls into a `ScenarioSession` (@faultline/scenario), the operations
 * scenario files run; the grader README lists every helper and assertion.
 */
import {
  type CounterName,
  type Counters,
  countText,
  flattenEvent,
  HOOK_NAMES,
  type HookName,
  INSTRUCTION_NAMES,
  instructionNamed,
  isCounterName,
  isHookName,
  type KernelAccessOptions,
  type MachineOptions,
  type PageSnapshot,
  Recorder,
  type Recording,
  type ScannedPage,
  ScenarioSession,
} from '@faultline/scenario';
import {
  type AccessOutcome,
  type CopyOutcome,
  type ErrnoName,
  formatAddress,
  type Kernel,
  KernelError,
  type KernelHooks,
  type PageInfo,
  type Placement,
  type PteInfo,
  type Resolution,
  type SiCodeName,
  type SignalName,
  type TraceEvent,
  type UserValueSize,
} from '@faultline/vm-core';
import { brandErrorClass } from '../brand.ts';
import { MAX_HINT_LENGTH, MAX_TRACE_EVENTS, type ReportTraceEvent, type Visibility } from '../report.ts';
import { RingBuffer } from './ring-buffer.ts';

export type TestBody = (t: TestContext) => void;

export interface TestOptions {
  readonly points: number;
  readonly visibility: Visibility;
  /**
   * What to look at when this test does not pass, for the learner: shown with
   * its failure even where a hidden test's message is withheld, so write it
   * as a pointer to the concept, not the answer ("a frame comes back from the
   * allocator holding its last owner's data").
   */
  readonly hint?: string;
}

export interface TestDefinition extends TestOptions {
  readonly name: string;
  readonly body: TestBody;
}

export type RegisterTest = (name: string, options: TestOptions, body: TestBody) => void;

/** Collects the tests `register` declares, in order. Names must be unique and points non-negative. */
export function defineTests(register: (test: RegisterTest) => void): TestDefinition[] {
  const tests: TestDefinition[] = [];
  register((name, options, body) => {
    if (name.length === 0) throw new TypeError('defineTests: a test needs a name');
    if (tests.some((t) => t.name === name)) throw new TypeError(`defineTests: duplicate test name "${name}"`);
    if (!(Number.isFinite(options.points) && options.points >= 0))
      throw new TypeError(`defineTests: test "${name}" needs points >= 0`);
    const { hint } = options;
    if (
      hint !== undefined &&
      !(typeof hint === 'string' && hint.trim() !== '' && hint.length <= MAX_HINT_LENGTH)
    )
      throw new TypeError(
        `defineTests: test "${name}": hint must be a non-empty string of at most ${MAX_HINT_LENGTH} characters`,
      );
    tests.push({
      name,
      points: options.points,
      visibility: options.visibility,
      ...(hint === undefined ? {} : { hint }),
      body,
    });
  });
  return tests;
}

/**
 * An expectation of a test did not hold: the test fails with this message.
 * Recognised by brand (see brand.ts): the tests that throw it may import
 * another copy of the grader than the runner that catches it.
 */
export class AssertionFailure extends Error {
  static {
    brandErrorClass(AssertionFailure, 'faultline.assertion-failure');
  }
  override name = 'AssertionFailure';
}

/** The test itself is broken (not the learner's code): the test errors with this message. Branded like AssertionFailure. */
export class HarnessError extends Error {
  static {
    brandErrorClass(HarnessError, 'faultline.harness-error');
  }
  override name = 'HarnessError';
}

export interface ContextSetup {
  /** The learner's hooks (from the sandbox bridge), installed in every kernel this context makes. */
  readonly hooks: Partial<KernelHooks>;
  /** The hooks the learner implements, for messages ("your anonymousFault …"). */
  readonly hookNames: readonly string[];
  /** Physical frames of the simulated machine (default 256). */
  readonly frames?: number;
  /** Trace events kept (the most recent), default MAX_TRACE_EVENTS - 1 (room for the truncation marker). */
  readonly traceCap?: number;
  /**
   * Record the run for a picture of it (`recording()`): the last events with
   * the machine state after each. Off by default: recording costs time, and
   * only a failed test's recording is kept.
   */
  readonly record?: boolean;
}

/** Events a test's recording keeps (hook calls count too, so it covers about the trace's window). */
export const RECORDED_EVENTS = 2 * MAX_TRACE_EVENTS;

export const DEFAULT_FRAMES = 256;

const RW = { read: true, write: true, exec: false } as const;

export type Prot = { readonly read: boolean; readonly write: boolean; readonly exec: boolean };

/** The machine a test may ask for with `t.machine(…)` before its first helper (its frames default to the exercise's). */
export type TestMachine = MachineOptions;

/** What `t.useHook` may install: the reference, an empty hook, the learner's own again, or a function of the test's. */
export type HookChoice<K extends HookName = HookName> = 'reference' | 'empty' | 'learner' | KernelHooks[K];

/** mmap options beyond the length and rights. */
export interface MmapOptions {
  readonly shared?: boolean;
  /** A hint, or with `fixed` the exact address. */
  readonly address?: number;
  readonly fixed?: boolean;
  readonly growsDown?: boolean;
  /** Map this file (made with `t.createFile`) instead of anonymous memory. */
  readonly file?: string;
  readonly offset?: number;
}

/** A bound on a counter: exactly n, or at most / at least. */
export type CountBound = number | { readonly atMost?: number; readonly atLeast?: number };

const RESOLUTION_TEXT: Partial<Record<Resolution, string>> = {
  'zero-page': 'map the shared zero page',
  'huge-page': 'map a whole 2 MiB huge page (transparent huge pages)',
  'huge-zero-page': 'map the huge zero page over the whole 2 MiB block',
  'demand-zero': 'allocate a fresh zeroed page',
  'cow-copy': 'copy the page for the writer (copy-on-write)',
  'cow-reuse': 'reuse the page for the writer (copy-on-write, nobody else holds it)',
  spurious: 'find the fault spurious',
  'swap-in': 'read the page back from swap',
  'stack-growth': 'grow the stack',
};

/** What each signal means, for messages that expected one and got another. */
const SIGNAL_TEXT: Partial<Record<SiCodeName, string>> = {
  SEGV_MAPERR: 'SEGV_MAPERR: no VMA covers the address',
  SEGV_ACCERR: 'SEGV_ACCERR: a VMA covers the address but forbids this access',
  BUS_ADRERR: 'BUS_ADRERR: the mapping has no page there (past the end of its file)',
  SI_KERNEL: 'SI_KERNEL: sent by the kernel itself (the OOM killer, a non-canonical address)',
};

/** Where to look when a cost check fails. */
const COUNTER_HINTS: Partial<Record<CounterName, string>> = {
  shootdownIpis:
    'Only the CPUs in the address space’s cpumask (kernel.cpusThatMayCache) can hold its translations: each other CPU interrupted is wasted work, and one skipped keeps a stale entry.',
  tlbFlushPage:
    'flush_tlb_page invalidates the page once on each CPU that may cache it (kernel.invalidateTlbEntry), and only when rights were taken away.',
  swapOuts:
    'Only a dirty page has to be written: a clean page whose copy in swap (or in its file) is current can simply be dropped.',
  framesAllocated:
    'Every allocPage is a frame: a read of untouched private memory needs none (the shared zero page), and a COW write by the page’s last user can reuse the page instead of copying it.',
  faults:
    'A handler that maps the page with the right permissions the first time takes one fault per page; a second fault on the same access means the first left something unfixed.',
};

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function errnoText(errno: ErrnoName | null): string {
  return errno === null ? '0 (success)' : `-${errno}`;
}

/**
 * What one test may do with the simulated kernel. One per test; the kernel
 * is made on first use. Every helper is one call into a scenario session
 * (@faultline/scenario), the same operations `faultline sim run` runs.
 */
/** Who ended an access with a signal: a hook of the learner's, the OOM killer, or the kernel's own fault path. */
type Sender =
  | { readonly by: 'learner'; readonly hook: string }
  /** The learner's hook answered { kind: 'oom' } and the kernel killed the process for it. */
  | { readonly by: 'learner-oom'; readonly hook: string }
  | { readonly by: 'oom-killer' }
  /** The kernel sent it; `learnerHook` is the learner's hook that handled an earlier fault of the same access, if one did. */
  | { readonly by: 'kernel'; readonly learnerHook: string | null };

/** What the learner's hooks did during one access: how often they ran, and the first (innermost) to answer with a signal or OOM. */
interface LearnerTrace {
  calls: number;
  /** The learner's hook called last during the access, if any. */
  lastHook: string | null;
  answer:
    | { readonly hook: string; readonly kind: 'signal'; readonly signal: string; readonly code: string }
    | { readonly hook: string; readonly kind: 'oom' }
    | null;
}

export class TestContext {
  private made: ScenarioSession | null = null;
  private recorder: Recorder | null = null;
  private readonly ring: RingBuffer<ReportTraceEvent>;
  /** The learner's hooks during the access running now (null between accesses). */
  private learner: LearnerTrace | null = null;
  private oomKills = 0;
  /** Who sent the signal that ended each access outcome the helpers returned. */
  private readonly senders = new WeakMap<AccessOutcome, Sender>();

  constructor(private readonly setup: ContextSetup) {
    this.ring = new RingBuffer(setup.traceCap ?? MAX_TRACE_EVENTS - 1);
  }

  /** "your anonymousFault" (one hook) or "your kernel". */
  get yours(): string {
    return this.setup.hookNames.length === 1 ? `your ${this.setup.hookNames[0]}` : 'your kernel';
  }

  /** This test's kernel, with the learner's hooks installed; the same one on every call. */
  kernel(): Kernel {
    return this.session().kernel;
  }

  /**
   * The machine this test runs on: CPUs, swap slots, TLB, PCIDs, frames,
   * architecture, the scheduler's seed. Call it before any other helper
   * (it builds the kernel); anything left out is the default.
   */
  machine(options: TestMachine): void {
    if (this.made !== null)
      throw new HarnessError(
        't.machine(…) must come before the first helper that uses the kernel: the kernel is already built',
      );
    this.session(options);
  }

  private session(machine: TestMachine = {}): ScenarioSession {
    if (this.made === null) {
      let session: ScenarioSession;
      try {
        session = new ScenarioSession({
          machine: { frames: this.setup.frames ?? DEFAULT_FRAMES, ...machine },
          hooks: this.watched(this.setup.hooks),
        });
      } catch (error) {
        if (error instanceof KernelError || error instanceof RangeError)
          throw new HarnessError(`the machine this test asks for cannot be built: ${error.message}`);
        throw error;
      }
      session.kernel.subscribe((event) => this.record(event));
      if (this.setup.record === true)
        this.recorder = new Recorder(session, { keep: 'last', maxEvents: RECORDED_EVENTS });
      this.made = session;
    }
    return this.made;
  }

  /** The learner's hooks, each noting that it ran and whether it answered a fault with a signal. */
  private watched(hooks: Partial<KernelHooks>): Partial<KernelHooks> {
    const out: Record<string, unknown> = {};
    for (const [name, hook] of Object.entries(hooks)) {
      if (typeof hook !== 'function') {
        out[name] = hook;
        continue;
      }
      const call = hook as (...args: unknown[]) => unknown;
      out[name] = (...args: unknown[]) => {
        const trace = this.learner;
        if (trace !== null) {
          trace.calls++;
          trace.lastHook = name;
        }
        const result = call(...args);
        if (trace !== null && trace.answer === null) {
          if (isSignalOutcome(result))
            trace.answer = {
              hook: name,
              kind: 'signal',
              signal: result.signal.signal,
              code: result.signal.code,
            };
          else if (isOomOutcome(result)) trace.answer = { hook: name, kind: 'oom' };
        }
        return result;
      };
    }
    return out as Partial<KernelHooks>;
  }

  /** Runs one access, noting who sent the signal it may end with. */
  private access(body: () => AccessOutcome): AccessOutcome {
    const outer = this.learner;
    const trace: LearnerTrace = { calls: 0, lastHook: null, answer: null };
    const oomBefore = this.oomKills;
    this.learner = trace;
    let outcome: AccessOutcome;
    try {
      outcome = body();
    } finally {
      this.learner = outer;
    }
    if (outcome.kind === 'signal') {
      const { signal, code } = outcome.signal;
      const answer = trace.answer;
      this.senders.set(
        outcome,
        signal === 'SIGKILL' && this.oomKills > oomBefore
          ? { by: 'oom-killer' }
          : answer?.kind === 'signal' && answer.signal === signal && answer.code === code
            ? { by: 'learner', hook: answer.hook }
            : answer?.kind === 'oom' && signal === 'SIGKILL'
              ? { by: 'learner-oom', hook: answer.hook }
              : { by: 'kernel', learnerHook: trace.lastHook },
      );
    }
    return outcome;
  }

  // ───────── arguments (tests are compiled without type checking) ─────────

  /** A pid this kernel has (alive or not: a dead task is the kernel's to refuse). */
  private pidArg(helper: string, pid: unknown): number {
    if (!Number.isSafeInteger(pid)) throw new HarnessError(`${helper}: pid ${show(pid)} is not an integer`);
    if (!this.session().kernel.tasks.has(pid as number))
      throw new HarnessError(
        `${helper}: no task with pid ${pid} (t.spawn, t.thread, t.fork and t.kthread return pids)`,
      );
    return pid as number;
  }

  /** A CPU this machine has. */
  private cpuArg(helper: string, cpu: unknown): number {
    const cpus = this.session().kernel.cpus.length;
    if (!Number.isInteger(cpu) || (cpu as number) < 0 || (cpu as number) >= cpus)
      throw new HarnessError(
        `${helper}: cpu ${show(cpu)} is not a CPU of this machine (it has ${cpus}: 0–${cpus - 1}; t.machine({ cpus }) sets how many)`,
      );
    return cpu as number;
  }

  /** A file made with t.createFile. */
  private fileArg(helper: string, name: unknown): string {
    if (typeof name !== 'string' || !this.session().kernel.files.has(name))
      throw new HarnessError(`${helper}: no file ${show(name)} (make it with t.createFile first)`);
    return name;
  }

  private accessArgs(helper: string, pid: unknown, address: unknown, options: unknown): void {
    this.pidArg(helper, pid);
    intArg(helper, 'address', address);
    if (typeof options !== 'object' || options === null)
      throw new HarnessError(`${helper}: options ${show(options)} is not an object like { cpu: 1 }`);
    const { cpu } = options as { cpu?: unknown };
    if (cpu !== undefined) this.cpuArg(helper, cpu);
  }

  // ───────── tasks ─────────

  /** A new user process; returns its pid. */
  spawn(name = 'app'): number {
    return this.stepped(
      `t.spawn(${show(name)})`,
      () => this.session().spawn(name).pid,
      (pid) => `pid ${pid}`,
    );
  }

  /** A thread of `pid`'s process (sharing its address space); returns its pid. */
  thread(pid: number, name?: string): number {
    return this.session().thread(this.pidArg('t.thread', pid), name).pid;
  }

  /** A kernel thread (no address space of its own); returns its pid. */
  kthread(name = 'kworker'): number {
    return this.session().kthread(name).pid;
  }

  /** A context switch of `cpu` to `pid`; says whether the CPU loaded other page tables. */
  switchTo(cpu: number, pid: number): { readonly cr3Changed: boolean } {
    return this.session().switchTo(this.cpuArg('t.switchTo', cpu), this.pidArg('t.switchTo', pid));
  }

  /** `ticks` seeded scheduling decisions (see `machine({ seed })`): which task runs on which CPU. */
  schedule(ticks: number): Placement[] {
    return this.session().schedule(ticks);
  }

  /** The CPU `pid` runs on, or null. */
  runningOn(pid: number): number | null {
    return this.session().cpuRunning(this.pidArg('t.runningOn', pid));
  }

  fork(pid: number): number {
    return this.stepped(
      `t.fork(${show(pid)})`,
      () => this.session().fork(this.pidArg('t.fork', pid)).pid,
      (child) => `pid ${child}`,
    );
  }

  /** execve(): `pid` gets a fresh address space. */
  execve(pid: number): void {
    this.session().execve(this.pidArg('t.execve', pid));
  }

  exit(pid: number): void {
    this.stepped(`t.exit(${show(pid)})`, () => this.session().exit(this.pidArg('t.exit', pid)));
  }

  // ───────── address spaces ─────────

  /** mmap of anonymous memory (private unless `shared`), or of a file; returns its address. */
  mmap(pid: number, length: number, prot: Prot = RW, options: MmapOptions = {}): number {
    this.pidArg('t.mmap', pid);
    intArg('t.mmap', 'length', length);
    protArg('t.mmap', prot);
    if (typeof options !== 'object' || options === null)
      throw new HarnessError(`t.mmap: options ${show(options)} is not an object`);
    if (options.address !== undefined) intArg('t.mmap', 'options.address', options.address);
    if (options.offset !== undefined) intArg('t.mmap', 'options.offset', options.offset);
    if (options.file !== undefined) this.fileArg('t.mmap', options.file);
    return this.stepped(
      `t.mmap(${pid}, ${length})`,
      () => this.mmapChecked(pid, length, prot, options),
      (address) => formatAddress(address),
    );
  }

  private mmapChecked(pid: number, length: number, prot: Prot, options: MmapOptions): number {
    const r = this.session().mmap(pid, {
      length,
      prot,
      shared: options.shared ?? false,
      ...(options.address !== undefined ? { address: options.address } : {}),
      ...(options.fixed !== undefined ? { fixed: options.fixed } : {}),
      ...(options.growsDown !== undefined ? { growsDown: options.growsDown } : {}),
      ...(options.file !== undefined ? { file: options.file } : {}),
      ...(options.offset !== undefined ? { offset: options.offset } : {}),
    });
    if (r.kind !== 'ok') throw new HarnessError(`mmap of ${length} bytes failed with ${r.errno}`);
    return r.address;
  }

  /** munmap(); the errno, or null for success. */
  munmap(pid: number, address: number, length: number): ErrnoName | null {
    this.pidArg('t.munmap', pid);
    intArg('t.munmap', 'address', address);
    intArg('t.munmap', 'length', length);
    return this.stepped(
      `t.munmap(${pid}, ${formatAddress(address)}, ${length})`,
      () => this.session().munmap(pid, address, length),
      (errno) => errno ?? '0',
    );
  }

  /** mprotect(); the errno, or null for success. */
  mprotect(pid: number, address: number, length: number, prot: Prot): ErrnoName | null {
    this.pidArg('t.mprotect', pid);
    intArg('t.mprotect', 'address', address);
    intArg('t.mprotect', 'length', length);
    const checked = protArg('t.mprotect', prot);
    return this.stepped(
      `t.mprotect(${pid}, ${formatAddress(address)}, ${length})`,
      () => this.session().mprotect(pid, address, length, checked),
      (errno) => errno ?? '0',
    );
  }

  /** brk(); the new break (the old one if the move was refused). */
  brk(pid: number, address: number): number {
    return this.session().brk(this.pidArg('t.brk', pid), intArg('t.brk', 'address', address));
  }

  // ───────── memory accesses ─────────

  /** A user-mode load of one byte; `cpu` switches the task there first. */
  read(pid: number, address: number, options: { readonly cpu?: number } = {}): AccessOutcome {
    this.accessArgs('t.read', pid, address, options);
    return this.stepped(
      `t.read(${pid}, ${formatAddress(address)})`,
      () => this.access(() => this.session().access(pid, address, 'read', options)),
      outcomeText,
    );
  }

  write(pid: number, address: number, value: number, options: { readonly cpu?: number } = {}): AccessOutcome {
    this.accessArgs('t.write', pid, address, options);
    if (!Number.isInteger(value) || value < 0 || value > 255)
      throw new HarnessError(`t.write: value ${show(value)} is not a byte (0–255)`);
    return this.stepped(
      `t.write(${pid}, ${formatAddress(address)}, ${value})`,
      () => this.access(() => this.session().access(pid, address, 'write', { ...options, value })),
      outcomeText,
    );
  }

  /** An instruction fetch from `address`. */
  fetch(pid: number, address: number, options: { readonly cpu?: number } = {}): AccessOutcome {
    this.accessArgs('t.fetch', pid, address, options);
    return this.stepped(
      `t.fetch(${pid}, ${formatAddress(address)})`,
      () => this.access(() => this.session().access(pid, address, 'exec', options)),
      outcomeText,
    );
  }

  /**
   * A kernel-mode access of one byte: on `cpu` (default 0), in `pid`'s
   * context if given, inside stac/clac with `uaccess`, by the instruction at
   * `ip` (an address, or a uaccess routine's name as scenario files give it:
   * 'copy_user_generic', '__get_user_1', '__put_user_1'; an instruction
   * with an exception-table entry resumes at its fixup).
   */
  kernelAccess(
    address: number,
    access: 'read' | 'write',
    options: Omit<KernelAccessOptions, 'ip'> & { readonly ip?: number | string } = {},
  ): AccessOutcome {
    const h = 't.kernelAccess';
    intArg(h, 'address', address);
    if (access !== 'read' && access !== 'write')
      throw new HarnessError(`${h}: access ${show(access)} is not 'read' or 'write'`);
    if (typeof options !== 'object' || options === null)
      throw new HarnessError(`${h}: options ${show(options)} is not an object`);
    if (options.cpu !== undefined) this.cpuArg(h, options.cpu);
    if (options.pid !== undefined) this.pidArg(h, options.pid);
    if (
      options.value !== undefined &&
      (!Number.isInteger(options.value) || options.value < 0 || options.value > 255)
    )
      throw new HarnessError(`${h}: value ${show(options.value)} is not a byte (0–255)`);
    let ip: number | undefined;
    if (typeof options.ip === 'string') {
      ip = instructionNamed(options.ip);
      if (ip === undefined)
        throw new HarnessError(
          `${h}: ip ${show(options.ip)} is not an address or a known instruction (${INSTRUCTION_NAMES.join(', ')})`,
        );
    } else if (options.ip !== undefined) ip = intArg(h, 'ip', options.ip);
    const { ip: _named, ...rest } = options;
    return this.stepped(
      `t.kernelAccess(${formatAddress(address)}, ${show(access)})`,
      () =>
        this.access(() =>
          this.session().kernelAccess(address, access, { ...rest, ...(ip !== undefined ? { ip } : {}) }),
        ),
      outcomeText,
    );
  }

  copyFromUser(pid: number, address: number, length: number): CopyOutcome {
    this.pidArg('t.copyFromUser', pid);
    intArg('t.copyFromUser', 'address', address);
    intArg('t.copyFromUser', 'length', length);
    return this.stepped(
      `t.copyFromUser(${pid}, ${formatAddress(address)}, ${length})`,
      () => this.session().copyFromUser(pid, address, length),
      copyText,
    );
  }

  copyToUser(pid: number, address: number, bytes: readonly number[]): CopyOutcome {
    this.pidArg('t.copyToUser', pid);
    intArg('t.copyToUser', 'address', address);
    bytesArg('t.copyToUser', bytes);
    return this.stepped(
      `t.copyToUser(${pid}, ${formatAddress(address)}, ${bytes.length} bytes)`,
      () => this.session().copyToUser(pid, address, bytes),
      copyText,
    );
  }

  getUser(pid: number, address: number, size: UserValueSize) {
    this.pidArg('t.getUser', pid);
    intArg('t.getUser', 'address', address);
    sizeArg('t.getUser', size);
    return this.session().getUser(pid, address, size);
  }

  putUser(pid: number, address: number, size: UserValueSize, value: bigint) {
    this.pidArg('t.putUser', pid);
    intArg('t.putUser', 'address', address);
    sizeArg('t.putUser', size);
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << BigInt(8 * size))
      throw new HarnessError(`t.putUser: value ${show(value)} is not a bigint that fits in ${size} bytes`);
    return this.session().putUser(pid, address, size, value);
  }

  // ───────── kernel memory, files ─────────

  kmalloc(bytes: number): number | null {
    return this.session().kmalloc(intArg('t.kmalloc', 'bytes', bytes));
  }

  kfree(address: number): void {
    this.session().kfree(intArg('t.kfree', 'address', address));
  }

  vmalloc(bytes: number): number | null {
    return this.session().vmalloc(intArg('t.vmalloc', 'bytes', bytes));
  }

  vfree(address: number): void {
    this.session().vfree(intArg('t.vfree', 'address', address));
  }

  /** A file of these bytes (or this text), for `mmap(…, { file })`. */
  createFile(name: string, content: string | readonly number[]): void {
    this.session().createFile(
      name,
      typeof content === 'string' ? [...new TextEncoder().encode(content)] : content,
    );
  }

  /** What read(2) of the file returns now (the page cache wins over the disk). */
  readFile(name: string, offset: number, length: number): number[] {
    this.fileArg('t.readFile', name);
    return this.session().readFile(
      name,
      intArg('t.readFile', 'offset', offset),
      intArg('t.readFile', 'length', length),
    );
  }

  // ───────── reclaim and swap ─────────

  /** Reclaims until `pages` frames are freed or nothing more can be; returns the frames freed. */
  reclaim(pages: number): number {
    return this.session().reclaim(pages);
  }

  /** What the next reclaim would scan and decide, changing nothing (no accessed bit cleared, nothing freed). */
  scanForReclaim(pages: number): ScannedPage[] {
    return this.session().scanForReclaim(pages);
  }

  /** Runs kswapd if an allocation woke it; returns the frames it freed. (Tests run it only when they call this.) */
  kswapd(): number {
    return this.session().kswapd();
  }

  // ───────── hooks ─────────

  /**
   * From now on, `name` runs something else: 'reference' (Linux's), 'empty'
   * (does nothing; see @faultline/scenario), 'learner' (the learner's own
   * again, or the reference if they do not implement it), or a function of
   * the test's (an instructor's variant).
   */
  useHook<K extends HookName>(name: K, choice: HookChoice<K>): void {
    if (!isHookName(name))
      throw new HarnessError(`t.useHook: "${String(name)}" is not a hook (${HOOK_NAMES.join(', ')})`);
    const session = this.session();
    if (choice === 'learner') session.restoreHook(name);
    else if (choice === 'reference' || choice === 'empty' || typeof choice === 'function')
      session.useHook(name, choice);
    else throw new HarnessError(`t.useHook(${name}): expected 'reference', 'empty', 'learner' or a function`);
  }

  // ───────── inspection ─────────

  /** The PTE for `address` in `pid`'s address space, read through the installed page-walk hook. */
  pte(pid: number, address: number): PteInfo {
    const mm = this.kernel().task(this.pidArg('t.pte', pid)).mm;
    if (mm === null) throw new HarnessError(`pid ${pid} has no address space`);
    return this.kernel().api.hooks.walkPageTable(mm.id, BigInt(intArg('t.pte', 'address', address)));
  }

  /** The PTE and its frame's counts, read with the reference walk (no learner code runs). */
  page(pid: number, address: number): PageSnapshot {
    return this.session().page(this.pidArg('t.page', pid), intArg('t.page', 'address', address));
  }

  pageInfo(pfn: number): PageInfo {
    return this.kernel().api.pageInfo(pfn);
  }

  zeroPfn(): number {
    return this.kernel().api.zeroPfn();
  }

  /** Frames on the free lists. */
  freeFrames(): number {
    return this.session().freeFrames();
  }

  /** What the kernel and hardware did since the kernel was built: TLB flushes, IPIs, swap traffic, frames, faults. */
  counters(): Counters {
    return this.session().counters();
  }

  /** What `body` made the kernel and hardware do. */
  measure(body: () => void): Counters {
    return this.session().measure(body);
  }

  /** The kernel's statistics (swap-outs, pages scanned, OOM kills, …) with free frames and swap slots in use. */
  stats(): Readonly<Record<string, number>> {
    return this.session().stats();
  }

  // ───────── assertions ─────────

  fail(message: string): never {
    throw new AssertionFailure(message);
  }

  /** The access completed (no signal, oops or OOM). */
  expectOk(outcome: AccessOutcome, what: string): asserts outcome is Extract<AccessOutcome, { kind: 'ok' }> {
    if (outcome.kind !== 'ok') this.fail(`expected ${what} to succeed, but ${this.describeEnd(outcome)}`);
  }

  /** The access took exactly these faults, resolved this way (`[]`: no fault at all). */
  expectResolutions(outcome: AccessOutcome, expected: readonly Resolution[], what: string): void {
    const actual = outcome.faults.map((f) => f.resolution);
    if (outcome.kind === 'ok' && sameList(actual, expected)) return;
    const should =
      expected.length === 0
        ? 'to complete without a page fault'
        : expected.length === 1
          ? `to ${RESOLUTION_TEXT[expected[0]!] ?? 'be resolved'} (resolution "${expected[0]}")`
          : `to take faults resolved as ${quoteList(expected)}`;
    let did: string;
    if (outcome.kind !== 'ok' && !actual.every((r) => r === 'signal' || r === 'oops')) {
      did = `${this.describeEnd(outcome)} after faults resolved as ${quoteList(actual)}`;
    } else if (outcome.kind !== 'ok') did = this.describeEnd(outcome);
    else if (actual.length === 0) did = 'it did not fault at all';
    else if (actual.length === 1) did = `${this.yours} resolved it as "${actual[0]}"`;
    else did = `it faulted ${actual.length} times, resolved as ${quoteList(actual)}`;
    this.fail(`expected ${what} ${should}, but ${did}`);
  }

  /** The access completed and read `expected`. */
  expectValue(outcome: AccessOutcome, expected: number, what: string): void {
    this.expectOk(outcome, what);
    if (outcome.value !== expected)
      this.fail(`expected ${what} to read ${hex(expected)}, but it read ${hex(outcome.value)}`);
  }

  /** The access killed the process with this signal (and, if given, this si_code). */
  expectSignal(
    outcome: AccessOutcome,
    expected: { readonly signal: SignalName; readonly code?: SiCodeName },
    what: string,
  ): void {
    const wanted = expected.code === undefined ? expected.signal : `${expected.signal} (${expected.code})`;
    if (outcome.kind === 'signal') {
      const { signal, code } = outcome.signal;
      if (signal === expected.signal && (expected.code === undefined || code === expected.code)) return;
      const meaning = (c: SiCodeName) => SIGNAL_TEXT[c] ?? c;
      const hint =
        expected.code !== undefined && signal === expected.signal
          ? ` — ${meaning(expected.code)}, whereas ${meaning(code)}`
          : '';
      this.fail(`expected ${what} to be stopped with ${wanted}, but ${this.sentBy(outcome, false)}${hint}`);
    }
    this.fail(
      `expected ${what} to be stopped with ${wanted}, but ${this.describeEnd(outcome)}${
        outcome.kind === 'ok'
          ? ': the process did something its mappings do not allow, and nothing stopped it'
          : ''
      }`,
    );
  }

  /** A kernel-mode access the kernel cannot handle oopsed (its report containing `contains`, if given). */
  expectOops(outcome: AccessOutcome, what: string, contains?: string): void {
    if (outcome.kind === 'oops') {
      if (contains === undefined || outcome.report.includes(contains)) return;
      this.fail(
        `expected ${what} to oops with a report mentioning "${contains}", but the report says: ${outcome.report.split('\n').join(' | ')}`,
      );
    }
    this.fail(
      `expected ${what} to oops (a kernel fault that nothing can fix must not be papered over), but ${this.describeEnd(outcome)}`,
    );
  }

  /** A kernel-mode access faulted and resumed at its exception-table fixup. */
  expectFixup(outcome: AccessOutcome, what: string): void {
    if (outcome.kind === 'fixup') return;
    this.fail(
      `expected ${what} to fault and resume at its exception-table fixup (the faulting instruction has an entry: search_exception_tables finds it), but ${this.describeEnd(outcome)}`,
    );
  }

  /** A copy_from_user / copy_to_user returned this: bytes not copied, errno, and (copy_from_user) the buffer. */
  expectCopy(
    outcome: CopyOutcome,
    expected: {
      readonly notCopied: number;
      readonly errno?: ErrnoName | null;
      readonly data?: readonly number[];
    },
    what: string,
  ): void {
    if (outcome.oops !== null)
      this.fail(
        `expected ${what} to return ${expected.notCopied} bytes not copied, but the kernel oopsed: ${outcome.oops.split('\n')[0]} — a uaccess fault must resume at the exception-table fixup, never oops`,
      );
    const problems: string[] = [];
    if (outcome.notCopied !== expected.notCopied)
      problems.push(
        `it returned ${outcome.notCopied} bytes not copied instead of ${expected.notCopied} (the return value counts the bytes NOT copied: 0 means all of them)`,
      );
    if (expected.errno !== undefined && outcome.errno !== expected.errno)
      problems.push(`the caller got ${errnoText(outcome.errno)} instead of ${errnoText(expected.errno)}`);
    if (expected.data !== undefined && !sameList(outcome.data.map(String), expected.data.map(String)))
      problems.push(
        `the kernel buffer holds [${outcome.data.join(', ')}] instead of [${expected.data.join(', ')}] (bytes that were not copied must be zeroed, so no stale kernel data leaks)`,
      );
    if (problems.length > 0) this.fail(`expected ${what} to work, but ${problems.join('; ')}`);
  }

  /** A system call returned this errno (null: it succeeded). */
  expectErrno(actual: ErrnoName | null, expected: ErrnoName | null, what: string): void {
    if (actual !== expected)
      this.fail(`expected ${what} to return ${errnoText(expected)}, but it returned ${errnoText(actual)}`);
  }

  /**
   * A cost check: the counter (from `t.measure` or `t.counters`) is exactly
   * n, or within { atMost, atLeast }.
   */
  expectCount(counters: Counters, name: CounterName, bound: CountBound, what: string): void {
    if (!isCounterName(name)) throw new HarnessError(`t.expectCount: "${String(name)}" is not a counter`);
    const n = counters[name];
    const { atMost, atLeast } = typeof bound === 'number' ? { atMost: bound, atLeast: bound } : bound;
    if ((atMost === undefined || n <= atMost) && (atLeast === undefined || n >= atLeast)) return;
    const noun = (k: number) => countText(name, k);
    const wanted =
      atMost === atLeast
        ? `exactly ${noun(atMost!)}`
        : atMost !== undefined && atLeast !== undefined
          ? `between ${atLeast} and ${noun(atMost)}`
          : atMost !== undefined
            ? `at most ${noun(atMost)}`
            : `at least ${noun(atLeast!)}`;
    const hint = COUNTER_HINTS[name];
    this.fail(
      `expected ${what} to cost ${wanted}, but with ${this.yours} it cost ${noun(n)}.${hint ? ` ${hint}` : ''}`,
    );
  }

  /** The PTE for `address` is present and matches every field given (`zero`: maps the shared zero page). */
  expectPte(
    pid: number,
    address: number,
    expected: { readonly writable?: boolean; readonly exec?: boolean; readonly zero?: boolean },
    what: string,
  ): void {
    const pte = this.pte(pid, address);
    if (pte.kind !== 'present')
      this.fail(`expected ${what} to be mapped by a present PTE, but the PTE is ${pte.kind}`);
    const problems: string[] = [];
    if (expected.writable !== undefined && pte.writable !== expected.writable)
      problems.push(expected.writable ? 'it is read-only, not writable' : 'it is writable, not read-only');
    if (expected.exec !== undefined && pte.exec !== expected.exec)
      problems.push(expected.exec ? 'it is not executable (NX set)' : 'it is executable (NX clear)');
    if (expected.zero !== undefined && (pte.pfn === this.zeroPfn()) !== expected.zero)
      problems.push(
        expected.zero
          ? `it maps frame ${pte.pfn}, not the shared zero page (frame ${this.zeroPfn()})`
          : 'it maps the shared zero page',
      );
    if (problems.length > 0) this.fail(`expected ${what}, but ${problems.join('; ')}`);
  }

  /**
   * The page behind `address`: what its PTE holds ('present', 'swap',
   * 'none') and, when present, its frame's reference and map counts. Read
   * with the reference walk, so a broken page-walk hook cannot hide a leak.
   */
  expectPage(
    pid: number,
    address: number,
    expected: {
      readonly pte?: PteInfo['kind'];
      readonly refcount?: number;
      readonly mapcount?: number;
    },
    what: string,
  ): void {
    const { pte, page } = this.page(pid, address);
    const wantsCounts = expected.refcount !== undefined || expected.mapcount !== undefined;
    const kind = expected.pte ?? (wantsCounts ? 'present' : undefined);
    if (kind !== undefined && pte.kind !== kind) {
      const says = { present: 'maps a frame', swap: 'holds a swap entry', none: 'is empty' } as const;
      this.fail(`expected the PTE of ${what} to be ${kind} (it ${says[kind]}), but it ${says[pte.kind]}`);
    }
    if (page === null || pte.kind !== 'present') return;
    const problems: string[] = [];
    if (expected.refcount !== undefined && page.refcount !== expected.refcount) {
      const why =
        page.refcount > expected.refcount
          ? 'a reference was taken and never dropped (a getPage or allocPage without its putPage, or a page mapped twice): the frame can never be freed'
          : 'a reference was dropped too often (a putPage too many), so the frame can be freed while still mapped';
      problems.push(`frame ${pte.pfn} has refcount ${page.refcount}, not ${expected.refcount}: ${why}`);
    }
    if (expected.mapcount !== undefined && page.mapcount !== expected.mapcount)
      problems.push(
        `frame ${pte.pfn} is mapped ${page.mapcount} times, not ${expected.mapcount} (each PTE that maps it counts once)`,
      );
    if (problems.length > 0)
      this.fail(`expected the page of ${what} to be right, but ${problems.join('; ')}`);
  }

  /** `checkInvariants` finds nothing wrong (refcounts vs mappings, no free frame mapped, …). */
  expectInvariants(what: string): void {
    const problems = this.session().check();
    if (problems.length > 0) {
      const shown = problems.slice(0, 5).join('\n  ');
      const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
      this.fail(`expected the kernel to be consistent ${what}, but it is not:\n  ${shown}${more}`);
    }
  }

  /** Generic equality of primitives, with the learner-facing description of what was compared. */
  expectEqual<T extends string | number | boolean | null>(actual: T, expected: T, what: string): void {
    if (!Object.is(actual, expected))
      this.fail(`expected ${what} to be ${JSON.stringify(expected)}, but it was ${JSON.stringify(actual)}`);
  }

  private describeEnd(outcome: AccessOutcome): string {
    switch (outcome.kind) {
      case 'ok':
        return `it succeeded (the byte read was ${hex(outcome.value)})`;
      case 'signal':
        return this.sentBy(outcome, true);
      case 'oops':
        return `the kernel oopsed: ${outcome.report.split('\n')[0]}`;
      case 'fixup':
        return 'the kernel took an exception-table fixup';
      case 'oom':
        return 'the kernel ran out of memory';
    }
  }

  /** "your anonymousFault sent SIGSEGV (SEGV_ACCERR)", "the OOM killer killed the process (SIGKILL) …", … */
  private sentBy(outcome: Extract<AccessOutcome, { kind: 'signal' }>, toTheProcess: boolean): string {
    const { signal, code } = outcome.signal;
    const sent = `sent ${signal} (${code})${toTheProcess ? ' to the process' : ''}`;
    const sender = this.senders.get(outcome) ?? { by: 'kernel', learnerHook: null };
    switch (sender.by) {
      case 'learner':
        return `your ${sender.hook} ${sent}`;
      case 'learner-oom':
        return `your ${sender.hook} answered the fault with { kind: 'oom' } (out of memory), so the kernel killed the process with ${signal} (${code})`;
      case 'oom-killer':
        return `the OOM killer killed the process (${signal}): memory ran out and nothing could be reclaimed`;
      case 'kernel': {
        if (code === 'SEGV_MAPERR')
          return `the kernel’s fault path ${sent} (no VMA covers the address, so no fault hook was called)`;
        if (sender.learnerHook === null)
          return `the kernel’s fault path ${sent} (no hook of yours was called)`;
        // The learner's hook handled the first fault, and the retried access
        // faulted again on what it had mapped: the signal is the kernel's,
        // the cause is most likely the mapping the hook made.
        return code === 'SEGV_ACCERR'
          ? `the kernel’s fault path ${sent}: your ${sender.learnerHook} had handled an earlier fault of this access, and the retried access was still not allowed by what it mapped (look at the permissions of the PTE it installed)`
          : `the kernel’s fault path ${sent}, after your ${sender.learnerHook} had handled an earlier fault of this access`;
      }
    }
  }

  // ───────── trace ─────────

  private record(event: TraceEvent): void {
    if (event.type === 'oom-kill') this.oomKills++;
    this.ring.push(flatten(event));
  }

  /** The run as recorded (with `record`), or null: no recording asked for, or no kernel built. */
  recording(): Recording | null {
    if (this.recorder === null) return null;
    const recording = this.recorder.recording();
    this.recorder.dispose();
    this.recorder = null;
    return recording;
  }

  /** Stops recording and keeps nothing (a test that passed); returns null. */
  discardRecording(): null {
    this.recorder?.dispose();
    this.recorder = null;
    return null;
  }

  /**
   * One helper call as a step of the recording, named as the test wrote it;
   * without a recording, just the call.
   */
  private stepped<T>(label: string, body: () => T, result: (r: T) => string = () => ''): T {
    if (this.setup.record !== true) return body();
    this.session();
    const recorder = this.recorder;
    if (recorder === null) return body();
    recorder.beginStep(label);
    let summary = `${label}: stopped by an exception`;
    try {
      const r = body();
      const said = result(r);
      summary = said === '' ? label : `${label} → ${said}`;
      return r;
    } finally {
      recorder.endStep(summary, null);
    }
  }

  /** The recorded events, oldest first, led by a 'truncated' marker if some were dropped. */
  trace(): ReportTraceEvent[] {
    const kept = this.ring.toArray();
    return this.ring.dropped > 0 ? [{ kind: 'truncated', dropped: this.ring.dropped }, ...kept] : kept;
  }
}

/** An access's outcome in a few words, for a recording's step. */
function outcomeText(o: AccessOutcome): string {
  switch (o.kind) {
    case 'ok':
      return `${o.value}`;
    case 'signal':
      return `${o.signal.signal} (${o.signal.code})`;
    case 'oops':
      return 'kernel oops';
    case 'fixup':
      return `fixup at ${formatAddress(o.fixupIp)}`;
    case 'oom':
      return 'out of memory';
  }
}

function copyText(o: CopyOutcome): string {
  return o.oops !== null
    ? 'kernel oops'
    : o.errno === null
      ? 'all copied'
      : `${o.notCopied} not copied, -${o.errno}`;
}

function isSignalOutcome(
  value: unknown,
): value is { kind: 'signal'; signal: { signal: string; code: string } } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { kind?: unknown; signal?: { signal?: unknown; code?: unknown } };
  return v.kind === 'signal' && typeof v.signal === 'object' && v.signal !== null;
}

/** A value as a message shows it: strings quoted, bigints with n. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

function intArg(helper: string, name: string, value: unknown): number {
  if (!Number.isSafeInteger(value))
    throw new HarnessError(`${helper}: ${name} ${show(value)} is not an integer`);
  return value as number;
}

function protArg(helper: string, prot: unknown): Prot {
  const p = prot as Record<string, unknown> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.read !== 'boolean' ||
    typeof p.write !== 'boolean' ||
    typeof p.exec !== 'boolean'
  )
    throw new HarnessError(
      `${helper}: prot ${show(prot)} is not { read, write, exec } with three booleans (e.g. { read: true, write: false, exec: false })`,
    );
  return prot as Prot;
}

function bytesArg(helper: string, bytes: unknown): void {
  if (!Array.isArray(bytes) || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255))
    throw new HarnessError(`${helper}: bytes ${show(bytes)} is not an array of bytes (0–255)`);
}

function sizeArg(helper: string, size: unknown): void {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
    throw new HarnessError(`${helper}: size ${show(size)} is not 1, 2, 4 or 8`);
}

function isOomOutcome(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'oom';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A simulator event as a report trace event: the scenario package's flat
 * form (`type` becomes `kind`, nested values flat fields, an exact bigint
 * address the kernel's number or its hex), so reports and recordings agree.
 */
function flatten(event: TraceEvent): ReportTraceEvent {
  return flattenEvent(event);
}
