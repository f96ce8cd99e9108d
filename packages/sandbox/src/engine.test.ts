import { describe, expect, it } from 'vitest';
import {
  type CallResult,
  createSandbox,
  GUEST_EPOCH_MS,
  type Sandbox,
  type SandboxOptions,
  STEPS_PER_CPU_MS,
} from './engine.ts';
import type { PlainValue } from './plain.ts';
import { transpile } from './transpile.ts';

/**
 * A clock that never moves: with it only the step budget can stop guest code,
 * so a verdict cannot depend on how busy the machine is. Tests of the
 * wall-clock cap pass a clock of their own that they move themselves.
 */
const FROZEN_CLOCK = () => 0;

/** A clock the test moves by hand (a slow host is one that moves it). */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

async function sandboxWith(source: string, options: SandboxOptions = {}): Promise<Sandbox> {
  const compiled = await transpile(source);
  if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled.errors));
  const sandbox = await createSandbox({ clock: FROZEN_CLOCK, ...options });
  const loaded = sandbox.load(compiled.code);
  if (loaded.kind !== 'ok') throw new Error(`load failed: ${JSON.stringify(loaded)}`);
  return sandbox;
}

async function callOnce(
  source: string,
  name: string,
  args: PlainValue[] = [],
  options: SandboxOptions = {},
): Promise<CallResult> {
  const sandbox = await sandboxWith(source, options);
  try {
    return sandbox.call(name, args);
  } finally {
    sandbox.dispose();
  }
}

/** After every hostile case: a fresh sandbox still works, so the host is healthy. */
async function expectHealthy(): Promise<void> {
  expect(
    await callOnce('export function add(a: number, b: number) { return a + b; }', 'add', [2, 3]),
  ).toEqual({
    kind: 'ok',
    value: 5,
  });
}

describe('hooks', () => {
  it('returns plain values', async () => {
    const sandbox = await sandboxWith(`
      export function pick(frames: number[], page: number) {
        return { victim: frames[0], page, nested: [true, null, 'x', { n: -1.5 }] };
      }
      export const notAFunction = 3;
    `);
    expect(sandbox.call('pick', [[7, 8], 3])).toEqual({
      kind: 'ok',
      value: { victim: 7, page: 3, nested: [true, null, 'x', { n: -1.5 }] },
    });
    expect(sandbox.call('notAFunction')).toMatchObject({ kind: 'error', name: 'MissingExport' });
    expect(sandbox.call('missing')).toMatchObject({ kind: 'error', name: 'MissingExport' });
    sandbox.dispose();
  });

  it('lists the exports on load and maps a void hook to null', async () => {
    const compiled = await transpile('export function a() {}\nexport function b() { return undefined; }');
    if (compiled.kind !== 'ok') throw new Error('compile');
    const sandbox = await createSandbox({ clock: FROZEN_CLOCK });
    expect(sandbox.load(compiled.code)).toEqual({ kind: 'ok', exports: ['a', 'b'] });
    expect(sandbox.call('a')).toEqual({ kind: 'ok', value: null });
    expect(sandbox.load.bind(sandbox, compiled.code)).toThrow(/once/);
    sandbox.dispose();
  });

  it('keeps NaN and infinities in both directions, drops undefined properties', async () => {
    const result = await callOnce(
      'export function f(x: number[]) { return { x, nan: NaN, inf: -Infinity, gone: undefined, arr: [undefined] }; }',
      'f',
      [[Number.NaN, Number.POSITIVE_INFINITY]],
    );
    expect(result).toEqual({
      kind: 'ok',
      value: {
        x: [Number.NaN, Number.POSITIVE_INFINITY],
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        arr: [null],
      },
    });
  });

  it('keeps state between calls of one sandbox', async () => {
    const sandbox = await sandboxWith('let n = 0; export function next() { n += 1; return n; }');
    sandbox.call('next');
    expect(sandbox.call('next')).toEqual({ kind: 'ok', value: 2 });
    sandbox.dispose();
  });

  it('reports a thrown Error with its name and message', async () => {
    expect(await callOnce('export function f() { throw new RangeError("bad frame 3"); }', 'f')).toEqual({
      kind: 'error',
      name: 'RangeError',
      message: 'bad frame 3',
    });
  });

  it.each([
    ['a string', '"boom"', 'boom'],
    ['a number', '42', '42'],
    ['undefined', 'undefined', 'undefined'],
    ['null', 'null', 'null'],
    ['a plain object', '{ code: 7 }', '{"code":7}'],
    ['a function', '() => 1', 'a function'],
    ['a Proxy', 'new Proxy({}, { get() { throw 1; } })', 'a Proxy'],
  ])('reports a thrown non-Error value: %s', async (_, thrown, message) => {
    expect(await callOnce(`export function f() { throw ${thrown}; }`, 'f')).toEqual({
      kind: 'error',
      name: 'Thrown',
      message,
    });
  });

  it('reports an Error whose message is a getter without running it', async () => {
    const result = await callOnce(
      `export function f() { const e = new Error('x'); Object.defineProperty(e, 'message', { get() { for (;;) {} } }); throw e; }`,
      'f',
    );
    expect(result).toEqual({ kind: 'error', name: 'Error', message: '' });
  });

  it('reports a load-time exception', async () => {
    const compiled = await transpile('throw new Error("at load");\nexport function f() {}');
    if (compiled.kind !== 'ok') throw new Error('compile');
    const sandbox = await createSandbox({ clock: FROZEN_CLOCK });
    expect(sandbox.load(compiled.code)).toEqual({ kind: 'error', name: 'Error', message: 'at load' });
    sandbox.dispose();
  });
});

