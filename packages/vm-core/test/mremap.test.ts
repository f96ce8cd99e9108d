// mremap() as Linux 6.1 does it (mm/mremap.c): shrink, grow in place, or
// move with the PTEs carried along — the moved page is there without a
// fault. The conformance case mremap checks the same against Debian's kernel.
import { describe, expect, test } from 'vitest';
import { checkInvariants, KERNEL_ARCHES, Kernel, type MremapRequest } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

function machine(options: { uid?: number } = {}) {
  const kernel = new Kernel({ frames: 256, swapSlots: 64 });
  const pid = kernel.spawn('app', options).pid;
  const map = (
    length: number,
    extra: { shared?: boolean; file?: string; address?: number; fixed?: boolean } = {},
  ) => {
    const r = kernel.mmap(pid, { length, prot: RW, ...extra });
    if (r.kind !== 'ok') throw new Error(r.errno);
    return r.address;
  };
  /** What a load sees: the byte and the faults it took, or the signal. */
  const read = (va: number) => {
    const r = kernel.access(pid, va, 'read');
    if (r.kind === 'ok') return { value: r.value, faults: r.faults.map((f) => f.resolution) };
    return r.kind === 'signal' ? `${r.signal.signal} ${r.signal.code}` : r.kind;
  };
  const write = (va: number, value: number) => expect(kernel.access(pid, va, 'write', value).kind).toBe('ok');
  const mremap = (request: MremapRequest) => {
    const r = kernel.mremap(pid, request);
    return r.kind === 'ok' ? r.address : r.errno;
  };
  /** MREMAP_FIXED of one page from `from` to `to`. */
  const moveTo = (from: number, to: number) =>
    mremap({ address: from, oldLength: PAGE, newLength: PAGE, mayMove: true, fixed: true, newAddress: to });
  /** The frame `va` maps in `who`'s tables (x86-64: bits 12–51), or null. */
  const pfnAt = (va: number, who = pid) => {
    const pte = kernel.tables.readPte(kernel.task(who).mm!.pgdPfn, va);
    return (pte & 1n) === 0n ? null : Number((pte >> 12n) & ((1n << 40n) - 1n));
  };
  const clean = () => expect(checkInvariants(kernel)).toEqual([]);
  return { kernel, pid, map, read, write, mremap, moveTo, pfnAt, clean };
}

/** Two adjacent mappings: `buf` (pages), and a page mapped right after it so it cannot grow in place. */
function boxedIn(m: ReturnType<typeof machine>, pages = 1) {
  const buf = m.map(pages * PAGE);
  m.map(PAGE, { address: buf + pages * PAGE, fixed: true, shared: true });
  return buf;
}

