import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlainValue } from '../plain.ts';
import { transpile } from '../transpile.ts';
import { compileQuickJSModule } from '../wasm-node.ts';
import { type BuildFacts, buildFacts } from './build-facts.ts';
import { createSandbox } from './create.ts';
import {
  buildFactory,
  createSandboxFactory,
  inspectFactory,
  type SandboxFactory,
  type SandboxFactoryOptions,
} from './factory.ts';
import { idleInstanceCount, releaseIdleInstances } from './instance-cache.ts';
import { STEPS_PER_CPU_MS } from './limits.ts';
import { type MemorySnapshot, matchesSnapshot } from './snapshot.ts';
import type { HostFunction, Sandbox, SandboxOptions } from './types.ts';

/** A clock that never moves: only step budgets decide (see engine.test.ts). */
const FROZEN_CLOCK = () => 0;

const FIXTURE = `
let count = 0;
const seen: number[] = [];
console.log('loading');
export function tick() { count += 1; seen.push(count); return [count, seen.length]; }
export function probe() {
  return {
    leaked: typeof (globalThis as any).leaked,
    evil: typeof ([] as any).evil,
    toString: Object.prototype.toString.call([]),
    random: [Math.random(), Math.random()],
    json: JSON.parse('1'),
    count,
  };
}
export function depth() { let d = 0; const down = (): number => { d += 1; return down() + 1; }; try { down(); } catch {} return d; }
export function clockAndLog() { console.log('hello', Date.now()); return new Date().getTime(); }
export function throwNull() { throw null; }
export function viaHost(x: number) { return (globalThis as any).kernel.inc(x); }

export function pollute() {
  (globalThis as any).leaked = 'yes';
  (Array.prototype as any).evil = 1;
  Object.prototype.toString = () => 'pwned';
  Math.random = () => 0.5;
  JSON.parse = () => 'pwned';
  count = 1000;
  return 'polluted';
}
export function spin() { for (;;) {} }
export function overflow() { const down = (n: number): number => down(n + 1) + 1; return down(0); }
export function bomb() { const a: number[][] = []; for (;;) a.push(new Array(10000).fill(1.5)); }
export function smallBomb() { let a: unknown = []; for (;;) a = { next: a, x: [1, 2] }; }
export function chatty(n: number) { for (let i = 0; i < n; i++) console.log('line', i, 'x'.repeat(100)); return n; }
export function dropHostFunctions() {
  delete (globalThis as any).console;
  Object.defineProperty(Date.prototype, 'constructor', { value: null });
  delete (globalThis as any).Date;
  return typeof (globalThis as any).console;
}
export function keepFull() { const keep: number[][] = []; (globalThis as any).keep = keep; try { for (;;) keep.push(new Array(1000).fill(1.5)); } catch (e) { return String(e); } }
export function length(s: string) { return s.length; }
`;

/** What a pristine sandbox answers, call by call, with the steps counted after each. */
const PRISTINE_SCRIPT: [string, PlainValue[]][] = [
  ['tick', []],
  ['tick', []],
  ['probe', []],
  ['depth', []],
  ['clockAndLog', []],
  ['throwNull', []],
  ['viaHost', [41]],
];

function runScript(sandbox: Sandbox) {
  const calls = PRISTINE_SCRIPT.map(([name, args]) => ({
    name,
    result: sandbox.call(name, args),
    steps: sandbox.stepsUsed(),
  }));
  return { calls, output: sandbox.output() };
}

const inc: HostFunction = (x) => (typeof x === 'number' ? x + 1 : null);

let code = '';
let wasmModule: WebAssembly.Module;
let pristine: ReturnType<typeof runScript>;
let loadSteps = 0;

async function compile(source: string): Promise<string> {
  const compiled = await transpile(source);
  if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled.errors));
  return compiled.code;
}

const baseOptions = (): SandboxOptions => ({ hostApi: { inc }, wasmModule, clock: FROZEN_CLOCK });

