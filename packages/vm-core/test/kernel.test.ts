// Scenario tests for the kernel layer: the classic questions, answered by the simulator.
import { describe, expect, test } from 'vitest';
import { toAddress } from '../src/hw/address.ts';
import { Kernel, type KernelOptions } from '../src/kernel/index.ts';
import { expectUserAccessClosed } from './user-access.ts';

const RW = { read: true, write: true, exec: false };
const RO = { read: true, write: false, exec: false };

function boot(options: KernelOptions = {}) {
  const kernel = new Kernel({ frames: 512, ...options });
  const pid = kernel.spawn('app').pid;
  return { kernel, pid };
}

function mapAnon(kernel: Kernel, pid: number, pages: number, prot = RW): number {
  const r = kernel.mmap(pid, { length: pages * 4096, prot });
  if (r.kind !== 'ok') throw new Error(`mmap failed: ${r.errno}`);
  return r.address;
}

const resolutions = (o: { faults: readonly { resolution: string }[] }) => o.faults.map((f) => f.resolution);

describe('boot', () => {
  test('pid 0 is the idle task, 1 is init, 2 is kthreadd (a kernel thread without an mm)', () => {
    const kernel = new Kernel({ frames: 256 });
    expect([0, 1, 2].map((pid) => kernel.task(pid).kind)).toEqual(['idle', 'user', 'kthread']);
    expect(kernel.task(2).mm).toBeNull();
    expect(kernel.task(1).mm).not.toBeNull();
  });
});

describe('demand paging', () => {
  test('a first read maps the shared zero page; the first write then gets a private zeroed frame', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 4);
    const read = kernel.access(pid, addr + 10, 'read');
    expect(read).toMatchObject({ kind: 'ok', value: 0 });
    expect(resolutions(read)).toEqual(['zero-page']);
    expect(read.faults[0]!.errorCode).toBe(0b100); // user read, not present
    const write = kernel.access(pid, addr + 10, 'write', 0x42);
    expect(resolutions(write)).toEqual(['cow-copy']);
    expect(write.faults[0]!.errorCode).toBe(0b111); // user write to a present read-only page
    expect(kernel.access(pid, addr + 10, 'read')).toMatchObject({ kind: 'ok', value: 0x42, faults: [] });
  });

  test('a first write allocates a zeroed frame at once (demand-zero)', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    const write = kernel.access(pid, addr, 'write', 7);
    expect(resolutions(write)).toEqual(['demand-zero']);
    expect(kernel.task(pid).mm!.rss).toBe(1);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ value: 7, faults: [] });
  });
});

describe('SIGSEGV', () => {
  test('an access outside every VMA is SIGSEGV with SEGV_MAPERR, and the process dies', () => {
    const { kernel, pid } = boot();
    const r = kernel.access(pid, 0x4000_0000, 'read');
    expect(r).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR', address: 0x4000_0000n },
    });
    expect(kernel.task(pid).alive).toBe(false);
  });

  test('a write to a read-only VMA is SIGSEGV with SEGV_ACCERR', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1, RO);
    expect(kernel.access(pid, addr, 'write', 1)).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR' },
    });
  });

  test('a user read of a present kernel page: error code P=1 W=0 U=1, and SIGSEGV', () => {
    const { kernel, pid } = boot();
    const kernelVa = kernel.directMapAddress(10);
    const r = kernel.access(pid, kernelVa, 'read');
    expect(r.faults[0]!.errorCode).toBe(0b101);
    expect(r).toMatchObject({ kind: 'signal', signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR' } });
  });
});

describe('fork and copy-on-write', () => {
  test('a write to a COW page is a fault the kernel handles and the process never sees', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 2);
    kernel.access(pid, addr, 'write', 0x11);
    const child = kernel.fork(pid).pid;
    // Both see the same data, through the same frame, read-only now.
    expect(kernel.access(child, addr, 'read')).toMatchObject({ kind: 'ok', value: 0x11, faults: [] });
    const childWrite = kernel.access(child, addr, 'write', 0x22);
    expect(childWrite.kind).toBe('ok');
    expect(resolutions(childWrite)).toEqual(['cow-copy']);
    // The parent is now the only user of the original frame: it reuses it.
    const parentWrite = kernel.access(pid, addr, 'write', 0x33);
    expect(resolutions(parentWrite)).toEqual(['cow-reuse']);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ value: 0x33 });
    expect(kernel.access(child, addr, 'read')).toMatchObject({ value: 0x22 });
  });

  test('shared mappings stay shared and writable: fork copies none of their PTEs, the child faults the same page in', () => {
    const { kernel, pid } = boot();
    const shared = kernel.mmap(pid, { length: 2 * 4096, prot: RW, shared: true });
    if (shared.kind !== 'ok') throw new Error('mmap');
    kernel.access(pid, shared.address, 'write', 5);
    const child = kernel.fork(pid).pid;
    // vma_needs_copy: no anon_vma, so the child's first touch is a fault —
    // into shmem's page cache, the parent's frame, writable at once: no copy.
    const w = kernel.access(child, shared.address, 'write', 6);
    expect(resolutions(w)).toEqual(['page-cache']);
    expect(kernel.access(pid, shared.address, 'read')).toMatchObject({ value: 6 });
    // A page first touched after the fork is one page for both as well.
    kernel.access(pid, shared.address + 4096, 'write', 7);
    expect(kernel.access(child, shared.address + 4096, 'read')).toMatchObject({
      value: 7,
      faults: [{ resolution: 'page-cache' }],
    });
  });

  test("the parent's stale writable TLB entry is flushed at fork", () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 1); // parent's TLB now holds a writable entry
    const child = kernel.fork(pid).pid;
    const w = kernel.access(pid, addr, 'write', 2);
    expect(resolutions(w)).toEqual(['cow-copy']);
    expect(kernel.access(child, addr, 'read')).toMatchObject({ value: 1 });
  });
});

