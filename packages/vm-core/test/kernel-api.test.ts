// What a hook is handed: the narrow KernelApi (or UaccessApi), never the
// Kernel facade or its state; and `k.hooks.*` runs the installed hooks.
import { describe, expect, test } from 'vitest';
import {
  type FaultInfo,
  hookApiFacts,
  type InstalledHooks,
  Kernel,
  type KernelApi,
  type KernelHooks,
  referenceHooks,
  type UaccessApi,
  type VmaInfo,
} from '../src/kernel/index.ts';

const RW = { read: true, write: true, exec: false };

const KERNEL_API_METHODS = [
  'findVma',
  'vmaForFault',
  'pageTableRoot',
  'pageTableLevels',
  'tableIndex',
  'entrySize',
  'readTableEntry',
  'pageInfo',
  'zeroPfn',
  'allocPage',
  'clearPage',
  'copyPage',
  'getPage',
  'putPage',
  'mapPage',
  'replacePage',
  'makeWritable',
  'setAccessFlags',
  'cpusThatMayCache',
  'invalidateTlbEntry',
  'swapInPage',
  'fileFault',
  'hugePmdFault',
  'tryFreeSwap',
  'syncKernelMapping',
  'isUserAddress',
  'isVmallocAddress',
  'searchExceptionTable',
  'oopsReport',
];
const INSTALLED_HOOKS = [
  'anonymousFault',
  'cowBreak',
  'swapIn',
  'vmallocFault',
  'exceptionFixup',
  'flushTlbPage',
  'walkPageTable',
];
const UACCESS_API = [
  'copyInstruction',
  'accessOk',
  'userAccessBegin',
  'userAccessEnd',
  'loadByte',
  'storeByte',
];

/** Every value reachable from `value` through properties (own, enumerable or not, and prototypes). */
function reachable(value: unknown, seen = new Set<unknown>()): Set<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
    return seen;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in desc) reachable(desc.value, seen);
  }
  const proto = Object.getPrototypeOf(value);
  // The built-in prototypes (Object.prototype, Function.prototype) lead nowhere of the kernel's.
  if (proto !== Object.prototype && proto !== Function.prototype) reachable(proto, seen);
  return seen;
}

/** A kernel whose pageFault and copyFromUser hooks record the object they were handed, then do Linux's work. */
function recordingKernel() {
  const seen: { k: KernelApi[]; u: UaccessApi[] } = { k: [], u: [] };
  const kernel = new Kernel({
    frames: 256,
    hooks: {
      pageFault: (k, f) => {
        seen.k.push(k);
        return referenceHooks.pageFault(k, f);
      },
      copyFromUser: (u, copy) => {
        seen.u.push(u);
        return referenceHooks.copyFromUser(u, copy);
      },
    },
  });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 4 * 4096, prot: RW });
  if (r.kind !== 'ok') throw new Error('mmap');
  return { kernel, pid, addr: r.address, seen };
}

describe('what a hook is handed', () => {
  test('a KernelApi: exactly its methods and `hooks`, frozen, with no way back to the Kernel or its state', () => {
    const { kernel, pid, addr, seen } = recordingKernel();
    kernel.access(pid, addr, 'write', 1);
    kernel.access(pid, addr + 4096, 'read');
    const [k, again] = seen.k;
    expect(k).toBeDefined();
    // One object per kernel, the same for every call, and the one `kernel.api` shows.
    expect(again).toBe(k);
    expect(kernel.api).toBe(k);
    const api = k as unknown as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...KERNEL_API_METHODS, 'hooks'].sort());
    expect(Object.keys(k!.hooks).sort()).toEqual([...INSTALLED_HOOKS].sort());
    for (const name of ['spawn', 'mmap', 'fork', 'access', 'state', 'kernel', 'tasks', 'frames', 'loadByte'])
      expect(name in api, name).toBe(false);
    expect(Object.isFrozen(k)).toBe(true);
    expect(Object.isFrozen(k!.hooks)).toBe(true);
    // Nothing reachable from it is the facade, its state, or any of the state's objects.
    const found = reachable(k);
    expect(found.has(kernel)).toBe(false);
    expect(found.has(kernel.uaccessApi)).toBe(false);
    for (const part of [kernel.frames, kernel.tasks, kernel.mms, kernel.memory, kernel.tables, kernel.hooks])
      expect(found.has(part)).toBe(false);
    // Only its own functions and the hooks group are there.
    for (const v of found) expect(typeof v === 'function' || v === k || v === k!.hooks).toBe(true);
  });

  test('copyFromUser gets a UaccessApi: exactly its members, nothing of KernelApi or the Kernel', () => {
    const { kernel, pid, addr, seen } = recordingKernel();
    kernel.access(pid, addr, 'write', 7);
    expect(kernel.copyFromUser(pid, addr, 1)).toMatchObject({ notCopied: 0, data: [7] });
    const [u] = seen.u;
    expect(u).toBe(kernel.uaccessApi);
    const api = u as unknown as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...UACCESS_API].sort());
    for (const name of ['spawn', 'state', 'mapPage', 'allocPage', 'hooks'])
      expect(name in api, name).toBe(false);
    expect(Object.isFrozen(u)).toBe(true);
    const found = reachable(u);
    expect(found.has(kernel)).toBe(false);
    expect(found.has(kernel.api)).toBe(false);
    for (const v of found) expect(typeof v === 'function' || v === u).toBe(true);
  });

  test('a hook that reaches for the facade finds nothing, even through `as any`', () => {
    const probes: Record<string, boolean> = {};
    const kernel = new Kernel({
      frames: 128,
      hooks: {
        anonymousFault: (k, f, vma) => {
          // biome-ignore lint/suspicious/noExplicitAny: the point is a hook that ignores the types
          const any = k as any;
          probes.spawn = 'spawn' in k;
          probes.state = 'state' in k;
          probes.stateValue = any.state !== undefined;
          probes.kernel = any.kernel !== undefined;
          probes.constructorIsKernel = any.constructor === Kernel;
          probes.hooksTable = typeof any.hooks?.pageFault === 'function';
          return referenceHooks.anonymousFault(k, f, vma);
        },
      },
    });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    expect(kernel.access(pid, r.address, 'write', 1).kind).toBe('ok');
    expect(probes).toEqual({
      spawn: false,
      state: false,
      stateValue: false,
      kernel: false,
      constructorIsKernel: false,
      hooksTable: false,
    });
  });
});