beforeAll(async () => {
  code = await compile(FIXTURE);
  wasmModule = await compileQuickJSModule();
  // The reference: a sandbox created and loaded the ordinary way.
  const sandbox = await createSandbox(baseOptions());
  expect(sandbox.load(code)).toMatchObject({ kind: 'ok' });
  loadSteps = sandbox.stepsUsed();
  pristine = runScript(sandbox);
  sandbox.dispose();
  // The script must say something about the state it runs in.
  expect(pristine.calls.map((c) => c.result)).toEqual([
    { kind: 'ok', value: [1, 1] },
    { kind: 'ok', value: [2, 2] },
    {
      kind: 'ok',
      value: {
        leaked: 'undefined',
        evil: 'undefined',
        toString: '[object Array]',
        random: expect.any(Array),
        json: 1,
        count: 2,
      },
    },
    { kind: 'ok', value: expect.any(Number) },
    { kind: 'ok', value: expect.any(Number) },
    { kind: 'error', name: 'Thrown', message: 'null' },
    { kind: 'ok', value: 42 },
  ]);
  expect(pristine.output.text).toMatch(/^loading\nhello \d+\n$/);
});

describe.each([
  ["with the heap's end known", true],
  ['reading the whole memory', false],
])('a sandbox factory, %s', (_, heapEndKnown) => {
  const factoryFor = (overrides: Partial<SandboxFactoryOptions> = {}) =>
    buildFactory(
      { ...baseOptions(), code, ...overrides },
      buildFacts(wasmModule).then((facts) => (heapEndKnown ? facts : { ...facts, heapEnd: null })),
    );

  it('hands out sandboxes in the state a fresh sandbox has after its load, step for step', async () => {
    const factory = await factoryFor();
    expect(factory.load).toMatchObject({ kind: 'ok', exports: expect.arrayContaining(['tick', 'probe']) });
    expect(factory.loadOutput).toEqual({ text: 'loading\n', truncated: false });
    for (let i = 0; i < 3; i++) {
      const leased = await factory.acquire();
      expect(leased.origin).toBe('snapshot');
      expect(leased.load).toEqual(factory.load);
      expect(leased.sandbox.stepsUsed()).toBe(loadSteps);
      expect(runScript(leased.sandbox)).toEqual(pristine);
      leased.sandbox.dispose();
    }
    // The first sandbox found the instance as the snapshot left it; the others restored it.
    expect(factory.stats()).toMatchObject({ boots: 1, fromSnapshot: 3, restores: 2, fresh: 0 });
    factory.dispose();
  });

  it.each<[string, string, PlainValue[], unknown]>([
    ['module-level and global state mutated', 'pollute', [], { kind: 'ok', value: 'polluted' }],
    ['an infinite loop', 'spin', [], { kind: 'timeout', limit: 'cpu', budget: 'call', ms: 1_000 }],
    ['a stack overflow', 'overflow', [], { kind: 'stack-overflow' }],
    ['a memory bomb', 'bomb', [], { kind: 'memory-limit', bytes: 32 * 1024 * 1024 }],
    ['a heap filled with small objects', 'smallBomb', [], { kind: 'memory-limit', bytes: 32 * 1024 * 1024 }],
    ['a console flood', 'chatty', [100_000], { kind: 'ok', value: 100_000 }],
    ['host functions the guest let go of', 'dropHostFunctions', [], { kind: 'ok', value: 'undefined' }],
  ])('leaves nothing of %s to the next sandbox', async (_, hostile, args, verdict) => {
    const factory = await factoryFor();
    const first = await factory.acquire();
    expect(first.sandbox.call(hostile, args)).toEqual(verdict);
    first.sandbox.dispose();

    const next = await factory.acquire();
    expect(next.origin).toBe('snapshot');
    // The memory is the snapshot's, byte for byte, zeros above its heap included.
    const { memory, snapshot } = inspectFactory(factory);
    expect(memory !== null && snapshot !== null && matchesSnapshot(memory, snapshot)).toBe(true);
    expect(runScript(next.sandbox)).toEqual(pristine);
    next.sandbox.dispose();
    expect(factory.stats()).toMatchObject({ boots: 1, restores: 1 });
    factory.dispose();
  });

  it('boots a new instance for the snapshot after a sandbox crashed its own', async () => {
    const factory = await factoryFor();
    const first = await factory.acquire();
    expect(first.sandbox.call('keepFull')).toEqual({ kind: 'ok', value: 'InternalError: out of memory' });
    // Writing a long argument into the full heap traps the instance.
    expect(first.sandbox.call('length', ['x'.repeat(100_000)])).toEqual({
      kind: 'memory-limit',
      bytes: 32 * 1024 * 1024,
    });
    expect(first.sandbox.call('length', ['x'])).toMatchObject({ kind: 'crashed' });
    first.sandbox.dispose();

    const next = await factory.acquire();
    expect(next.origin).toBe('snapshot');
    expect(runScript(next.sandbox)).toEqual(pristine);
    next.sandbox.dispose();
    expect(factory.stats()).toMatchObject({ boots: 2, fromSnapshot: 2, restores: 0 });
    factory.dispose();
  });

  it('boots a new instance when the stack pointer moved (a trap it did not see)', async () => {
    const factory = await factoryFor();
    const first = await factory.acquire();
    expect(first.sandbox.call('tick')).toEqual({ kind: 'ok', value: [1, 1] });
    // What a trap inside a host callback leaves behind: frames that were never popped.
    const { stack } = inspectFactory(factory);
    if (stack === null) throw new Error('the factory has no stack pointer');
    stack.write(stack.read() - 64 * 1024);
    first.sandbox.dispose();

    const next = await factory.acquire();
    expect(runScript(next.sandbox)).toEqual(pristine);
    next.sandbox.dispose();
    expect(factory.stats()).toMatchObject({ boots: 2, fromSnapshot: 2, restores: 0 });
    factory.dispose();
  });

  it("answers each sandbox's guest with that sandbox's host API and budgets", async () => {
    const factory = await factoryFor({ limits: { cpuMsPerCall: 1_000 } });
    const a = await factory.acquire({ hostApi: { inc: (x) => (x as number) + 100 } });
    expect(a.sandbox.call('viaHost', [1])).toEqual({ kind: 'ok', value: 101 });
    a.sandbox.dispose();
    // (A wall-clock cap of its own, as long as the factory's: see the next describe.)
    const b = await factory.acquire({ limits: { cpuMsPerCall: 20, wallMsPerCall: 10_100 } });
    expect(b.origin).toBe('snapshot');
    expect(b.sandbox.call('viaHost', [1])).toEqual({ kind: 'ok', value: 2 });
    expect(b.sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 20 });
    b.sandbox.dispose();
    // The load's steps count towards the total, as in a sandbox that loaded the module itself.
    const c = await factory.acquire({ limits: { cpuMsPerCall: 20, cpuMsTotal: 30, wallMsPerCall: 10_100 } });
    expect(c.origin).toBe('snapshot');
    expect(c.sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 20 });
    expect(c.sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'total', ms: 30 });
    expect(c.sandbox.stepsUsed()).toBeLessThan(30 * STEPS_PER_CPU_MS + 20_000);
    c.sandbox.dispose();
    await expect(factory.acquire({ hostApi: { other: inc } })).rejects.toThrow(
      /must have the factory's function names \(inc\); got other/,
    );
    factory.dispose();
  });

  it("measures each sandbox's wall-clock cap on that sandbox's clock", async () => {
    const factory = await factoryFor({ limits: { cpuMsPerCall: 1_000, wallMsPerCall: 100 } });
    let t = 0;
    const leased = await factory.acquire({ clock: () => (t += 1) });
    expect(leased.origin).toBe('snapshot');
    expect(leased.sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'wall', ms: 100 });
    leased.sandbox.dispose();
    factory.dispose();
  });

  it('lets a host function of a restored sandbox call back into it', async () => {
    let sandbox: Sandbox | undefined;
    const factory = await factoryFor();
    const leased = await factory.acquire({
      hostApi: {
        inc: (x) => {
          const inner = sandbox!.call('tick');
          return [x, inner.kind === 'ok' ? inner.value : inner.kind];
        },
      },
    });
    sandbox = leased.sandbox;
    expect(sandbox.call('viaHost', [7])).toEqual({ kind: 'ok', value: [7, [1, 1]] });
    expect(sandbox.call('tick')).toEqual({ kind: 'ok', value: [2, 2] });
    sandbox.dispose();
    factory.dispose();
  });

  it('refuses a sandbox it took back, a second load, and everything after its own dispose', async () => {
    const factory = await factoryFor();
    const leased = await factory.acquire();
    expect(() => leased.sandbox.load(code)).toThrow(/load\(\) may be called once/);
    leased.sandbox.dispose();
    expect(() => leased.sandbox.call('tick')).toThrow(/used after dispose/);
    const out = await factory.acquire();
    factory.dispose();
    // The sandbox still out went with the factory.
    expect(() => out.sandbox.call('tick')).toThrow(/used after dispose/);
    await expect(factory.acquire()).rejects.toThrow(/used after dispose/);
  });

  it("hands out a sandbox of its own while the snapshot's instance is out", async () => {
    const factory = await factoryFor();
    const a = await factory.acquire();
    const b = await factory.acquire();
    expect([a.origin, b.origin]).toEqual(['snapshot', 'fresh']);
    expect(runScript(b.sandbox)).toEqual(pristine);
    expect(runScript(a.sandbox)).toEqual(pristine);
    a.sandbox.dispose();
    b.sandbox.dispose();
    expect(factory.stats()).toMatchObject({ fromSnapshot: 1, fresh: 1 });
    factory.dispose();
  });
});

