// Shared anonymous memory is shmem, and fork copies only what a fault could
// not refill (vma_needs_copy) — checked against Debian's 6.1 by the
// conformance cases shared-anonymous-fork, cow-fork-zero-page-only and
// fork-file-mapping.
import { describe, expect, test } from 'vitest';
import { checkInvariants, Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };
const R = { read: true, write: false, exec: false };

function boot(options: { frames?: number; swapSlots?: number } = {}) {
  const kernel = new Kernel({
    frames: options.frames ?? 256,
    ...(options.swapSlots !== undefined ? { swapSlots: options.swapSlots } : {}),
  });
  return { kernel, pid: kernel.spawn('parent').pid };
}
const mmapOk = (kernel: Kernel, pid: number, request: Parameters<Kernel['mmap']>[1]) => {
  const r = kernel.mmap(pid, request);
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
};
const resolutions = (o: { faults: readonly { resolution: string }[] }) => o.faults.map((f) => f.resolution);
const present = (kernel: Kernel, pid: number, va: number) =>
  kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(va)).kind === 'present';

describe('MAP_SHARED | MAP_ANONYMOUS is an unnamed shmem file', () => {
  test('a page first touched after fork is one page for parent and child', () => {
    const { kernel, pid } = boot();
    const va = mmapOk(kernel, pid, { length: 2 * PAGE, prot: RW, shared: true });
    const child = kernel.fork(pid).pid;
    expect(resolutions(kernel.access(pid, va, 'write', 42))).toEqual(['demand-zero']);
    expect(kernel.access(child, va, 'read')).toMatchObject({
      value: 42,
      faults: [{ resolution: 'page-cache' }],
    });
    expect(kernel.access(child, va + PAGE, 'write', 7)).toMatchObject({
      faults: [{ resolution: 'demand-zero' }],
    });
    expect(kernel.access(pid, va + PAGE, 'read')).toMatchObject({ value: 7 });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a read of a hole gets a real zeroed page, never the zero page: the next write by anyone is seen by all', () => {
    const { kernel, pid } = boot();
    const va = mmapOk(kernel, pid, { length: PAGE, prot: RW, shared: true });
    expect(resolutions(kernel.access(pid, va, 'read'))).toEqual(['demand-zero']);
    const walked = kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(va));
    expect(walked.kind === 'present' && walked.pfn !== kernel.api.zeroPfn()).toBe(true);
  });

  test('the file lives while some area maps it: the last munmap or exit frees its pages', () => {
    const { kernel, pid } = boot();
    const free = kernel.frames.free;
    const va = mmapOk(kernel, pid, { length: 4 * PAGE, prot: RW, shared: true });
    for (let i = 0; i < 4; i++) kernel.access(pid, va + i * PAGE, 'write', i);
    const child = kernel.fork(pid).pid;
    const shmem = [...kernel.files.values()].filter((f) => f.kind === 'shmem');
    expect(shmem.map((f) => [f.name.startsWith('/dev/zero (deleted)'), f.cache.size])).toEqual([[true, 4]]);
    expect(kernel.munmap(pid, va, 4 * PAGE)).toBeNull();
    // The child still maps it: the pages stay, and hold what was written.
    expect(kernel.access(child, va + 3 * PAGE, 'read')).toMatchObject({ value: 3 });
    kernel.exit(child);
    expect([...kernel.files.values()].some((f) => f.kind === 'shmem')).toBe(false);
    // Only the child's own stack and tables may still be counted somewhere: the four pages are free again.
    kernel.exit(pid);
    expect(kernel.frames.free).toBeGreaterThanOrEqual(free);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('reclaim moves a shmem page to swap and the next fault brings it back; without swap it stays', () => {
    const { kernel, pid } = boot();
    const va = mmapOk(kernel, pid, { length: PAGE, prot: RW, shared: true });
    kernel.access(pid, va, 'write', 99);
    expect(kernel.reclaim(1)).toBe(1);
    expect(present(kernel, pid, va)).toBe(false);
    expect(kernel.access(pid, va, 'read')).toMatchObject({ value: 99, faults: [{ resolution: 'swap-in' }] });
    const noSwap = boot({ swapSlots: 0 });
    const vb = mmapOk(noSwap.kernel, noSwap.pid, { length: PAGE, prot: RW, shared: true });
    noSwap.kernel.access(noSwap.pid, vb, 'write', 1);
    expect(noSwap.kernel.reclaim(1)).toBe(0);
  });
});

describe('fork copies the PTEs only of areas with an anon_vma (vma_needs_copy)', () => {
  test('private memory that only mapped the zero page: not copied, the child reads it through a fault of its own', () => {
    const { kernel, pid } = boot();
    const va = mmapOk(kernel, pid, { length: PAGE, prot: RW });
    kernel.access(pid, va, 'read');
    const child = kernel.fork(pid).pid;
    expect(present(kernel, child, va)).toBe(false);
    expect(kernel.access(child, va, 'read')).toMatchObject({
      value: 0,
      faults: [{ resolution: 'zero-page' }],
    });
  });

  test('once written, the area has an anon_vma: its PTEs are copied (COW) — the zero-page ones too', () => {
    const { kernel, pid } = boot();
    const va = mmapOk(kernel, pid, { length: 2 * PAGE, prot: RW });
    kernel.access(pid, va, 'read');
    kernel.access(pid, va + PAGE, 'write', 5);
    const child = kernel.fork(pid).pid;
    expect([present(kernel, child, va), present(kernel, child, va + PAGE)]).toEqual([true, true]);
    expect(resolutions(kernel.access(child, va + PAGE, 'read'))).toEqual([]);
    // The child's own copy inherits the anon_vma: its child gets the PTEs too.
    const grandchild = kernel.fork(child).pid;
    expect(present(kernel, grandchild, va + PAGE)).toBe(true);
  });

  test('a private file mapping never written: not copied, the child finds the page in the page cache', () => {
    const { kernel, pid } = boot();
    kernel.createFile('data', [1, 2, 3]);
    const va = mmapOk(kernel, pid, { length: PAGE, prot: R, file: 'data' });
    kernel.access(pid, va, 'read');
    const child = kernel.fork(pid).pid;
    expect(present(kernel, child, va)).toBe(false);
    expect(kernel.access(child, va + 2, 'read')).toMatchObject({
      value: 3,
      faults: [{ resolution: 'page-cache' }],
    });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a private file mapping written once (a COW copy) has an anon_vma: copied', () => {
    const { kernel, pid } = boot();
    kernel.createFile('data', [1, 2, 3]);
    const va = mmapOk(kernel, pid, { length: 2 * PAGE, prot: RW, file: 'data' });
    kernel.access(pid, va, 'write', 9);
    const child = kernel.fork(pid).pid;
    expect(kernel.access(child, va, 'read')).toMatchObject({ value: 9, faults: [] });
  });
});

test('shmem files are named per machine, the same on every run: two kernels in one process agree', () => {
  const names = () => {
    const { kernel, pid } = boot();
    mmapOk(kernel, pid, { length: PAGE, prot: RW, shared: true });
    mmapOk(kernel, pid, { length: PAGE, prot: RW, shared: true });
    return [...kernel.files.keys()];
  };
  expect(names()).toEqual(['/dev/zero (deleted) #1', '/dev/zero (deleted) #2']);
  expect(names()).toEqual(['/dev/zero (deleted) #1', '/dev/zero (deleted) #2']);
});