describe('values that cannot leave the sandbox', () => {
  it.each([
    ['a function', 'return { f() {} };', /result\.f is a function/],
    ['a Proxy', 'return new Proxy({ a: 1 }, {});', /is a Proxy/],
    ['a revocable Proxy', 'return [Proxy.revocable({}, {}).proxy];', /\[0\] is a Proxy/],
    ['a getter', 'return { get x() { return 1; } };', /\.x is a getter/],
    ['a cycle', 'const a: any[] = []; a.push({ a }); return a;', /a cyclic reference/],
    ['a class instance', 'return new Map();', /an instance of Map/],
    ['a Date', 'return { when: new Date(0) };', /\.when is an instance of Date/],
    ['a symbol', 'return Symbol("s");', /is a symbol/],
    [
      'a bigint too large to cross',
      'return 10n ** 41n;',
      /is a bigint too large to cross \(more than 40 digits\)/,
    ],
    ['a typed array', 'return new Uint8Array(4);', /an instance of Uint8Array/],
    ['too deep', 'let v: any = 1; for (let i = 0; i < 100; i++) v = [v]; return v;', /nested more than 64/],
    ['too many values', 'return new Array(200000).fill(0);', /too large/],
  ])('refuses %s with a clear message', async (_, body, message) => {
    const result = await callOnce(`export function f(): any { ${body} }`, 'f');
    expect(result.kind).toBe('invalid-value');
    if (result.kind === 'invalid-value') expect(result.message).toMatch(message);
    if (result.kind === 'invalid-value') expect(result.message).toMatch(/^the value returned by f\(\)/);
  });

  it('does not run getters or traps while encoding', async () => {
    const sandbox = await sandboxWith(`
      let touched = 0;
      export function getter() { return { get x() { touched++; return 1; } }; }
      export function proxy() { return new Proxy({}, { ownKeys() { touched++; return []; }, getPrototypeOf() { touched++; return null; } }); }
      export function count() { return touched; }
    `);
    expect(sandbox.call('getter').kind).toBe('invalid-value');
    expect(sandbox.call('proxy').kind).toBe('invalid-value');
    expect(sandbox.call('count')).toEqual({ kind: 'ok', value: 0 });
    sandbox.dispose();
  });

  it('is not fooled by a learner who rewrites the intrinsics', async () => {
    const result = await callOnce(
      `export function f() {
        (Array.prototype as any).toJSON = () => 'pwned';
        (Object.prototype as any).toJSON = () => 'pwned';
        JSON.stringify = () => 'pwned';
        Reflect.ownKeys = () => [];
        Object.getOwnPropertyDescriptor = () => ({ value: 'pwned' });
        Object.defineProperty(Object.prototype, 'get', { get() { return () => 1; } });
        return { a: [1, 2], b: 'ok' };
      }`,
      'f',
    );
    expect(result).toEqual({ kind: 'ok', value: { a: [1, 2], b: 'ok' } });
  });
});

describe('host API', () => {
  it('passes plain values both ways, as data', async () => {
    const seen: PlainValue[][] = [];
    const result = await callOnce(
      `export function f() {
        const k = (globalThis as any).kernel;
        return [k.echo(1, 'two', [3], { four: 4 }), k.echo(NaN, 'garbage', null), k.echo()];
      }`,
      'f',
      [],
      {
        hostApi: {
          echo: (...args) => {
            seen.push(args);
            return args;
          },
        },
      },
    );
    expect(result).toEqual({
      kind: 'ok',
      value: [[1, 'two', [3], { four: 4 }], [Number.NaN, 'garbage', null], []],
    });
    expect(seen[0]).toEqual([1, 'two', [3], { four: 4 }]);
    expect(Object.getPrototypeOf(seen[0]?.[3])).toBe(Object.prototype);
  });

  it('groups a dotted name: "hooks.swapIn" is kernel.hooks.swapIn, in a frozen object', async () => {
    const result = await callOnce(
      `export function f() {
        const k = (globalThis as any).kernel;
        const before = k.hooks.swapIn(1);
        try { k.hooks.swapIn = () => 'replaced'; } catch {}
        return [before, k.hooks.swapIn(2), k.flat(), Object.keys(k), Object.keys(k.hooks), Object.isFrozen(k.hooks)];
      }`,
      'f',
      [],
      {
        hostApi: {
          flat: () => 'flat',
          'hooks.swapIn': (n) => `swapIn ${n}`,
          'hooks.cowBreak': () => null,
        },
      },
    );
    expect(result).toEqual({
      kind: 'ok',
      value: ['swapIn 1', 'swapIn 2', 'flat', ['flat', 'hooks'], ['swapIn', 'cowBreak'], true],
    });
  });

  it('refuses non-plain arguments in the guest, before the host sees them', async () => {
    let calls = 0;
    const result = await callOnce(
      `export function f() {
        try { (globalThis as any).kernel.touch(() => 1); } catch (e) { return String(e); }
        return 'not refused';
      }`,
      'f',
      [],
      { hostApi: { touch: () => ++calls } },
    );
    expect(result).toEqual({
      kind: 'ok',
      value: expect.stringMatching(/^TypeError: the arguments of kernel\.touch\(\): args\[0\] is a function/),
    });
    expect(calls).toBe(0);
  });

  it('turns a throwing host function into a guest exception, with host paths scrubbed', async () => {
    const result = await callOnce(
      `export function f() {
        try { (globalThis as any).kernel.fail(); } catch (e: any) { return [e instanceof Error, e.message]; }
      }`,
      'f',
      [],
      {
        hostApi: {
          fail: () => {
            throw new Error('cannot open /work/main/secret/file.ts (see file:///home/x/y.js)');
          },
        },
      },
    );
    expect(result).toEqual({
      kind: 'ok',
      value: [true, 'kernel.fail failed: cannot open <host path> (see <host path>)'],
    });
    await expectHealthy();
  });

  it('turns a host function returning a non-plain value into a guest exception', async () => {
    const result = await callOnce(
      'export function f() { return (globalThis as any).kernel.bad(); }',
      'f',
      [],
      {
        hostApi: { bad: () => new Date() as unknown as PlainValue },
      },
    );
    expect(result).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/kernel\.bad\(\): result is an instance of Date/),
    });
  });

  it('lets a host function call back into the guest (a kernel operation that runs another hook)', async () => {
    let sandbox: Sandbox | undefined;
    sandbox = await sandboxWith(
      `let calls = 0;
       export function inner(x: number) { calls++; return { doubled: x * 2, calls }; }
       export function innerObj(o: { x: number }) { calls++; return o.x + 1; }
       export function outer(x: number) { const r = (globalThis as any).kernel.viaKernel(x); return [r, calls]; }`,
      {
        hostApi: {
          viaKernel: (x) => {
            // Both ways a call can cross: primitives as they are, and an encoded object.
            const a = sandbox!.call('inner', [x]);
            const b = sandbox!.call('innerObj', [{ x }]);
            return [a.kind === 'ok' ? a.value : a.kind, b.kind === 'ok' ? b.value : b.kind];
          },
        },
      },
    );
    // The nested calls share the module's state with the outer one.
    expect(sandbox.call('outer', [21])).toEqual({ kind: 'ok', value: [[{ doubled: 42, calls: 1 }, 22], 2] });
    expect(sandbox.call('inner', [1])).toEqual({ kind: 'ok', value: { doubled: 2, calls: 3 } });
    sandbox.dispose();
  });

  it('refuses host functions and guest code that call each other without end', async () => {
    let sandbox: Sandbox | undefined;
    let depthSeen = 0;
    sandbox = await sandboxWith(
      `export function f(n: number): unknown { return (globalThis as any).kernel.again(n + 1); }`,
      {
        hostApi: {
          again: (n) => {
            depthSeen = Math.max(depthSeen, n as number);
            const r = sandbox!.call('f', [n]);
            if (r.kind !== 'ok') throw new Error(r.kind === 'error' ? r.message : r.kind);
            return r.value;
          },
        },
      },
    );
    const result = sandbox.call('f', [0]);
    expect(result).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(
        /refused — guest code and host functions called each other 8 levels deep/,
      ),
    });
    expect(depthSeen).toBe(8);
    expect(sandbox.call('f', [100])).toMatchObject({ kind: 'error' }); // still usable, same answer
    sandbox.dispose();
  });
});

