// mlock and MAP_POPULATE: the faults are taken inside the call (as
// get_user_pages takes them), and mlocked pages are never reclaimed — the
// user-space face of "kernel pages are never swapped". The conformance case
// populate-and-mlock checks the faults against Debian's 6.1.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

function machine(options: { uid?: number } = {}) {
  const kernel = new Kernel({ frames: 256, swapSlots: 256 });
  const pid = kernel.spawn('app', options).pid;
  return { kernel, pid };
}

describe('MAP_POPULATE', () => {
  test('a private writable area is written in (demand-zero), a read-only one read (the zero page)', () => {
    const { kernel, pid } = machine();
    const rw = kernel.mmap(pid, { length: 3 * PAGE, prot: RW, populate: true });
    const ro = kernel.mmap(pid, { length: 2 * PAGE, prot: { ...RW, write: false }, populate: true });
    expect(rw.kind === 'ok' && rw.faults?.map((f) => f.resolution)).toEqual([
      'demand-zero',
      'demand-zero',
      'demand-zero',
    ]);
    expect(ro.kind === 'ok' && ro.faults?.map((f) => f.resolution)).toEqual(['zero-page', 'zero-page']);
    if (rw.kind !== 'ok') throw new Error();
    expect(kernel.access(pid, rw.address, 'write', 1).faults).toEqual([]);
  });

  test('a file page past EOF ends the population quietly: no SIGBUS, the process lives', () => {
    const { kernel, pid } = machine();
    kernel.createFile('f', [1, 2, 3]);
    const r = kernel.mmap(pid, { length: 3 * PAGE, prot: RW, file: 'f', populate: true });
    expect(r.kind === 'ok' && r.faults?.map((f) => f.resolution)).toEqual(['cow-copy']);
    expect(kernel.task(pid).alive).toBe(true);
  });
});

describe('mlock', () => {
  test('the locked pages survive reclaim; the unlocked ones go to swap', () => {
    const { kernel, pid } = machine();
    const r = kernel.mmap(pid, { length: 8 * PAGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    for (let i = 0; i < 8; i++) kernel.access(pid, r.address + i * PAGE, 'write', i + 1);
    expect(kernel.mlock(pid, r.address, 4 * PAGE)).toMatchObject({ errno: null, faults: [] });
    kernel.reclaim(1000);
    const present = (i: number) => kernel.access(pid, r.address + i * PAGE, 'read').faults.length === 0;
    expect([0, 1, 2, 3].map(present)).toEqual([true, true, true, true]);
    expect([4, 5, 6, 7].map(present)).toEqual([false, false, false, false]);
  });

  test('reclaimCheck says why a locked page stays', () => {
    const { kernel, pid } = machine();
    const r = kernel.mmap(pid, { length: PAGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    kernel.mlock(pid, r.address, PAGE);
    const walk = kernel.hooks.walkPageTable(kernel.api, {
      mm: kernel.task(pid).mm!.id,
      address: BigInt(r.address),
    });
    if (walk.kind !== 'present') throw new Error(walk.kind);
    expect(kernel.reclaimCheck(walk.pfn)).toEqual({ frees: false, why: 'mlocked' });
    kernel.munlock(pid, r.address, PAGE);
    expect(kernel.reclaimCheck(walk.pfn)).toEqual({ frees: true, swapSlot: true });
  });

  test('an unmapped part is ENOMEM; past RLIMIT_MEMLOCK for a user too, not for root; MADV_DONTNEED refuses a locked area', () => {
    const { kernel, pid } = machine();
    expect(kernel.mlock(pid, 0x10_0000, PAGE).errno).toBe('ENOMEM');
    const big = kernel.mmap(pid, { length: 9 << 20, prot: RW });
    if (big.kind !== 'ok') throw new Error(big.errno);
    expect(kernel.mlock(pid, big.address, 9 << 20).errno).toBe('ENOMEM');
    const root = machine({ uid: 0 });
    const r = root.kernel.mmap(root.pid, { length: 2 * PAGE, prot: { ...RW, write: false } });
    if (r.kind !== 'ok') throw new Error(r.errno);
    expect(root.kernel.mlock(root.pid, r.address, 2 * PAGE).faults.map((f) => f.resolution)).toEqual([
      'zero-page',
      'zero-page',
    ]);
    expect(root.kernel.madviseDontneed(root.pid, r.address, PAGE)).toBe('EINVAL');
  });
});