describe('stack growth', () => {
  test('touching just below the stack grows it; far below is SIGSEGV', () => {
    const { kernel, pid } = boot();
    const stack = kernel.task(pid).mm!.vmas.all.find((v) => v.name === '[stack]')!;
    const r = kernel.access(pid, stack.start - 100, 'write', 1);
    expect(resolutions(r)).toEqual(['stack-growth']);
    const far = kernel.access(pid, stack.start - 64 * 2 ** 20, 'write', 1);
    expect(far).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_MAPERR' } });
  });
});

describe('mmap, munmap, mprotect, brk', () => {
  test('mmap_min_addr refuses a fixed mapping of page zero', () => {
    const { kernel, pid } = boot();
    expect(kernel.mmap(pid, { address: 0, length: 4096, prot: RW, fixed: true })).toEqual({
      kind: 'error',
      errno: 'EPERM',
    });
    expect(kernel.mmap(pid, { address: 0x10000, length: 4096, prot: RW, fixed: true })).toEqual({
      kind: 'ok',
      address: 0x10000,
    });
  });

  test('munmap frees the pages and later accesses fault', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 3);
    for (let i = 0; i < 3; i++) kernel.access(pid, addr + i * 4096, 'write', i);
    const free = kernel.frames.free;
    expect(kernel.munmap(pid, addr + 4096, 4096)).toBeNull();
    expect(kernel.frames.free).toBe(free + 1);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 0 });
    expect(kernel.access(pid, addr + 4096, 'read')).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_MAPERR' },
    });
  });

  test('mprotect read-only then back, before 6.0: the write faults, then reuses the page', () => {
    const { kernel, pid } = boot({ linux: '5.15' });
    const addr = mapAnon(kernel, pid, 2);
    kernel.access(pid, addr, 'write', 9);
    expect(kernel.mprotect(pid, addr, 4096, RO)).toBeNull();
    expect(kernel.task(pid).mm!.vmas.all.filter((v) => v.start >= addr && v.end <= addr + 8192)).toHaveLength(
      2,
    );
    expect(kernel.mprotect(pid, addr, 4096, RW)).toBeNull();
    const w = kernel.access(pid, addr, 'write', 10);
    expect(resolutions(w)).toEqual(['cow-reuse']);
    expect(kernel.mprotect(pid, 0x7000_0000, 4096, RO)).toBe('ENOMEM');
  });

  test('mprotect read-only then back, since 6.0: an exclusive dirty page is writable at once', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 4);
    kernel.access(pid, addr, 'write', 9);
    // Page 2 only read: the zero page, which no mprotect makes writable.
    kernel.access(pid, addr + 2 * 4096, 'read');
    expect(kernel.mprotect(pid, addr, 4 * 4096, RO)).toBeNull();
    expect(kernel.mprotect(pid, addr, 4 * 4096, RW)).toBeNull();
    expect(resolutions(kernel.access(pid, addr, 'write', 10))).toEqual([]);
    expect(resolutions(kernel.access(pid, addr + 2 * 4096, 'write', 1))).toEqual(['cow-copy']);
  });

  test('since 6.0 too, a page fork shared is not exclusive: the write after mprotect faults, even once the child is gone', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 9);
    const child = kernel.fork(pid).pid;
    kernel.exit(child);
    expect(kernel.mprotect(pid, addr, 4096, RO)).toBeNull();
    expect(kernel.mprotect(pid, addr, 4096, RW)).toBeNull();
    // do_wp_page reuses it (nobody else holds it) and marks it exclusive again …
    expect(resolutions(kernel.access(pid, addr, 'write', 10))).toEqual(['cow-reuse']);
    expect(kernel.mprotect(pid, addr, 4096, RO)).toBeNull();
    expect(kernel.mprotect(pid, addr, 4096, RW)).toBeNull();
    // … so the next round trip needs no fault.
    expect(resolutions(kernel.access(pid, addr, 'write', 11))).toEqual([]);
  });

  test('brk grows and shrinks the heap', () => {
    const { kernel, pid } = boot();
    const start = kernel.task(pid).mm!.brkStart;
    expect(kernel.brk(pid, start + 10_000)).toBe(start + 10_000);
    expect(kernel.access(pid, start + 9_000, 'write', 1).kind).toBe('ok');
    expect(kernel.brk(pid, start)).toBe(start);
    expect(kernel.access(pid, start + 9_000, 'read').kind).toBe('signal');
  });
});

