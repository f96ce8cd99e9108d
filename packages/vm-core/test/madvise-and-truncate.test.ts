// madvise(MADV_DONTNEED) and ftruncate under a mapping, as Linux 6.1 does
// them (mm/madvise.c; mm/truncate.c truncate_pagecache). The conformance
// cases madvise-dontneed and ftruncate-under-mapping check the same
// against Debian's kernel.
import { describe, expect, test } from 'vitest';
import { checkInvariants, Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

function machine(fileSystem: 'ext4' | 'tmpfs' = 'ext4') {
  const kernel = new Kernel({ frames: 512, fileSystem });
  const pid = kernel.spawn('app').pid;
  const map = (length: number, extra: { shared?: boolean; file?: string } = {}) => {
    const r = kernel.mmap(pid, { length, prot: RW, ...extra });
    if (r.kind !== 'ok') throw new Error(r.errno);
    return r.address;
  };
  const read = (va: number) => {
    const r = kernel.access(pid, va, 'read');
    return r.kind === 'ok' ? r.value : r.kind === 'signal' ? r.signal.signal : r.kind;
  };
  return { kernel, pid, map, read };
}

describe('madvise(MADV_DONTNEED)', () => {
  test('private memory reads zero again; the area stays', () => {
    const { kernel, pid, map, read } = machine();
    const buf = map(2 * PAGE);
    kernel.access(pid, buf, 'write', 5);
    kernel.access(pid, buf + PAGE, 'write', 6);
    expect(kernel.madviseDontneed(pid, buf, PAGE)).toBeNull();
    expect([read(buf), read(buf + PAGE)]).toEqual([0, 6]);
  });

  test('shared memory keeps what was written; a private file mapping reads the file again', () => {
    const { kernel, pid, map, read } = machine();
    const shm = map(PAGE, { shared: true });
    kernel.access(pid, shm, 'write', 7);
    kernel.createFile('f', [1, 2, 3]);
    const priv = map(PAGE, { file: 'f' });
    kernel.access(pid, priv, 'write', 9);
    kernel.madviseDontneed(pid, shm, PAGE);
    kernel.madviseDontneed(pid, priv, PAGE);
    expect([read(shm), read(priv)]).toEqual([7, 1]);
  });

  test('an unaligned start is EINVAL; a hole is ENOMEM, the mapped parts done all the same', () => {
    const { kernel, pid, map, read } = machine();
    const buf = map(3 * PAGE);
    kernel.access(pid, buf, 'write', 5);
    expect(kernel.madviseDontneed(pid, buf + 1, PAGE)).toBe('EINVAL');
    kernel.munmap(pid, buf + PAGE, PAGE);
    expect(kernel.madviseDontneed(pid, buf, 3 * PAGE)).toBe('ENOMEM');
    expect(read(buf)).toBe(0);
    expect(kernel.madviseDontneed(pid, buf, 0)).toBeNull();
  });
});

describe('ftruncate under a mapping', () => {
  test.each(['ext4', 'tmpfs'] as const)(
    '%s: past the new end, SIGBUS — private copies included; the tail reads zero',
    (fs) => {
      const { kernel, pid, map, read } = machine(fs);
      kernel.createFile('f', new Uint8Array(3 * PAGE).fill(65));
      const shared = map(3 * PAGE, { shared: true, file: 'f' });
      const priv = map(3 * PAGE, { file: 'f' });
      kernel.access(pid, priv + 2 * PAGE, 'write', 66);
      expect(kernel.truncateFile('f', PAGE + 10)).toBeNull();
      expect([read(shared + PAGE + 9), read(shared + PAGE + 10), read(shared + 2 * PAGE)]).toEqual([
        65,
        0,
        'SIGBUS',
      ]);
      expect(kernel.readFile('f', PAGE, 20)).toHaveLength(10);
    },
  );

  test('growing reads zeros; a negative length is EINVAL', () => {
    const { kernel, map, read } = machine();
    kernel.createFile('f', [1]);
    expect(kernel.truncateFile('f', -1)).toBe('EINVAL');
    kernel.truncateFile('f', 2 * PAGE);
    const view = map(2 * PAGE, { file: 'f' });
    expect([read(view), read(view + PAGE)]).toEqual([1, 0]);
    expect(() => kernel.truncateFile('nope', 0)).toThrow(/no file "nope"/);
  });

  test('the frames of the pages cut off go back to the allocator', () => {
    const { kernel } = machine();
    kernel.createFile('f', new Uint8Array(4 * PAGE).fill(1));
    for (let i = 0; i < 4; i++) kernel.readFile('f', i * PAGE, 1);
    const pid = kernel.spawn('b').pid;
    const r = kernel.mmap(pid, { length: 4 * PAGE, prot: RW, file: 'f', shared: true });
    if (r.kind !== 'ok') throw new Error(r.errno);
    for (let i = 0; i < 4; i++) kernel.access(pid, r.address + i * PAGE, 'read');
    const cached = kernel.files.get('f')!.cache.size;
    kernel.truncateFile('f', PAGE);
    expect([cached, kernel.files.get('f')!.cache.size]).toEqual([4, 1]);
    expect(checkInvariants(kernel)).toEqual([]);
  });
});
