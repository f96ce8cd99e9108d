import { describe, expect, it } from 'vitest';
import { transpile } from '../transpile.ts';
import { compileQuickJSModule } from '../wasm-node.ts';
import { buildFacts } from './build-facts.ts';
import { bootSide, instanceSetup } from './create.ts';
import { bootInstance } from './instance.ts';
import { resolveLimits, stepBudgets } from './limits.ts';
import { openSession } from './session.ts';

/** The address just above the last non-zero byte. */
function writtenEnd(memory: WebAssembly.Memory): number {
  const words = new Uint32Array(memory.buffer);
  let end = words.length;
  while (end > 0 && words[end - 1] === 0) end -= 1;
  return end * 4;
}

const SOURCE = `
  let keep: unknown[] = [];
  export function grow(n: number) { keep.push(new ArrayBuffer(n)); for (let i = 0; i < 1000; i++) keep.push({ i, s: 'x' + i }); return keep.length; }
  export function drop() { keep = []; return 0; }
  export function viaHost() { return (globalThis as any).kernel.where(); }
  export function bomb() { const a: number[][] = []; for (;;) a.push(new Array(10000).fill(1.5)); }`;

async function loadedInstance(hostApi: Record<string, () => number>) {
  const wasmModule = await compileQuickJSModule();
  const facts = await buildFacts(wasmModule);
  const compiled = await transpile(SOURCE);
  if (compiled.kind !== 'ok') throw new Error('compile');
  const limits = resolveLimits({});
  const instance = await bootInstance(
    instanceSetup(limits, { wasmModule }, Object.keys(hostApi)),
    bootSide(() => 0),
    facts.stack,
  );
  const { sandbox } = openSession(instance, {
    budgets: stepBudgets(limits),
    clock: () => 0,
    hostApi,
    start: { kind: 'fresh' },
    onDispose: () => instance.dispose(),
  });
  expect(sandbox.load(compiled.code)).toMatchObject({ kind: 'ok' });
  return { wasmModule, facts, instance, sandbox };
}

describe("the QuickJS build's facts", () => {
  it('are found once per compiled module, and not at all without one', async () => {
    const wasmModule = await compileQuickJSModule();
    expect(buildFacts(wasmModule)).toBe(buildFacts(wasmModule));
    expect(await buildFacts(undefined)).toEqual({ heapEnd: null, stack: null });
  });

  it("locate the heap's end: nothing above it is ever written, and it never moves down", async () => {
    const { facts, instance, sandbox } = await loadedInstance({});
    const { heapEnd } = facts;
    // Without it a factory still works, reading the whole memory (factory.test.ts runs both ways).
    if (heapEnd === null) throw new Error('the heap end of the bundled QuickJS build was not found');
    let last = heapEnd.read(instance.memory);
    const steps: [string, number[]][] = [
      ['grow', [1 << 20]],
      ['grow', [6 << 20]],
      ['drop', []],
      ['grow', [64]],
      ['bomb', []],
      ['drop', []],
    ];
    for (const [name, args] of steps) {
      sandbox.call(name, args);
      const end = heapEnd.read(instance.memory);
      expect(end).toBeGreaterThanOrEqual(last);
      expect(writtenEnd(instance.memory)).toBeLessThanOrEqual(end);
      last = end;
    }
    // The bomb took the heap to the end of the memory.
    expect(last).toBeGreaterThan(instance.memoryBytes - (1 << 20));
    sandbox.dispose();
  });

  it('read the C stack pointer: the same between calls, lower inside one', async () => {
    let inside = Number.NaN;
    let stackRead: () => number = () => Number.NaN;
    const { instance, sandbox } = await loadedInstance({
      where: () => {
        inside = stackRead();
        return 0;
      },
    });
    const { stack } = instance;
    if (stack === null) throw new Error('the stack functions of the bundled QuickJS build were not found');
    stackRead = () => stack.read();
    const atRest = stack.read();
    for (let i = 0; i < 3; i++) {
      expect(sandbox.call('viaHost')).toEqual({ kind: 'ok', value: 0 });
      expect(stack.read()).toBe(atRest);
      expect(inside).toBeLessThan(atRest);
    }
    sandbox.dispose();
  });
});
