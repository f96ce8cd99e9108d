// Regression tests for problems a review of the kernel layer found.
import { describe, expect, test } from 'vitest';
import { KERNEL_ARCHES, Kernel, type KernelOptions, type TraceEvent } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';
import { expectUserAccessClosed, expectUserAccessWindow } from './user-access.ts';

const RW = { read: true, write: true, exec: false };

function mapped(kernel: Kernel, pid: number, pages: number) {
  const r = kernel.mmap(pid, { length: pages * 4096, prot: RW });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
}

describe('kernel regressions', () => {
  test('a COW break whose allocation reclaims does not lose the page being copied', () => {
    const kernel = new Kernel({ frames: 64, swapSlots: 64 });
    const pid = kernel.spawn('app').pid;
    const base = mapped(kernel, pid, 40);
    for (let i = 0; i < 40; i++) kernel.access(pid, base + i * 4096, 'write', i);
    const child = kernel.fork(pid).pid;
    for (let i = 0; i < 3; i++) kernel.reclaim(1);
    // Memory is tight enough that reclaim runs inside the COW breaks (and
    // the OOM killer may pick a process): none of it may throw or corrupt.
    for (let i = 0; i < 40 && kernel.task(child).alive; i++) {
      const w = kernel.access(child, base + i * 4096, 'write', 100 + i);
      if (w.kind === 'ok')
        expect(kernel.access(child, base + i * 4096, 'read')).toMatchObject({ value: 100 + i });
    }
    for (let i = 0; i < 40 && kernel.task(pid).alive; i++) {
      const r = kernel.access(pid, base + i * 4096, 'read');
      if (r.kind === 'ok') expect(r.value).toBe(i);
    }
    expect(kernel.stats.swapOuts).toBeGreaterThan(0);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('no frame for a page table: the fault is an OOM, nothing leaks, fork fails cleanly', () => {
    const kernel = new Kernel({ frames: 64, swapSlots: 0 });
    const pid = kernel.spawn('app').pid;
    const base = mapped(kernel, pid, 200);
    let last = '';
    for (let i = 0; i < 200 && last === ''; i++) {
      const r = kernel.access(pid, base + i * 512 * 4096 * 0 + i * 4096, 'write', 1);
      if (r.kind !== 'ok') last = r.kind;
    }
    expect(last).toBe('signal');
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a user access to a non-canonical address is SIGSEGV (SI_KERNEL, address 0), not an oops', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    expect(kernel.access(pid, 2 ** 47 + 4096, 'read')).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SI_KERNEL', address: 0n },
    });
  });

  test('PCIDs are never shared by two live address spaces, even after thousands of processes', () => {
    const kernel = new Kernel({ frames: 256 });
    const init = kernel.task(1).mm!;
    for (let i = 0; i < 4200; i++) kernel.exit(kernel.spawn('short').pid);
    const pid = kernel.spawn('late').pid;
    expect(kernel.task(pid).mm!.asid).not.toBe(init.asid);
  });

  test('x86-32 has no PCIDs', () => {
    expect(() => new Kernel({ arch: 'x86-32', pcid: true })).toThrow(/no PCIDs/);
    expect(new Kernel({ arch: 'x86-32' }).pcid).toBe(false);
  });

  test('SIGBUS during copy_to_user becomes -EFAULT through the fixup; the process survives', () => {
    const kernel = new Kernel({ frames: 128 });
    kernel.createFile('f', [1, 2, 3]);
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 8192, prot: RW, file: 'f', shared: true });
    if (r.kind !== 'ok') throw new Error('mmap');
    const c = kernel.copyToUser(pid, r.address + 4096, [9]);
    expect(c).toMatchObject({ errno: 'EFAULT', oops: null });
    expect(kernel.task(pid).alive).toBe(true);
  });

  test('x86-32 before 5.8: a kernel thread syncs the vmalloc entry into the tables it borrowed', () => {
    const kernel = new Kernel({ arch: 'x86-32', frames: 256, linux: '5.7' });
    const pid = kernel.spawn('p').pid;
    kernel.switchTo(0, pid);
    const v = kernel.vmalloc(4096)!;
    kernel.switchTo(0, 2); // kthreadd, lazily on p's tables
    const r = kernel.kernelAccess(0, v, 'read');
    expect(r.faults.map((f) => f.resolution)).toEqual(['vmalloc-sync']);
    expect(r.kind).toBe('ok');
  });

  test('an exception inside a uaccess routine still closes the SMAP window', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    const addr = mapped(kernel, pid, 1);
    expect(() => kernel.putUser(pid, addr, 8, 5 as unknown as bigint)).toThrow(/bigint/);
    expect(() => kernel.getUser(pid, addr, 3 as 1)).toThrow(/1, 2, 4 or 8/);
    kernel.switchTo(0, pid);
    expectUserAccessClosed(kernel);
  });

  test('put_user across a page boundary stores nothing when the second page faults', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    const addr = mapped(kernel, pid, 1);
    kernel.access(pid, addr + 4092, 'write', 0);
    expect(kernel.putUser(pid, addr + 4092, 8, 0x1122334455667788n)).toMatchObject({ errno: 'EFAULT' });
    expect(kernel.access(pid, addr + 4092, 'read')).toMatchObject({ value: 0 });
  });

  test('the hook API refuses operations that would corrupt the machine', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    const addr = mapped(kernel, pid, 1);
    const mm = kernel.task(pid).mm!.id;
    const pfn = kernel.api.allocPage();
    expect(() =>
      kernel.api.mapPage(mm, 0xffff_8880_0000_0000n, pfn, { writable: true, exec: false }),
    ).toThrow(/not a user address/);
    expect(() =>
      kernel.api.mapPage(mm, Number.NaN as unknown as bigint, pfn, { writable: true, exec: false }),
    ).toThrow(/^mapPage: a virtual address is a bigint \(the kernel's unsigned long\), got the number NaN$/);
    expect(() =>
      kernel.api.mapPage(mm, addr as unknown as bigint, pfn, { writable: true, exec: false }),
    ).toThrow(/got the number \d+ — write 0x[0-9a-f]+n or BigInt\(x\)/);
    expect(() => kernel.api.mapPage(mm, 0x2000_0000n, pfn, { writable: true, exec: false })).toThrow(
      /no VMA/,
    );
    expect(() =>
      kernel.api.mapPage(mm, BigInt(addr), kernel.api.zeroPfn(), { writable: true, exec: false }),
    ).toThrow(/read-only/);
    expect(() =>
      kernel.api.mapPage(mm, BigInt(addr), kernel.task(pid).mm!.pgdPfn, { writable: true, exec: false }),
    ).toThrow(/kernel/);
    kernel.access(pid, addr, 'read'); // the zero page, read-only
    expect(() => kernel.api.makeWritable(mm, BigInt(addr))).toThrow(/zero page/);
    kernel.api.putPage(pfn);
    expect(() => kernel.api.putPage(pfn)).toThrow(/free frame/);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('exec ends the other threads of the process', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    const t = kernel.thread(pid).pid;
    kernel.exec(pid);
    expect(kernel.task(t).alive).toBe(false);
    expect(kernel.task(pid).alive).toBe(true);
  });

  test('two trace subscribers both get kernel events', () => {
    const kernel = new Kernel({ frames: 128 });
    const a: TraceEvent[] = [];
    const b: TraceEvent[] = [];
    const stopA = kernel.subscribe((e) => a.push(e));
    kernel.subscribe((e) => b.push(e));
    kernel.spawn('x');
    stopA();
    kernel.spawn('y');
    expect(a.filter((e) => e.type === 'task')).toHaveLength(1);
    expect(b.filter((e) => e.type === 'task')).toHaveLength(2);
  });

  test('bad inputs get clear errors', () => {
    expect(() => new Kernel({ arch: 'arm' as 'x86-64' })).toThrow(/unknown arch "arm"/);
    const kernel = new Kernel({ frames: 128 });
    kernel.createFile('f', [1]);
    expect(() => kernel.readFile('f', -2, 4)).toThrow(/non-negative/);
    expect(kernel.munmap(kernel.spawn('a').pid, -4096, 4096)).toBe('EINVAL');
    expect(() => kernel.kfree(Number.NaN)).toThrow(/kmalloc did not return/);
  });
});

