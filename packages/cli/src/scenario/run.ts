/**
 * Runs a parsed scenario on a fresh kernel and reports, step by step, what
 * happened: the value read, the signal and si_code, the errno, the oops text,
 * and every fault taken with its address, error code and resolution.
 */
import {
  type AccessOutcome,
  type CopyOutcome,
  checkInvariants,
  type FaultRecord,
  formatAddress,
  Kernel,
  KernelError,
  Scheduler,
  type Task,
  type TraceEvent,
} from '@faultline/vm-core';
import { type Scenario, ScenarioError, type Step } from './schema.ts';

export interface StepReport {
  readonly index: number;
  readonly step: Step['kind'];
  readonly cpu: number | null;
  /** One line: what the step did and how it ended. */
  readonly summary: string;
  readonly outcome: Readonly<Record<string, unknown>>;
  readonly faults: readonly FaultRecord[];
  readonly events?: readonly TraceEvent[];
}

export interface ScenarioReport {
  readonly title: string | null;
  readonly arch: string;
  readonly steps: readonly StepReport[];
  /** Invariant violations after the last step (empty when the kernel is consistent). */
  readonly invariants: readonly string[];
  readonly stats: Readonly<Record<string, number>>;
}

export function runScenario(scenario: Scenario, options: { trace?: boolean } = {}): ScenarioReport {
  let kernel: Kernel;
  try {
    kernel = bootKernel(scenario);
  } catch (error) {
    if (error instanceof KernelError) throw new ScenarioError(`the machine: ${error.message}`);
    throw error;
  }
  return runOn(kernel, scenario, options);
}

function bootKernel(scenario: Scenario): Kernel {
  return new Kernel({
    arch: scenario.arch,
    frames: scenario.frames,
    cpus: scenario.cpus,
    ...(scenario.pcid !== undefined ? { pcid: scenario.pcid } : {}),
    ...(scenario.swap !== undefined ? { swapSlots: scenario.swap } : {}),
    ...(scenario.tlb !== undefined ? { tlb: scenario.tlb } : {}),
  });
}

function runOn(kernel: Kernel, scenario: Scenario, options: { trace?: boolean }): ScenarioReport {
  const run = new Runner(kernel, new Scheduler(kernel, scenario.seed));
  const reports: StepReport[] = [];
  scenario.steps.forEach((step, i) => {
    const events: TraceEvent[] = [];
    const stop = options.trace ? kernel.subscribe((e) => events.push(e)) : () => undefined;
    try {
      const report = run.step(step, i);
      kernel.runKswapd();
      reports.push(options.trace ? { ...report, events } : report);
    } catch (error) {
      if (error instanceof KernelError || error instanceof ScenarioError || error instanceof RangeError) {
        throw new ScenarioError(`step ${i + 1} (${step.kind}): ${error.message}`);
      }
      throw error;
    } finally {
      stop();
    }
  });
  return {
    title: scenario.title ?? null,
    arch: scenario.arch,
    steps: reports,
    invariants: checkInvariants(kernel),
    stats: { ...kernel.stats, freeFrames: kernel.frames.free, swapSlotsInUse: kernel.swap?.inUse ?? 0 },
  };
}

type Outcome = Omit<StepReport, 'index' | 'step'>;

class Runner {
  private readonly names = new Map<string, number>();
  private readonly labels = new Map<string, number>();

  constructor(
    private readonly kernel: Kernel,
    private readonly scheduler: Scheduler,
  ) {
    this.names.set('swapper', 0);
    this.names.set('init', 1);
    this.names.set('kthreadd', 2);
  }

  step(step: Step, index: number): StepReport {
    const out = this.execute(step);
    return { index: index + 1, step: step.kind, ...out };
  }