describe('mremap moves the page tables, not the data', () => {
  test('a moved page is there without a fault: the same frame, the old address gone', () => {
    const m = machine();
    const buf = boxedIn(m);
    m.write(buf + 5, 0x5a);
    const frame = m.pfnAt(buf);
    const to = m.mremap({ address: buf, oldLength: PAGE, newLength: 2 * PAGE, mayMove: true });
    expect(typeof to).toBe('number');
    expect(to).not.toBe(buf);
    const at = to as number;
    expect(m.pfnAt(at)).toBe(frame);
    expect(m.read(at + 5)).toEqual({ value: 0x5a, faults: [] });
    // The room it grew by is fresh memory: demand-zero on the first touch.
    expect(m.read(at + PAGE)).toEqual({ value: 0, faults: ['zero-page'] });
    expect(m.read(buf)).toBe('SIGSEGV SEGV_MAPERR');
    m.clean();
  });

  test('without MREMAP_MAYMOVE an area that cannot grow in place is ENOMEM, and nothing changes', () => {
    const m = machine();
    const buf = boxedIn(m);
    m.write(buf, 1);
    expect(m.mremap({ address: buf, oldLength: PAGE, newLength: 2 * PAGE })).toBe('ENOMEM');
    expect(m.read(buf)).toEqual({ value: 1, faults: [] });
  });

  test('growing in place where there is room keeps the address and the pages', () => {
    const m = machine();
    const buf = m.map(3 * PAGE);
    m.kernel.munmap(m.pid, buf + PAGE, 2 * PAGE);
    m.write(buf, 7);
    expect(m.mremap({ address: buf, oldLength: PAGE, newLength: 3 * PAGE })).toBe(buf);
    expect(m.read(buf)).toEqual({ value: 7, faults: [] });
    expect(m.read(buf + 2 * PAGE)).toEqual({ value: 0, faults: ['zero-page'] });
    m.clean();
  });

  test('shrinking unmaps the tail and always succeeds in place', () => {
    const m = machine();
    const buf = m.map(3 * PAGE);
    m.write(buf + 2 * PAGE, 9);
    expect(m.mremap({ address: buf, oldLength: 3 * PAGE, newLength: PAGE, mayMove: true })).toBe(buf);
    expect(m.kernel.task(m.pid).mm!.rss).toBe(0);
    m.clean();
    expect(m.read(buf + PAGE)).toBe('SIGSEGV SEGV_MAPERR');
  });

  test('MREMAP_FIXED replaces what was mapped at the destination', () => {
    const m = machine();
    const buf = m.map(PAGE);
    const other = m.map(2 * PAGE);
    m.write(buf, 3);
    m.write(other, 4);
    const r = m.moveTo(buf, other);
    expect(r).toBe(other);
    expect(m.read(other)).toEqual({ value: 3, faults: [] });
    // Only the new length was replaced: the page after it is the old mapping's, untouched.
    expect(m.read(other + PAGE)).toEqual({ value: 0, faults: ['zero-page'] });
    m.clean();
  });

  test('MREMAP_DONTUNMAP: the pages move, the old range stays mapped and faults afresh', () => {
    const m = machine();
    const buf = m.map(PAGE);
    m.write(buf, 8);
    const to = m.mremap({ address: buf, oldLength: PAGE, newLength: PAGE, mayMove: true, dontUnmap: true });
    expect(to).not.toBe(buf);
    expect(m.read(to as number)).toEqual({ value: 8, faults: [] });
    expect(m.read(buf)).toEqual({ value: 0, faults: ['zero-page'] });
    m.clean();
  });

  test("a forked child's COW-shared page moves in the parent and is still shared, still copy-on-write", () => {
    const m = machine();
    const buf = boxedIn(m);
    m.write(buf, 0x11);
    const child = m.kernel.fork(m.pid).pid;
    const frame = m.pfnAt(buf);
    const to = m.mremap({ address: buf, oldLength: PAGE, newLength: 2 * PAGE, mayMove: true }) as number;
    expect(m.pfnAt(to)).toBe(frame);
    expect(m.pfnAt(buf, child)).toBe(frame);
    expect(m.kernel.frames.mapcountOf(frame!)).toBe(2);
    expect(m.kernel.access(m.pid, to, 'write', 0x22).kind === 'ok' && m.pfnAt(to)).not.toBe(frame);
    const childRead = m.kernel.access(child, buf, 'read');
    expect(childRead.kind === 'ok' && childRead.value).toBe(0x11);
    m.clean();
  });

  test('a swapped-out page moves as its swap entry and comes back at the new address', () => {
    const m = machine();
    const buf = boxedIn(m, 2);
    m.write(buf, 0x33);
    m.write(buf + PAGE, 0x44);
    for (let i = 0; i < 4 && m.kernel.stats.swapOuts < 2; i++) m.kernel.reclaim(256);
    expect(m.pfnAt(buf)).toBeNull();
    const to = m.mremap({ address: buf, oldLength: 2 * PAGE, newLength: 3 * PAGE, mayMove: true }) as number;
    const back = m.read(to);
    expect(back).toMatchObject({ value: 0x33 });
    expect((back as { faults: string[] }).faults).toEqual(['swap-in']);
    m.clean();
  });

  test('a locked area that grows is faulted in during the call', () => {
    const m = machine();
    const buf = m.map(3 * PAGE);
    m.kernel.munmap(m.pid, buf + PAGE, 2 * PAGE);
    expect(m.kernel.mlock(m.pid, buf, PAGE).errno).toBeNull();
    const r = m.kernel.mremap(m.pid, { address: buf, oldLength: PAGE, newLength: 3 * PAGE });
    expect(r).toMatchObject({ kind: 'ok', address: buf });
    expect(r.kind === 'ok' && r.faults?.length).toBe(2);
    expect(m.read(buf + 2 * PAGE)).toEqual({ value: 0, faults: [] });
    m.clean();
  });

  test('old length 0 duplicates a shared mapping: both see the same page', () => {
    const m = machine();
    const shm = m.map(PAGE, { shared: true });
    m.write(shm, 0x66);
    const copy = m.mremap({ address: shm, oldLength: 0, newLength: PAGE, mayMove: true }) as number;
    expect(copy).not.toBe(shm);
    expect(m.read(copy)).toMatchObject({ value: 0x66 });
    m.write(copy, 0x67);
    expect(m.read(shm)).toMatchObject({ value: 0x67 });
    const priv = m.map(PAGE);
    expect(m.mremap({ address: priv, oldLength: 0, newLength: PAGE, mayMove: true })).toBe('EINVAL');
    m.clean();
  });
});

