/**
 * Booted instances at rest, kept between factories: a grading run makes one
 * factory per submission, and booting an instance for each (a new 32 MiB
 * memory, instantiating QuickJS, runtime, context and prelude, then the
 * first restores that commit its pages) cost about as much as all of that
 * submission's tests. A factory takes an idle instance instead, restored in
 * place to its *boot image* — its memory right after the prelude ran,
 * before any module was loaded — and loads its module there.
 *
 * An instance restored to its boot image is the instance as it was booted,
 * for the same reasons a factory's restore gives back the sandbox it
 * snapshotted (`factory.ts`): the memory is the boot's byte for byte (the
 * heap, the prelude's console budget and random seed, the interrupt
 * counter), the stack pointer is where the boot left it (checked when the
 * instance comes back), and quickjs-emscripten's JS side was filled during
 * the boot and holds nothing a sandbox added (every handle a sandbox
 * creates is freed when it is disposed; the host holds a handle on every
 * host function). So what is fixed at boot must be the same for the next
 * user: the compiled module and everything of `InstanceSetup` (limits
 * written into the prelude, the host API's name and function names) make
 * the key. The host functions' bodies are not part of it: they dispatch to
 * whichever side the instance is bound to.
 *
 * An instance comes back only if it can be trusted: not one that trapped,
 * not one whose stack pointer moved (a trap quickjs-emscripten swallowed,
 * see `factory.ts`), and never without a stack pointer to check. Kept: at
 * most `MAX_IDLE_PER_KEY` per key (a factory's snapshot instance, and a
 * sandbox of its own while that one is out), the most recently used taken
 * first (its pages are committed already), for at most `MAX_KEYS_PER_MODULE`
 * keys. The cache is module state, so each thread (each pool worker) has
 * its own; `releaseIdleInstances` frees it.
 */
import type { BuildFacts, HeapEnd } from './build-facts.ts';
import { bootInstance, type HostSide, type Instance, type InstanceSetup } from './instance.ts';
import { type Dirt, type MemorySnapshot, restoreDirty, takeSnapshot } from './snapshot.ts';

/** A snapshot of an instance at rest, and what tells later whether it may be restored. */
export interface RestingImage {
  readonly memory: MemorySnapshot;
  /** The C stack pointer between calls (see build-facts.ts). */
  readonly stackPointer: number;
  /** The heap's end when the snapshot was taken (null: not known). */
  readonly heapEnd: number | null;
}

/** An instance as booted: newly, or an idle one restored to its boot image. */
export interface BootedInstance {
  readonly instance: Instance;
  /** Its memory right after the boot (null: it is not one the cache can take back, it has no stack pointer). */
  readonly boot: RestingImage | null;
  /** Whether it came from the cache. */
  readonly reused: boolean;
}

const MAX_IDLE_PER_KEY = 2;
const MAX_KEYS_PER_MODULE = 4;

interface Idle {
  readonly instance: Instance;
  readonly boot: RestingImage;
  /** How far its memory may differ from the boot image (it is restored when taken). */
  readonly dirt: Dirt;
}

/** Per compiled module, per key: idle instances, the most recently given back last. */
const idle = new WeakMap<WebAssembly.Module, Map<string, Idle[]>>();

/** Everything fixed at boot, exactly (String keeps NaN and Infinity apart, which JSON does not). */
function keyOf(setup: InstanceSetup): string {
  const { values } = setup;
  return [
    setup.memoryBytes,
    setup.stackBytes,
    setup.maxOutputLength,
    values.maxDepth,
    values.maxNodes,
    values.maxStringLength,
    values.maxPayloadLength,
    JSON.stringify(setup.hostApiName),
    JSON.stringify(setup.apiNames),
  ]
    .map(String)
    .join(' ');
}

/**
 * An instance for `setup`, at its boot state: an idle one restored to its
 * boot image, or a new one booted with `boot` answering the prelude.
 */