describe('limits', () => {
  it('stops an infinite loop in the module body within the budget', async () => {
    const compiled = await transpile('for (;;) {}\nexport function f() {}');
    if (compiled.kind !== 'ok') throw new Error('compile');
    const sandbox = await createSandbox({ limits: { cpuMsPerCall: 100 }, clock: FROZEN_CLOCK });
    expect(sandbox.load(compiled.code)).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 100 });
    expect(sandbox.stepsUsed()).toBe(100 * STEPS_PER_CPU_MS);
    sandbox.dispose();
    await expectHealthy();
  });

  it('stops an infinite loop in a call, even one that catches the interrupt', async () => {
    const sandbox = await sandboxWith(
      `export function spin() { for (;;) { try { for (;;) {} } catch {} } }
       export function ok() { return 'still here'; }`,
      { limits: { cpuMsPerCall: 100 } },
    );
    const before = sandbox.stepsUsed();
    expect(sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 100 });
    expect(sandbox.stepsUsed() - before).toBe(100 * STEPS_PER_CPU_MS);
    expect(sandbox.call('ok')).toEqual({ kind: 'ok', value: 'still here' });
    sandbox.dispose();
    await expectHealthy();
  });

  it('enforces a total CPU budget across calls', async () => {
    const sandbox = await sandboxWith('export function spin() { for (;;) {} }', {
      limits: { cpuMsPerCall: 80, cpuMsTotal: 200 },
    });
    const verdicts = [1, 2, 3, 4].map(() => sandbox.call('spin'));
    expect(verdicts.map((v) => (v.kind === 'timeout' && v.limit === 'cpu' ? v.budget : v.kind))).toEqual([
      'call',
      'call',
      'total',
      'total',
    ]);
    expect(sandbox.cpuMsUsed()).toBeLessThan(400);
    sandbox.dispose();
  });

  it('counts the budget in interpreter steps: the same loop gets the same verdict and count every time', async () => {
    // 10 ms of budget = 500 000 steps; a for loop costs about 2 steps an iteration.
    const source =
      'export function count(n: number) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }';
    const runs = await Promise.all(
      [1, 2, 3].map(async () => {
        const sandbox = await sandboxWith(source, { limits: { cpuMsPerCall: 10 } });
        const under = sandbox.call('count', [200_000]);
        const stepsUnder = sandbox.stepsUsed();
        const over = sandbox.call('count', [300_000]);
        const stepsAll = sandbox.stepsUsed();
        sandbox.dispose();
        return { under: under.kind, over, stepsUnder, stepsAll };
      }),
    );
    expect(runs[0]).toEqual({
      under: 'ok',
      over: { kind: 'timeout', limit: 'cpu', budget: 'call', ms: 10 },
      stepsUnder: expect.any(Number),
      stepsAll: expect.any(Number),
    });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it("does not charge the host's own slowness to the learner: a host call costs a fixed number of steps", async () => {
    // Each call of the host takes 10 ms of wall-clock time (a slow kernel, or a loaded machine).
    const clock = manualClock();
    const sandbox = await sandboxWith(
      'export function f() { const k = (globalThis as any).kernel; for (let i = 0; i < 20; i++) k.slow(); return k.slow(); }',
      {
        limits: { cpuMsPerCall: 1, wallMsPerCall: 5_000 },
        clock: clock.now,
        hostApi: {
          slow: () => {
            clock.advance(10);
            return 1;
          },
        },
      },
    );
    expect(sandbox.call('f')).toEqual({ kind: 'ok', value: 1 });
    expect(sandbox.cpuMsUsed()).toBeLessThan(1);
    sandbox.dispose();
  });

  it('stops a call at its wall-clock cap when the time goes where steps cannot see it', async () => {
    // Each host call takes 20 ms of wall-clock time and costs a few steps: the
    // CPU budget (1 s) is far away when the 100 ms cap is reached.
    const clock = manualClock();
    const sandbox = await sandboxWith(
      `export function f() { const k = (globalThis as any).kernel; for (;;) { try { k.slow(); } catch {} } }
       export function ok() { return 'still here'; }`,
      {
        limits: { cpuMsPerCall: 1_000, wallMsPerCall: 100 },
        clock: clock.now,
        hostApi: {
          slow: () => {
            clock.advance(20);
            return 1;
          },
        },
      },
    );
    expect(sandbox.call('f')).toEqual({ kind: 'timeout', limit: 'wall', ms: 100 });
    // Budget ms are counted in steps (no clock): the CPU budget of the call was not what stopped it.
    const cpuBudgetMs = 1_000;
    expect(sandbox.cpuMsUsed()).toBeLessThan(cpuBudgetMs);
    expect(sandbox.call('ok')).toEqual({ kind: 'ok', value: 'still here' });
    sandbox.dispose();
  });

  it('checks the wall-clock cap at interrupt polls too, with no host call in the loop', async () => {
    // The clock moves 1 ms each time it is read, i.e. at each poll (every
    // 10 000 steps): 100 polls reach the cap long before 20 s of steps.
    let t = 0;
    const sandbox = await sandboxWith('export function spin() { for (;;) {} }', {
      limits: { cpuMsPerCall: 20_000, wallMsPerCall: 100 },
      clock: () => t++,
    });
    expect(sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'wall', ms: 100 });
    // A step count, not a time: within twice the 100 polls of 10 000 steps that reach the cap.
    const pollSteps = 10_000;
    expect(sandbox.stepsUsed()).toBeLessThan(2 * 100 * pollSteps);
    sandbox.dispose();
  });

  it('defaults the wall-clock cap to ten times the CPU budget plus 100 ms', async () => {
    let t = 0;
    const sandbox = await sandboxWith('export function spin() { for (;;) {} }', {
      limits: { cpuMsPerCall: 1_000 },
      clock: () => (t += 50),
    });
    expect(sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'wall', ms: 10_100 });
    sandbox.dispose();
  });

  it('reports deep recursion as a stack overflow, not a host RangeError', async () => {
    const sandbox = await sandboxWith(
      `function down(n: number): number { return down(n + 1) + 1; }
       export function f() { return down(0); }
       export function caught() { try { return down(0); } catch (e: any) { return e.message; } }`,
    );
    expect(sandbox.call('f')).toEqual({ kind: 'stack-overflow' });
    expect(sandbox.call('caught')).toEqual({ kind: 'ok', value: 'stack overflow' });
    sandbox.dispose();
    await expectHealthy();
  });

  it.each([
    [
      'growing arrays of strings',
      'const a: string[] = []; for (let i = 0; ; i++) a.push("x".repeat(1000) + i);',
    ],
    ['a doubling array', 'let a: number[] = [1]; for (;;) a = a.concat(a);'],
    ['array buffers', 'const a: ArrayBuffer[] = []; for (;;) a.push(new ArrayBuffer(1 << 20));'],
    ['one huge allocation', 'return new ArrayBuffer(1 << 30);'],
    [
      'a materialised string',
      'let s = "x"; for (;;) { s = s + s; s.charCodeAt(s.length - 1); void s.split(""); }',
    ],
  ])('contains a memory bomb: %s', async (_, body) => {
    const sandbox = await sandboxWith(
      `export function bomb(): any { ${body} }\nexport function ok() { return [1, 2].map((x) => x * 2); }`,
      {
        limits: { memoryBytes: 32 * 1024 * 1024, cpuMsPerCall: 5_000 },
      },
    );
    const result = sandbox.call('bomb');
    expect(['memory-limit', 'error']).toContain(result.kind);
    if (result.kind === 'error')
      expect(result.message).toMatch(/out of memory|too long|invalid array buffer length/);
    expect(sandbox.call('ok')).toEqual({ kind: 'ok', value: [2, 4] });
    sandbox.dispose();
    await expectHealthy();
  });

  it('reports memory-limit for a bomb of growing arrays', async () => {
    const result = await callOnce(
      'export function bomb() { const a: number[][] = []; for (;;) a.push(new Array(10000).fill(1.5)); }',
      'bomb',
      [],
      { limits: { cpuMsPerCall: 5_000 } },
    );
    expect(result).toEqual({ kind: 'memory-limit', bytes: 32 * 1024 * 1024 });
  });

  it('reports memory-limit for a heap filled with small objects, where QuickJS can only throw null', async () => {
    const sandbox = await sandboxWith(
      `export function bomb() { let a: unknown = []; for (;;) a = { next: a, x: [1, 2] }; }
       export function ok() { return [1, 2].map((x) => x * 2); }`,
      { limits: { cpuMsPerCall: 5_000 } },
    );
    expect(sandbox.call('bomb')).toEqual({ kind: 'memory-limit', bytes: 32 * 1024 * 1024 });
    expect(sandbox.call('ok')).toEqual({ kind: 'ok', value: [2, 4] });
    sandbox.dispose();
  });

  it("keeps the learner's own throw null an error", async () => {
    const result = await callOnce('export function f() { throw null; }', 'f', []);
    expect(result).toEqual({ kind: 'error', name: 'Thrown', message: 'null' });
  });

  it('reports memory-limit when the guest keeps its heap full, then refuses further use', async () => {
    const sandbox = await sandboxWith(
      `const keep: number[][] = [];
       export function fill() { try { for (;;) keep.push(new Array(1000).fill(1.5)); } catch (e) { return String(e); } }
       export function length(s: string) { return s.length; }`,
    );
    expect(sandbox.call('fill')).toEqual({ kind: 'ok', value: 'InternalError: out of memory' });
    expect(sandbox.call('length', ['x'.repeat(100_000)])).toEqual({
      kind: 'memory-limit',
      bytes: 32 * 1024 * 1024,
    });
    expect(sandbox.call('length', ['x'])).toMatchObject({
      kind: 'crashed',
      message: expect.stringMatching(/ran out of memory/),
    });
    sandbox.dispose();
    await expectHealthy();
  });

  it('does not trust an outer call after a nested call broke the engine', async () => {
    let sandbox: Sandbox | undefined;
    let inner: CallResult | undefined;
    sandbox = await sandboxWith(
      `const keep: number[][] = [];
       export function length(s: string) { return s.length; }
       export function outer() {
         try { for (;;) keep.push(new Array(1000).fill(1.5)); } catch (e) {}
         try { (globalThis as any).kernel.nested(); } catch (e) {}
         return 'carried on';
       }`,
      {
        hostApi: {
          nested: () => {
            inner = sandbox!.call('length', ['x'.repeat(100_000)]);
            return null;
          },
        },
      },
    );
    const outer = sandbox.call('outer');
    expect(inner).toEqual({ kind: 'memory-limit', bytes: 32 * 1024 * 1024 });
    expect(outer).toEqual({ kind: 'memory-limit', bytes: 32 * 1024 * 1024 });
    expect(sandbox.call('length', ['x'])).toMatchObject({ kind: 'crashed' });
    sandbox.dispose();
    await expectHealthy();
  });

  it('prints bigints in console output as Node does (42n), the kernel addresses included', async () => {
    const sandbox = await sandboxWith(
      `export function show() { console.log('fault at', 0xffff888000001000n, { start: 4096n, n: 1 }); return 0; }`,
    );
    expect(sandbox.call('show')).toEqual({ kind: 'ok', value: 0 });
    expect(sandbox.output().text).toBe('fault at 18446612682070036480n {"start":4096n,"n":1}\n');
    sandbox.dispose();
  });

  it('caps console output', async () => {
    const sandbox = await sandboxWith(
      `export function chatty() {
        console.log('hello', 1, [2], { a: 3 }, NaN, undefined, () => 0);
        for (let i = 0; i < 100000; i++) console.log('line', i, 'x'.repeat(100));
        console.log('x'.repeat(10_000_000));
        return 'done';
      }`,
      { limits: { maxOutputLength: 4096 } },
    );
    expect(sandbox.call('chatty')).toEqual({ kind: 'ok', value: 'done' });
    const { text, truncated } = sandbox.output();
    expect(text.slice(0, 60)).toBe(
      `hello 1 [2] {"a":3} NaN undefined a function\nline 0 ${'x'.repeat(100)}`.slice(0, 60),
    );
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(truncated).toBe(true);
    sandbox.dispose();
  });
});