test.each(KERNEL_ARCHES)('%s: a moved page needs no fault, and its old address faults', (arch) => {
  const kernel = new Kernel({ arch, frames: 256 });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 2 * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  kernel.mprotect(pid, r.address + PAGE, PAGE, { read: true, write: false, exec: false });
  expect(kernel.access(pid, r.address, 'write', 0x5a).kind).toBe('ok');
  const moved = kernel.mremap(pid, {
    address: r.address,
    oldLength: PAGE,
    newLength: 2 * PAGE,
    mayMove: true,
  });
  if (moved.kind !== 'ok') throw new Error(moved.errno);
  expect(moved.address).not.toBe(r.address);
  expect(kernel.access(pid, moved.address, 'read')).toMatchObject({ kind: 'ok', value: 0x5a, faults: [] });
  expect(checkInvariants(kernel)).toEqual([]);
  expect(kernel.access(pid, r.address, 'read')).toMatchObject({ kind: 'signal' });
});

describe('mremap refuses as Linux does', () => {
  test.each<[string, (buf: number) => MremapRequest, string]>([
    ['an unaligned address', (b) => ({ address: b + 1, oldLength: PAGE, newLength: PAGE }), 'EINVAL'],
    ['a new length of 0', (b) => ({ address: b, oldLength: PAGE, newLength: 0 }), 'EINVAL'],
    [
      'MREMAP_FIXED without MREMAP_MAYMOVE',
      (b) => ({ address: b, oldLength: PAGE, newLength: PAGE, fixed: true }),
      'EINVAL',
    ],
    [
      'MREMAP_DONTUNMAP with a new length',
      (b) => ({ address: b, oldLength: PAGE, newLength: 2 * PAGE, mayMove: true, dontUnmap: true }),
      'EINVAL',
    ],
    ['an address no area holds', (b) => ({ address: b - PAGE, oldLength: PAGE, newLength: PAGE }), 'EFAULT'],
    [
      'a range beyond its area',
      (b) => ({ address: b, oldLength: 3 * PAGE, newLength: 4 * PAGE, mayMove: true }),
      'EFAULT',
    ],
    [
      'a destination overlapping the source',
      (b) => ({
        address: b,
        oldLength: PAGE,
        newLength: 2 * PAGE,
        mayMove: true,
        fixed: true,
        newAddress: b - PAGE,
      }),
      'EINVAL',
    ],
    [
      'an unaligned destination',
      (b) => ({
        address: b,
        oldLength: PAGE,
        newLength: PAGE,
        mayMove: true,
        fixed: true,
        newAddress: b + 9 * PAGE + 1,
      }),
      'EINVAL',
    ],
  ])('%s', (_what, request, errno) => {
    const m = machine();
    expect(m.mremap(request(boxedIn(m)))).toBe(errno);
  });

  test('a destination below mmap_min_addr is EPERM, except for root', () => {
    for (const [uid, expected] of [
      [1000, 'EPERM'],
      [0, 0x1000],
    ] as const) {
      const m = machine({ uid });
      const buf = m.map(PAGE);
      const r = m.moveTo(buf, 0x1000);
      expect(r).toBe(expected);
    }
  });

  test('a moved area that holds pages does not merge with a neighbour it lands beside', () => {
    const m = machine();
    const fixed = (address: number) => m.map(PAGE, { address, fixed: true });
    const [a, b, c, d] = [fixed(0x1000_0000), fixed(0x2000_0000), fixed(0x3000_0000), fixed(0x4000_0000)];
    m.write(b, 1);
    // b moves to just below a: its page offset is still b's, so the two stay two areas...
    expect(m.moveTo(b, a - PAGE)).toBe(a - PAGE);
    expect(m.mremap({ address: a - PAGE, oldLength: 2 * PAGE, newLength: 3 * PAGE, mayMove: true })).toBe(
      'EFAULT',
    );
    // ...while an area that never faulted takes its new place's offset and joins its neighbour.
    expect(m.moveTo(d, c - PAGE)).toBe(c - PAGE);
    expect(m.mremap({ address: c - PAGE, oldLength: 2 * PAGE, newLength: 3 * PAGE })).toBe(c - PAGE);
    m.clean();
  });
});
