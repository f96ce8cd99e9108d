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
 * the kernel should have done and what theirs did.
 */
import {
  type AccessOutcome,
  checkInvariants,
  Kernel,
  type KernelHooks,
  type PageInfo,
  type PteInfo,
  type Resolution,
  type TraceEvent as SimEvent,
} from '@faultline/vm-core';
import { brandErrorClass } from '../brand.ts';
import { MAX_TRACE_EVENTS, type TraceEvent, type Visibility } from '../report.ts';

export type TestBody = (t: TestContext) => void;

export interface TestOptions {
  readonly points: number;
  readonly visibility: Visibility;
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
    tests.push({ name, points: options.points, visibility: options.visibility, body });
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
}

export const DEFAULT_FRAMES = 256;

const RW = { read: true, write: true, exec: false } as const;

export type Prot = { readonly read: boolean; readonly write: boolean; readonly exec: boolean };

const RESOLUTION_TEXT: Partial<Record<Resolution, string>> = {
  'zero-page': 'map the shared zero page',
  'demand-zero': 'allocate a fresh zeroed page',
  'cow-copy': 'copy the page for the writer (copy-on-write)',
  'cow-reuse': 'reuse the page for the writer (copy-on-write, nobody else holds it)',
  spurious: 'find the fault spurious',
  'swap-in': 'read the page back from swap',
  'stack-growth': 'grow the stack',
};

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** What one test may do with the simulated kernel. One per test; the kernel is made on first use. */
export class TestContext {
  private made: Kernel | null = null;
  private readonly ring: TraceEvent[] = [];
  private dropped = 0;

  constructor(private readonly setup: ContextSetup) {}

  /** "your anonymousFault" (one hook) or "your kernel". */
  get yours(): string {
    return this.setup.hookNames.length === 1 ? `your ${this.setup.hookNames[0]}` : 'your kernel';
  }

  /** This test's kernel, with the learner's hooks installed; the same one on every call. */
  kernel(): Kernel {
    if (this.made === null) {
      const kernel = new Kernel({ frames: this.setup.frames ?? DEFAULT_FRAMES, hooks: this.setup.hooks });
      kernel.subscribe((event) => this.record(event));
      this.made = kernel;
    }
    return this.made;
  }

  // ───────── scenario helpers: thin wrappers over Kernel ─────────

  /** A new user process; returns its pid. */
  spawn(name = 'app'): number {
    return this.kernel().spawn(name).pid;
  }

  /** mmap of anonymous memory (private unless `shared`); returns its address. */
  mmap(pid: number, length: number, prot: Prot = RW, options: { shared?: boolean } = {}): number {
    const r = this.kernel().mmap(pid, { length, prot, shared: options.shared ?? false });
    if (r.kind !== 'ok') throw new HarnessError(`mmap of ${length} bytes failed with ${r.errno}`);
    return r.address;
  }

  read(pid: number, address: number): AccessOutcome {
    return this.kernel().access(pid, address, 'read');
  }

  write(pid: number, address: number, value: number): AccessOutcome {
    return this.kernel().access(pid, address, 'write', value);
  }

  /** An instruction fetch from `address`. */
  fetch(pid: number, address: number): AccessOutcome {
    return this.kernel().access(pid, address, 'exec');
  }

  fork(pid: number): number {
    return this.kernel().fork(pid).pid;
  }

  exit(pid: number): void {
    this.kernel().exit(pid);
  }

  /** The PTE for `address` in `pid`'s address space. */
  pte(pid: number, address: number): PteInfo {
    const mm = this.kernel().task(pid).mm;
    if (mm === null) throw new HarnessError(`pid ${pid} has no address space`);
    return this.kernel().readPte(mm.id, address);
  }

  pageInfo(pfn: number): PageInfo {
    return this.kernel().pageInfo(pfn);
  }

  zeroPfn(): number {
    return this.kernel().zeroPfn();
  }

  /** Frames on the free lists. */
  freeFrames(): number {
    return this.kernel().frames.free;
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

  /** `checkInvariants` finds nothing wrong (refcounts vs mappings, no free frame mapped, …). */
  expectInvariants(what: string): void {
    const problems = checkInvariants(this.kernel());
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
        return 'it succeeded';
      case 'signal':
        return `${this.yours} sent ${outcome.signal.signal} (${outcome.signal.code}) to the process`;
      case 'oops':
        return `the kernel oopsed: ${outcome.report.split('\n')[0]}`;
      case 'fixup':
        return 'the kernel took an exception-table fixup';
      case 'oom':
        return 'the kernel ran out of memory';
    }
  }

  // ───────── trace ─────────

  private record(event: SimEvent): void {
    const cap = this.setup.traceCap ?? MAX_TRACE_EVENTS - 1;
    if (this.ring.length >= cap) {
      this.ring.shift();
      this.dropped += 1;
    }
    this.ring.push(flatten(event));
  }

  /** The recorded events, oldest first, led by a 'truncated' marker if some were dropped. */
  trace(): TraceEvent[] {
    return this.dropped > 0 ? [{ kind: 'truncated', dropped: this.dropped }, ...this.ring] : [...this.ring];
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A simulator event as a report trace event: `type` becomes `kind`, nested values become flat fields. */
function flatten(event: SimEvent): TraceEvent {
  const out: TraceEvent = { kind: event.type };
  const put = (prefix: string, value: unknown, depth: number): void => {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      out[prefix] = value as string | number | boolean | null;
    } else if (Array.isArray(value)) {
      out[prefix] = value.map(String).join(',');
    } else if (typeof value === 'object' && depth < 2) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        put(`${prefix}.${k}`, v, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    put(key === 'kind' ? 'what' : key, value, 0);
  }
  return out;
}
