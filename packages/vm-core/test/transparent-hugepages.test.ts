// Transparent huge pages (mm/huge_memory.c, Linux 6.1) with enabled =
// always and use_zero_page = 1: one fault maps 2 MiB, a read maps the huge
// zero page, and what changes part of a block splits it. The conformance
// case transparent-hugepages checks the same against Debian's kernel.
import { describe, expect, test } from 'vitest';
import { checkInvariants, Kernel, type KernelArch } from '../src/kernel/index.ts';

const PAGE = 4096;
const HUGE = 2 * 1024 * 1024;
const RW = { read: true, write: true, exec: false };

function machine(arch: KernelArch = 'x86-64', thp: 'always' | 'never' = 'always') {
  const kernel = new Kernel({ arch, frames: 4096, transparentHugepage: thp });
  const pid = kernel.spawn('app').pid;
  /** A 4 MiB private area: it holds at least one whole aligned 2 MiB block. */
  const map = (length = 2 * HUGE) => {
    const r = kernel.mmap(pid, { length, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    return r.address;
  };
  const block = (area: number) => Math.ceil(area / HUGE) * HUGE;
  const touch = (va: number, kind: 'read' | 'write', value = 0, who = pid) => {
    const r = kernel.access(who, va, kind, value);
    if (r.kind !== 'ok') throw new Error(`${kind} ${va.toString(16)}: ${r.kind}`);
    return { value: r.value, faults: r.faults.map((f) => f.resolution) };
  };
  const splits: number[] = [];
  kernel.subscribe((e) => {
    if (e.type === 'thp-split') splits.push(e.address);
  });
  return { kernel, pid, map, block, touch, splits };
}

describe.each(['x86-64', 'arm64', 'riscv-sv39'] as const)('transparent huge pages on %s', (arch) => {
  test('a write maps a whole 2 MiB page: one fault, then none for the other 511 pages', () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const b = block(map());
    const rss = kernel.task(pid).mm!.rss;
    expect(touch(b + 5 * PAGE, 'write', 7).faults).toEqual(['huge-page']);
    expect(kernel.task(pid).mm!.rss - rss).toBe(512);
    expect(touch(b + 511 * PAGE, 'write', 8).faults).toEqual([]);
    expect(touch(b, 'read').value).toBe(0);
    expect(touch(b + 5 * PAGE, 'read').value).toBe(7);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a read maps the huge zero page; the first write splits it and copies one 4 KiB page', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    const rss = kernel.task(pid).mm!.rss;
    expect(touch(b, 'read').faults).toEqual(['huge-zero-page']);
    expect(touch(b + 300 * PAGE, 'read').faults).toEqual([]);
    expect(kernel.task(pid).mm!.rss - rss).toBe(0);
    expect(touch(b + 3 * PAGE, 'write', 9).faults).toEqual(['cow-copy']);
    expect(splits).toEqual([b]);
    expect(kernel.task(pid).mm!.rss - rss).toBe(1);
    // The other pages map the small zero page now: a write to one is another 4 KiB copy.
    expect(touch(b + 4 * PAGE, 'write', 1).faults).toEqual(['cow-copy']);
    expect(touch(b + 3 * PAGE, 'read').value).toBe(9);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('munmap of one page splits the huge page; the rest stays mapped without faults', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    touch(b, 'write', 3);
    expect(kernel.munmap(pid, b + 10 * PAGE, PAGE)).toBeNull();
    expect(splits).toEqual([b]);
    expect(kernel.task(pid).mm!.rss).toBeGreaterThanOrEqual(511);
    expect(touch(b, 'read')).toEqual({ value: 3, faults: [] });
    expect(touch(b + 11 * PAGE, 'write', 4).faults).toEqual([]);
    expect(kernel.access(pid, b + 10 * PAGE, 'read').kind).toBe('signal');
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('fork shares the pages; the first write on either side copies 4 KiB, not 2 MiB', () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const b = block(map());
    touch(b, 'write', 1);
    const child = kernel.fork(pid).pid;
    // The child's entries start old (copy_present_pte's pte_mkold, as
    // copy_huge_pmd's pmd_mkold would): where software keeps the accessed
    // bit (RISC-V's Svade) its first read faults to set it.
    expect(touch(b + PAGE, 'read', 0, child).faults).toEqual(arch === 'riscv-sv39' ? ['access-flags'] : []);
    expect(touch(b + 2 * PAGE, 'write', 5, child).faults).toEqual(['cow-copy']);
    expect(touch(b + 2 * PAGE, 'read').value).toBe(0);
    // One fault for the parent too. (Linux 6.1 copies here as well: its
    // split page stays one folio whose refcount counts the child's other
    // 511 mappings; split pages here are 512 pages of their own, and this
    // one is the parent's alone, so it is reused.)
    expect(touch(b + 2 * PAGE, 'write', 6).faults).toHaveLength(1);
    expect(touch(b, 'read', 0, child).value).toBe(1);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('fork keeps the PMD whole on both sides; once the child is gone, a write reuses all 2 MiB', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    touch(b, 'write', 1);
    const child = kernel.fork(pid).pid;
    expect(splits).toEqual([]);
    kernel.exit(child, 0);
    kernel.wait(pid, child);
    expect(touch(b + PAGE, 'write', 2).faults).toEqual(['cow-reuse']);
    expect(touch(b + 9 * PAGE, 'write', 2).faults).toEqual([]);
    expect(splits).toEqual([]);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('MADV_DONTNEED of one page splits; that page reads zero again, the others keep their data', () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const b = block(map());
    touch(b + PAGE, 'write', 2);
    touch(b + 2 * PAGE, 'write', 3);
    expect(kernel.madviseDontneed(pid, b + PAGE, PAGE)).toBeNull();
    expect(touch(b + PAGE, 'read')).toEqual({ value: 0, faults: ['zero-page'] });
    expect(touch(b + 2 * PAGE, 'read')).toEqual({ value: 3, faults: [] });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('exit frees all 512 pages', () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const free = kernel.frames.free;
    touch(block(map()), 'write', 1);
    expect(kernel.frames.free).toBeLessThan(free - 512);
    kernel.exit(pid, 0);
    expect(checkInvariants(kernel)).toEqual([]);
    // The mm's page tables are gone too; only the huge zero page would stay, and none was needed.
    expect(kernel.frames.free).toBeGreaterThanOrEqual(free);
  });
});

describe.each(['x86-64', 'arm64', 'riscv-sv39'] as const)('mprotect of huge pages on %s', (arch) => {
  test('a whole block changes in place and stays huge; write comes back with one fault that reuses it', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    touch(b, 'write', 1);
    expect(kernel.mprotect(pid, b, HUGE, { read: true, write: false, exec: false })).toBeNull();
    const pte = () => kernel.tables.readPte(kernel.task(pid).mm!.pgdPfn, b + PAGE);
    expect(kernel.arch.pte.write(pte())).toBe(false);
    expect(touch(b + PAGE, 'read').faults).toEqual([]);
    expect(kernel.mprotect(pid, b, HUGE, RW)).toBeNull();
    expect(touch(b + PAGE, 'write', 2).faults).toEqual(['cow-reuse']);
    expect(touch(b + 2 * PAGE, 'write', 3).faults).toEqual([]);
    expect(splits).toEqual([]);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('part of a block, or PROT_NONE, splits it', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map(3 * HUGE));
    touch(b, 'write', 1);
    touch(b + HUGE, 'write', 1);
    expect(kernel.mprotect(pid, b, PAGE, { read: true, write: false, exec: false })).toBeNull();
    expect(kernel.mprotect(pid, b + HUGE, HUGE, { read: false, write: false, exec: false })).toBeNull();
    expect(splits).toEqual([b, b + HUGE]);
    expect(touch(b + PAGE, 'write', 2).faults).toEqual([]);
    expect(kernel.access(pid, b + HUGE, 'read').kind).toBe('signal');
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe('when there is no huge page', () => {
  test('THP off (the default): every page takes its own fault', () => {
    const { map, block, touch } = machine('x86-64', 'never');
    const b = block(map());
    expect(touch(b, 'write', 1).faults).toEqual(['demand-zero']);
    expect(touch(b + PAGE, 'write', 1).faults).toEqual(['demand-zero']);
  });

  test('a block not wholly inside the area gets 4 KiB pages', () => {
    const { map, touch } = machine();
    const area = map(HUGE);
    // 2 MiB from a page-aligned, not 2 MiB-aligned start: no aligned block fits unless the area is aligned.
    const aligned = area % HUGE === 0;
    expect(touch(area, 'write', 1).faults).toEqual([aligned ? 'huge-page' : 'demand-zero']);
  });

  test('a block with a page table already there stays small (khugepaged would collapse it; none runs)', () => {
    const { kernel, pid, block, touch } = machine();
    const r = kernel.mmap(pid, { length: 3 * HUGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const b = block(r.address);
    expect(kernel.munmap(pid, b + HUGE - PAGE, PAGE)).toBeNull();
    // The block at b now ends one page short of 2 MiB: 4 KiB pages.
    expect(touch(b, 'write', 1).faults).toEqual(['demand-zero']);
  });

  test('too little memory for 512 contiguous frames: the fault falls back to one page', () => {
    const kernel = new Kernel({ frames: 512, transparentHugepage: 'always' });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 2 * HUGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const b = Math.ceil(r.address / HUGE) * HUGE;
    const w = kernel.access(pid, b, 'write', 1);
    expect(w.kind === 'ok' && w.faults.map((f) => f.resolution)).toEqual(['demand-zero']);
    const rd = kernel.access(pid, b + HUGE / 2, 'read');
    expect(rd.kind === 'ok' && rd.faults.map((f) => f.resolution)).toEqual(['zero-page']);
  });

  test("x86-32 refuses 'always': its 2-level paging has no PMD of its own", () => {
    expect(() => new Kernel({ arch: 'x86-32', transparentHugepage: 'always' })).toThrow(/PAE/);
  });
});

describe('mremap of huge pages', () => {
  test.each([
    ['an aligned block moves whole: no split, no fault at the new address', 0x5000_0000, false],
    ['a move that does not keep 2 MiB alignment splits and carries the PTEs', 0x5000_1000, true],
  ])('%s', (_title, to, split) => {
    const { kernel, pid, map, block, touch, splits } = machine();
    const b = block(map(3 * HUGE));
    touch(b + PAGE, 'write', 4);
    const move = { address: b, oldLength: HUGE, newLength: HUGE, mayMove: true, fixed: true, newAddress: to };
    const r = kernel.mremap(pid, move);
    expect(r.kind === 'ok' && r.address).toBe(to);
    expect(splits).toEqual(split ? [b] : []);
    expect(touch(to + PAGE, 'read')).toEqual({ value: 4, faults: [] });
    expect(touch(to + 7 * PAGE, 'write', 1).faults).toEqual([]);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe('reclaim and huge pages', () => {
  test('reclaim splits a huge page and swaps its pages out; they come back with their data', () => {
    const kernel = new Kernel({ frames: 1024, transparentHugepage: 'always' });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 2 * HUGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const b = Math.ceil(r.address / HUGE) * HUGE;
    const w = kernel.access(pid, b + 3 * PAGE, 'write', 42);
    expect(w.kind === 'ok' && w.faults.map((f) => f.resolution)).toEqual(['huge-page']);
    const splits: number[] = [];
    kernel.subscribe((e) => {
      if (e.type === 'thp-split') splits.push(e.address);
    });
    expect(kernel.reclaim(256)).toBeGreaterThan(0);
    expect(splits).toEqual([b]);
    expect(checkInvariants(kernel)).toEqual([]);
    const back = kernel.access(pid, b + 3 * PAGE, 'read');
    expect(back.kind === 'ok' && back.value).toBe(42);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

// Found in review: each a way the bookkeeping of a huge page could go wrong.
describe.each(['x86-64', 'arm64', 'riscv-sv39'] as const)('huge pages kept straight on %s', (arch) => {
  test("after the child unmaps the huge page's first page, the parent's write still copies: the rest is shared", () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const b = block(map());
    touch(b + 5 * PAGE, 'write', 1);
    const child = kernel.fork(pid).pid;
    expect(kernel.munmap(child, b, PAGE)).toBeNull();
    expect(touch(b + 5 * PAGE, 'write', 99).faults).toEqual(['cow-copy']);
    expect(touch(b + 5 * PAGE, 'read', 0, child).value).toBe(1);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('fork when memory is short: reclaim may split the huge page being copied, and the child still gets its data', () => {
    for (const spare of [0, 1, 2, 3, 5, 8]) {
      const kernel = new Kernel({ arch, frames: 2048, transparentHugepage: 'always' });
      const pid = kernel.spawn('app').pid;
      const r = kernel.mmap(pid, { length: 2 * HUGE, prot: RW });
      if (r.kind !== 'ok') throw new Error(r.errno);
      const b = Math.ceil(r.address / HUGE) * HUGE;
      kernel.access(pid, b + 7 * PAGE, 'write', 9);
      const held: number[] = [];
      for (let a = kernel.kmalloc(4096); a !== null; a = kernel.kmalloc(4096)) held.push(a);
      for (const a of held.slice(0, spare)) kernel.kfree(a);
      const child = kernel.fork(pid).pid;
      const read = kernel.access(child, b + 7 * PAGE, 'read');
      expect(read.kind === 'ok' && read.value).toBe(9);
      expect(checkInvariants(kernel)).toEqual([]);
    }
  });

  test('mremap when memory is short moves every page, split or whole', () => {
    const kernel = new Kernel({ arch, frames: 2048, transparentHugepage: 'always' });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 3 * HUGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const b = Math.ceil(r.address / HUGE) * HUGE;
    kernel.access(pid, b + 3 * PAGE, 'write', 4);
    for (let a = kernel.kmalloc(4096); a !== null; a = kernel.kmalloc(4096));
    const to = 0x5000_0000;
    const move = { address: b, oldLength: HUGE, newLength: HUGE, mayMove: true, fixed: true, newAddress: to };
    const moved = kernel.mremap(pid, move);
    if (moved.kind === 'ok') {
      const read = kernel.access(pid, to + 3 * PAGE, 'read');
      expect(read.kind === 'ok' && read.value).toBe(4);
    } else {
      expect(moved.errno).toBe('ENOMEM');
    }
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('mlock of one page splits the huge page at the new area boundary, so fork copies it all', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    touch(b + 100 * PAGE, 'write', 42);
    expect(kernel.mlock(pid, b, PAGE).errno).toBeNull();
    expect(splits).toEqual([b]);
    const child = kernel.fork(pid).pid;
    expect(touch(b + 100 * PAGE, 'read', 0, child).value).toBe(42);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test("asking reclaim about a huge page's page changes nothing", () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map());
    touch(b, 'write', 1);
    const pfn = Number(kernel.arch.pte.pfn(kernel.tables.readPte(kernel.task(pid).mm!.pgdPfn, b)));
    kernel.reclaimCandidate(pfn);
    kernel.reclaimCheck(pfn);
    expect(splits).toEqual([]);
    expect(kernel.hugePmds.size).toBe(1);
  });

  test('mprotect to rwx and back takes write away from a private huge page: the next write faults once', () => {
    const { kernel, pid, map, block, touch } = machine(arch);
    const b = block(map());
    touch(b, 'write', 1);
    expect(kernel.mprotect(pid, b, HUGE, { read: true, write: true, exec: true })).toBeNull();
    expect(touch(b + PAGE, 'write', 2).faults).toEqual(['cow-reuse']);
    expect(kernel.mprotect(pid, b, HUGE, { read: true, write: true, exec: true })).toBeNull();
    // The same rights again change nothing (mprotect_fixup): still writable.
    expect(touch(b + 2 * PAGE, 'write', 3).faults).toEqual([]);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

describe.each(['x86-64', 'arm64'] as const)('reclaim and area flags around huge pages on %s', (arch) => {
  test('a huge page as young as the small pages keeps its second chance: reclaim takes the older small pages first', () => {
    const kernel = new Kernel({ arch, frames: 4096, transparentHugepage: 'always' });
    const pid = kernel.spawn('app').pid;
    // rwx: an area of its own (not merged with the next), too small for a huge page.
    const small = kernel.mmap(pid, { length: 50 * PAGE, prot: { ...RW, exec: true } });
    const big = kernel.mmap(pid, { length: 2 * HUGE, prot: RW });
    if (small.kind !== 'ok' || big.kind !== 'ok') throw new Error('mmap');
    for (let i = 0; i < 50; i++) kernel.access(pid, small.address + i * PAGE, 'write', i);
    const b = Math.ceil(big.address / HUGE) * HUGE;
    kernel.access(pid, b, 'write', 7);
    expect(kernel.reclaim(10)).toBeGreaterThan(0);
    const mm = kernel.task(pid).mm!;
    const mapped = (va: number) => kernel.arch.pte.valid(kernel.tables.readPte(mm.pgdPfn, va));
    let smallLeft = 0;
    for (let i = 0; i < 50; i++) if (mapped(small.address + i * PAGE)) smallLeft++;
    let hugeLeft = 0;
    for (let i = 0; i < 512; i++) if (mapped(b + i * PAGE)) hugeLeft++;
    expect(hugeLeft).toBe(512);
    expect(smallLeft).toBeLessThan(50);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('munlock of a range never locked, or mlock of one already locked, splits nothing', () => {
    const { kernel, pid, map, block, touch, splits } = machine(arch);
    const b = block(map(3 * HUGE));
    touch(b, 'write', 1);
    touch(b + HUGE, 'write', 1);
    expect(kernel.munlock(pid, b + PAGE, PAGE)).toBeNull();
    expect(kernel.mlock(pid, b, 2 * HUGE).errno).toBeNull();
    expect(kernel.mlock(pid, b + HUGE + PAGE, PAGE).errno).toBeNull();
    expect(splits).toEqual([]);
    // Unlocking one page does cut the area there: that huge page splits.
    expect(kernel.munlock(pid, b + PAGE, PAGE)).toBeNull();
    expect(splits).toEqual([b]);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});

test('fork of a process with a huge sparse area copies both ends', () => {
  const kernel = new Kernel({ frames: 4096 });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 2 ** 40, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  kernel.access(pid, r.address, 'write', 1);
  kernel.access(pid, r.address + 2 ** 40 - PAGE, 'write', 2);
  const child = kernel.fork(pid).pid;
  const first = kernel.access(child, r.address, 'read');
  const last = kernel.access(child, r.address + 2 ** 40 - PAGE, 'read');
  expect([first.kind === 'ok' && first.value, last.kind === 'ok' && last.value]).toEqual([1, 2]);
  expect(checkInvariants(kernel)).toEqual([]);
});