describe("the guest's clock", () => {
  it('runs on the step count from a fixed epoch, the same on every run', async () => {
    const source = `export function times() {
        const a = Date.now();
        let s = 0;
        for (let i = 0; i < 1_000_000; i++) s += i;
        const b = Date.now();
        return [a, b, new Date().getTime() >= b, new Date(0).getTime(), typeof Date(), new Date() instanceof Date];
      }`;
    const first = await callOnce(source, 'times');
    const second = await callOnce(source, 'times');
    expect(first).toEqual(second);
    const sandbox = await sandboxWith(source);
    const third = sandbox.call('times');
    const stepsSpent = sandbox.stepsUsed();
    sandbox.dispose();
    expect(third).toEqual(first);
    const [a, b, later, zero, asString, isDate] = (first as { value: unknown[] }).value as [
      number,
      number,
      boolean,
      number,
      string,
      boolean,
    ];
    expect(a).toBeGreaterThanOrEqual(GUEST_EPOCH_MS);
    // The guest's clock is the step count, read twice: it moved with the loop,
    // and never ahead of the steps the call spent (no wall clock involved).
    // A million iterations are a few million steps: more than 10 ms of the step clock.
    expect(b - a).toBeGreaterThan(10);
    expect(b).toBeLessThanOrEqual(GUEST_EPOCH_MS + Math.floor(stepsSpent / STEPS_PER_CPU_MS));
    expect([later, zero, asString, isDate]).toEqual([true, 0, 'string', true]);
  });

  it('stops a busy wait on Date.now() by the step budget, not the wall clock', async () => {
    const sandbox = await sandboxWith(
      'export function wait() { const until = Date.now() + 10_000; while (Date.now() < until) {} return "waited"; }',
      { limits: { cpuMsPerCall: 50 } },
    );
    expect(sandbox.call('wait')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 50 });
    sandbox.dispose();
  });

  it('lets a short wait on the guest clock finish, in steps', async () => {
    const result = await callOnce(
      'export function wait() { const until = Date.now() + 5; let n = 0; while (Date.now() < until) n++; return n; }',
      'wait',
    );
    const again = await callOnce(
      'export function wait() { const until = Date.now() + 5; let n = 0; while (Date.now() < until) n++; return n; }',
      'wait',
    );
    expect(result.kind).toBe('ok');
    expect(again).toEqual(result);
  });
});

