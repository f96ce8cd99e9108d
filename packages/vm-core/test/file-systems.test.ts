// What the file system under a mapping changes — tmpfs keeps every page in
// the page cache and wants no write-notify, ext4 reads pages in on demand
// and write-notifies shared mappings — and fault-around, which maps the
// cached neighbours of a read fault. Checked against Debian's 6.1 on tmpfs
// by the conformance cases file-fault-around and file-shared-write.
import { describe, expect, test } from 'vitest';
import { checkInvariants, Kernel, type KernelOptions } from '../src/kernel/index.ts';

const PAGE = 4096;
const R = { read: true, write: false, exec: false };
const RW = { read: true, write: true, exec: false };

/** A file of `pages` pages, page n full of the byte n + 1. */
function bootWithFile(pages: number, options: KernelOptions = {}) {
  const kernel = new Kernel({ frames: 512, ...options });
  const content = new Uint8Array(pages * PAGE);
  for (let n = 0; n < pages; n++) content.fill(n + 1, n * PAGE, (n + 1) * PAGE);
  kernel.createFile('big', content);
  const pid = kernel.spawn('a').pid;
  return { kernel, pid };
}

function mapFile(
  kernel: Kernel,
  pid: number,
  pages: number,
  extra: { shared?: boolean; offset?: number; address?: number } = {},
  prot = R,
) {
  const r = kernel.mmap(pid, {
    length: pages * PAGE,
    prot,
    file: 'big',
    ...(extra.shared !== undefined ? { shared: extra.shared } : {}),
    ...(extra.offset !== undefined ? { offset: extra.offset } : {}),
    ...(extra.address !== undefined ? { address: extra.address, fixed: true } : {}),
  });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
}

const faultsOf = (out: { faults: readonly { resolution: string }[] }) => out.faults.map((f) => f.resolution);
const present = (kernel: Kernel, pid: number, va: number) =>
  kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(va)).kind === 'present';

