// Learner copy_from_user / copy_to_user, transpiled from TypeScript, running
// in the sandbox and driving a real Kernel through the bridge's UaccessApi.

import { type Sandbox, transpile } from '@faultline/sandbox';
import {
  type CopyOutcome,
  checkInvariants,
  Kernel,
  type KernelHooks,
  referenceCopyFromUser,
  type UaccessApi,
} from '@faultline/vm-core';
import { afterEach, describe, expect, test } from 'vitest';
import {
  BRIDGED_HOOKS,
  type BridgedHookName,
  LearnerHookFailure,
  loadLearnerHooks,
} from '../src/kernel-bridge/index.ts';

const RW = { read: true, write: true, exec: false };
const RO = { read: true, write: false, exec: false };
const FRAMES = 256;
const PAGE = 4096;

const open: Sandbox[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function hooksFrom(source: string, names: BridgedHookName[] = ['copyFromUser', 'copyToUser']) {
  const compiled = await transpile(source);
  if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled.errors));
  const loaded = await loadLearnerHooks(compiled.code, names, {
    // Frozen: only the step budget may stop a hook here, however busy the machine.
    clock: () => 0,
    limits: { cpuMsPerCall: 1_000, cpuMsTotal: 60_000 },
  });
  open.push(loaded.sandbox);
  if (loaded.kind !== 'ok') throw new Error(JSON.stringify(loaded.failure));
  return loaded;
}

function boot(hooks: Partial<KernelHooks>, pages = 2) {
  const kernel = new Kernel({ frames: FRAMES, hooks });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: pages * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error('mmap');
  return { kernel, pid, addr: r.address };
}

/** Fails the test with the learner's verdict if `fn` throws a LearnerHookFailure, else returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}

interface Bugs {
  /** Never opens the user-access window (no stac). */
  readonly forgetBegin?: boolean;
  /** Never closes it (no clac). */
  readonly forgetEnd?: boolean;
  /** copy_from_user leaves the uncopied tail of the kernel buffer as it was. */
  readonly forgetZeroTail?: boolean;
  /** Loads and stores user memory with ip 0 instead of the copy instruction (no exception-table entry). */
  readonly wrongIp?: boolean;
}

/** A learner's uaccess.ts: the reference algorithm, written against the guest's `kernel`, with optional bugs. */
function learnerSource(bugs: Bugs = {}): string {
  const begin = bugs.forgetBegin ? '' : 'kernel.userAccessBegin(c.pid);';
  const end = bugs.forgetEnd ? '' : 'kernel.userAccessEnd(c.pid);';
  const zeroTail = bugs.forgetZeroTail ? '' : 'zeroTail(c, copied);';
  const zeroAll = bugs.forgetZeroTail ? '' : 'zeroTail(c, 0);';
  const ip = bugs.wrongIp ? '0n' : 'kernel.copyInstruction()';
  return `
    type UserCopy = { pid: number; kernelAddress: bigint; userAddress: bigint; length: number };
    type ByteAccess = { kind: 'ok'; value: number } | { kind: 'fixup' } | { kind: 'oops'; report: string };
    type Result = { notCopied: number; errno: 'EFAULT' | null; oops: string | null };
    declare const kernel: any;

    function zeroTail(c: UserCopy, from: number): void {
      for (let i = from; i < c.length; i++) kernel.storeByte(c.pid, c.kernelAddress + BigInt(i), 0, 0n);
    }

    export function copyFromUser(c: UserCopy): Result {
      if (!kernel.accessOk(c.userAddress, c.length)) {
        ${zeroAll}
        return { notCopied: c.length, errno: 'EFAULT', oops: null };
      }
      const ip: number = ${ip};
      let copied = 0;
      let oops: string | null = null;
      ${begin}
      try {
        for (; copied < c.length; copied++) {
          const byte: ByteAccess = kernel.loadByte(c.pid, c.userAddress + BigInt(copied), ip);
          if (byte.kind === 'oops') oops = byte.report;
          if (byte.kind !== 'ok') break;
          kernel.storeByte(c.pid, c.kernelAddress + BigInt(copied), byte.value, 0n);
        }
      } finally {
        ${end}
      }
      if (oops !== null) return { notCopied: c.length - copied, errno: 'EFAULT', oops };
      ${zeroTail}
      return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops: null };
    }

    export function copyToUser(c: UserCopy): Result {
      if (!kernel.accessOk(c.userAddress, c.length)) return { notCopied: c.length, errno: 'EFAULT', oops: null };
      const ip: number = ${ip};
      let copied = 0;
      let oops: string | null = null;
      ${begin}
      try {
        for (; copied < c.length; copied++) {
          const byte: ByteAccess = kernel.loadByte(c.pid, c.kernelAddress + BigInt(copied), 0n);
          if (byte.kind !== 'ok') break;
          const stored: ByteAccess = kernel.storeByte(c.pid, c.userAddress + BigInt(copied), byte.value, ip);
          if (stored.kind === 'oops') oops = stored.report;
          if (stored.kind !== 'ok') break;
        }
      } finally {
        ${end}
      }
      return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops };
    }
  `;
}

