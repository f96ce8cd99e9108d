// File-backed mappings: the page cache, private copies, shared writes, SIGBUS.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';

const text = (s: string) => [...s].map((c) => c.charCodeAt(0));

function setup() {
  const kernel = new Kernel({ frames: 256 });
  kernel.createFile('notes.txt', text('hello, page cache'));
  const a = kernel.spawn('a').pid;
  const b = kernel.spawn('b').pid;
  return { kernel, a, b };
}

const map = (kernel: Kernel, pid: number, shared: boolean, write = true) => {
  const r = kernel.mmap(pid, {
    length: 8192,
    prot: { read: true, write, exec: false },
    file: 'notes.txt',
    shared,
  });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
};

describe('file mappings', () => {
  test('a read maps the page-cache page; two processes share the same frame', () => {
    const { kernel, a, b } = setup();
    const va = map(kernel, a, false);
    const vb = map(kernel, b, false);
    const r = kernel.access(a, va, 'read');
    expect(r).toMatchObject({ kind: 'ok', value: 'h'.charCodeAt(0) });
    expect(r.faults.map((f) => f.resolution)).toEqual(['page-cache']);
    kernel.access(b, vb + 1, 'read');
    const pa = kernel.api.hooks.walkPageTable(kernel.task(a).mm!.id, BigInt(va));
    const pb = kernel.api.hooks.walkPageTable(kernel.task(b).mm!.id, BigInt(vb));
    expect(pa.kind === 'present' && pb.kind === 'present' && pa.pfn === pb.pfn).toBe(true);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a private write copies the page; the file and other mappings never see it', () => {
    const { kernel, a, b } = setup();
    const va = map(kernel, a, false);
    const vb = map(kernel, b, true);
    kernel.access(a, va, 'read');
    const w = kernel.access(a, va, 'write', text('J')[0]!);
    expect(w.faults.map((f) => f.resolution)).toEqual(['cow-copy']);
    expect(kernel.readFile('notes.txt', 0, 5)).toEqual(text('hello'));
    expect(kernel.access(b, vb, 'read')).toMatchObject({ value: 'h'.charCodeAt(0) });
  });

  test('a shared write goes to the page cache: other processes and read(2) see it; reclaim writes it back', () => {
    const { kernel, a, b } = setup();
    const va = map(kernel, a, true);
    const vb = map(kernel, b, true);
    kernel.access(b, vb, 'read'); // mapped read-only: the first write must be noticed
    const w = kernel.access(b, vb, 'write', text('J')[0]!);
    expect(w.faults.map((f) => f.resolution)).toEqual(['page-mkwrite']);
    expect(kernel.access(a, va, 'read')).toMatchObject({ value: 'J'.charCodeAt(0) });
    expect(kernel.readFile('notes.txt', 0, 5)).toEqual(text('Jello'));
    kernel.exit(a);
    kernel.exit(b);
    // Unmapped and dirty: reclaim writes the page back to the file before dropping it.
    kernel.reclaim(4);
    expect(kernel.files.get('notes.txt')!.cache.size).toBe(0);
    const file = kernel.files.get('notes.txt')!;
    expect(file.kind).toBe('file');
    expect([...(file.kind === 'file' ? file.data : new Uint8Array()).subarray(0, 5)]).toEqual(text('Jello'));
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('past the end of the file: the rest of the last page reads as zeros, the next page is SIGBUS', () => {
    const { kernel, a } = setup();
    const va = map(kernel, a, false);
    expect(kernel.access(a, va + 100, 'read')).toMatchObject({ kind: 'ok', value: 0 });
    const r = kernel.access(a, va + 4096, 'read');
    expect(r).toMatchObject({ kind: 'signal', signal: { signal: 'SIGBUS', code: 'BUS_ADRERR' } });
  });

  test('mmap of an unknown file is EBADF; an unaligned offset EINVAL', () => {
    const { kernel, a } = setup();
    const prot = { read: true, write: false, exec: false };
    expect(kernel.mmap(a, { length: 4096, prot, file: 'nope' })).toEqual({ kind: 'error', errno: 'EBADF' });
    expect(kernel.mmap(a, { length: 4096, prot, file: 'notes.txt', offset: 10 })).toEqual({
      kind: 'error',
      errno: 'EINVAL',
    });
  });

  test('shared anonymous memory (shmem) gets real pages on a read fault and stays shared across fork', () => {
    const kernel = new Kernel({ frames: 256 });
    const p = kernel.spawn('p').pid;
    const r = kernel.mmap(p, { length: 4096, prot: { read: true, write: true, exec: false }, shared: true });
    if (r.kind !== 'ok') throw new Error('mmap');
    expect(kernel.access(p, r.address, 'read').faults.map((f) => f.resolution)).toEqual(['demand-zero']);
    const c = kernel.fork(p).pid;
    kernel.access(c, r.address, 'write', 5);
    expect(kernel.access(p, r.address, 'read')).toMatchObject({ value: 5 });
  });
});