describe("the guest's randomness", () => {
  it('draws the same numbers in every sandbox and on every run, all in [0, 1)', async () => {
    const source =
      'export function draw(n: number) { const a: number[] = []; for (let i = 0; i < n; i++) a.push(Math.random()); return a; }';
    const first = (await callOnce(source, 'draw', [1000])) as { kind: 'ok'; value: number[] };
    const second = await callOnce(source, 'draw', [1000]);
    expect(second).toEqual(first);
    expect(first.value.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(first.value).size).toBe(1000);
    const mean = first.value.reduce((a, b) => a + b, 0) / 1000;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
  });
});

describe('isolation', () => {
  it('finds nothing of the host', async () => {
    const result = await callOnce(
      `export function probe() {
        const g: any = globalThis;
        return {
          process: typeof g.process, require: typeof g.require, module: typeof g.module,
          Buffer: typeof g.Buffer, fetch: typeof g.fetch, setTimeout: typeof g.setTimeout,
          std: typeof g.std, os: typeof g.os, WebAssembly: typeof g.WebAssembly,
          globals: Object.getOwnPropertyNames(g).filter((n) => /^[a-z]/.test(n)).sort(),
          fnProcess: Function('return typeof process')(),
          ctorProcess: (() => 0).constructor('return typeof process')(),
          ctorGlobal: ({}).constructor.constructor('return Object.getOwnPropertyNames(this).length')() ===
            Object.getOwnPropertyNames(g).length,
          evalProcess: (0, eval)('typeof process'),
        };
      }`,
      'probe',
    );
    expect(result).toEqual({
      kind: 'ok',
      value: {
        process: 'undefined',
        require: 'undefined',
        module: 'undefined',
        Buffer: 'undefined',
        fetch: 'undefined',
        setTimeout: 'undefined',
        std: 'undefined',
        os: 'undefined',
        WebAssembly: 'undefined',
        globals: expect.not.arrayContaining(['process', 'require', 'hostCall', 'hostLog']),
        fnProcess: 'undefined',
        ctorProcess: 'undefined',
        ctorGlobal: true,
        evalProcess: 'undefined',
      },
    });
  });

  it('refuses imports, static and dynamic', async () => {
    const compiled = await transpile('import fs from "node:fs";\nexport function f() { return typeof fs; }');
    if (compiled.kind !== 'ok') throw new Error('compile');
    const sandbox = await createSandbox({ clock: FROZEN_CLOCK });
    expect(sandbox.load(compiled.code)).toMatchObject({
      kind: 'error',
      message: 'Cannot import "node:fs": modules are not available in the sandbox',
    });
    sandbox.dispose();
    const dynamic = await callOnce(
      `export function f() { let r = 'pending'; import('node:fs').then(() => { r = 'loaded'; }, () => { r = 'refused'; }); return typeof (globalThis as any).process + ' ' + r; }`,
      'f',
    );
    expect(dynamic).toMatchObject({ kind: 'ok', value: expect.stringMatching(/^undefined /) });
  });

  it('keeps the host API frozen and the raw host functions unreachable', async () => {
    const result = await callOnce(
      `export function f() {
        const k: any = (globalThis as any).kernel;
        try { k.ping = () => 'hijacked'; } catch {}
        return [Object.isFrozen(k), k.ping(), Object.getOwnPropertyNames(k)];
      }`,
      'f',
      [],
      { hostApi: { ping: () => 'pong' } },
    );
    expect(result).toEqual({ kind: 'ok', value: [true, 'pong', ['ping']] });
  });

  it('gives separate sandboxes separate worlds', async () => {
    const a = await sandboxWith('export function set() { (globalThis as any).shared = 1; return 1; }');
    const b = await sandboxWith('export function get() { return typeof (globalThis as any).shared; }');
    a.call('set');
    expect(b.call('get')).toEqual({ kind: 'ok', value: 'undefined' });
    a.dispose();
    b.dispose();
  });
});

