// Learner hooks, transpiled from TypeScript, running in the sandbox and
// driving a real Kernel through the bridge.

import { createSandbox, type Sandbox, transpile } from '@faultline/sandbox';
import { checkInvariants, Kernel, type KernelHooks } from '@faultline/vm-core';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type BridgedHookName,
  createKernelBridge,
  GUEST_KERNEL_METHODS,
  GUEST_UACCESS_METHODS,
  LearnerHookFailure,
  learnerHooks,
  loadLearnerHooks,
  RENAMED_KERNEL_METHODS,
} from '../src/kernel-bridge/index.ts';

const RW = { read: true, write: true, exec: false };
const FRAMES = 256;

const open: Sandbox[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function hooksFrom(source: string, names: BridgedHookName[], cpuMsPerCall = 1_000) {
  const compiled = await transpile(source);
  if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled.errors));
  const loaded = await loadLearnerHooks(compiled.code, names, {
    // Frozen: only the step budget may stop a hook here, however busy the machine.
    clock: () => 0,
    limits: { cpuMsPerCall, cpuMsTotal: 60_000 },
  });
  open.push(loaded.sandbox);
  if (loaded.kind !== 'ok') throw new Error(JSON.stringify(loaded.failure));
  return loaded;
}

function kernelWith(hooks: Partial<KernelHooks>, pages = 4, frames = FRAMES) {
  const kernel = new Kernel({ frames, hooks });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: pages * 4096, prot: RW });
  if (r.kind !== 'ok') throw new Error('mmap');
  return { kernel, pid, addr: r.address };
}

const CORRECT_ANON = `
  // do_anonymous_page
  export function anonymousFault(f: FaultInfo, vma: VmaInfo): FaultOutcome {
    if (!f.write && !vma.shared) {
      kernel.mapPage(f.mm!, f.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
      return { kind: 'resolved', resolution: 'zero-page' };
    }
    const pfn: number = kernel.allocPage();
    if (pfn < 0) return { kind: 'oom' };
    kernel.clearPage(pfn);
    kernel.mapPage(f.mm!, f.address, pfn, { writable: vma.write, exec: vma.exec, dirty: f.write });
    return { kind: 'resolved', resolution: 'demand-zero' };
  }
  type FaultInfo = { address: number; write: boolean; mm: number | null };
  type VmaInfo = { write: boolean; exec: boolean; shared: boolean };
  type FaultOutcome = { kind: string; resolution?: string };
  declare const kernel: any;
`;

/** The anonymous-memory scenario: reads of untouched pages, writes, read-backs. */
function anonScenario(hooks: Partial<KernelHooks>) {
  const { kernel, pid, addr } = kernelWith(hooks);
  const steps = [
    kernel.access(pid, addr, 'read'),
    kernel.access(pid, addr + 4096 + 8, 'write', 0x42),
    kernel.access(pid, addr + 4096 + 8, 'read'),
    kernel.access(pid, addr, 'write', 7), // zero page → COW (reference cowBreak)
    kernel.access(pid, addr, 'read'),
    kernel.access(pid, addr + 3 * 4096, 'read'),
  ];
  return {
    kernel,
    trace: steps.map((s) => ({
      kind: s.kind,
      value: 'value' in s ? s.value : undefined,
      faults: s.faults.map((f) => f.resolution),
    })),
  };
}

