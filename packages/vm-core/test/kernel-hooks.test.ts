// Each hook is replaceable on its own; a plausible learner bug in one shows
// up as the behaviour Linux would have with that bug.
import { describe, expect, test } from 'vitest';
import { Kernel, type KernelHooks, referenceHooks } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';

const RW = { read: true, write: true, exec: false };

function kernelWith(hooks: Partial<KernelHooks>, cpus = 1) {
  const kernel = new Kernel({ frames: 256, cpus, hooks });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 4 * 4096, prot: RW });
  if (r.kind !== 'ok') throw new Error('mmap');
  return { kernel, pid, addr: r.address };
}

describe('hooks', () => {
  test('the reference hooks are what a kernel without options uses', () => {
    const kernel = new Kernel({ frames: 128 });
    expect(kernel.hooks).toEqual(referenceHooks);
  });

  test('a TLB flush that forgets the other CPUs leaves a stale writable entry working there', () => {
    // Only the first CPU in the mask is flushed: the IPIs are never sent.
    const localOnly: KernelHooks['flushTlbPage'] = (k, { mm, address }) => {
      const [first] = k.cpusThatMayCache(mm);
      if (first !== undefined) k.invalidateTlbEntry(first, mm, address);
    };
    const { kernel, pid, addr } = kernelWith({ flushTlbPage: localOnly }, 2);
    const worker = kernel.thread(pid).pid;
    kernel.switchTo(0, pid);
    kernel.switchTo(1, worker);
    kernel.access(pid, addr, 'write', 1);
    kernel.access(worker, addr, 'write', 2); // CPU 1 now caches a writable entry
    expect(kernel.mprotect(pid, addr, 4096, { read: true, write: false, exec: false })).toBeNull();
    // With the bug the write on CPU 1 goes through a read-only page.
    expect(kernel.access(worker, addr, 'write', 3)).toMatchObject({ kind: 'ok', faults: [] });
    expect(checkInvariants(kernel).join('\n')).toContain('cpu 1: TLB entry');

    // The reference shoots down every CPU: the same write is SIGSEGV.
    const good = kernelWith({}, 2);
    const w = good.kernel.thread(good.pid).pid;
    good.kernel.switchTo(0, good.pid);
    good.kernel.switchTo(1, w);
    good.kernel.access(good.pid, good.addr, 'write', 1);
    good.kernel.access(w, good.addr, 'write', 2);
    good.kernel.mprotect(good.pid, good.addr, 4096, { read: true, write: false, exec: false });
    expect(good.kernel.access(w, good.addr, 'write', 3)).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR' },
    });
  });

  test('an anonymous-fault handler that forgets clear_page leaks old data into a new mapping', () => {
    const noClear: KernelHooks['anonymousFault'] = (k, f, vma) => {
      const pfn = k.allocPage();
      k.mapPage(f.mm!, f.address, pfn, { writable: true, exec: vma.exec, dirty: true });
      return { kind: 'resolved', resolution: 'demand-zero' };
    };
    const { kernel, pid, addr } = kernelWith({ anonymousFault: noClear });
    kernel.access(pid, addr + 100, 'write', 0x5e);
    kernel.munmap(pid, addr, 4096);
    const again = kernel.mmap(pid, { address: addr, length: 4096, prot: RW, fixed: true });
    expect(again.kind).toBe('ok');
    kernel.access(pid, addr, 'write', 1);
    // A fresh anonymous page must read as zero; this one still holds the old byte.
    expect(kernel.access(pid, addr + 100, 'read')).toMatchObject({ value: 0x5e });
  });

  test('without exception-table fixups, copy_from_user of a bad pointer oopses instead of returning -EFAULT', () => {
    const { kernel, pid } = kernelWith({ exceptionFixup: () => null });
    const r = kernel.copyFromUser(pid, 0x6000_0000, 8);
    expect(r.oops).toContain('BUG: unable to handle page fault');
    expect(kernel.task(pid).alive).toBe(false);
  });

  test('a page walk that ignores swap entries turns swapped-out memory into fresh zero pages', () => {
    const noSwap: KernelHooks['walkPageTable'] = (k, req) => {
      const pte = referenceHooks.walkPageTable(k, req);
      return pte.kind === 'swap' ? { kind: 'none' } : pte;
    };
    const kernel = new Kernel({ frames: 256, hooks: { walkPageTable: noSwap } });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    kernel.access(pid, r.address, 'write', 7);
    while (kernel.task(pid).mm!.rss > 0) if (kernel.reclaim(1) === 0) break;
    // The data is in swap, but the buggy walk sees "nothing mapped" and the
    // fault handler installs a zero page over the swap entry... which
    // mapPage refuses: the kernel reports the inconsistency.
    expect(() => kernel.access(pid, r.address, 'read')).toThrow(/a PTE is already there/);
  });

  test('a COW break that always copies still works, but wastes a page the reference would reuse', () => {
    const alwaysCopy: KernelHooks['cowBreak'] = (k, f, pfn) => {
      const copy = k.allocPage();
      k.copyPage(pfn, copy);
      k.replacePage(f.mm!, f.address, copy, { writable: true, exec: false, dirty: true });
      return { kind: 'resolved', resolution: 'cow-copy' };
    };
    const { kernel, pid, addr } = kernelWith({ cowBreak: alwaysCopy });
    kernel.access(pid, addr, 'write', 1);
    const child = kernel.fork(pid).pid;
    kernel.exit(child);
    // The parent is the only user again: Linux reuses the page; this copies it.
    expect(kernel.access(pid, addr, 'write', 2).faults.map((f) => f.resolution)).toEqual(['cow-copy']);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});