describe('a factory that cannot check the stack pointer', () => {
  it('has every sandbox load the module itself', async () => {
    const unknown: BuildFacts = { heapEnd: null, stack: null };
    const factory = await buildFactory({ ...baseOptions(), code }, Promise.resolve(unknown));
    const leased = await factory.acquire();
    expect(leased.origin).toBe('fresh');
    expect(runScript(leased.sandbox)).toEqual(pristine);
    leased.sandbox.dispose();
    expect(factory.stats()).toMatchObject({ fresh: 1, snapshotBytes: 0 });
    factory.dispose();
  });
});

describe('a load the snapshot cannot stand for', () => {
  const HEAVY_LOAD = `let s = 0;
    for (let i = 0; i < 300000; i++) s += i;
    export function sum() { return s; }`;

  it('is run by the sandbox itself when its budget would not let the load finish', async () => {
    const heavy = await compile(HEAVY_LOAD);
    const factory = await createSandboxFactory({ ...baseOptions(), code: heavy });
    const small = { cpuMsPerCall: 1_000, cpuMsTotal: 5 };
    const reference = await createSandbox({ ...baseOptions(), limits: small });
    const expected = reference.load(heavy);
    expect(expected).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'total', ms: 5 });
    const leased = await factory.acquire({ limits: small });
    expect(leased.origin).toBe('fresh');
    expect(leased.load).toEqual(expected);
    expect(leased.sandbox.stepsUsed()).toBe(reference.stepsUsed());
    reference.dispose();
    leased.sandbox.dispose();
    // A budget above the load's steps is served from the snapshot.
    const roomy = await factory.acquire({ limits: { cpuMsTotal: 100 } });
    expect(roomy.origin).toBe('snapshot');
    expect(roomy.sandbox.call('sum')).toEqual({ kind: 'ok', value: 44_999_850_000 });
    roomy.sandbox.dispose();
    // So is nothing with a wall-clock cap shorter than the factory's (its load was timed against that).
    const hurried = await factory.acquire({ limits: { wallMsPerCall: 1 } });
    expect(hurried.origin).toBe('fresh');
    hurried.sandbox.dispose();
    factory.dispose();
  });

  it('is not snapshotted when it called the host API, whose answers belong to each sandbox', async () => {
    const calling = await compile(`
      let at = -1;
      try { at = (globalThis as any).kernel.inc(1); } catch {}
      export function seen() { return at; }`);
    let calls = 0;
    const factory = await createSandboxFactory({
      ...baseOptions(),
      code: calling,
      hostApi: { inc: () => ++calls },
    });
    expect(factory.stats().snapshotBytes).toBe(0);
    const a = await factory.acquire({ hostApi: { inc: () => 10 } });
    const b = await factory.acquire({ hostApi: { inc: () => 20 } });
    expect([a.origin, b.origin]).toEqual(['fresh', 'fresh']);
    expect([a.sandbox.call('seen'), b.sandbox.call('seen')]).toEqual([
      { kind: 'ok', value: 10 },
      { kind: 'ok', value: 20 },
    ]);
    a.sandbox.dispose();
    b.sandbox.dispose();
    factory.dispose();
  });

  it('gives every sandbox the verdict of a load that failed', async () => {
    const failing = await compile('throw new RangeError("at load");\nexport function f() {}');
    const factory = await createSandboxFactory({ ...baseOptions(), code: failing });
    expect(factory.load).toEqual({ kind: 'error', name: 'RangeError', message: 'at load' });
    const leased = await factory.acquire();
    expect(leased).toMatchObject({ origin: 'fresh', load: factory.load });
    leased.sandbox.dispose();
    factory.dispose();
  });
});