describe('learner anonymousFault', () => {
  test('a correct one behaves as the reference: demand-zero, zero page, values read back', async () => {
    const { hooks } = await hooksFrom(CORRECT_ANON, ['anonymousFault']);
    expect(Object.keys(hooks)).toEqual(['anonymousFault']);
    const learner = anonScenario(hooks);
    const reference = anonScenario({});
    expect(learner.trace).toEqual(reference.trace);
    expect(learner.trace.flatMap((s) => s.faults)).toEqual(
      expect.arrayContaining(['zero-page', 'demand-zero', 'cow-copy']),
    );
    expect(learner.trace[2]!.value).toBe(0x42);
    expect(learner.trace[4]!.value).toBe(7);
    expect(learner.trace[5]!.value).toBe(0);
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });

  test('one that forgets clearPage leaks old data into a new mapping', async () => {
    const { hooks } = await hooksFrom(
      `export function anonymousFault(f, vma) {
         const pfn = kernel.allocPage();
         kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: vma.exec, dirty: true });
         return { kind: 'resolved', resolution: 'demand-zero' };
       }`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    kernel.access(pid, addr + 100, 'write', 0x5e);
    kernel.munmap(pid, addr, 4096);
    expect(kernel.mmap(pid, { address: addr, length: 4096, prot: RW, fixed: true }).kind).toBe('ok');
    kernel.access(pid, addr, 'write', 1);
    expect(kernel.access(pid, addr + 100, 'read')).toMatchObject({ value: 0x5e });
  });

  test('one returning garbage gets a clear error naming the expected shape', async () => {
    const { hooks } = await hooksFrom(
      `export function anonymousFault(f, vma) {
         const pfn = kernel.allocPage();
         kernel.clearPage(pfn);
         kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: false, dirty: true });
         return { kind: 'resolvd' };
       }`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    let caught: unknown;
    try {
      kernel.access(pid, addr, 'write', 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LearnerHookFailure);
    const failure = caught as LearnerHookFailure;
    expect(failure.hook).toBe('anonymousFault');
    expect(failure.verdict.kind).toBe('invalid-result');
    expect(failure.message).toContain(
      `anonymousFault returned {"kind":"resolvd"} — expected {kind:'resolved', resolution:…} | {kind:'signal'`,
    );
    expect(failure.message).toContain(`kind "resolvd" is not one of 'resolved'`);
  });

  test.each([
    ['NaN', 'NaN', 'mapPage: pfn NaN is not a safe integer'],
    ['a huge pfn', '70000', `mapPage: pfn 70000 is beyond physical memory (0..${FRAMES - 1})`],
    ['a string', '"3"', 'mapPage: pfn must be a number, got "3"'],
    ['a negative pfn', '-1', `mapPage: pfn -1 is beyond physical memory (0..${FRAMES - 1})`],
  ])(
    'one passing %s to mapPage gets a clear argument error; the kernel stays consistent',
    async (_what, bad, message) => {
      const { hooks, sandbox } = await hooksFrom(
        `const seen: string[] = [];
       export function messages() { return seen; }
       export function anonymousFault(f: any, vma: any) {
         const pfn = kernel.allocPage();
         kernel.clearPage(pfn);
         try {
           kernel.mapPage(f.mm, f.address, ${bad}, { writable: true, exec: false, dirty: true });
         } catch (e) {
           seen.push((e as Error).message);
         }
         if (seen.length === 1) kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: false, dirty: true });
         else kernel.mapPage(f.mm, f.address, ${bad}, { writable: true, exec: false, dirty: true });
         return { kind: 'resolved', resolution: 'demand-zero' };
       }
       declare const kernel: any;`,
        ['anonymousFault'],
      );
      const { kernel, pid, addr } = kernelWith(hooks);
      // First fault: the learner catches the error and then maps correctly.
      expect(kernel.access(pid, addr, 'write', 9)).toMatchObject({
        kind: 'ok',
        faults: [{ resolution: 'demand-zero' }],
      });
      const seen = sandbox.call('messages');
      expect(seen).toEqual({ kind: 'ok', value: [expect.stringContaining(message)] });
      expect(checkInvariants(kernel)).toEqual([]);
      // Second fault: the error escapes the hook and becomes a LearnerHookFailure.
      expect(() => kernel.access(pid, addr + 4096, 'write', 1)).toThrow(LearnerHookFailure);
      try {
        kernel.access(pid, addr + 4096, 'write', 1);
      } catch (error) {
        expect((error as LearnerHookFailure).verdict).toMatchObject({
          kind: 'error',
          message: expect.stringContaining(message),
        });
      }
      // The frames the learner allocated before failing are leaked (refcount 1, unmapped), as in
      // Linux; nothing in the page tables or frame database is inconsistent.
      expect(checkInvariants(kernel).filter((p) => !/leak|refcount/i.test(p))).toEqual([]);
      expect(kernel.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 9 });
    },
  );

  test('bad arity, bad options and a kernel-side misuse are guest errors', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `const seen: string[] = [];
       export function messages() { return seen; }
       const attempt = (fn: () => unknown) => { try { fn(); } catch (e) { seen.push((e as Error).message); } };
       export function anonymousFault(f: any, vma: any) {
         attempt(() => kernel.allocPage(3));
         attempt(() => kernel.mapPage(f.mm, f.address, 1));
         attempt(() => kernel.mapPage(f.mm, f.address, 1, { writeable: true, exec: false }));
         attempt(() => kernel.mapPage(f.mm, f.address, 1, { writable: 1, exec: false }));
         attempt(() => kernel.mapPage(99, f.address, 1, { writable: true, exec: false }));
         attempt(() => kernel.clearPage(kernel.zeroPfn()));
         const pfn = kernel.allocPage();
         kernel.clearPage(pfn);
         kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: false, dirty: true });
         attempt(() => kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: false }));
         return { kind: 'resolved', resolution: 'demand-zero' };
       }
       declare const kernel: any;`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    expect(kernel.access(pid, addr, 'write', 1).kind).toBe('ok');
    const seen = sandbox.call('messages');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    expect(seen.value).toEqual([
      expect.stringContaining('allocPage takes no arguments'),
      expect.stringContaining('mapPage takes 4 arguments (mm, address, pfn, options), got 3'),
      expect.stringContaining(
        'mapPage: options must be {writable: boolean, exec: boolean, dirty?: boolean}: unknown field "writeable"',
      ),
      expect.stringContaining('mapPage: options.writable must be a boolean, got 1'),
      expect.stringContaining('mapPage: mm 99 does not exist'),
      expect.stringContaining('clear_page on the shared zero page'),
      expect.stringContaining('a PTE is already there'),
    ]);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a FaultInfo handed back must name an architecture the kernel runs on', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `let seen = '';
       export function message() { return seen; }
       export function anonymousFault(f: any, vma: any) {
         try { kernel.fileFault({ ...f, arch: 'sparc' }); } catch (e) { seen = (e as Error).message; }
         const pfn = kernel.allocPage();
         kernel.clearPage(pfn);
         kernel.mapPage(f.mm, f.address, pfn, { writable: true, exec: false, dirty: true });
         return { kind: 'resolved', resolution: 'demand-zero' };
       }
       declare const kernel: any;`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    expect(kernel.access(pid, addr, 'write', 1).kind).toBe('ok');
    const seen = sandbox.call('message');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    expect(seen.value).toContain(`fileFault: fault: arch "sparc" is not one of 'x86-64' | 'x86-32'`);
  });

  test('an infinite loop is a timeout verdict, and the host stays usable', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `export function anonymousFault() { for (;;) {} }
       export function ping() { return 'pong'; }`,
      ['anonymousFault'],
      100,
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    let caught: unknown;
    try {
      kernel.access(pid, addr, 'write', 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LearnerHookFailure);
    expect((caught as LearnerHookFailure).verdict).toEqual({
      kind: 'timeout',
      limit: 'cpu',
      budget: 'call',
      ms: 100,
    });
    expect((caught as LearnerHookFailure).message).toBe(
      'anonymousFault: ran out of time (it used up the per-call CPU budget of 100 ms, counted in interpreter steps so that every machine gives the same verdict; is there an endless loop?)',
    );
    expect(checkInvariants(kernel)).toEqual([]);
    expect(sandbox.call('ping')).toEqual({ kind: 'ok', value: 'pong' });
    const fresh = kernelWith({});
    expect(fresh.kernel.access(fresh.pid, fresh.addr, 'write', 3).kind).toBe('ok');
  });

  test('the guest API is bound to the kernel of each call', async () => {
    const { hooks } = await hooksFrom(CORRECT_ANON, ['anonymousFault']);
    const a = kernelWith(hooks, 4, 128);
    const b = kernelWith(hooks, 4, 256);
    a.kernel.access(a.pid, a.addr, 'write', 1);
    b.kernel.access(b.pid, b.addr, 'write', 2);
    expect(a.kernel.access(a.pid, a.addr, 'read')).toMatchObject({ value: 1 });
    expect(b.kernel.access(b.pid, b.addr, 'read')).toMatchObject({ value: 2 });
    expect(checkInvariants(a.kernel)).toEqual([]);
    expect(checkInvariants(b.kernel)).toEqual([]);
  });

  test('a hook reached from another hook of the same sandbox runs nested, as in the kernel', async () => {
    const { hooks } = await hooksFrom(
      `export function pageFault(f: any) {
         const found = kernel.vmaForFault(f.mm, f.address);
         return kernel.hooks.anonymousFault(f, found.vma);
       }
       ${CORRECT_ANON}`,
      ['pageFault', 'anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    const w = kernel.access(pid, addr, 'write', 1);
    expect(w).toMatchObject({ kind: 'ok' });
    expect(w.faults.map((f) => f.resolution)).toEqual(['demand-zero']);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 1 });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('hooks that call each other through the kernel without end get a verdict saying so', async () => {
    const { hooks } = await hooksFrom(
      `export function anonymousFault(f: any, vma: any) { return kernel.hooks.anonymousFault(f, vma); }
       declare const kernel: any;`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    const caught = thrownBy(() => kernel.access(pid, addr, 'write', 1));
    expect(caught).toBeInstanceOf(LearnerHookFailure);
    expect((caught as LearnerHookFailure).verdict.kind).toBe('nested-too-deep');
    expect((caught as LearnerHookFailure).message).toMatch(
      /^anonymousFault: was called through the kernel while your anonymousFault was still running, 8 calls deep: your hooks keep calling each other through the kernel without end$/,
    );
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe('kernel.hooks: the installed hooks, in the guest', () => {
  test('the allow-list is exactly the API a hook is handed: its methods, and kernel.hooks.* for its hooks group', () => {
    const { kernel } = kernelWith({});
    const { hooks, ...methods } = kernel.api;
    expect(Object.keys(GUEST_KERNEL_METHODS).sort()).toEqual(
      [...Object.keys(methods), ...Object.keys(hooks).map((name) => `hooks.${name}`)].sort(),
    );
    expect(Object.keys(GUEST_UACCESS_METHODS).sort()).toEqual(Object.keys(kernel.uaccessApi).sort());
    // Every old name points at a method there is, and none is a name still in use.
    for (const [old, now] of Object.entries(RENAMED_KERNEL_METHODS)) {
      expect(Object.hasOwn(GUEST_KERNEL_METHODS, now), now).toBe(true);
      expect(Object.hasOwn(GUEST_KERNEL_METHODS, old), old).toBe(false);
    }
  });

  test('a method called by its old name is an error that gives the new name and what it means', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `const seen: string[] = [];
       export function messages() { return seen; }
       const attempt = (fn: () => unknown) => { try { fn(); seen.push('no error'); } catch (e) { seen.push((e as Error).message); } };
       export function pageFault(f: any) {
         attempt(() => kernel.readPte(f.mm, f.address));
         attempt(() => kernel.cowBreak(f, 1));
         attempt(() => kernel.flushTlbPage(f.mm, f.address));
         attempt(() => kernel.anonymousFault(f, {}));
         attempt(() => kernel.swapIn(f));
         attempt(() => kernel.exceptionFixup(f));
         attempt(() => kernel.vmallocFault(f));
         attempt(() => kernel.noSuchMethod());
         const found = kernel.vmaForFault(f.mm, f.address);
         return kernel.hooks.anonymousFault(f, found.vma);
       }
       declare const kernel: any;`,
      ['pageFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    expect(kernel.access(pid, addr, 'write', 1)).toMatchObject({ kind: 'ok' });
    const seen = sandbox.call('messages');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    const renamed = (old: string, now: string) =>
      expect.stringContaining(
        `kernel.${old} was renamed: call kernel.${now} instead. A call under kernel.hooks runs whatever hook of that name is installed (the reference, or a learner’s), so learner code may run there`,
      );
    expect(seen.value).toEqual([
      renamed('readPte', 'hooks.walkPageTable(mm, address)'),
      renamed('cowBreak', 'hooks.cowBreak(fault, pfn)'),
      renamed('flushTlbPage', 'hooks.flushTlbPage(mm, address)'),
      renamed('anonymousFault', 'hooks.anonymousFault(fault, vma)'),
      renamed('swapIn', 'hooks.swapIn(fault)'),
      renamed('exceptionFixup', 'hooks.exceptionFixup(fault)'),
      renamed('vmallocFault', 'hooks.vmallocFault(fault)'),
      // A name that never existed is the engine's own TypeError.
      expect.stringContaining('not a function'),
    ]);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('kernel.hooks.* runs the installed hooks, with their arguments checked like any method', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `const seen: string[] = [];
       export function messages() { return seen; }
       const attempt = (fn: () => unknown) => { try { fn(); } catch (e) { seen.push((e as Error).message); } };
       export function pageFault(f: any) {
         attempt(() => kernel.hooks.walkPageTable(99, f.address));
         attempt(() => kernel.hooks.cowBreak(f, 1e6));
         attempt(() => kernel.hooks.swapIn());
         seen.push(JSON.stringify(kernel.hooks.walkPageTable(f.mm, f.address)));
         const found = kernel.vmaForFault(f.mm, f.address);
         return kernel.hooks.anonymousFault(f, found.vma);
       }
       ${CORRECT_ANON}`,
      ['pageFault', 'anonymousFault'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    const w = kernel.access(pid, addr, 'write', 1);
    expect(w.faults.map((f) => f.resolution)).toEqual(['demand-zero']);
    const seen = sandbox.call('messages');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    expect(seen.value).toEqual([
      expect.stringContaining('hooks.walkPageTable: mm 99 does not exist'),
      expect.stringContaining(`hooks.cowBreak: pfn 1000000 is beyond physical memory (0..${FRAMES - 1})`),
      expect.stringContaining('hooks.swapIn takes 1 argument (fault), got 0'),
      JSON.stringify({ kind: 'none' }),
    ]);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 1 });
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe('learner cowBreak', () => {
  const CORRECT_COW = `
    export function cowBreak(f: any, pfn: number) {
      const mm = f.mm;
      kernel.tryFreeSwap(pfn);
      const page = kernel.pageInfo(pfn);
      if (!page.zero && !page.file && page.refcount === 1) {
        kernel.makeWritable(mm, f.address);
        return { kind: 'resolved', resolution: 'cow-reuse' };
      }
      kernel.getPage(pfn);
      try {
        const copy = kernel.allocPage();
        if (copy < 0) return { kind: 'oom' };
        if (page.zero) kernel.clearPage(copy);
        else kernel.copyPage(pfn, copy);
        const vma = kernel.findVma(mm, f.address);
        kernel.replacePage(mm, f.address, copy, { writable: true, exec: vma.exec, dirty: true });
        return { kind: 'resolved', resolution: 'cow-copy' };
      } finally {
        kernel.putPage(pfn);
      }
    }
    declare const kernel: any;`;

  function forkScenario(hooks: Partial<KernelHooks>) {
    const { kernel, pid, addr } = kernelWith(hooks);
    kernel.access(pid, addr, 'write', 1);
    const child = kernel.fork(pid).pid;
    const steps = [
      kernel.access(child, addr, 'write', 2), // shared: copy
      kernel.access(pid, addr, 'write', 3), // the parent is the only user left: reuse
      kernel.access(child, addr, 'read'),
      kernel.access(pid, addr, 'read'),
    ];
    const trace = steps.map((s) => ({
      value: 'value' in s ? s.value : undefined,
      faults: s.faults.map((f) => f.resolution),
    }));
    return { kernel, trace };
  }

  test('a correct one behaves as the reference on fork + write: cow-copy, then cow-reuse', async () => {
    const { hooks } = await hooksFrom(CORRECT_COW, ['cowBreak']);
    const learner = forkScenario(hooks);
    expect(learner.trace).toEqual(forkScenario({}).trace);
    expect(learner.trace.map((s) => s.faults)).toEqual([['cow-copy'], ['cow-reuse'], [], []]);
    expect(learner.trace.slice(2).map((s) => s.value)).toEqual([2, 3]);
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });
});

describe('many calls', () => {
  // Throughput is measured by the benchmarks (`pnpm --filter @faultline/sandbox bench`), not here.
  test('a learner hook serves 1000 first touches as the reference does', async () => {
    const { hooks } = await hooksFrom(CORRECT_ANON, ['anonymousFault']);
    const pages = 1000;
    const { kernel, pid, addr } = kernelWith(hooks, pages, 2048);
    const ref = kernelWith({}, pages, 2048);
    for (let i = 0; i < pages; i++) {
      expect(kernel.access(pid, addr + i * 4096, 'write', i & 0xff).kind).toBe('ok');
      ref.kernel.access(ref.pid, ref.addr + i * 4096, 'write', i & 0xff);
    }
    expect(kernel.task(pid).mm!.rss).toBe(pages);
    expect(kernel.task(pid).mm!.rss).toBe(ref.kernel.task(ref.pid).mm!.rss);
    expect(kernel.access(pid, addr + 999 * 4096, 'read')).toMatchObject({ value: 999 & 0xff });
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

test('learnerHooks with an explicit bridge leaves out hooks the learner does not export', async () => {
  const compiled = await transpile(CORRECT_ANON);
  if (compiled.kind !== 'ok') throw new Error('compile');
  const bridge = createKernelBridge();
  const sandbox = await createSandbox({ hostApi: bridge.hostApi, clock: () => 0 });
  open.push(sandbox);
  const load = sandbox.load(compiled.code);
  if (load.kind !== 'ok') throw new Error(JSON.stringify(load));
  const hooks = learnerHooks(sandbox, ['anonymousFault', 'cowBreak'], { bridge, exports: load.exports });
  expect(Object.keys(hooks)).toEqual(['anonymousFault']);
  const other = await createSandbox({ hostApi: bridge.hostApi, clock: () => 0 });
  open.push(other);
  expect(() => learnerHooks(other, ['anonymousFault'], { bridge, exports: load.exports })).toThrow(
    /one bridge per sandbox/,
  );
});

describe('results of other hooks are checked too', () => {
  test('walkPageTable: a PteInfo with a pfn beyond memory', async () => {
    const { hooks } = await hooksFrom(
      `export function walkPageTable(req) {
         return { kind: 'present', pfn: 1e6, writable: true, user: true, exec: false, accessed: true, dirty: true };
       }`,
      ['walkPageTable'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    expect(() => kernel.access(pid, addr, 'write', 1)).toThrow(
      /walkPageTable returned .* — expected \{kind:'none'\} \| .* \(pfn 1000000 is beyond physical memory \(0\.\.255\)\)/,
    );
  });

  test('reclaimDecision: a string that is not a decision; the kernel is unusable outside a hook', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `export function reclaimDecision(k, page) { return 'maybe'; }
       export function outside() { return kernel.zeroPfn(); }`,
      ['reclaimDecision'],
    );
    const { kernel, pid, addr } = kernelWith(hooks);
    kernel.access(pid, addr, 'write', 1);
    expect(() => kernel.reclaim(1)).toThrow(
      `reclaimDecision returned "maybe" — expected 'reclaim' | 'activate' | 'keep'`,
    );
    expect(sandbox.call('outside')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('zeroPfn: the kernel can only be used while a hook runs'),
    });
  });
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}