describe('k.hooks runs the installed hooks', () => {
  test('each dispatcher calls the installed hook with the same API and its arguments, and returns its answer', () => {
    const calls: { hook: string; k: unknown; args: unknown[] }[] = [];
    const spy =
      <K extends keyof KernelHooks>(hook: K, answer: ReturnType<KernelHooks[K]>) =>
      (k: unknown, ...args: unknown[]) => {
        calls.push({ hook, k, args });
        return answer;
      };
    const resolved = { kind: 'resolved', resolution: 'spurious' } as const;
    const hooks = {
      anonymousFault: spy('anonymousFault', resolved),
      cowBreak: spy('cowBreak', { kind: 'oom' }),
      swapIn: spy('swapIn', { kind: 'fixup', fixupIp: 42n }),
      vmallocFault: spy('vmallocFault', true),
      exceptionFixup: spy('exceptionFixup', 77n),
      flushTlbPage: spy('flushTlbPage', undefined),
      walkPageTable: spy('walkPageTable', { kind: 'swap', slot: 5 }),
    } as unknown as Partial<KernelHooks>;
    const kernel = new Kernel({ frames: 128, hooks });
    const mm = kernel.task(kernel.spawn('app').pid).mm!.id;
    const k = kernel.api;
    const f = { address: 0x1000n, mm } as FaultInfo;
    const vma = { start: 0n, end: 0x2000n } as VmaInfo;

    const answers: Record<keyof InstalledHooks, unknown> = {
      anonymousFault: k.hooks.anonymousFault(f, vma),
      cowBreak: k.hooks.cowBreak(f, 9),
      swapIn: k.hooks.swapIn(f),
      vmallocFault: k.hooks.vmallocFault(f),
      exceptionFixup: k.hooks.exceptionFixup(f),
      flushTlbPage: k.hooks.flushTlbPage(mm, 0x3000n),
      walkPageTable: k.hooks.walkPageTable(mm, 0x4000n),
    };
    expect(answers).toEqual({
      anonymousFault: resolved,
      cowBreak: { kind: 'oom' },
      swapIn: { kind: 'fixup', fixupIp: 42n },
      vmallocFault: true,
      exceptionFixup: 77n,
      flushTlbPage: undefined,
      walkPageTable: { kind: 'swap', slot: 5 },
    });
    expect(calls).toEqual([
      { hook: 'anonymousFault', k, args: [f, vma] },
      { hook: 'cowBreak', k, args: [f, 9] },
      { hook: 'swapIn', k, args: [f] },
      { hook: 'vmallocFault', k, args: [f] },
      { hook: 'exceptionFixup', k, args: [f] },
      { hook: 'flushTlbPage', k, args: [{ mm, address: 0x3000n }] },
      { hook: 'walkPageTable', k, args: [{ mm, address: 0x4000n }] },
    ]);
    for (const call of calls) expect(call.k).toBe(k);
  });

  test('the reference fault handler hands a COW write to the installed cowBreak through k.hooks', () => {
    const seen: number[] = [];
    const kernel = new Kernel({
      frames: 256,
      hooks: {
        cowBreak: (k, f, pfn) => {
          seen.push(pfn);
          return referenceHooks.cowBreak(k, f, pfn);
        },
      },
    });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    kernel.access(pid, r.address, 'write', 1);
    const child = kernel.fork(pid).pid;
    expect(kernel.access(child, r.address, 'write', 2).faults.map((x) => x.resolution)).toEqual(['cow-copy']);
    expect(seen).toHaveLength(1);
  });
});

test('hookApiFacts tells a checker the frames, mms and tasks behind an API object, and nothing for others', () => {
  const kernel = new Kernel({ frames: 128 });
  const pid = kernel.spawn('app').pid;
  const mm = kernel.task(pid).mm!.id;
  for (const api of [kernel.api, kernel.uaccessApi]) {
    const facts = hookApiFacts(api)!;
    expect(facts.frames).toBe(128);
    expect([facts.mmExists(mm), facts.mmExists(999)]).toEqual([true, false]);
    expect([facts.taskExists(pid), facts.taskExists(999)]).toEqual([true, false]);
  }
  expect(hookApiFacts({ ...kernel.api })).toBeNull();
});

test('the facade holds only its state: what it shows are the state’s own objects, live', () => {
  const kernel = new Kernel({ frames: 128 });
  expect(Object.keys(kernel)).toEqual(['state']);
  const before = kernel.tasks.size;
  kernel.spawn('another');
  expect(kernel.tasks.size).toBe(before + 1);
  expect(kernel.frames).toBe(kernel.frames);
  expect(kernel.stats.swapOuts).toBe(0);
});