/** Whether two snapshots hold the same bytes (the same runs at the same places, the same zeros between). */
function sameBytes(a: MemorySnapshot, b: MemorySnapshot): boolean {
  return (
    a.end === b.end &&
    a.memoryBytes === b.memoryBytes &&
    a.runs.length === b.runs.length &&
    a.runs.every((run, i) => {
      const other = b.runs[i];
      return (
        other !== undefined &&
        run.offset === other.offset &&
        run.bytes.length === other.bytes.length &&
        run.bytes.every((byte, j) => byte === other.bytes[j])
      );
    })
  );
}

/** The snapshot's instance and the snapshot of a factory (both there while it is idle or leased). */
function internalsOf(factory: SandboxFactory) {
  const { memory, snapshot, boot } = inspectFactory(factory);
  if (memory === null || snapshot === null || boot === null) throw new Error('the factory has no snapshot');
  return { memory, snapshot, boot };
}

/**
 * A grading run makes one factory per submission; each takes the instance
 * the one before it gave back, restored to its boot image. Whatever one
 * submission did, the next must find what a pristine one finds.
 */
describe.each([
  ["with the heap's end known", true],
  ['reading the whole memory', false],
])('factories one after another, %s', (_, heapEndKnown) => {
  const factoryFor = (overrides: Partial<SandboxFactoryOptions> = {}) =>
    buildFactory(
      { ...baseOptions(), code, ...overrides },
      buildFacts(wasmModule).then((facts) => (heapEndKnown ? facts : { ...facts, heapEnd: null })),
    );

  /** A factory of the fixture on an instance of its own, its snapshot, then given back: the reference the next one is held to. */
  const reference = async () => {
    releaseIdleInstances(wasmModule);
    const factory = await factoryFor();
    const { memory, snapshot, boot } = internalsOf(factory);
    expect(factory.stats()).toMatchObject({ boots: 1, reusedInstances: 0 });
    factory.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(1);
    return { memory, snapshot, boot };
  };

  /** The next submission: the same instance, the snapshot the reference had, byte for byte, and pristine sandboxes. */
  const expectPristineNext = async (ref: Awaited<ReturnType<typeof reference>>) => {
    const next = await factoryFor();
    expect(next.stats()).toMatchObject({ boots: 1, reusedInstances: 1 });
    expect(next.load).toMatchObject({ kind: 'ok', exports: expect.arrayContaining(['tick', 'probe']) });
    expect(next.loadOutput).toEqual({ text: 'loading\n', truncated: false });
    const now = internalsOf(next);
    expect(now.memory).toBe(ref.memory);
    expect(sameBytes(now.boot, ref.boot)).toBe(true);
    expect(sameBytes(now.snapshot, ref.snapshot)).toBe(true);
    expect(matchesSnapshot(now.memory, now.snapshot)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const leased = await next.acquire();
      expect(leased.origin).toBe('snapshot');
      expect(leased.sandbox.stepsUsed()).toBe(loadSteps);
      expect(runScript(leased.sandbox)).toEqual(pristine);
      leased.sandbox.dispose();
    }
    return next;
  };

  it.each<[string, string, PlainValue[], unknown]>([
    ['module-level and global state mutated', 'pollute', [], { kind: 'ok', value: 'polluted' }],
    ['an infinite loop', 'spin', [], { kind: 'timeout', limit: 'cpu', budget: 'call', ms: 1_000 }],
    ['a stack overflow', 'overflow', [], { kind: 'stack-overflow' }],
    ['a memory bomb', 'bomb', [], { kind: 'memory-limit', bytes: 32 * 1024 * 1024 }],
    ['a heap filled with small objects', 'smallBomb', [], { kind: 'memory-limit', bytes: 32 * 1024 * 1024 }],
    ['a console flood', 'chatty', [100_000], { kind: 'ok', value: 100_000 }],
    ['host functions the guest let go of', 'dropHostFunctions', [], { kind: 'ok', value: 'undefined' }],
  ])('leave nothing of %s in one submission to the next', async (_, hostile, args, verdict) => {
    const ref = await reference();
    const first = await factoryFor();
    expect(internalsOf(first).memory).toBe(ref.memory);
    const a = await first.acquire();
    expect(a.sandbox.call(hostile, args)).toEqual(verdict);
    const steps = a.sandbox.stepsUsed();
    const output = a.sandbox.output();
    a.sandbox.dispose();
    first.dispose();

    const next = await expectPristineNext(ref);
    // The same call in the next submission: the same verdict, steps and output (the memory limit exact again).
    const b = await next.acquire();
    expect(b.sandbox.call(hostile, args)).toEqual(verdict);
    expect(b.sandbox.stepsUsed()).toBe(steps);
    expect(b.sandbox.output()).toEqual(output);
    b.sandbox.dispose();
    next.dispose();
  });

  it.each([
    [
      'pollutes the globals and the intrinsics',
      'globalThis.leaked = "yes"; Array.prototype.evil = 1; Math.random = () => 0.5; JSON.parse = () => 1; exports.f = () => 1;',
    ],
    ['loops forever', 'for (;;) {}'],
    ['overflows the stack', 'const down = (n) => down(n + 1) + 1; down(0);'],
    ['fills the memory', 'const a = []; for (;;) a.push(new Array(10000).fill(1.5));'],
    ['floods the console', 'for (let i = 0; i < 100000; i++) console.log("line", i);'],
    [
      'lets go of the host functions',
      'delete globalThis.console; delete globalThis.Date; delete globalThis.kernel; exports.f = () => 1;',
    ],
  ])('leave nothing of a module that %s to the next submission', async (_, body) => {
    const ref = await reference();
    const hostile = await factoryFor({ code: body });
    expect(hostile.stats().reusedInstances).toBe(1);
    hostile.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(1);
    (await expectPristineNext(ref)).dispose();
  });

  it('give a sandbox of its own an idle instance too, and take it back', async () => {
    releaseIdleInstances(wasmModule);
    const factory = await factoryFor();
    const a = await factory.acquire();
    const b = await factory.acquire();
    expect(b.origin).toBe('fresh');
    expect(b.sandbox.call('pollute')).toEqual({ kind: 'ok', value: 'polluted' });
    b.sandbox.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(1);
    const c = await factory.acquire();
    expect(c.origin).toBe('fresh');
    expect(idleInstanceCount(wasmModule)).toBe(0);
    expect(runScript(c.sandbox)).toEqual(pristine);
    const d = await factory.acquire();
    // Two sandboxes of their own and the snapshot's instance: one too many to keep.
    for (const leased of [a, c, d]) leased.sandbox.dispose();
    factory.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(2);
  });

  it('never take back an instance that trapped or whose stack pointer moved', async () => {
    releaseIdleInstances(wasmModule);
    const crashing = await factoryFor();
    const a = await crashing.acquire();
    expect(a.sandbox.call('keepFull')).toEqual({ kind: 'ok', value: 'InternalError: out of memory' });
    expect(a.sandbox.call('length', ['x'.repeat(100_000)])).toEqual({
      kind: 'memory-limit',
      bytes: 32 * 1024 * 1024,
    });
    a.sandbox.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(0);
    crashing.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(0);

    const moving = await factoryFor();
    expect(moving.stats().reusedInstances).toBe(0);
    const b = await moving.acquire();
    const { stack } = inspectFactory(moving);
    if (stack === null) throw new Error('the factory has no stack pointer');
    stack.write(stack.read() - 64 * 1024);
    b.sandbox.dispose();
    moving.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(0);

    const next = await factoryFor();
    expect(next.stats()).toMatchObject({ boots: 1, reusedInstances: 0 });
    const c = await next.acquire();
    expect(runScript(c.sandbox)).toEqual(pristine);
    c.sandbox.dispose();
    next.dispose();
  });

  it('never take back the instance of a sandbox of its own after a trap in a host callback', async () => {
    releaseIdleInstances(wasmModule);
    // quickjs-emscripten reports the trap on the console and swallows it.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const factory = await factoryFor();
      const out = await factory.acquire();
      // A host function whose answer does not fit in a full heap: writing it traps inside the host callback.
      const own = await factory.acquire({ hostApi: { inc: () => 'y'.repeat(200_000) } });
      expect(own.origin).toBe('fresh');
      expect(own.sandbox.call('keepFull')).toEqual({ kind: 'ok', value: 'InternalError: out of memory' });
      expect(own.sandbox.call('viaHost', [1])).toEqual({ kind: 'memory-limit', bytes: 32 * 1024 * 1024 });
      expect(quiet).toHaveBeenCalled();
      own.sandbox.dispose();
      expect(idleInstanceCount(wasmModule)).toBe(0);
      out.sandbox.dispose();
      factory.dispose();
      expect(idleInstanceCount(wasmModule)).toBe(1);
    } finally {
      quiet.mockRestore();
    }
  });

  it('share instances only between factories whose boot is the same', async () => {
    await reference();
    const otherNames = await factoryFor({ hostApi: { inc, other: inc } });
    const smaller = await factoryFor({ limits: { memoryBytes: 16 * 1024 * 1024 } });
    expect([otherNames.stats().reusedInstances, smaller.stats().reusedInstances]).toEqual([0, 0]);
    const s = await smaller.acquire();
    expect(s.sandbox.call('bomb')).toEqual({ kind: 'memory-limit', bytes: 16 * 1024 * 1024 });
    s.sandbox.dispose();
    const same = await factoryFor({ hostApi: { inc: () => 0 }, limits: { cpuMsPerCall: 500 } });
    expect(same.stats().reusedInstances).toBe(1);
    for (const factory of [otherNames, smaller, same]) factory.dispose();
  });
});

describe('a factory that cannot check the stack pointer, among others', () => {
  it('neither takes an idle instance nor gives its own back', async () => {
    releaseIdleInstances(wasmModule);
    (await createSandboxFactory({ ...baseOptions(), code })).dispose();
    expect(idleInstanceCount(wasmModule)).toBe(1);
    const unknown: BuildFacts = { heapEnd: null, stack: null };
    const factory = await buildFactory({ ...baseOptions(), code }, Promise.resolve(unknown));
    expect(factory.stats().reusedInstances).toBe(0);
    const leased = await factory.acquire();
    expect(leased.origin).toBe('fresh');
    leased.sandbox.dispose();
    factory.dispose();
    expect(idleInstanceCount(wasmModule)).toBe(1);
  });
});
