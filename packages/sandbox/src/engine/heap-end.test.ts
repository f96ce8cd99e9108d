import { expect, it } from 'vitest';
import { transpile } from '../transpile.ts';
import { compileQuickJSModule } from '../wasm-node.ts';
import { bootSide, instanceSetup } from './create.ts';
import { locateHeapEnd } from './heap-end.ts';
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

it("finds where this QuickJS build's heap ends: nothing above it is ever written, and it never moves down", async () => {
  const wasmModule = await compileQuickJSModule();
  const heapEnd = await locateHeapEnd(wasmModule);
  // Without it a factory still works, reading the whole memory (factory.test.ts runs both ways).
  if (heapEnd === null) throw new Error('the heap end of the bundled QuickJS build was not found');
  expect(locateHeapEnd(wasmModule)).toBe(locateHeapEnd(wasmModule)); // one experiment per module

  const compiled = await transpile(`
    let keep: unknown[] = [];
    export function grow(n: number) { keep.push(new ArrayBuffer(n)); for (let i = 0; i < 1000; i++) keep.push({ i, s: 'x' + i }); return keep.length; }
    export function drop() { keep = []; return 0; }
    export function bomb() { const a: number[][] = []; for (;;) a.push(new Array(10000).fill(1.5)); }`);
  if (compiled.kind !== 'ok') throw new Error('compile');
  const limits = resolveLimits({});
  const instance = await bootInstance(
    instanceSetup(limits, { wasmModule }, []),
    bootSide(() => 0),
  );
  const session = openSession(instance, {
    budgets: stepBudgets(limits),
    clock: () => 0,
    hostApi: {},
    start: { kind: 'fresh' },
    onDispose: () => instance.dispose(),
  });
  const { sandbox } = session;
  expect(sandbox.load(compiled.code)).toMatchObject({ kind: 'ok' });
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
