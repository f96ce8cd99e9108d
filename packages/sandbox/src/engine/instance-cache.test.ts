import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileQuickJSModule } from '../wasm-node.ts';
import { type BuildFacts, buildFacts } from './build-facts.ts';
import { bootSide, instanceSetup } from './create.ts';
import type { InstanceSetup } from './instance.ts';
import {
  dirtAfterUse,
  giveBack,
  idleInstanceCount,
  releaseIdleInstances,
  takeBooted,
} from './instance-cache.ts';
import { resolveLimits } from './limits.ts';
import { matchesSnapshot } from './snapshot.ts';

let wasmModule: WebAssembly.Module;
let facts: BuildFacts;

const setupOf = (memoryBytes = 32 * 1024 * 1024, apiNames: readonly string[] = ['inc']): InstanceSetup =>
  instanceSetup(resolveLimits({ memoryBytes }), { wasmModule }, apiNames);
const take = (setup = setupOf()) =>
  takeBooted(
    setup,
    facts,
    bootSide(() => 0),
  );

beforeAll(async () => {
  wasmModule = await compileQuickJSModule();
  facts = await buildFacts(wasmModule);
  expect(facts.stack).not.toBeNull();
});
beforeEach(() => releaseIdleInstances(wasmModule));

describe('the idle instance cache', () => {
  it('gives back an instance restored to its boot image, byte for byte', async () => {
    const booted = await take();
    expect(booted.reused).toBe(false);
    const { instance, boot } = booted;
    if (boot === null) throw new Error('no boot image');
    expect(matchesSnapshot(instance.memory, boot.memory)).toBe(true);
    // What a sandbox leaves behind: a heap grown and written to.
    const result = instance.context.evalCode('globalThis.junk = new Array(100000).fill(1.5); 1');
    result.dispose();
    expect(matchesSnapshot(instance.memory, boot.memory)).toBe(false);
    giveBack(booted, dirtAfterUse(instance, facts.heapEnd, boot));
    expect(idleInstanceCount(wasmModule)).toBe(1);

    const again = await take();
    expect(again.reused).toBe(true);
    expect(again.instance).toBe(instance);
    expect(idleInstanceCount(wasmModule)).toBe(0);
    expect(matchesSnapshot(instance.memory, boot.memory)).toBe(true);
    giveBack(again, { kind: 'pristine' });
  });

  it('does not keep an instance that trapped or whose stack pointer moved', async () => {
    const trapped = await take();
    giveBack(trapped, null);
    const moved = await take();
    expect(moved.reused).toBe(false);
    const stack = moved.instance.stack;
    if (stack === null) throw new Error('no stack pointer');
    stack.write(stack.read() - 1024);
    giveBack(moved, { kind: 'pristine' });
    expect(idleInstanceCount(wasmModule)).toBe(0);
  });

  it('keeps two instances of a kind, the last given back taken first', async () => {
    const booted = [await take(), await take(), await take()];
    for (const b of booted) giveBack(b, { kind: 'pristine' });
    expect(idleInstanceCount(wasmModule)).toBe(2);
    const taken = [await take(), await take(), await take()];
    expect(taken.map((t) => t.instance)).toEqual([
      booted[2]?.instance,
      booted[1]?.instance,
      expect.anything(),
    ]);
    expect(taken.map((t) => t.reused)).toEqual([true, true, false]);
    for (const t of taken) t.instance.dispose();
  });

  it('hands an instance only to a setup like the one it was booted for, and keeps four kinds', async () => {
    const kinds = [16, 20, 24, 28, 32].map((mib) => setupOf(mib * 1024 * 1024));
    for (const setup of kinds) giveBack(await take(setup), { kind: 'pristine' });
    // The kind given back first went when the fifth came.
    expect(idleInstanceCount(wasmModule)).toBe(4);
    const evicted = await take(kinds[0]);
    expect(evicted.reused).toBe(false);
    evicted.instance.dispose();
    const other = await take(setupOf(32 * 1024 * 1024, ['inc', 'dec']));
    expect(other.reused).toBe(false);
    const same = await take(kinds[4]);
    expect(same.reused).toBe(true);
    expect(same.instance.memoryBytes).toBe(32 * 1024 * 1024);
    for (const t of [other, same]) t.instance.dispose();
  });

  it('neither keeps nor hands out instances to a caller that cannot read the stack pointer', async () => {
    giveBack(await take(), { kind: 'pristine' });
    const blind = await takeBooted(
      setupOf(),
      { ...facts, stack: null },
      bootSide(() => 0),
    );
    expect(blind).toMatchObject({ reused: false, boot: null });
    giveBack(blind, { kind: 'pristine' });
    expect(idleInstanceCount(wasmModule)).toBe(1);
  });
});