describe('copy_from_user and friends', () => {
  test('copy_from_user on an unmapped buffer returns -EFAULT and copies nothing', () => {
    const { kernel, pid } = boot();
    const r = kernel.copyFromUser(pid, 0x5000_0000, 16);
    expect(r).toMatchObject({ notCopied: 16, errno: 'EFAULT', oops: null });
    expect(r.data.every((b) => b === 0)).toBe(true);
    expect(resolutions(r)).toEqual(['exception-fixup']);
    expect(kernel.task(pid).alive).toBe(true);
    expectUserAccessClosed(kernel);
  });

  test('a fault in the middle: lazily allocated pages just work, then the fixup returns the uncopied tail', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr + 4090, 'write', 0xaa);
    // The buffer runs 6 bytes into the mapped page and 10 beyond its end.
    const r = kernel.copyFromUser(pid, addr + 4090, 16);
    expect(r).toMatchObject({ notCopied: 10, errno: 'EFAULT' });
    expect(r.data).toEqual([0xaa, 0, 0, 0, 0, 0, ...new Array(10).fill(0)]);
    const lazy = mapAnon(kernel, pid, 1);
    const ok = kernel.copyFromUser(pid, lazy, 8);
    expect(ok).toMatchObject({ notCopied: 0, errno: null });
    expect(resolutions(ok)).toEqual(['zero-page']);
    expectUserAccessClosed(kernel);
  });

  test('copy_to_user writes through COW and demand paging', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    const r = kernel.copyToUser(pid, addr, [1, 2, 3]);
    expect(r).toMatchObject({ notCopied: 0, errno: null });
    expect(resolutions(r)).toEqual(['demand-zero']);
    expect(kernel.access(pid, addr + 2, 'read')).toMatchObject({ value: 3 });
    expectUserAccessClosed(kernel);
  });

  test('a kernel address is refused by access_ok', () => {
    const { kernel, pid } = boot();
    const r = kernel.copyFromUser(pid, kernel.directMapAddress(5), 4);
    expect(r).toMatchObject({ notCopied: 4, errno: 'EFAULT', faults: [] });
    expectUserAccessClosed(kernel);
  });

  test('from a kernel thread with no mm: -EFAULT, never an oops', () => {
    const kernel = new Kernel({ frames: 256 });
    const r = kernel.copyFromUser(2, 0x1000_0000, 8);
    expect(r).toMatchObject({ notCopied: 8, errno: 'EFAULT', oops: null });
    expect(kernel.task(2).alive).toBe(true);
    expectUserAccessClosed(kernel);
  });
});