/**
 * Every kind of copy: a full one, one that demand-faults, one that runs into
 * an unmapped page (after a copy that left data in the kmalloc buffer), a
 * kernel pointer, a kernel thread, and copy_to_user through demand paging,
 * into an unmapped page, a read-only page and a kernel address.
 */
function copyScenario(hooks: Partial<KernelHooks>) {
  const { kernel, pid, addr } = boot(hooks, 3);
  const ro = kernel.mmap(pid, { length: PAGE, prot: RO });
  if (ro.kind !== 'ok') throw new Error('mmap');
  kernel.munmap(pid, addr + 2 * PAGE, PAGE); // the third page: a hole
  for (let i = 0; i < 16; i++) kernel.access(pid, addr + 100 + i, 'write', i + 1);
  const edge = addr + 2 * PAGE - 6;
  for (let i = 0; i < 6; i++) kernel.access(pid, edge + i, 'write', 0xa0 + i);
  const kworker = kernel.kthread('kworker').pid;
  const outcomes: Record<string, CopyOutcome> = {
    full: kernel.copyFromUser(pid, addr + 100, 16),
    straddle: kernel.copyFromUser(pid, edge, 16),
    lazy: kernel.copyFromUser(pid, addr + PAGE + 8, 8),
    unmapped: kernel.copyFromUser(pid, addr + 2 * PAGE, 8),
    kernelPointer: kernel.copyFromUser(pid, kernel.directMapAddress(5), 4),
    kernelThread: kernel.copyFromUser(kworker, addr + 100, 8),
    kernelThreadHole: kernel.copyFromUser(kworker, addr + 2 * PAGE, 8),
    toUser: kernel.copyToUser(pid, addr + 4, [7, 8, 9]),
    toUserStraddle: kernel.copyToUser(pid, addr + 2 * PAGE - 2, [1, 2, 3, 4]),
    toReadOnly: kernel.copyToUser(pid, ro.address, [1]),
    toKernel: kernel.copyToUser(pid, kernel.directMapAddress(5), [1]),
  };
  const readBack = [addr + 4, addr + 5, addr + 6, addr + 2 * PAGE - 2, addr + 2 * PAGE - 1].map((a) => {
    const r = kernel.access(pid, a, 'read');
    return r.kind === 'ok' ? r.value : r.kind;
  });
  return { kernel, pid, outcomes, readBack, alive: kernel.task(pid).alive };
}

const summary = (r: CopyOutcome) => ({
  notCopied: r.notCopied,
  errno: r.errno,
  oops: r.oops,
  data: r.data,
  faults: r.faults.map((f) => f.resolution),
});