describe('fast path for primitive arguments and results', () => {
  it("carries bigints exactly both ways: the kernel API's 64-bit addresses", async () => {
    const sandbox = await sandboxWith(
      `export function id(x: unknown) { return x; }
       export function kind(x: unknown) { return typeof x; }
       export function pageOf(x: bigint) { return x & ~0xfffn; }
       export function viaKernel(x: bigint) { return (globalThis as any).kernel.next(x + 1n); }
       export function tampered(x: bigint) { (globalThis as any).BigInt = () => 0n; return (globalThis as any).kernel.next(x); }`,
      { hostApi: { next: (x) => (typeof x === 'bigint' ? [x, x + 1n] : 'not a bigint') } },
    );
    for (const v of [
      0n,
      -1n,
      0xffff_8880_0000_1234n,
      0x8000_0000_0000_0000n,
      2n ** 64n - 1n,
      10n ** 40n - 1n,
    ]) {
      expect(sandbox.call('id', [v])).toEqual({ kind: 'ok', value: v });
    }
    expect(sandbox.call('kind', [1n])).toEqual({ kind: 'ok', value: 'bigint' });
    expect(sandbox.call('pageOf', [0xffff_8880_0000_1234n])).toEqual({
      kind: 'ok',
      value: 0xffff_8880_0000_1000n,
    });
    expect(sandbox.call('id', [{ a: [1n, 2, '3'], b: -(2n ** 63n) }])).toEqual({
      kind: 'ok',
      value: { a: [1n, 2, '3'], b: -(2n ** 63n) },
    });
    expect(sandbox.call('viaKernel', [0xffff_ffff_ffff_fffen])).toEqual({
      kind: 'ok',
      value: [0xffff_ffff_ffff_ffffn, 0x1_0000_0000_0000_0000n],
    });
    // The guest's decoder captured BigInt before learner code ran.
    expect(sandbox.call('tampered', [5n])).toEqual({ kind: 'ok', value: [5n, 6n] });
    expect(() => sandbox.call('id', [10n ** 40n])).toThrow(
      /args\[0\] is a bigint too large to cross \(more than 40 digits\)/,
    );
    sandbox.dispose();
  });

  it('passes numbers, booleans, null and short strings to a hook and back, as the encoded path does', async () => {
    const sandbox = await sandboxWith(`
      export function id(x: unknown) { return x; }
      export function types(...xs: unknown[]) { return xs.map((x) => (Object.is(x, -0) ? '-0' : typeof x)); }
      export function count(...xs: unknown[]) { return xs.length; }
    `);
    const cases: [PlainValue | undefined, PlainValue][] = [
      [1.5, 1.5],
      [Number.NaN, Number.NaN],
      [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
      [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [-0, 0],
      [true, true],
      [false, false],
      [null, null],
      [undefined, null],
      ['', ''],
      ['héllo 😀\u0000"\\', 'héllo 😀\u0000"\\'],
      ['nul\u0000inside', 'nul\u0000inside'],
      ['lone \uD800 surrogate \uDFFF', 'lone \uD800 surrogate \uDFFF'],
      ['plain ascii', 'plain ascii'],
      ['v[1,[]]', 'v[1,[]]'],
      ['x looks like a refusal', 'x looks like a refusal'],
      ['e{"name":"E","message":"m"}', 'e{"name":"E","message":"m"}'],
      ['s', 's'],
      ['y'.repeat(5000), 'y'.repeat(5000)],
    ];
    const nul = await sandboxWith(`
      export function make(kind: string) {
        return kind === 'nul' ? 'a\\u0000b' : kind === 'lone' ? 'a\\uD800b' : 'a\\uD83D\\uDE00b';
      }
      export function len(s: string) { return s.length; }
    `);
    expect(nul.call('make', ['nul'])).toEqual({ kind: 'ok', value: 'a\u0000b' });
    expect(nul.call('make', ['lone'])).toEqual({ kind: 'ok', value: 'a\uD800b' });
    expect(nul.call('make', ['pair'])).toEqual({ kind: 'ok', value: 'a😀b' });
    expect(nul.call('len', ['\u0000\u0000\u0000'])).toEqual({ kind: 'ok', value: 3 });
    nul.dispose();
    for (const [arg, expected] of cases) {
      const result = sandbox.call('id', [arg as PlainValue]);
      expect(result).toEqual({ kind: 'ok', value: expected });
      if (result.kind === 'ok') expect(Object.is(result.value, -0)).toBe(false);
    }
    expect(sandbox.call('types', [-0, 1, true, null, 'a', Number.NaN])).toEqual({
      kind: 'ok',
      value: ['number', 'number', 'boolean', 'object', 'string', 'number'],
    });
    expect(sandbox.call('count', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({ kind: 'ok', value: 10 });
    expect(sandbox.call('count', [])).toEqual({ kind: 'ok', value: 0 });
    expect(sandbox.call('id', [[1, 'mixed', { a: null }]])).toEqual({
      kind: 'ok',
      value: [1, 'mixed', { a: null }],
    });
    sandbox.dispose();
  });

  it('passes primitives from the guest to the host as numbers, booleans, null and strings', async () => {
    const seen: PlainValue[][] = [];
    const result = await callOnce(
      `export function f() {
        const k = (globalThis as any).kernel;
        return [
          k.echo(NaN, Infinity, -Infinity, -0, 2.5),
          k.echo(true, false, null, undefined, 'str', ''),
          k.echo(1, 2, 3, 4, 5, 6, 7, 8, 9),
          k.echo('z'.repeat(3000)).length,
          k.echo('n\\u0000ul', 'lone\\uDC00', '😀'),
          k.nulStr(), k.loneStr(),
          k.one(), k.nan(), k.negZero(), k.nothing(), k.str(), k.long().length, k.sPrefixed(), k.obj(),
        ];
      }`,
      'f',
      [],
      {
        hostApi: {
          echo: (...args) => {
            seen.push(args);
            return args;
          },
          one: () => 1,
          nan: () => Number.NaN,
          negZero: () => -0,
          nothing: () => undefined,
          str: () => 'short',
          long: () => 's'.repeat(4000),
          sPrefixed: () => 'sss',
          nulStr: () => 'x\u0000y',
          loneStr: () => 'x\uDBFFy',
          obj: () => ({ a: [1, Number.NEGATIVE_INFINITY] }),
        },
      },
    );
    expect(result).toEqual({
      kind: 'ok',
      value: [
        [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 2.5],
        [true, false, null, null, 'str', ''],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        1,
        ['n\u0000ul', 'lone\uDC00', '😀'],
        'x\u0000y',
        'x\uDBFFy',
        1,
        Number.NaN,
        0,
        null,
        'short',
        4000,
        'sss',
        { a: [1, Number.NEGATIVE_INFINITY] },
      ],
    });
    expect(Object.is(seen[0]?.[3], -0)).toBe(false);
    expect(seen[0]?.map((x) => typeof x)).toEqual(['number', 'number', 'number', 'number', 'number']);
    expect(seen[1]).toEqual([true, false, null, null, 'str', '']);
  });

  it('never coerces an object argument: valueOf, toString, toPrimitive and traps do not run', async () => {
    const seen: PlainValue[][] = [];
    const result = await callOnce(
      `export function f() {
        const k = (globalThis as any).kernel;
        let ran = 0;
        const sneaky = [
          { valueOf() { ran++; return 1; } },
          { toString() { ran++; return 's'; } },
          { [Symbol.toPrimitive]() { ran++; return 2; } },
          new Proxy({}, { get() { ran++; return 3; }, getPrototypeOf() { ran++; return null; } }),
          new Number(4),
          Object(Symbol('s')),
          () => 5,
        ];
        const refused = sneaky.map((x) => { try { k.take(1, x); return 'passed'; } catch (e: any) { return e instanceof TypeError; } });
        return [refused, ran];
      }`,
      'f',
      [],
      {
        hostApi: {
          take: (...args) => {
            seen.push(args);
            return null;
          },
        },
      },
    );
    // A plain object whose only property is symbol-keyed crosses as {} (symbol keys are ignored).
    expect(result).toEqual({ kind: 'ok', value: [[true, true, 'passed', true, true, true, true], 0] });
    expect(seen).toEqual([[1, {}]]);
  });

  it('returns a hook result that is not a primitive through the checked path', async () => {
    const sandbox = await sandboxWith(`
      export function wrapped() { return new Number(1); }
      export function getter() { return { get a() { throw new Error('ran'); } }; }
      export function sym() { return Symbol('s'); }
    `);
    expect(sandbox.call('wrapped', [1])).toMatchObject({ kind: 'invalid-value' });
    expect(sandbox.call('getter', [1])).toMatchObject({
      kind: 'invalid-value',
      message: expect.stringMatching(/result\.a is a getter/),
    });
    expect(sandbox.call('sym', [true])).toMatchObject({ kind: 'invalid-value' });
    sandbox.dispose();
  });

  it('keeps the string cap on every primitive crossing', async () => {
    const limits = {
      values: { maxDepth: 64, maxNodes: 1000, maxStringLength: 10, maxPayloadLength: 100_000 },
    };
    const sandbox = await sandboxWith(
      `export function id(x: unknown) { return x; }
       export function make(n: number) { return 'a'.repeat(n); }
       export function send(n: number) { try { return (globalThis as any).kernel.len('b'.repeat(n)); } catch (e: any) { return e instanceof TypeError && /longer than 10 characters/.test(e.message); } }
       export function fetch(n: number) { try { return (globalThis as any).kernel.give(n); } catch (e: any) { return e instanceof Error && /longer than 10 characters/.test(e.message); } }`,
      {
        limits,
        hostApi: {
          len: (s) => (typeof s === 'string' ? s.length : -1),
          give: (n) => 'c'.repeat(typeof n === 'number' ? n : 0),
        },
      },
    );
    expect(sandbox.call('id', ['0123456789'])).toEqual({ kind: 'ok', value: '0123456789' });
    expect(() => sandbox.call('id', ['0123456789x'])).toThrow(/longer than 10 characters/);
    expect(sandbox.call('make', [10])).toEqual({ kind: 'ok', value: 'a'.repeat(10) });
    expect(sandbox.call('make', [11])).toMatchObject({
      kind: 'invalid-value',
      message: expect.stringMatching(/longer than 10 characters/),
    });
    expect(sandbox.call('send', [10])).toEqual({ kind: 'ok', value: 10 });
    expect(sandbox.call('send', [11])).toEqual({ kind: 'ok', value: true });
    expect(sandbox.call('fetch', [10])).toEqual({ kind: 'ok', value: 'c'.repeat(10) });
    expect(sandbox.call('fetch', [11])).toEqual({ kind: 'ok', value: true });
    sandbox.dispose();
  });

  it('keeps a tiny payload cap (the fast path steps aside)', async () => {
    const sandbox = await sandboxWith('export function id(x: unknown) { return x; }', {
      limits: { values: { maxDepth: 64, maxNodes: 1000, maxStringLength: 1000, maxPayloadLength: 40 } },
    });
    expect(sandbox.call('id', [1])).toEqual({ kind: 'ok', value: 1 });
    expect(() => sandbox.call('id', ['d'.repeat(50)])).toThrow(/too large/);
    expect(sandbox.call('id', ['d'.repeat(30)])).toMatchObject({ kind: 'ok' });
    sandbox.dispose();
  });

  it('is not fooled by a learner who rewrites String and Reflect built-ins', async () => {
    const result = await callOnce(
      `export function f() {
        const k = (globalThis as any).kernel;
        String.prototype.slice = () => 'hijacked';
        String.prototype.charCodeAt = () => 91;
        (Reflect as any).apply = () => 'hijacked';
        Function.prototype.apply = () => 'hijacked';
        return [k.str(), k.num(1), k.obj()];
      }`,
      'f',
      [],
      {
        hostApi: {
          str: () => 'sane',
          num: (x) => (typeof x === 'number' ? x + 1 : -1),
          obj: () => ({ s: 'x' }),
        },
      },
    );
    expect(result).toEqual({ kind: 'ok', value: ['sane', 2, { s: 'x' }] });
  });

  it('stops a looping hook called with primitives, and counts host time in the budget', async () => {
    const sandbox = await sandboxWith(
      `export function spin(n: number) { for (;;) { n++; } }
       export function busyHost() { const k = (globalThis as any).kernel; for (;;) { try { k.tick(1); } catch {} } }`,
      { limits: { cpuMsPerCall: 50, cpuMsTotal: 1_000 }, hostApi: { tick: (x) => x } },
    );
    expect(sandbox.call('spin', [1])).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 50 });
    expect(sandbox.call('busyHost', [])).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 50 });
    sandbox.dispose();
  });

  it('keeps the timeout verdict when the guest catches the refused host call and returns', async () => {
    const sandbox = await sandboxWith(
      `export function sly() { const k = (globalThis as any).kernel; for (;;) { try { k.tick(1); } catch (e) { return String(e); } } }`,
      { limits: { cpuMsPerCall: 5 }, hostApi: { tick: (x) => x } },
    );
    expect(sandbox.call('sly')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 5 });
    sandbox.dispose();
  });

  it("runs a nested call within what is left of the outer call's budget", async () => {
    let sandbox: Sandbox | undefined;
    let inner: CallResult | undefined;
    sandbox = await sandboxWith(
      `export function spin() { for (;;) {} }
       export function outer() { (globalThis as any).kernel.nested(); for (;;) {} }`,
      {
        limits: { cpuMsPerCall: 20 },
        hostApi: {
          nested: () => {
            inner = sandbox!.call('spin');
            return null;
          },
        },
      },
    );
    const before = sandbox.stepsUsed();
    // The nested spin spends the outer call's whole budget, so the outer call stops too.
    expect(sandbox.call('outer')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 20 });
    expect(inner).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 20 });
    const spent = sandbox.stepsUsed() - before;
    expect(spent).toBeLessThan(20 * STEPS_PER_CPU_MS + 20_000); // one budget, not two
    expect(sandbox.call('spin')).toEqual({ kind: 'timeout', limit: 'cpu', budget: 'call', ms: 20 });
    sandbox.dispose();
  });
});
