import { describe, expect, test } from 'vitest';
import { wouldFree } from './reclaim-scan.ts';
import { ScenarioSession } from './session.ts';

const RW = { read: true, write: true, exec: false };
const PAGE = 4096;

/**
 * Eight written pages after one real reclaim of one page: every page had its
 * second chance (accessed bits cleared), the first went to swap, two sit on
 * the inactive list, five on the active one. No TLB, so every access walks
 * the tables and sets the accessed bit again. Linux 5.8: a referenced
 * anonymous page is activated on its first scan (since 5.9 it is kept on
 * the inactive list until seen referenced twice).
 */
function aged(swapSlots?: number) {
  const s = new ScenarioSession({
    machine: { frames: 128, tlb: null, linux: '5.8', ...(swapSlots !== undefined ? { swapSlots } : {}) },
  });
  const pid = s.spawn('app').pid;
  const r = s.mmap(pid, { length: 8 * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  const page = (i: number) => r.address + i * PAGE;
  for (let i = 0; i < 8; i++) s.access(pid, page(i), 'write', { value: i });
  if (swapSlots === undefined) expect(s.reclaim(1)).toBe(1);
  else s.reclaim(1);
  const pfn = (i: number) => {
    const pte = s.page(pid, page(i)).pte;
    if (pte.kind !== 'present') throw new Error(`page ${i} is ${pte.kind}`);
    return pte.pfn;
  };
  return { s, pid, page, pfn };
}

describe('a reclaim that only scans', () => {
  test('reports the inactive list oldest first, with what the policy would do', () => {
    const { s, pid, page, pfn } = aged();
    expect(s.kernel.lru.members('inactive')).toEqual([pfn(1), pfn(2)]);
    s.access(pid, page(2), 'read');
    expect(s.scanForReclaim(8)).toEqual([
      { pfn: pfn(1), referenced: false, dirty: true, file: false, decision: 'reclaim', kept: null },
      { pfn: pfn(2), referenced: true, dirty: true, file: false, decision: 'activate', kept: null },
    ]);
  });

  test('stops once it has found as many victims as asked', () => {
    const { s } = aged();
    expect(s.scanForReclaim(1)).toHaveLength(1);
  });

  test('changes nothing: accessed bits, LRU lists, free frames and swap are as they were', () => {
    const { s, pid, page } = aged();
    s.access(pid, page(2), 'read');
    const before = {
      inactive: s.kernel.lru.members('inactive'),
      active: s.kernel.lru.members('active'),
      free: s.freeFrames(),
      ptes: [0, 1, 2, 3].map((i) => s.page(pid, page(i)).pte),
      stats: s.stats(),
    };
    s.scanForReclaim(8);
    s.scanForReclaim(8);
    expect({
      inactive: s.kernel.lru.members('inactive'),
      active: s.kernel.lru.members('active'),
      free: s.freeFrames(),
      ptes: [0, 1, 2, 3].map((i) => s.page(pid, page(i)).pte),
      stats: s.stats(),
    }).toEqual(before);
  });

  test('the victim it names is the page the next real reclaim takes', () => {
    const { s, pid, page, pfn } = aged();
    s.access(pid, page(2), 'read');
    const victim = s.scanForReclaim(1)[0]!;
    expect(victim.decision).toBe('reclaim');
    expect(victim.pfn).toBe(pfn(1));
    expect(s.reclaim(1)).toBe(1);
    expect(s.page(pid, page(1)).pte.kind).toBe('swap');
    expect(s.page(pid, page(2)).pte.kind).toBe('present');
  });

  test('asks the installed policy: one that keeps everything names no victim', () => {
    const { s } = aged();
    s.useHook('reclaimDecision', 'empty');
    expect(s.scanForReclaim(8).map((p) => p.decision)).toEqual(['keep', 'keep']);
  });

  test('counts only pages the kernel would free: with no swap, an anonymous page stays', () => {
    const s = new ScenarioSession({ machine: { frames: 128, tlb: null, swapSlots: 0 } });
    const pid = s.spawn('app').pid;
    const r = s.mmap(pid, { length: 3 * PAGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    for (let i = 0; i < 3; i++) s.access(pid, r.address + i * PAGE, 'write', { value: 1 });
    s.reclaim(3); // ages them: every page's second chance used up, all inactive now
    const scanned = s.scanForReclaim(3);
    expect(scanned.filter((p) => p.decision === 'reclaim').length).toBeGreaterThan(0);
    expect(scanned.every((p) => p.decision !== 'reclaim' || p.kept === 'no-swap')).toBe(true);
    expect(scanned.filter(wouldFree)).toEqual([]);
    expect(s.reclaim(3)).toBe(0);
  });

  test('a swap with one slot: the first dirty page takes it, the next finds swap full', () => {
    const s = new ScenarioSession({ machine: { frames: 128, tlb: null, swapSlots: 1 } });
    const pid = s.spawn('app').pid;
    const r = s.mmap(pid, { length: 3 * PAGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    for (let i = 0; i < 3; i++) s.access(pid, r.address + i * PAGE, 'write', { value: 1 });
    // Age them without freeing any: a policy that only activates, then the reference one again.
    s.useHook('reclaimDecision', () => 'keep');
    s.reclaim(3);
    s.restoreHook('reclaimDecision');
    const scanned = s.scanForReclaim(3).filter((p) => p.decision === 'reclaim');
    expect(scanned.map((p) => p.kept)).toEqual([null, ...scanned.slice(1).map(() => 'swap-full')]);
    expect(scanned.length).toBeGreaterThan(1);
    expect(s.reclaim(3)).toBe(1);
  });
});