// Every machine whose uaccess routines open a window. ARM64 since 5.11 (with
// PAN) opens none: LDTR/STTR run with PAN set, and userAccessBegin changes
// nothing (checked last).
const WINDOWED = KERNEL_ARCHES.flatMap((arch): (readonly [string, KernelOptions])[] =>
  arch === 'arm64'
    ? [
        ['arm64, 5.10 (PAN cleared)', { arch, linux: '5.10' }],
        ['arm64, SW PAN (TTBR0)', { arch, pan: 'software' }],
      ]
    : [[arch, { arch }]],
);

describe.each(WINDOWED)('the user-access window across context switches: %s', (_name, options) => {
  test('a context switch saves and restores the window per task', () => {
    const kernel = new Kernel({ frames: 128, ...options });
    const a = kernel.spawn('a').pid;
    const b = kernel.spawn('b').pid;
    const inB = mapped(kernel, b, 1);
    kernel.access(b, inB, 'write', 7);
    const cpu = kernel.cpu(0);
    kernel.uaccessApi.userAccessBegin(a); // a opens the window and is preempted before closing it
    expectUserAccessWindow(kernel, cpu, true, options);
    kernel.switchTo(0, b);
    expectUserAccessWindow(kernel, cpu, false, options);
    kernel.switchTo(0, a);
    expectUserAccessWindow(kernel, cpu, true, options); // a's own window is back
    kernel.uaccessApi.userAccessEnd(a);
    kernel.switchTo(0, b);
    kernel.switchTo(0, a);
    expectUserAccessWindow(kernel, cpu, false, options);
    // A leaked window does not open the next task's user memory (SMAP, PAN,
    // SUM stay in force): a kernel read of b's user memory outside a window
    // of b's own is an oops, as it should be.
    kernel.uaccessApi.userAccessBegin(a);
    kernel.switchTo(0, b);
    expect(kernel.kernelAccess(0, inB, 'read').kind).toBe('oops');
  });

  test('a task that exits inside its user-access window does not leave the window open for idle', () => {
    const kernel = new Kernel({ frames: 128, ...options });
    const a = kernel.spawn('a').pid;
    const b = kernel.spawn('b').pid;
    kernel.uaccessApi.userAccessBegin(a);
    kernel.exit(a);
    expectUserAccessClosed(kernel, options);
    kernel.switchTo(0, b);
    kernel.switchTo(0, 0);
    expectUserAccessClosed(kernel, options);
  });
});

test('arm64 6.1: userAccessBegin opens no window (LDTR/STTR need none), so a switch has none to save', () => {
  const kernel = new Kernel({ arch: 'arm64', frames: 128 });
  const a = kernel.spawn('a').pid;
  kernel.uaccessApi.userAccessBegin(a);
  expectUserAccessClosed(kernel);
  kernel.switchTo(0, kernel.spawn('b').pid);
  kernel.switchTo(0, a);
  expectUserAccessClosed(kernel);
  kernel.uaccessApi.userAccessEnd(a);
});
