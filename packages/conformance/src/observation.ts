/**
 * What a user program can observe of one step, in words both kernels share.
 * Raw values differ between the simulator and Linux for reasons that do not
 * matter — where mmap placed a buffer, which frame number the allocator
 * handed out, a pid — so both sides are put in the same terms before they
 * are compared: an address is named from the labels the case defined
 * ("buf+0x1000", "stack-0x2000"), a frame by the order it first appeared in
 * the case ("frame A"), a pid not at all.
 */

import type { Step } from '@faultline/scenario';
import { describeEsr, layouts } from '@faultline/vm-core';

/** The architectures cases are compared on: Linux's, booted under QEMU, and the simulator's. */
export type CaseArch = 'x86-64' | 'arm64';

/** Steps that are a system call returning a byte count or an errno. */
export const COUNTING_STEPS: ReadonlySet<string> = new Set([
  'copy_from_user',
  'copy_to_user',
  'readv',
  'writev',
  'process_vm_readv',
  'process_vm_writev',
  'proc_mem_read',
  'proc_mem_write',
]);

/** One step as observed: field → value, e.g. { si_code: "SEGV_ACCERR", minflt: 1, "page 1": "frame A, mapcount 2" }. */
export type Observation = Readonly<Record<string, string | number | null>>;

export interface ObservedStep {
  readonly step: number;
  readonly op: string;
  readonly fields: Observation;
  /**
   * What the side reported but the comparison leaves out, shown beside it:
   * on arm64, the level at which a translation fault's walk stopped (see
   * syndromeFields).
   */
  readonly aside?: Observation;
}

/** One side's run of a case: its steps, or why it could not run them all. */
export interface ObservedRun {
  readonly steps: readonly ObservedStep[];
  /** The harness or the kernel stopped the run early (not a behaviour to compare). */
  readonly failure: string | null;
}

const MiB = 1n << 20n;
const PAGE = 4096n;

/** Names addresses after the labels a case defined; the labels' values are each side's own. */
export class AddressNamer {
  private readonly mappings: { name: string; start: bigint; length: bigint }[] = [];
  private readonly builtins = new Map<string, bigint>();

  /** An mmap labelled `name` returned `start`. */
  mapped(name: string, start: bigint, length: number): void {
    this.mappings.unshift({ name, start, length: BigInt(length) });
  }

  /** What an address expression comes to with this side's labels. */
  evaluate(expr: string | number): bigint | null {
    const labels = new Map(this.builtins);
    for (const m of [...this.mappings].reverse()) labels.set(m.name, m.start);
    return evaluateIn(labels, expr);
  }

  /** A built-in label (stack, brk) for the process just spawned. */
  builtin(name: string, value: bigint): void {
    this.builtins.set(name, value);
  }

  /**
   * "buf+0x10", "stack-0x1000", or the address itself in hex when no label
   * is near. An address that is the step's own target (`target`, as the case
   * wrote it) is named as the case wrote it: the stack's lowest page differs
   * between the kernels, so 0x7fffff7fe000 and "stack-0x7e0000" must not be
   * named after each other.
   */
  name(address: bigint, target?: string | number): string {
    const a = BigInt.asUintN(64, address);
    if (target !== undefined && this.evaluate(target) === a)
      return typeof target === 'number' ? hex(target) : target.replaceAll(/\s+/g, '');
    for (const m of this.mappings) {
      if (a >= m.start && a < m.start + m.length) return relative(m.name, a - m.start);
    }
    // The stack grows down from its label and the heap up from its (16 MiB covers RLIMIT_STACK's
    // 8). Above its label's page the stack is named by address: its top is the same on both
    // kernels, its lowest page is not (Linux's first stack VMA holds the arguments too).
    const stack = this.builtins.get('stack');
    if (stack !== undefined && a >= stack - 16n * MiB && a < stack + PAGE)
      return relative('stack', a - stack);
    const brk = this.builtins.get('brk');
    if (brk !== undefined && a >= brk && a < brk + 16n * MiB) return relative('brk', a - brk);
    return hex(a);
  }
}