  private execute(step: Step): Outcome {
    const k = this.kernel;
    const cpuOf = (cpu: number | undefined) => cpu ?? null;
    switch (step.kind) {
      case 'spawn': {
        const t = k.spawn(step.args.name);
        this.name(step.args.name, t);
        if (step.args.cpu !== undefined) k.switchTo(step.args.cpu, t.pid);
        return plain(cpuOf(step.args.cpu), `spawn ${step.args.name} → pid ${t.pid}`, { pid: t.pid });
      }
      case 'thread': {
        const t = k.thread(this.pid(step.args.task), step.args.name);
        if (step.args.name !== undefined) this.name(step.args.name, t);
        return plain(cpuOf(step.args.cpu), `thread of ${step.args.task} → pid ${t.pid}, sharing its mm`, {
          pid: t.pid,
        });
      }
      case 'kthread': {
        const t = k.kthread(step.args.name);
        this.name(step.args.name, t);
        if (step.args.cpu !== undefined) k.switchTo(step.args.cpu, t.pid);
        return plain(cpuOf(step.args.cpu), `kthread ${step.args.name} → pid ${t.pid} (mm = null)`, {
          pid: t.pid,
        });
      }
      case 'switch': {
        const pid = this.pid(step.args.task);
        const before = k.cpu(step.args.cpu).mmu.control.root;
        k.switchTo(step.args.cpu, pid);
        const after = k.cpu(step.args.cpu).mmu.control.root;
        const how =
          before === after
            ? 'page tables unchanged (same mm, or a kernel thread borrowing it)'
            : 'CR3 switched';
        return plain(step.args.cpu, `switch cpu ${step.args.cpu} to ${step.args.task}: ${how}`, {
          cr3Changed: before !== after,
        });
      }
      case 'mmap': {
        const a = step.args;
        const flags = new Set(a.flags ?? []);
        const r = k.mmap(this.pid(a.task), {
          length: a.length,
          prot: protOf(a.prot),
          shared: flags.has('shared'),
          fixed: flags.has('fixed'),
          growsDown: flags.has('growsdown'),
          ...(a.addr !== undefined ? { address: this.addr(a.addr) } : {}),
          ...(a.file !== undefined ? { file: a.file } : {}),
          ...(a.offset !== undefined ? { offset: a.offset } : {}),
        });
        if (r.kind === 'error')
          return plain(cpuOf(a.cpu), `mmap ${a.length} bytes ${a.prot} → -${r.errno}`, { errno: r.errno });
        if (a.as !== undefined) this.labels.set(a.as, r.address);
        const what = a.file === undefined ? '' : ` of ${a.file}${a.offset ? ` at offset ${a.offset}` : ''}`;
        return plain(
          cpuOf(a.cpu),
          `mmap ${a.length} bytes${what} ${a.prot}${a.as ? ` as ${a.as}` : ''} → ${hex(r.address)}`,
          {
            address: hex(r.address),
          },
        );
      }
      case 'munmap': {
        const e = k.munmap(this.pid(step.args.task), this.addr(step.args.addr), step.args.length);
        return plain(
          cpuOf(step.args.cpu),
          `munmap ${hex(this.addr(step.args.addr))} +${step.args.length} → ${e ? `-${e}` : '0'}`,
          { errno: e },
        );
      }
      case 'mprotect': {
        const e = k.mprotect(
          this.pid(step.args.task),
          this.addr(step.args.addr),
          step.args.length,
          protOf(step.args.prot),
        );
        return plain(
          cpuOf(step.args.cpu),
          `mprotect ${hex(this.addr(step.args.addr))} +${step.args.length} ${step.args.prot} → ${e ? `-${e}` : '0'}`,
          {
            errno: e,
          },
        );
      }
      case 'brk': {
        const r = k.brk(this.pid(step.args.task), this.addr(step.args.addr));
        return plain(cpuOf(step.args.cpu), `brk → ${hex(r)}`, { brk: hex(r) });
      }
      case 'read':
      case 'write':
      case 'exec': {
        const a = step.args;
        const pid = this.pid(a.task);
        if (a.cpu !== undefined && k.cpu(a.cpu).current.pid !== pid) k.switchTo(a.cpu, pid);
        const va = this.addr(a.addr);
        const r = k.access(pid, va, step.kind, step.kind === 'write' ? step.args.value : 0);
        const verb =
          step.kind === 'write' ? `write ${hex(va)} = ${step.args.value}` : `${step.kind} ${hex(va)}`;
        return fromAccess(a.cpu ?? this.cpuRunning(pid), `${a.task}: ${verb}`, r);
      }
      case 'touch': {
        const a = step.args;
        const pid = this.pid(a.task);
        const start = this.addr(a.addr);
        const faults: FaultRecord[] = [];
        let pages = 0;
        for (let va = start; va < start + a.length; va += 4096) {
          const r = k.access(pid, va, 'write', a.value ?? 1);
          faults.push(...r.faults);
          if (r.kind !== 'ok') {
            const ended = fromAccess(
              a.cpu ?? this.cpuRunning(pid),
              `${a.task}: touch page ${pages + 1} at ${hex(va)}`,
              r,
            );
            return { ...ended, faults };
          }
          pages++;
        }
        const counts = new Map<string, number>();
        for (const f of faults) counts.set(f.resolution, (counts.get(f.resolution) ?? 0) + 1);
        const how = [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
        return {
          cpu: a.cpu ?? this.cpuRunning(pid),
          summary: `${a.task}: touch ${pages} pages from ${hex(start)}${how ? ` (${how})` : ''}`,
          outcome: { pages },
          faults,
        };
      }
      case 'fork': {
        const child = k.fork(this.pid(step.args.task));
        if (step.args.name !== undefined) this.name(step.args.name, child);
        return plain(
          cpuOf(step.args.cpu),
          `fork ${step.args.task} → pid ${child.pid} (private writable pages now copy-on-write)`,
          {
            pid: child.pid,
          },
        );
      }
      case 'exit': {
        const free = k.frames.free;
        k.exit(this.pid(step.args.task));
        return plain(cpuOf(step.args.cpu), `exit ${step.args.task}: ${k.frames.free - free} frames freed`, {
          framesFreed: k.frames.free - free,
        });
      }
      case 'copy_from_user': {
        const a = step.args;
        const r = k.copyFromUser(this.pid(a.task), this.addr(a.addr), a.length);
        return fromCopy(cpuOf(a.cpu), `copy_from_user ${hex(this.addr(a.addr))} +${a.length}`, r, {
          data: r.data,
        });
      }
      case 'copy_to_user': {
        const a = step.args;
        const r = k.copyToUser(this.pid(a.task), this.addr(a.addr), a.bytes);
        return fromCopy(cpuOf(a.cpu), `copy_to_user ${hex(this.addr(a.addr))} +${a.bytes.length}`, r, {});
      }
      case 'kernel_access': {
        const a = step.args;
        const cpu = a.cpu ?? 0;
        if (a.task !== undefined) k.switchTo(cpu, this.pid(a.task));
        const va = this.addr(a.addr);
        const mmu = k.cpu(cpu).mmu;
        const who = k.cpu(cpu).current.name;
        if (a.uaccess) mmu.userAccessBegin();
        let r: AccessOutcome;
        try {
          r = k.kernelAccess(cpu, va, a.access, { value: a.value ?? 0 });
        } finally {
          if (a.uaccess) mmu.userAccessEnd();
        }
        const window = a.uaccess ? ' (inside stac/clac)' : '';
        return fromAccess(cpu, `kernel ${a.access} ${hex(va)}${window} as ${who}`, r);
      }
      case 'file': {
        const a = step.args;
        if ((a.text === undefined) === (a.bytes === undefined)) {
          throw new ScenarioError('give the file either "text" or "bytes"');
        }
        const content = a.bytes ?? [...new TextEncoder().encode(a.text)];
        k.createFile(a.name, content);
        return plain(null, `file ${a.name}: ${content.length} bytes`, { size: content.length });
      }
      case 'read_file': {
        const a = step.args;
        const bytes = k.readFile(a.name, a.offset, a.length);
        const shown = String.fromCharCode(...bytes.map((b) => (b >= 32 && b < 127 ? b : 46)));
        return plain(null, `read ${a.name} [${a.offset}, +${a.length}) → "${shown}"`, { bytes });
      }
      case 'kmalloc': {
        const va = k.kmalloc(step.args.bytes);
        if (va !== null && step.args.as !== undefined) this.labels.set(step.args.as, va);
        return plain(cpuOf(step.args.cpu), `kmalloc ${step.args.bytes} → ${va === null ? 'NULL' : hex(va)}`, {
          address: va === null ? null : hex(va),
        });
      }
      case 'vmalloc': {
        const va = k.vmalloc(step.args.bytes);
        if (va !== null && step.args.as !== undefined) this.labels.set(step.args.as, va);
        return plain(cpuOf(step.args.cpu), `vmalloc ${step.args.bytes} → ${va === null ? 'NULL' : hex(va)}`, {
          address: va === null ? null : hex(va),
        });
      }
      case 'reclaim': {
        const freed = k.reclaim(step.args.pages);
        return plain(
          cpuOf(step.args.cpu),
          `reclaim ${step.args.pages} pages → ${freed} freed (${k.stats.swapOuts} written to swap so far)`,
          {
            freed,
          },
        );
      }
      case 'schedule': {
        const placements = this.scheduler.run(step.args.ticks);
        const last = new Map<number, number>();
        for (const p of placements) last.set(p.cpu, p.pid);
        const now = [...last]
          .sort(([a], [b]) => a - b)
          .map(([cpu, pid]) => `cpu ${cpu}: ${k.task(pid).name}`);
        return plain(null, `schedule ${step.args.ticks} ticks → ${now.join(', ')}`, { placements });
      }
      case 'check': {
        const problems = checkInvariants(k);
        return plain(
          cpuOf(step.args.cpu),
          problems.length === 0 ? 'invariants hold' : `invariants violated: ${problems.join('; ')}`,
          {
            problems,
          },
        );
      }
    }
  }

  private name(name: string, task: Task): void {
    this.names.set(name, task.pid);
  }

  private pid(ref: string | number): number {
    if (typeof ref === 'number') {
      this.kernel.task(ref);
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
    return this.kernel.cpus.find((c) => c.current.pid === pid)?.id ?? 0;
  }

  /** Resolves a number, "0x…", "label", or "label+offset" / "label-offset". */
  private addr(expr: string | number): number {
    if (typeof expr === 'number') return expr;
    const m =
      /^\s*([A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F_]+|\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F_]+|\d+))?\s*$/.exec(expr);
    if (m === null)
      throw new ScenarioError(
        `field "addr": "${expr}" is not an address (a number, "0x…", or "label+offset")`,
      );
    const [, head, sign, tail] = m;
    let base: number;
    if (/^(0x|\d)/.test(head!)) base = toNumber(head!);
    else {
      const v = this.labels.get(head!);
      if (v === undefined)
        throw new ScenarioError(
          `field "addr": no label "${head}" (define it with "as:" on an mmap, kmalloc or vmalloc step)`,
        );
      base = v;
    }
    if (tail === undefined) return base;
    return sign === '+' ? base + toNumber(tail) : base - toNumber(tail);
  }
}