describe('kernel-mode faults', () => {
  test('a kernel thread touching a user address without the uaccess window oopses (SMAP)', () => {
    const kernel = new Kernel({ frames: 256 });
    kernel.switchTo(0, 2);
    const r = kernel.kernelAccess(0, 0x1000_0000, 'read');
    expect(r.kind).toBe('oops');
    if (r.kind !== 'oops') return;
    expect(r.report).toContain('BUG: unable to handle page fault for address: 0x0000000010000000');
    expect(r.report).toContain('#PF: supervisor read access in kernel mode');
    expect(r.report).toContain('SMAP');
    // The default instruction is the start of kernel text, printed unsigned (it is a negative number here).
    expect(r.report).toContain('RIP: 0xffffffff81000000\n');
    expect(kernel.task(2).alive).toBe(false);
  });

  test('a kernel NULL dereference is named as such', () => {
    const { kernel, pid } = boot();
    kernel.switchTo(0, pid);
    kernel.cpu(0).mmu.userAccessBegin();
    const r = kernel.kernelAccess(0, 0, 'read');
    expect(r.kind === 'oops' && r.report.split('\n')[0]).toBe(
      'BUG: kernel NULL pointer dereference, address: 0x0000000000000000',
    );
  });

  test('kmalloc memory is direct-mapped: the kernel touches it without faulting', () => {
    const { kernel, pid } = boot();
    const buf = kernel.kmalloc(8192)!;
    expect(buf).toBeGreaterThanOrEqual(toAddress('0xffff888000000000'));
    kernel.switchTo(0, pid);
    expect(kernel.kernelAccess(0, buf + 5000, 'write', { value: 3 })).toMatchObject({
      kind: 'ok',
      faults: [],
    });
    kernel.kfree(buf);
  });

  test('x86-64: vmalloc memory is visible in every process at once (preallocated upper levels)', () => {
    const { kernel, pid } = boot();
    const v = kernel.vmalloc(3 * 4096)!;
    kernel.switchTo(0, pid);
    expect(kernel.kernelAccess(0, v + 4096, 'read')).toMatchObject({ kind: 'ok', faults: [] });
  });

  test('x86-32 before 5.8: a process first touching new vmalloc space takes a fault that syncs the page directory', () => {
    const kernel = new Kernel({ arch: 'x86-32', frames: 512, linux: '5.7' });
    const pid = kernel.spawn('app').pid;
    const v = kernel.vmalloc(4096)!;
    kernel.switchTo(0, pid);
    const first = kernel.kernelAccess(0, v, 'read');
    expect(resolutions(first)).toEqual(['vmalloc-sync']);
    expect(first.faults[0]!.errorCode).toBe(0); // supervisor read, not present
    expect(kernel.kernelAccess(0, v, 'read')).toMatchObject({ kind: 'ok', faults: [] });
  });

  test('kmalloc fails (null) when memory is exhausted, instead of faulting', () => {
    const kernel = new Kernel({ frames: 128 });
    const got: number[] = [];
    for (;;) {
      const p = kernel.kmalloc(4096);
      if (p === null) break;
      got.push(p);
    }
    expect(got.length).toBeGreaterThan(50);
    expect(kernel.kmalloc(4096)).toBeNull();
  });
});

describe('tasks', () => {
  test('threads share one address space', () => {
    const { kernel, pid } = boot();
    const t = kernel.thread(pid).pid;
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 0x5a);
    expect(kernel.access(t, addr, 'read')).toMatchObject({ value: 0x5a });
  });

  test('a kernel thread borrows the previous address space: no CR3 switch', () => {
    const { kernel, pid } = boot();
    kernel.switchTo(0, pid);
    const root = kernel.cpu(0).mmu.control.root;
    kernel.switchTo(0, 2);
    expect(kernel.cpu(0).mmu.control.root).toBe(root);
    expect(kernel.task(2).activeMm).toBe(kernel.task(pid).mm);
  });

  test('exit frees every frame, page table and the page directory', () => {
    const kernel = new Kernel({ frames: 512 });
    const baseline = kernel.frames.free;
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 16 * 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    for (let i = 0; i < 16; i++) kernel.access(pid, r.address + i * 4096, 'write', i);
    const child = kernel.fork(pid).pid;
    kernel.access(child, r.address, 'write', 1);
    expect(kernel.frames.free).toBeLessThan(baseline - 16);
    kernel.exit(child);
    kernel.exit(pid);
    expect(kernel.frames.free).toBe(baseline);
  });
});

describe('get_user and put_user', () => {
  test('a value round-trips through user memory, little-endian', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    expect(kernel.putUser(pid, addr + 8, 4, 0x11223344n)).toMatchObject({ errno: null, oops: null });
    expect(kernel.access(pid, addr + 8, 'read')).toMatchObject({ value: 0x44 });
    expect(kernel.getUser(pid, addr + 8, 8)).toMatchObject({ value: 0x11223344n, errno: null });
    expectUserAccessClosed(kernel);
  });

  test('a bad pointer: -EFAULT and a zeroed result, through the fixup', () => {
    const { kernel, pid } = boot();
    const r = kernel.getUser(pid, 0x7000_0000, 4);
    expect(r).toMatchObject({ value: 0n, errno: 'EFAULT', oops: null });
    expect(r.faults.map((f) => f.resolution)).toEqual(['exception-fixup']);
    expect(kernel.putUser(pid, kernel.directMapAddress(3), 1, 1n)).toMatchObject({ errno: 'EFAULT' });
    expectUserAccessClosed(kernel);
  });
});

describe('SMP context switches', () => {
  test('a CPU that ran idle still loads the right tables for the next task (loaded_mm per CPU)', () => {
    const kernel = new Kernel({ frames: 256, cpus: 2 });
    const a = kernel.spawn('a').pid;
    const r = kernel.mmap(a, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    kernel.switchTo(1, a);
    kernel.access(a, r.address, 'write', 1);
    kernel.switchTo(1, 0); // back to idle on CPU 1: it keeps a's tables lazily
    kernel.switchTo(0, a); // CPU 0 last had the kernel's own tables
    expect(kernel.access(a, r.address, 'read')).toMatchObject({ kind: 'ok', value: 1 });
    expect(kernel.cpu(0).loadedMm).toBe(kernel.task(a).mm);
  });
});