/** What an address expression of the case ("buf+0x10", 4096, "0xffff…") comes to here; null if a label is unknown. */
function evaluateIn(labels: ReadonlyMap<string, bigint>, expr: string | number): bigint | null {
  if (typeof expr === 'number') return BigInt.asUintN(64, BigInt(expr));
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F_]+|\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F_]+|\d+))?\s*$/.exec(
    expr,
  );
  if (m === null) return null;
  const [, head, sign, tail] = m;
  const base = /^(0x|\d)/.test(head!) ? BigInt(head!.replaceAll('_', '')) : labels.get(head!);
  if (base === undefined) return null;
  const offset = tail === undefined ? 0n : BigInt(tail.replaceAll('_', ''));
  return BigInt.asUintN(64, sign === '-' ? base - offset : base + offset);
}

function relative(name: string, offset: bigint): string {
  if (offset === 0n) return name;
  return offset > 0n ? `${name}+${hex(offset)}` : `${name}-${hex(-offset)}`;
}

export const hex = (n: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(n)).toString(16)}`;

/** Names frames by first appearance: the same sharing on both sides gives the same names. */
export class FrameNamer {
  private readonly names = new Map<number, string>();

  name(pfn: number): string {
    let name = this.names.get(pfn);
    if (name === undefined) {
      name = frameName(this.names.size);
      this.names.set(pfn, name);
    }
    return name;
  }
}

/** A, B, …, Z, AA, AB, … */
function frameName(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  return index < 26 ? letter : `${frameName(Math.floor(index / 26) - 1)}${letter}`;
}

/** A watched page, as the "page N" field shows it. */
export type WatchedState =
  | { readonly state: 'unknown' | 'none' | 'swap' }
  | { readonly state: 'present'; readonly pfn: number; readonly zero: boolean; readonly mapcount: number };

export function describePage(page: WatchedState, frames: FrameNamer): string {
  if (page.state !== 'present') return page.state === 'none' ? 'not present' : page.state;
  // Linux keeps no map count for the zero page (vm_normal_page() returns NULL for it): 0 is right.
  if (page.zero) return `zero page, mapcount ${page.mapcount}`;
  return `frame ${frames.name(page.pfn)}, mapcount ${page.mapcount}`;
}

/** si_code numbers (include/uapi/asm-generic/siginfo.h) by their names. */
export const SI_CODES: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  SIGSEGV: { 1: 'SEGV_MAPERR', 2: 'SEGV_ACCERR', 3: 'SEGV_BNDERR', 4: 'SEGV_PKUERR', 128: 'SI_KERNEL' },
  SIGBUS: { 1: 'BUS_ADRALN', 2: 'BUS_ADRERR', 3: 'BUS_OBJERR', 128: 'SI_KERNEL' },
};

/** One step's result as either side reports it, before naming: what fieldsOf turns into an Observation. */
export type RawResult =
  | {
      readonly kind: 'signal';
      readonly signal: string;
      /** By name (SEGV_MAPERR, …). */
      readonly code: string;
      readonly addr: bigint;
      /** The error code in the signal frame, and the trap number (null: not reported). */
      readonly err: number | null;
      readonly trap: number | null;
      /** arm64: the ESR in the frame's esr_context record (null: none). */
      readonly esr: number | null;
      /** For a touch: the pages it stored to before the signal. */
      readonly pages?: number;
    }
  | { readonly kind: 'oops'; readonly first: string }
  /** Killed outright, no handler reporting: a fault's signal that was blocked or ignored (force_sig_fault), or one inside a handler that blocks it. `signal`: null where the probe could not learn it. */
  | { readonly kind: 'killed'; readonly signal: string | null; readonly handled?: readonly RawDelivery[] }
  /** A handler siglongjmp'd out of the access (for a touch: after `pages` stores). */
  | { readonly kind: 'jumped'; readonly pages?: number; readonly handled?: readonly RawDelivery[] }
  /** The process was killed inside a handler of this access. */
  | { readonly kind: 'died'; readonly handled?: readonly RawDelivery[] }
  | {
      readonly kind: 'done';
      /** The signals the case's handlers took on the way to this result. */
      readonly handled?: readonly RawDelivery[];
      /** A byte read, or a wider load's value in hex ("0x1122"). */
      readonly value?: number | string;
      readonly pages?: number;
      readonly errno?: string | null;
      readonly address?: bigint;
      readonly brk?: bigint;
      /** Bytes a read(2)/write(2)-like call copied (on an error: none, and errno says which). */
      readonly bytes?: number;
      readonly size?: number;
      readonly data?: readonly number[];
    };

/** One signal a handler took: what it was handed, its steps' results, and how it ended. */
export interface RawDelivery {
  readonly signal: string;
  readonly code: string;
  readonly addr: bigint;
  readonly err: number | null;
  readonly trap: number | null;
  readonly esr: number | null;
  readonly steps: readonly { readonly op: string; readonly raw: RawResult }[];
  readonly end: string;
}

/** A handler's step as fieldsOf sees it: its kind (its arguments are the handler's business). */
export function handlerStepOf(op: string): Step {
  return { kind: op, args: {} } as unknown as Step;
}

/** The fields a step shows, named the same way for both sides. */
export function fieldsOf(
  step: Step,
  raw: RawResult,
  addresses: AddressNamer,
  arch: CaseArch,
  aside: Record<string, string> = {},
): Record<string, string | number | null> {
  const fields = resultFields(step, raw, addresses, arch, aside);
  const handled = 'handled' in raw ? (raw.handled ?? []) : [];
  const target = 'addr' in step.args && step.args.addr !== undefined ? step.args.addr : undefined;
  for (const [i, d] of handled.entries()) {
    const n = i + 1;
    const syndrome = Object.entries(syndromeFields(d, arch, aside, `handled ${n} esr`))
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `, ${k.replace('_', ' ')} ${v}`)
      .join('');
    fields[`handled ${n}`] = `${d.signal} ${d.code} at ${addresses.name(d.addr, target)}${syndrome}`;
    fields[`handler ${n}`] =
      d.steps
        .map(({ op, raw: r }, j) => {
          const inner: Record<string, string> = {};
          const shown = Object.entries(fieldsOf(handlerStepOf(op), r, addresses, arch, inner)).map(
            ([k, v]) => `${k}=${v === null ? 'none' : v}`,
          );
          for (const [k, v] of Object.entries(inner)) aside[`handler ${n} step ${j + 1} ${k}`] = v;
          return shown.length === 0 ? op : `${op} (${shown.join(', ')})`;
        })
        .join(' | ') || 'no steps';
    fields[`ends ${n}`] = d.end;
  }
  return fields;
}

/**
 * What the signal frame says of the fault besides si_addr: on x86 the error
 * code and trap number (REG_ERR, REG_TRAPNO); on arm64 the ESR, decoded
 * (exception class, WnR, the fault status and the level the walk stopped at).
 */
function syndromeFields(
  s: {
    readonly addr: bigint;
    readonly err: number | null;
    readonly trap: number | null;
    readonly esr: number | null;
  },
  arch: CaseArch,
  aside: Record<string, string>,
  asideKey = 'esr',
): Record<string, string | number | null> {
  if (arch !== 'arm64') return { error_code: s.err === null ? null : hex(s.err), trap: s.trap };
  if (s.esr === null) return { esr: null };
  const whole = `${hex(s.esr)} (${describeEsr(s.esr)})`;
  // A translation fault's level says how far the walk got: which page tables
  // the process already has around the address. Linux's process has its ELF
  // image, heap, argument pages and vDSO mapped; a simulated spawn has only
  // its (empty) stack area, so its walks stop higher up. That is the
  // program, not the kernel: the level is shown beside, not compared. At or
  // above TASK_SIZE it is compared: Linux reports level 0 there whatever its
  // tables hold (set_thread_esr), which is the kernel's doing.
  if ((s.esr & 0x3c) === FSC_TRANSLATION && BigInt.asUintN(64, s.addr) < ARM64_TASK_SIZE) {
    aside[asideKey] = whole;
    return {
      esr: describeEsr(s.esr).replace(/level \d translation fault/, 'translation fault (level aside)'),
    };
  }
  return { esr: whole };
}

const ARM64_TASK_SIZE = BigInt(layouts.arm64.userEnd);

/** The fault status type of a translation fault (ESR_ELx_FSC_FAULT), levels 0–3 in the low two bits. */
const FSC_TRANSLATION = 0x04;

function resultFields(
  step: Step,
  raw: RawResult,
  addresses: AddressNamer,
  arch: CaseArch,
  aside: Record<string, string>,
): Record<string, string | number | null> {
  if (raw.kind === 'signal') {
    const target = 'addr' in step.args && step.args.addr !== undefined ? step.args.addr : undefined;
    return {
      signal: raw.signal,
      si_code: raw.code,
      si_addr: addresses.name(raw.addr, target),
      ...syndromeFields(raw, arch, aside),
      ...(step.kind === 'touch' ? { pages_stored: raw.pages ?? null } : {}),
    };
  }
  if (raw.kind === 'oops') return { oops: raw.first };
  if (raw.kind === 'killed') return { killed: raw.signal };
  if (raw.kind === 'died') return { killed_in_handler: 'yes' };
  if (raw.kind === 'jumped')
    return { siglongjmp: 'yes', ...(step.kind === 'touch' ? { pages_stored: raw.pages ?? null } : {}) };
  if (COUNTING_STEPS.has(step.kind))
    return raw.bytes === undefined ? { errno: raw.errno ?? null } : { bytes: raw.bytes };
  switch (step.kind) {
    case 'read':
      return { value: raw.value ?? null };
    case 'touch':
      return { pages_stored: raw.pages ?? null };
    case 'mmap':
      if (raw.errno !== undefined && raw.errno !== null) return { errno: raw.errno };
      // Where the kernel placed it is its own business, unless the case asked for an address.
      return {
        address:
          step.args.addr === undefined
            ? 'placed'
            : raw.address === undefined
              ? null
              : addresses.name(raw.address, step.args.addr),
      };
    case 'mremap': {
      if (raw.errno !== undefined && raw.errno !== null) return { errno: raw.errno };
      if (raw.address === undefined) return { address: null };
      // Staying put is the kernel's to decide and the same on both sides; where a move
      // lands is its own business, unless the case gave an address (MREMAP_FIXED, a hint).
      if (raw.address === addresses.evaluate(step.args.addr)) return { address: 'in place' };
      return {
        address: step.args.new_addr === undefined ? 'moved' : addresses.name(raw.address, step.args.new_addr),
      };
    }
    case 'munmap':
    case 'mprotect':
    case 'madvise':
    case 'mlock':
    case 'munlock':
    case 'ftruncate':
    case 'sigaction':
      return { errno: raw.errno ?? null };
    case 'brk':
      return { brk: raw.brk === undefined ? null : addresses.name(raw.brk) };
    case 'file':
      return { size: raw.size ?? null };
    case 'read_file':
      return { data: (raw.data ?? []).join(',') };
    default:
      return {};
  }
}

/** What one side knows of a step besides its result: the labels a spawn defines, the faults, the pages. */
export interface StepFacts {
  /** For a spawn: where the new process's stack VMA and program break are (the built-in labels). */
  readonly spawned?: { readonly stack: bigint; readonly brk: bigint };
  /** ru_minflt across the step, for the steps that measure it. */
  readonly minflt: number | null;
  readonly pages: readonly WatchedState[];
}

/**
 * Observes a case step by step, the same way for either side: each side
 * says what its kernel reported; this names it (one AddressNamer and one
 * FrameNamer per run) and keeps the labels the steps define.
 */
export class CaseObserver {
  private readonly addresses = new AddressNamer();
  private readonly frames = new FrameNamer();
  readonly steps: ObservedStep[] = [];

  constructor(private readonly arch: CaseArch) {}

  step(index: number, step: Step, raw: RawResult, facts: StepFacts): void {
    if (facts.spawned !== undefined) {
      this.addresses.builtin('stack', facts.spawned.stack);
      this.addresses.builtin('brk', facts.spawned.brk);
    }
    // Named before its label exists: the address an mmap returned is compared, not its own name.
    const aside: Record<string, string> = {};
    const fields = fieldsOf(step, raw, this.addresses, this.arch, aside);
    const length =
      step.kind === 'mmap' ? step.args.length : step.kind === 'mremap' ? step.args.new_length : 0;
    if (
      (step.kind === 'mmap' || step.kind === 'mremap') &&
      step.args.as !== undefined &&
      raw.kind === 'done' &&
      raw.address !== undefined
    )
      this.addresses.mapped(step.args.as, raw.address, length);
    if (facts.minflt !== null) fields.minflt = facts.minflt;
    for (const [n, page] of facts.pages.entries()) fields[`page ${n + 1}`] = describePage(page, this.frames);
    this.steps.push({
      step: index,
      op: step.kind,
      fields,
      ...(Object.keys(aside).length > 0 ? { aside } : {}),
    });
  }
}
