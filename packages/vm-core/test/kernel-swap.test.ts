// Swap and reclaim: what the swapper does with accessed and dirty bits.
import { describe, expect, test } from 'vitest';
import { Kernel, type TraceEvent } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';

const RW = { read: true, write: true, exec: false };

function fill(kernel: Kernel, pid: number, pages: number): number {
  const r = kernel.mmap(pid, { length: pages * 4096, prot: RW });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  for (let i = 0; i < pages; i++) {
    const out = kernel.access(pid, r.address + i * 4096, 'write', i & 0xff);
    if (out.kind !== 'ok') throw new Error(`write ${i}: ${out.kind}`);
  }
  return r.address;
}

describe('swap', () => {
  test('under pressure user pages swap out and come back intact; kernel pages stay resident', () => {
    const kernel = new Kernel({ frames: 96 });
    const kbuf = kernel.kmalloc(4096)!;
    const pid = kernel.spawn('big').pid;
    const base = fill(kernel, pid, 120); // more pages than there are frames
    expect(kernel.stats.swapOuts).toBeGreaterThan(20);
    kernel.switchTo(0, pid);
    expect(kernel.kernelAccess(0, kbuf, 'read')).toMatchObject({ kind: 'ok', faults: [] });
    const swapIns = new Set<string>();
    for (let i = 0; i < 120; i++) {
      const r = kernel.access(pid, base + i * 4096, 'read');
      expect(r).toMatchObject({ kind: 'ok', value: i & 0xff });
      for (const f of r.faults) swapIns.add(f.resolution);
    }
    expect(swapIns).toContain('swap-in');
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a page read back from swap and left clean is dropped again without another write', () => {
    const kernel = new Kernel({ frames: 128, swapSlots: 64 });
    const pid = kernel.spawn('app').pid;
    const base = fill(kernel, pid, 8);
    // Push everything out.
    expect(kernel.reclaim(8)).toBeGreaterThan(0);
    while (kernel.task(pid).mm!.rss > 0) if (kernel.reclaim(8) === 0) break;
    expect(kernel.task(pid).mm!.rss).toBe(0);
    const written = kernel.stats.swapOuts;
    expect(kernel.access(pid, base, 'read')).toMatchObject({ kind: 'ok', value: 0 });
    expect(kernel.swapCache.size).toBe(1);
    while (kernel.task(pid).mm!.rss > 0) if (kernel.reclaim(1) === 0) break;
    expect(kernel.stats.swapOuts).toBe(written); // clean: dropped, not written
    // Dirty it: now it must be written again.
    expect(kernel.access(pid, base, 'write', 9).kind).toBe('ok');
    while (kernel.task(pid).mm!.rss > 0) if (kernel.reclaim(1) === 0) break;
    expect(kernel.stats.swapOuts).toBe(written + 1);
    expect(kernel.access(pid, base, 'read')).toMatchObject({ value: 9 });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('second chance: pages touched since the last scan stay; untouched ones go', () => {
    // No TLB, so every access walks and sets the accessed bit.
    const kernel = new Kernel({ frames: 256, swapSlots: 64, tlb: null });
    const pid = kernel.spawn('app').pid;
    const base = fill(kernel, pid, 6);
    const mm = kernel.task(pid).mm!.id;
    const swapped = () =>
      [0, 1, 2, 3, 4, 5].filter(
        (i) => kernel.api.hooks.walkPageTable(mm, BigInt(base + i * 4096)).kind === 'swap',
      );
    // Every page was just written: the first pass only clears their accessed
    // bits (second chances) until it finds one that is no longer referenced.
    expect(kernel.reclaim(1)).toBe(1);
    expect(swapped()).toEqual([0]);
    kernel.access(pid, base + 1 * 4096, 'read');
    kernel.access(pid, base + 2 * 4096, 'read');
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    expect(kernel.reclaim(2)).toBe(2);
    expect(swapped()).toEqual([0, 3, 4]);
    expect(events.filter((e) => e.type === 'swap-out')).toHaveLength(2);
  });

  test('fork shares swap entries; each side reads its data back', () => {
    const kernel = new Kernel({ frames: 128, swapSlots: 64 });
    const pid = kernel.spawn('app').pid;
    const base = fill(kernel, pid, 4);
    while (kernel.task(pid).mm!.rss > 0) if (kernel.reclaim(4) === 0) break;
    const child = kernel.fork(pid).pid;
    expect(kernel.access(child, base + 4096, 'read')).toMatchObject({ value: 1 });
    expect(kernel.access(pid, base + 4096, 'write', 0x77).kind).toBe('ok');
    expect(kernel.access(child, base + 4096, 'read')).toMatchObject({ value: 1 });
    expect(kernel.access(pid, base + 4096, 'read')).toMatchObject({ value: 0x77 });
    expect(checkInvariants(kernel)).toEqual([]);
    kernel.exit(child);
    kernel.exit(pid);
    expect(kernel.swap!.inUse).toBe(0);
  });

  test('the OOM killer runs only when nothing is reclaimable, and picks the largest process', () => {
    const kernel = new Kernel({ frames: 96, swapSlots: 0 });
    const small = kernel.spawn('small').pid;
    fill(kernel, small, 4);
    const big = kernel.spawn('big').pid;
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    const r = kernel.mmap(big, { length: 200 * 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    let outcome = '';
    for (let i = 0; i < 200 && outcome === ''; i++) {
      const w = kernel.access(big, r.address + i * 4096, 'write', 1);
      if (w.kind !== 'ok') outcome = w.kind;
    }
    expect(events.find((e) => e.type === 'oom-kill')).toMatchObject({ pid: big });
    expect(kernel.task(big).alive).toBe(false);
    expect(kernel.task(small).alive).toBe(true);
    expect(kernel.task(big).death).toMatchObject({ signal: { signal: 'SIGKILL' } });
  });

  test('kswapd wakes below the low watermark and reclaims up to the high one', () => {
    const kernel = new Kernel({ frames: 128, swapSlots: 128 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 200 * 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    let i = 0;
    while (kernel.frames.free >= kernel.watermarks.low)
      kernel.access(pid, r.address + i++ * 4096, 'write', 1);
    expect(kernel.runKswapd()).toBeGreaterThan(0);
    expect(kernel.frames.free).toBeGreaterThanOrEqual(kernel.watermarks.high);
    expect(kernel.stats.kswapdRuns).toBe(1);
  });
});