describe('tmpfs: files are memory', () => {
  test('every page of a file is in the page cache from its creation; ext4 caches none until asked', () => {
    const tmpfs = bootWithFile(3, { fileSystem: 'tmpfs' });
    expect(tmpfs.kernel.files.get('big')!.cache.size).toBe(3);
    expect(checkInvariants(tmpfs.kernel)).toEqual([]);
    const ext4 = bootWithFile(3);
    expect(ext4.kernel.files.get('big')!.cache.size).toBe(0);
  });

  test('a file too big for memory is refused, and leaves nothing cached behind', () => {
    const kernel = new Kernel({ frames: 128, fileSystem: 'tmpfs', swapSlots: 0 });
    const free = kernel.frames.free;
    expect(() => kernel.createFile('huge', new Uint8Array(200 * PAGE))).toThrow(
      /no memory for its 200 tmpfs pages/,
    );
    expect(kernel.files.has('huge')).toBe(false);
    expect(kernel.frames.free).toBe(free);
  });

  test('without swap a tmpfs page cannot be reclaimed; with swap it can, and its data comes back', () => {
    const noSwap = bootWithFile(2, { fileSystem: 'tmpfs', swapSlots: 0 });
    expect(noSwap.kernel.reclaim(2)).toBe(0);
    expect(noSwap.kernel.files.get('big')!.cache.size).toBe(2);
    const { kernel, pid } = bootWithFile(2, { fileSystem: 'tmpfs' });
    expect(kernel.reclaim(2)).toBe(2);
    expect(kernel.files.get('big')!.cache.size).toBe(0);
    const va = mapFile(kernel, pid, 2);
    expect(kernel.access(pid, va + PAGE, 'read')).toMatchObject({ kind: 'ok', value: 2 });
  });

  test('a shared writable mapping: the read maps the page writable, so the write takes no fault (shmem wants no write-notify)', () => {
    const { kernel, pid } = bootWithFile(1, { fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 1, { shared: true }, RW);
    expect(faultsOf(kernel.access(pid, va, 'read'))).toEqual(['page-cache']);
    expect(faultsOf(kernel.access(pid, va, 'write', 9))).toEqual([]);
    expect(kernel.readFile('big', 0, 1)).toEqual([9]);
  });

  test('ext4: the same write takes the page_mkwrite fault', () => {
    const { kernel, pid } = bootWithFile(1);
    const va = mapFile(kernel, pid, 1, { shared: true }, RW);
    expect(faultsOf(kernel.access(pid, va, 'read'))).toEqual(['page-cache']);
    expect(faultsOf(kernel.access(pid, va, 'write', 9))).toEqual(['page-mkwrite']);
  });

  test('a private mapping is copied on write on either file system', () => {
    const { kernel, pid } = bootWithFile(1, { fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 1, { shared: false }, RW);
    kernel.access(pid, va, 'read');
    expect(faultsOf(kernel.access(pid, va, 'write', 9))).toEqual(['cow-copy']);
    expect(kernel.readFile('big', 0, 1)).toEqual([1]);
  });

  test('an unknown file system is refused by name', () => {
    expect(() => new Kernel({ fileSystem: 'xfs' as never })).toThrow(
      /fileSystem must be 'ext4' or 'tmpfs', not xfs/,
    );
  });
});

describe('fault-around: a read fault maps the cached pages of its aligned 64 KiB window', () => {
  test('the window is the 16 aligned pages around the address, and only they', () => {
    const { kernel, pid } = bootWithFile(20, { fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 20, { address: 0x4000_0000 });
    const out = kernel.access(pid, va + 8 * PAGE, 'read');
    expect(faultsOf(out)).toEqual(['page-cache']);
    for (let n = 0; n < 20; n++) expect([n, present(kernel, pid, va + n * PAGE)]).toEqual([n, n < 16]);
    // Reading a neighbour takes no fault, and reads the file's byte.
    expect(kernel.access(pid, va + 15 * PAGE, 'read')).toMatchObject({ kind: 'ok', value: 16, faults: [] });
    expect(kernel.task(pid).mm!.rss).toBe(16);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('only what the cache holds: on ext4 the neighbours were never read, so only the faulting page is mapped', () => {
    const { kernel, pid } = bootWithFile(20);
    const va = mapFile(kernel, pid, 20, { address: 0x4000_0000 });
    kernel.access(pid, va + 8 * PAGE, 'read');
    expect(kernel.task(pid).mm!.rss).toBe(1);
    // A page another process brought in is cached, so the next fault maps it too.
    const other = kernel.spawn('b').pid;
    const vb = mapFile(kernel, other, 20);
    kernel.access(other, vb + 3 * PAGE, 'read');
    kernel.access(pid, va + 2 * PAGE, 'read');
    expect(present(kernel, pid, va + 3 * PAGE)).toBe(true);
  });

  test('the window stops at the VMA and at the end of the file', () => {
    const { kernel, pid } = bootWithFile(6, { fileSystem: 'tmpfs' });
    // Pages 2..5 of the file at 0x4000_2000: the window [0x4000_0000, 0x4001_0000) is cut to the VMA.
    const va = mapFile(kernel, pid, 6, { address: 0x4000_2000, offset: 2 * PAGE });
    kernel.access(pid, va, 'read');
    // The VMA maps file pages 2..7; the file ends after page 5, so pages 6 and 7 stay unmapped (SIGBUS if touched).
    for (let n = 0; n < 6; n++) expect([n, present(kernel, pid, va + n * PAGE)]).toEqual([n, n < 4]);
    expect(kernel.access(pid, va + 4 * PAGE, 'read')).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGBUS' },
    });
  });

  test('the window stops at the page table: fault-around never maps across a 2 MiB boundary', () => {
    const { kernel, pid } = bootWithFile(16, { fileSystem: 'tmpfs' });
    // 8 pages below a 2 MiB boundary and 8 above: one 64 KiB window, two page tables.
    const boundary = 0x4020_0000;
    const va = mapFile(kernel, pid, 16, { address: boundary - 8 * PAGE });
    kernel.access(pid, va, 'read');
    for (let n = 0; n < 16; n++) expect([n, present(kernel, pid, va + n * PAGE)]).toEqual([n, n < 8]);
  });

  test('a write fault maps only its own page', () => {
    const { kernel, pid } = bootWithFile(4, { fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 4, { shared: true }, RW);
    kernel.access(pid, va, 'write', 1);
    expect(kernel.task(pid).mm!.rss).toBe(1);
  });

  test('prefaulted pages of a shared writable tmpfs mapping are writable too, so writing one takes no fault', () => {
    const { kernel, pid } = bootWithFile(4, { fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 4, { shared: true }, RW);
    kernel.access(pid, va, 'read');
    expect(faultsOf(kernel.access(pid, va + 3 * PAGE, 'write', 7))).toEqual([]);
    expect(kernel.readFile('big', 3 * PAGE, 1)).toEqual([7]);
  });

  test('ARM64 with a hardware access flag leaves prefaulted PTEs old; the faulting one is young', () => {
    const { kernel, pid } = bootWithFile(4, { arch: 'arm64', fileSystem: 'tmpfs' });
    const va = mapFile(kernel, pid, 4);
    kernel.access(pid, va, 'read');
    const mm = kernel.task(pid).mm!;
    const young = (n: number) => kernel.api.hooks.walkPageTable(mm.id, BigInt(va + n * PAGE));
    expect(young(0)).toMatchObject({ kind: 'present', accessed: true });
    expect(young(1)).toMatchObject({ kind: 'present', accessed: false });
    // x86 makes them young (arch_wants_old_prefaulted_pte is false there).
    const x86 = bootWithFile(4, { fileSystem: 'tmpfs' });
    const vx = mapFile(x86.kernel, x86.pid, 4);
    x86.kernel.access(x86.pid, vx, 'read');
    expect(
      x86.kernel.api.hooks.walkPageTable(x86.kernel.task(x86.pid).mm!.id, BigInt(vx + PAGE)),
    ).toMatchObject({
      accessed: true,
    });
  });
});