describe('learner copyFromUser / copyToUser', () => {
  test('both hooks are bridged', () => {
    expect(BRIDGED_HOOKS).toEqual(expect.arrayContaining(['copyFromUser', 'copyToUser']));
  });

  test('a correct pair behaves exactly as the reference on every kind of copy', async () => {
    const { hooks } = await hooksFrom(learnerSource());
    expect(Object.keys(hooks).sort()).toEqual(['copyFromUser', 'copyToUser']);
    const learner = copyScenario(hooks);
    const reference = copyScenario({});
    // Whole outcomes, fault records included.
    expect(learner.outcomes).toEqual(reference.outcomes);
    expect(learner.readBack).toEqual(reference.readBack);
    expect(learner.alive).toBe(true);
    const o = learner.outcomes;
    expect(summary(o.full!)).toEqual({
      notCopied: 0,
      errno: null,
      oops: null,
      data: [...Array(16).keys()].map((i) => i + 1),
      faults: [],
    });
    // Six bytes copied, then the fault on the hole goes to the fixup; the tail is zeroed.
    expect(summary(o.straddle!)).toEqual({
      notCopied: 10,
      errno: 'EFAULT',
      oops: null,
      data: [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, ...Array(10).fill(0)],
      faults: ['exception-fixup'],
    });
    expect(summary(o.lazy!)).toMatchObject({ notCopied: 0, errno: null, faults: [] });
    expect(summary(o.unmapped!)).toMatchObject({
      notCopied: 8,
      errno: 'EFAULT',
      data: Array(8).fill(0),
      faults: ['exception-fixup'],
    });
    // access_ok refuses a kernel pointer: no access at all.
    expect(summary(o.kernelPointer!)).toEqual({
      notCopied: 4,
      errno: 'EFAULT',
      oops: null,
      data: [0, 0, 0, 0],
      faults: [],
    });
    // A kernel thread has no mm, but runs lazily on the tables CPU 0 has loaded (the app's): the
    // pages are present, so no fault ever asks whose memory it is, and it reads the app's bytes.
    expect(summary(o.kernelThread!)).toEqual({
      notCopied: 0,
      errno: null,
      oops: null,
      data: [1, 2, 3, 4, 5, 6, 7, 8],
      faults: [],
    });
    // Where it does fault, the handler finds no mm: a bad area, which the fixup turns into -EFAULT.
    expect(summary(o.kernelThreadHole!)).toEqual({
      notCopied: 8,
      errno: 'EFAULT',
      oops: null,
      data: Array(8).fill(0),
      faults: ['exception-fixup'],
    });
    expect(summary(o.toUser!)).toMatchObject({ notCopied: 0, errno: null, faults: [] });
    expect(summary(o.toUserStraddle!)).toMatchObject({
      notCopied: 2,
      errno: 'EFAULT',
      faults: ['exception-fixup'],
    });
    expect(summary(o.toReadOnly!)).toMatchObject({
      notCopied: 1,
      errno: 'EFAULT',
      oops: null,
      faults: ['exception-fixup'],
    });
    expect(summary(o.toKernel!)).toMatchObject({ notCopied: 1, errno: 'EFAULT', faults: [] });
    expect(learner.readBack).toEqual([7, 8, 9, 1, 2]);
    // The user-access window is closed again.
    expect(learner.kernel.cpu(0).mmu.control.alignmentCheck).toBe(false);
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });

  test('copy_from_user demand-faults an untouched page, like the reference', async () => {
    const { hooks } = await hooksFrom(learnerSource());
    const run = (h: Partial<KernelHooks>) => {
      const { kernel, pid, addr } = boot(h);
      return { kernel, r: kernel.copyFromUser(pid, addr + PAGE, 8) };
    };
    const learner = run(hooks);
    expect(learner.r).toEqual(run({}).r);
    expect(summary(learner.r)).toEqual({
      notCopied: 0,
      errno: null,
      oops: null,
      data: Array(8).fill(0),
      faults: ['zero-page'],
    });
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });

  test('copy_to_user demand-faults and writes through', async () => {
    const { hooks } = await hooksFrom(learnerSource(), ['copyToUser']);
    const { kernel, pid, addr } = boot(hooks);
    const r = kernel.copyToUser(pid, addr + PAGE - 1, [0x11, 0x22]);
    expect(summary(r)).toEqual({
      notCopied: 0,
      errno: null,
      oops: null,
      data: [],
      faults: ['demand-zero', 'demand-zero'],
    });
    expect(kernel.access(pid, addr + PAGE - 1, 'read')).toMatchObject({ value: 0x11 });
    expect(kernel.access(pid, addr + PAGE, 'read')).toMatchObject({ value: 0x22 });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('SMAP: forgetting userAccessBegin is the oops the reference kernel gives, and kills the task', async () => {
    const { hooks } = await hooksFrom(learnerSource({ forgetBegin: true }));
    // The reference algorithm with stac left out, on the host.
    const noStac: KernelHooks['copyFromUser'] = (k, c) => {
      const u: UaccessApi = {
        accessOk: (a, n) => k.accessOk(a, n),
        userAccessBegin: () => {},
        userAccessEnd: (p) => k.userAccessEnd(p),
        loadByte: (p, a, ip) => k.loadByte(p, a, ip),
        storeByte: (p, a, v, ip) => k.storeByte(p, a, v, ip),
        copyInstruction: k.copyInstruction,
      };
      return referenceCopyFromUser(u, c);
    };
    const run = (h: Partial<KernelHooks>) => {
      const { kernel, pid, addr } = boot(h);
      kernel.access(pid, addr, 'write', 1);
      return { kernel, pid, r: kernel.copyFromUser(pid, addr, 4) };
    };
    const learner = run(hooks);
    const reference = run({ copyFromUser: noStac });
    expect(learner.r).toEqual(reference.r);
    expect(learner.r).toMatchObject({ notCopied: 4, errno: 'EFAULT' });
    expect(learner.r.oops).toContain('BUG: unable to handle page fault');
    expect(learner.r.oops).toContain('SMAP violation: kernel accessed user memory without stac');
    expect(learner.r.faults.map((f) => f.resolution)).toEqual(['oops']);
    // The exception table is not consulted for a SMAP fault: the task dies.
    expect(learner.kernel.task(learner.pid).alive).toBe(false);
    expect(learner.kernel.task(learner.pid).death).toEqual({ oops: learner.r.oops });
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });

  test('forgetting userAccessEnd copies correctly but leaves SMAP off: later kernel bugs go unnoticed', async () => {
    const { hooks } = await hooksFrom(learnerSource({ forgetEnd: true }));
    const run = (h: Partial<KernelHooks>) => {
      const { kernel, pid, addr } = boot(h);
      kernel.access(pid, addr, 'write', 0x33);
      const r = kernel.copyFromUser(pid, addr, 4);
      const windowOpen = kernel.cpu(0).mmu.control.alignmentCheck;
      // A context switch saves and restores each task's own EFLAGS.AC (as Linux does): the window is still open when pid runs again.
      const other = kernel.spawn('other').pid;
      kernel.switchTo(0, other);
      kernel.switchTo(0, pid);
      const openAfterSwitch = kernel.cpu(0).mmu.control.alignmentCheck;
      // A kernel bug: a plain kernel-mode load of a user address, outside any uaccess routine.
      const stray = kernel.kernelAccess(0, addr, 'read');
      return { kernel, pid, addr, r, windowOpen, openAfterSwitch, stray };
    };
    const learner = run(hooks);
    const reference = run({});
    // The copy itself is indistinguishable.
    expect(learner.r).toEqual(reference.r);
    expect(learner.r).toMatchObject({ notCopied: 0, errno: null, data: [0x33, 0, 0, 0] });
    // But the window stays open…
    expect(reference.windowOpen).toBe(false);
    expect(learner.windowOpen).toBe(true);
    expect(learner.openAfterSwitch).toBe(true);
    // …so the stray access that SMAP catches in the reference kernel silently succeeds.
    expect(reference.stray.kind).toBe('oops');
    expect(reference.stray.kind === 'oops' && reference.stray.report).toContain('SMAP violation');
    expect(reference.kernel.task(reference.pid).alive).toBe(false);
    expect(learner.stray).toMatchObject({ kind: 'ok', value: 0x33, faults: [] });
    expect(learner.kernel.task(learner.pid).alive).toBe(true);
    // The invariant checker does not look at EFLAGS.AC: the leak is invisible to it.
    expect(checkInvariants(learner.kernel)).toEqual([]);
    // The next uaccess routine that does close the window (get_user, the reference) clears it.
    expect(learner.kernel.getUser(learner.pid, learner.addr, 1)).toMatchObject({ value: 0x33n });
    expect(learner.kernel.cpu(0).mmu.control.alignmentCheck).toBe(false);
  });

  test('forgetting to zero the tail leaks the previous copy out of the reused kmalloc buffer', async () => {
    const { hooks } = await hooksFrom(learnerSource({ forgetZeroTail: true }));
    const run = (h: Partial<KernelHooks>) => {
      const { kernel, pid, addr } = boot(h);
      kernel.munmap(pid, addr + PAGE, PAGE);
      for (let i = 0; i < 8; i++) kernel.access(pid, addr + i, 'write', 0xe0 + i);
      kernel.copyFromUser(pid, addr, 8); // leaves the bytes in the buffer, which kfree does not clear
      return {
        kernel,
        partial: kernel.copyFromUser(pid, addr + PAGE - 2, 8),
        bad: kernel.copyFromUser(pid, kernel.directMapAddress(5), 8),
      };
    };
    const learner = run(hooks);
    const reference = run({});
    expect(reference.partial).toMatchObject({ notCopied: 6, errno: 'EFAULT', data: Array(8).fill(0) });
    expect(reference.bad).toMatchObject({ notCopied: 8, errno: 'EFAULT', data: Array(8).fill(0) });
    // The two bytes before the hole (zeros), then what the first copy left behind.
    expect(learner.partial).toMatchObject({ notCopied: 6, errno: 'EFAULT' });
    expect(learner.partial.data).toEqual([0, 0, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7]);
    // access_ok fails and nothing is zeroed: the buffer is exactly as the previous copy left it.
    expect(learner.bad.data).toEqual(learner.partial.data);
    expect(checkInvariants(learner.kernel)).toEqual([]);
  });

  test('loading user memory with an ip that has no exception-table entry oopses instead of -EFAULT', async () => {
    const { hooks } = await hooksFrom(learnerSource({ wrongIp: true }));
    const { kernel, pid } = boot(hooks);
    const r = kernel.copyFromUser(pid, 0x5000_0000, 8);
    expect(r).toMatchObject({ notCopied: 8, errno: 'EFAULT' });
    expect(r.oops).toContain('BUG: unable to handle page fault for address: 0x0000000050000000');
    expect(kernel.task(pid).alive).toBe(false);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe('the guest UaccessApi checks its arguments', () => {
  test('garbage to each method is a learner-facing error; the copy then works and the kernel is unchanged', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `const seen: string[] = [];
       export function messages() { return seen; }
       const attempt = (fn: () => unknown) => {
         try { fn(); seen.push('no error'); } catch (e) { seen.push((e as Error).message); }
       };
       declare const kernel: any;
       export function copyFromUser(c: any) {
         const ip = kernel.copyInstruction();
         attempt(() => kernel.accessOk('0x1000', 4));
         attempt(() => kernel.accessOk(c.userAddress, -1));
         attempt(() => kernel.accessOk(c.userAddress, 0.5));
         attempt(() => kernel.accessOk(c.userAddress));
         attempt(() => kernel.userAccessBegin(999));
         attempt(() => kernel.userAccessBegin(1.5));
         attempt(() => kernel.userAccessBegin(c));
         attempt(() => kernel.userAccessEnd());
         attempt(() => kernel.loadByte(c.pid, NaN, ip));
         attempt(() => kernel.loadByte(c.pid, 2 ** 53, ip));
         attempt(() => kernel.loadByte(c.pid, 4096, ip));
         attempt(() => kernel.loadByte(c.pid, c.userAddress, 'ip'));
         attempt(() => kernel.loadByte(c.pid, c.userAddress, kernel.copyInstruction));
         attempt(() => kernel.loadByte(-1, c.userAddress, ip));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, 256, 0n));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, -1, 0n));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, 1.5, 0n));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, '7', 0n));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, 7, null));
         attempt(() => kernel.storeByte(c.pid, c.kernelAddress, 7));
         attempt(() => kernel.copyInstruction(1));
         attempt(() => kernel.findVma(1, c.userAddress));
         attempt(() => kernel.allocPage());
         kernel.userAccessBegin(c.pid);
         let copied = 0;
         try {
           for (; copied < c.length; copied++) {
             const b = kernel.loadByte(c.pid, c.userAddress + BigInt(copied), ip);
             if (b.kind !== 'ok') break;
             kernel.storeByte(c.pid, c.kernelAddress + BigInt(copied), b.value, 0n);
           }
         } finally {
           kernel.userAccessEnd(c.pid);
         }
         return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops: null };
       }`,
      ['copyFromUser'],
    );
    const { kernel, pid, addr } = boot(hooks);
    for (let i = 0; i < 4; i++) kernel.access(pid, addr + i, 'write', 10 + i);
    const framesBefore = kernel.frames.free;
    const r = kernel.copyFromUser(pid, addr, 4);
    expect(r).toMatchObject({ notCopied: 0, errno: null, oops: null, data: [10, 11, 12, 13], faults: [] });
    const seen = sandbox.call('messages');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    const inside = 'cannot be used inside copyFromUser/copyToUser: a user copy has only';
    expect(seen.value).toEqual([
      expect.stringContaining('accessOk: address must be a bigint (a virtual address), got "0x1000"'),
      expect.stringContaining('accessOk: length -1 is negative'),
      expect.stringContaining('accessOk: length 0.5 is not a safe integer'),
      expect.stringContaining('accessOk takes 2 arguments (address, length), got 1'),
      expect.stringContaining('userAccessBegin: pid 999 does not exist'),
      expect.stringContaining('userAccessBegin: pid 1.5 is not a safe integer'),
      expect.stringContaining('userAccessBegin: pid must be a number, got {"pid":'),
      expect.stringContaining('userAccessEnd takes 1 argument (pid), got 0'),
      expect.stringContaining('loadByte: address must be a bigint (a virtual address), got NaN'),
      expect.stringMatching(
        /loadByte: address must be a bigint \(a virtual address\), got 9007199254740992$/,
      ),
      expect.stringContaining(
        'loadByte: address must be a bigint (a virtual address), got 4096 (write 0x1000n, or BigInt(x))',
      ),
      expect.stringContaining('loadByte: ip must be a bigint (a virtual address), got "ip"'),
      // A function cannot even leave the sandbox: the guest refuses it before the host sees it.
      expect.stringMatching(/kernel\.loadByte\(\).*is a function/),
      expect.stringContaining('loadByte: pid -1 does not exist'),
      expect.stringContaining('storeByte: value 256 is not a byte (0..255)'),
      expect.stringContaining('storeByte: value -1 is not a byte (0..255)'),
      expect.stringContaining('storeByte: value 1.5 is not a safe integer'),
      expect.stringContaining('storeByte: value must be a number, got "7"'),
      expect.stringContaining('storeByte: ip must be a bigint (a virtual address), got null'),
      expect.stringContaining('storeByte takes 4 arguments (pid, address, value, ip), got 3'),
      expect.stringContaining('copyInstruction takes no arguments'),
      expect.stringContaining(
        `findVma ${inside} accessOk, userAccessBegin, userAccessEnd, loadByte, storeByte, copyInstruction()`,
      ),
      expect.stringContaining(`allocPage ${inside}`),
    ]);
    // None of the refused calls reached the kernel: no frame taken, the window closed.
    expect(kernel.frames.free).toBe(framesBefore);
    expect(kernel.cpu(0).mmu.control.alignmentCheck).toBe(false);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a misuse the learner does not catch fails the hook, and the kernel buffer is still freed', async () => {
    const { hooks } = await hooksFrom(
      `declare const kernel: any;
       export function copyToUser(c: any) {
         kernel.storeByte(c.pid, c.userAddress, 300, kernel.copyInstruction());
         return { notCopied: 0, errno: null, oops: null };
       }`,
      ['copyToUser'],
    );
    const { kernel, pid, addr } = boot(hooks);
    const framesBefore = kernel.frames.free;
    const failure = thrown(() => kernel.copyToUser(pid, addr, [1, 2]));
    expect(failure).toBeInstanceOf(LearnerHookFailure);
    expect((failure as LearnerHookFailure).hook).toBe('copyToUser');
    expect((failure as LearnerHookFailure).verdict).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('storeByte: value 300 is not a byte (0..255)'),
    });
    expect(kernel.frames.free).toBe(framesBefore);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 0 });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a kernel-side misuse (a task that has exited) is a guest error, not a host crash', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `let seen = '';
       export function message() { return seen; }
       declare const kernel: any;
       export function copyFromUser(c: any) {
         // No stac: the load oopses and kills the task; then the learner keeps going.
         const first = kernel.loadByte(c.pid, c.userAddress, kernel.copyInstruction());
         try { kernel.loadByte(c.pid, c.userAddress, kernel.copyInstruction()); } catch (e) { seen = (e as Error).message; }
         kernel.userAccessEnd(c.pid);
         return { notCopied: c.length, errno: 'EFAULT', oops: first.kind === 'oops' ? first.report : null };
       }`,
      ['copyFromUser'],
    );
    const { kernel, pid, addr } = boot(hooks);
    const r = kernel.copyFromUser(pid, addr, 2);
    expect(r.oops).toContain('SMAP violation');
    expect(sandbox.call('message')).toEqual({
      kind: 'ok',
      value: expect.stringContaining(`pid ${pid} has exited`),
    });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('UaccessApi methods outside a user-copy hook are learner-facing errors', async () => {
    const { hooks, sandbox } = await hooksFrom(
      `const seen: string[] = [];
       export function messages() { return seen; }
       export function outside() { return kernel.copyInstruction(); }
       declare const kernel: any;
       export function anonymousFault(f: any, vma: any) {
         for (const call of [
           () => kernel.loadByte(1, f.address, 0n),
           () => kernel.storeByte(1, f.address, 0, 0n),
           () => kernel.accessOk(f.address, 1),
           () => kernel.userAccessBegin(1),
           () => kernel.userAccessEnd(1),
           () => kernel.copyInstruction(),
         ]) {
           try { call(); } catch (e) { seen.push((e as Error).message); }
         }
         const pfn = kernel.allocPage();
         kernel.clearPage(pfn);
         kernel.mapPage(f.mm, f.address, pfn, { writable: vma.write, exec: vma.exec, dirty: f.write });
         return { kind: 'resolved', resolution: 'demand-zero' };
       }`,
      ['anonymousFault'],
    );
    const { kernel, pid, addr } = boot(hooks);
    expect(kernel.access(pid, addr, 'write', 5)).toMatchObject({ kind: 'ok' });
    const seen = sandbox.call('messages');
    if (seen.kind !== 'ok') throw new Error(JSON.stringify(seen));
    expect(seen.value).toEqual(
      ['loadByte', 'storeByte', 'accessOk', 'userAccessBegin', 'userAccessEnd', 'copyInstruction'].map((m) =>
        expect.stringContaining(`${m} can only be used inside copyFromUser/copyToUser`),
      ),
    );
    expect(sandbox.call('outside')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('copyInstruction: the kernel can only be used while a hook runs'),
    });
    expect(kernel.cpu(0).mmu.control.alignmentCheck).toBe(false);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

test('a fault hook of the same sandbox runs nested inside a user copy, with the kernel API it needs', async () => {
  // The copy's load of an untouched page faults; the kernel's page-fault
  // handler runs the learner's anonymousFault while their copyFromUser is
  // still running, in the same sandbox (same module state), with the
  // KernelApi, then the copy continues with the UaccessApi.
  const anonymousFault = `
    let faults = 0;
    export function anonymousFault(f: any, vma: any) {
      faults++;
      console.log('anonymousFault', faults, typeof kernel.loadByte, typeof kernel.findVma);
      const pfn = kernel.allocPage();
      if (pfn < 0) return { kind: 'oom' };
      kernel.clearPage(pfn);
      kernel.mapPage(f.mm, f.address, pfn, { writable: vma.write, exec: vma.exec, dirty: f.write });
      return { kind: 'resolved', resolution: 'demand-zero' };
    }
    export function faultCount() { return faults; }`;
  const loaded = await hooksFrom(`${learnerSource()}\n${anonymousFault}`, ['copyFromUser', 'anonymousFault']);
  const { kernel, pid, addr } = boot(loaded.hooks);
  const r = kernel.copyFromUser(pid, addr, 4);
  expect(r).toMatchObject({ notCopied: 0, errno: null, data: [0, 0, 0, 0] });
  expect(r.faults.map((f) => f.resolution)).toEqual(['demand-zero']);
  expect(loaded.sandbox.output().text).toBe('anonymousFault 1 function function\n');
  expect(loaded.sandbox.call('faultCount')).toEqual({ kind: 'ok', value: 1 });
  expect(kernel.cpu(0).mmu.userAccessOpen).toBe(false);
  expect(checkInvariants(kernel)).toEqual([]);
});

describe('the result of a user-copy hook is checked', () => {
  const SHAPE =
    "expected {notCopied: number (0..the copy's length), errno: 'EFAULT' | null, oops: string | null}";

  test.each([
    ['nothing', 'undefined', 'not an object'],
    ['a number', '16', 'not an object'],
    [
      'too much not copied',
      '{ notCopied: 17, errno: null, oops: null }',
      "notCopied 17 is not 0..16 (the copy's length)",
    ],
    [
      'a negative count',
      "{ notCopied: -1, errno: 'EFAULT', oops: null }",
      "notCopied -1 is not 0..16 (the copy's length)",
    ],
    [
      'a fractional count',
      '{ notCopied: 0.5, errno: null, oops: null }',
      'notCopied 0.5 is not a safe integer',
    ],
    ['a string count', "{ notCopied: '0', errno: null, oops: null }", 'notCopied must be a number, got "0"'],
    [
      'another errno',
      "{ notCopied: 16, errno: 'ENOMEM', oops: null }",
      `errno "ENOMEM" is not 'EFAULT' or null`,
    ],
    ['a numeric errno', '{ notCopied: 16, errno: -14, oops: null }', `errno -14 is not 'EFAULT' or null`],
    ['a missing oops', '{ notCopied: 0, errno: null }', 'missing field "oops"'],
    [
      'a boolean oops',
      '{ notCopied: 0, errno: null, oops: false }',
      'oops must be a string or null, got false',
    ],
    ['an extra field', '{ notCopied: 0, errno: null, oops: null, data: [] }', 'unknown field "data"'],
  ])('copyFromUser returning %s is an invalid-result verdict', async (_what, value, problem) => {
    const { hooks } = await hooksFrom(`export function copyFromUser(c: any) { return ${value}; }`, [
      'copyFromUser',
    ]);
    const { kernel, pid, addr } = boot(hooks);
    const framesBefore = kernel.frames.free;
    const failure = thrown(() => kernel.copyFromUser(pid, addr, 16));
    expect(failure).toBeInstanceOf(LearnerHookFailure);
    const f = failure as LearnerHookFailure;
    expect(f.hook).toBe('copyFromUser');
    expect(f.verdict.kind).toBe('invalid-result');
    if (value === 'undefined') {
      // Falling off the end of a function: the message guesses the missing return.
      expect(f.message).toContain('copyFromUser returned nothing (undefined or null — a missing `return`?)');
      expect(f.message).toContain(SHAPE.replace('expected ', 'it must return '));
    } else {
      expect(f.message).toContain(`copyFromUser returned `);
      expect(f.message).toContain(`— ${SHAPE} (${problem})`);
    }
    expect(kernel.frames.free).toBe(framesBefore);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('copyToUser results are checked against its own length', async () => {
    const { hooks } = await hooksFrom(
      `export function copyToUser(c: any) { return { notCopied: c.length + 1, errno: 'EFAULT', oops: null }; }`,
      ['copyToUser'],
    );
    const { kernel, pid, addr } = boot(hooks);
    expect(() => kernel.copyToUser(pid, addr, [1, 2, 3])).toThrow(
      `copyToUser returned {"notCopied":4,"errno":"EFAULT","oops":null} — ${SHAPE} (notCopied 4 is not 0..3 (the copy's length))`,
    );
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a well-formed result is passed to the kernel as is (the grader judges whether it is right)', async () => {
    const { hooks } = await hooksFrom(
      `export function copyFromUser(c: any) { return { notCopied: 3, errno: null, oops: 'made up' }; }`,
      ['copyFromUser'],
    );
    const { kernel, pid, addr } = boot(hooks);
    expect(kernel.copyFromUser(pid, addr, 8)).toMatchObject({ notCopied: 3, errno: null, oops: 'made up' });
  });
});