export async function takeBooted(
  setup: InstanceSetup,
  facts: BuildFacts,
  boot: HostSide,
): Promise<BootedInstance> {
  // Without the stack exports the caller could not check the instance when it is done with it.
  const kept =
    setup.wasmModule === undefined || facts.stack === null
      ? undefined
      : idle.get(setup.wasmModule)?.get(keyOf(setup));
  const found = kept?.pop();
  if (found !== undefined) {
    restoreDirty(found.instance.memory, found.boot.memory, found.dirt);
    return { instance: found.instance, boot: found.boot, reused: true };
  }
  const instance = await bootInstance(setup, boot, facts.stack);
  if (instance.stack === null || setup.wasmModule === undefined)
    return { instance, boot: null, reused: false };
  const heapEnd = facts.heapEnd?.read(instance.memory) ?? null;
  const image: RestingImage = {
    memory: takeSnapshot(instance.memory, heapEnd),
    stackPointer: instance.stack.read(),
    heapEnd,
  };
  return { instance, boot: image, reused: false };
}

/**
 * Takes back an instance its user is done with (nothing running in it,
 * bound to an idle side): kept for the next user if it can be trusted and
 * there is room, freed otherwise. `dirt` is how far its memory may differ
 * from its boot image; null: it trapped.
 */
export function giveBack(booted: BootedInstance, dirt: Dirt | null): void {
  const { instance, boot } = booted;
  const module = instance.setup.wasmModule;
  if (dirt === null || boot === null || module === undefined || stackMoved(instance, boot)) {
    instance.dispose();
    return;
  }
  let keys = idle.get(module);
  if (keys === undefined) {
    keys = new Map();
    idle.set(module, keys);
  }
  const key = keyOf(instance.setup);
  const kept = keys.get(key) ?? [];
  // Re-inserted, so that the keys are in the order they were last used.
  keys.delete(key);
  keys.set(key, kept);
  for (const [oldKey, oldest] of keys) {
    if (keys.size <= MAX_KEYS_PER_MODULE) break;
    for (const old of oldest) old.instance.dispose();
    keys.delete(oldKey);
  }
  kept.push({ instance, boot, dirt });
  while (kept.length > MAX_IDLE_PER_KEY) kept.shift()?.instance.dispose();
}

/** Frees every idle instance of `wasmModule`'s (they are kept until then, or until evicted). */
export function releaseIdleInstances(wasmModule: WebAssembly.Module): void {
  const keys = idle.get(wasmModule);
  if (keys === undefined) return;
  for (const kept of keys.values()) for (const old of kept) old.instance.dispose();
  idle.delete(wasmModule);
}

/** How many instances of `wasmModule`'s are idle (for tests and the bench). */
export function idleInstanceCount(wasmModule: WebAssembly.Module): number {
  let count = 0;
  for (const kept of idle.get(wasmModule)?.values() ?? []) count += kept.length;
  return count;
}

/**
 * A trap unwinds a call without putting the stack pointer back, and one
 * inside a host callback never reaches the engine (quickjs-emscripten
 * swallows it): a stack pointer that moved says one happened.
 */
export function stackMoved(instance: Instance, image: RestingImage): boolean {
  return instance.stack === null || instance.stack.read() !== image.stackPointer;
}

/**
 * How far an instance's memory may differ from `image`, which it matched
 * last, now that a sandbox ran on it. The heap never gives memory back, so
 * its end now is the highest it reached; one below the image's would mean
 * it did after all, and then anything may have been written above it.
 */
export function dirtAfterUse(instance: Instance, heapEnd: HeapEnd | null, image: RestingImage): Dirt {
  if (heapEnd === null || image.heapEnd === null) return { kind: 'unknown' };
  const end = heapEnd.read(instance.memory);
  return end >= image.heapEnd && end <= image.memory.memoryBytes
    ? { kind: 'below', end }
    : { kind: 'unknown' };
}