function toNumber(text: string): number {
  const big = BigInt(text.replaceAll('_', ''));
  const n = Number(BigInt.asIntN(64, big));
  if (!Number.isSafeInteger(n)) throw new ScenarioError(`field "addr": ${text} is out of range`);
  return n;
}

function protOf(prot: string) {
  return { read: prot[0] === 'r', write: prot[1] === 'w', exec: prot[2] === 'x' };
}

const hex = (va: number) => formatAddress(va);

function plain(cpu: number | null, summary: string, outcome: Record<string, unknown>): Outcome {
  return { cpu, summary, outcome, faults: [] };
}

/** A uaccess routine's result: bytes not copied, -EFAULT, or an oops. */
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

function fromAccess(cpu: number, what: string, r: AccessOutcome): Outcome {
  switch (r.kind) {
    case 'ok':
      return { cpu, summary: `${what} → ${r.value}`, outcome: { value: r.value }, faults: r.faults };
    case 'signal':
      return {
        cpu,
        summary:
          r.signal.signal === 'SIGKILL'
            ? `${what} → out of memory: the OOM killer chose this process (SIGKILL)`
            : `${what} → ${r.signal.signal} (${r.signal.code}) at ${hex(r.signal.address)}; the process is killed`,
        outcome: { signal: r.signal.signal, code: r.signal.code, address: hex(r.signal.address) },
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
        summary: `${what} → exception-table fixup`,
        outcome: { fixup: r.fixupIp },
        faults: r.faults,
      };
    case 'oom':
      return { cpu, summary: `${what} → out of memory`, outcome: { oom: true }, faults: r.faults };
  }
}
