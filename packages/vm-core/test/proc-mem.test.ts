// /proc/PID/mem: reads and writes through get_user_pages with FOLL_FORCE
// (fs/proc/base.c mem_rw, mm/memory.c __access_remote_vm, Linux 6.1). The
// live kernel's view of the same steps is conformance case proc-self-mem.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RO = { read: true, write: false, exec: false };
const RW = { read: true, write: true, exec: false };

function machine() {
  const kernel = new Kernel({ frames: 256, swapSlots: 64 });
  const pid = kernel.spawn('app').pid;
  const buf = kernel.mmap(pid, { length: 2 * PAGE, prot: RW });
  if (buf.kind !== 'ok') throw new Error('mmap failed');
  const fill = (at: number, bytes: readonly number[]) => {
    for (const [i, b] of bytes.entries()) expect(kernel.access(pid, at + i, 'write', b).kind).toBe('ok');
  };
  const map = (prot: typeof RO, more: { file?: string; shared?: boolean; length?: number } = {}) => {
    const r = kernel.mmap(pid, { length: more.length ?? PAGE, prot, ...more });
    if (r.kind !== 'ok') throw new Error('mmap failed');
    return r.address;
  };
  const load = (at: number, p = pid) => {
    const r = kernel.access(p, at, 'read');
    if (r.kind !== 'ok') throw new Error(`the load at ${at} faulted`);
    return r.value;
  };
  return { kernel, pid, buf: buf.address, fill, map, load };
}

const resolutions = (r: { faults: readonly { resolution: string }[] }) => r.faults.map((f) => f.resolution);

describe('a forced write to a read-only private page', () => {
  test('untouched: one fault gives the process its own page, read-only — a plain store there still faults', () => {
    const { kernel, pid, buf, fill, map, load } = machine();
    const ro = map(RO);
    fill(buf, [1, 2, 3, 4]);
    const w = kernel.procMemWrite(pid, pid, ro + 8, { address: buf, length: 4 });
    expect(w).toMatchObject({ kind: 'done', bytes: 4 });
    expect(resolutions(w)).toEqual(['demand-zero']);
    expect([load(ro + 8), load(ro + 11), load(ro)]).toEqual([1, 4, 0]);
    // The page is the process's own and exclusive now: forcing again needs no fault.
    expect(resolutions(kernel.procMemWrite(pid, pid, ro, { address: buf, length: 1 }))).toEqual([]);
    expect(kernel.access(pid, ro, 'write', 9)).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR' },
    });
  });

  test('the zero page, or a page shared copy-on-write with a child, is copied; the other side keeps its bytes', () => {
    const { kernel, pid, buf, fill, map, load } = machine();
    const ro = map(RO);
    expect(load(ro)).toBe(0); // the zero page
    fill(buf, [7]);
    expect(resolutions(kernel.procMemWrite(pid, pid, ro, { address: buf, length: 1 }))).toEqual(['cow-copy']);
    const child = kernel.fork(pid).pid;
    kernel.access(child, buf, 'write', 8);
    const w = kernel.procMemWrite(child, child, ro, { address: buf, length: 1 });
    expect(resolutions(w)).toEqual(['cow-copy']);
    expect([load(ro), load(ro, child)]).toEqual([7, 8]);
  });

  test('a private file mapping: the process sees the bytes, the file never does', () => {
    const { kernel, pid, buf, fill, map, load } = machine();
    kernel.createFile('f', [10, 11, 12, 13]);
    const at = map(RO, { file: 'f' });
    fill(buf, [99]);
    expect(kernel.procMemWrite(pid, pid, at + 1, { address: buf, length: 1 })).toMatchObject({ bytes: 1 });
    expect([load(at), load(at + 1)]).toEqual([10, 99]);
    expect(kernel.readFile('f', 0, 4)).toEqual([10, 11, 12, 13]);
  });

  test('a shared mapping without PROT_WRITE is refused (EIO): the file is not written', () => {
    const { kernel, pid, buf, map } = machine();
    kernel.createFile('f', [10, 11, 12, 13]);
    const at = map(RO, { file: 'f', shared: true });
    expect(kernel.procMemWrite(pid, pid, at, { address: buf, length: 1 })).toMatchObject({
      kind: 'error',
      errno: 'EIO',
    });
    expect(kernel.readFile('f', 0, 1)).toEqual([10]);
  });

  test('the page written is dirty: reclaim writes it to swap instead of dropping it', () => {
    const { kernel, pid, buf, fill, map, load } = machine();
    const ro = map(RO);
    fill(buf, [5]);
    kernel.procMemWrite(pid, pid, ro, { address: buf, length: 1 });
    kernel.reclaim(256);
    expect(load(ro)).toBe(5);
  });
});

describe('forced reads, and the ends of a copy', () => {
  test('a PROT_NONE page reads through /proc/PID/mem though a load would fault', () => {
    const { kernel, pid, buf, fill, map, load } = machine();
    const at = map(RW);
    fill(at, [42]);
    kernel.mprotect(pid, at, PAGE, { read: false, write: false, exec: false });
    expect(kernel.procMemRead(pid, pid, at, { address: buf, length: 2 })).toMatchObject({
      kind: 'done',
      bytes: 2,
    });
    expect(load(buf)).toBe(42);
    expect(kernel.access(pid, at, 'read')).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_ACCERR' } });
  });

  test('running into an unmapped page: the count so far; starting in one, or in the kernel half: EIO', () => {
    const { kernel, pid, buf, map } = machine();
    const at = map(RW, { length: 2 * PAGE });
    kernel.munmap(pid, at + PAGE, PAGE);
    expect(kernel.procMemRead(pid, pid, at + PAGE - 100, { address: buf, length: 300 })).toMatchObject({
      kind: 'done',
      bytes: 100,
    });
    expect(kernel.procMemRead(pid, pid, at + PAGE, { address: buf, length: 8 })).toMatchObject({
      errno: 'EIO',
    });
    expect(kernel.procMemRead(pid, pid, 0xffff_8880_0000_0000n, { address: buf, length: 8 })).toMatchObject({
      errno: 'EIO',
    });
  });

  test('a buffer that runs into a hole: EFAULT even after whole chunks were written', () => {
    const { kernel, pid, map, load } = machine();
    const target = map(RW, { length: 2 * PAGE });
    const src = map(RW, { length: 2 * PAGE });
    kernel.munmap(pid, src + PAGE, PAGE);
    kernel.access(pid, src, 'write', 3);
    // The first chunk is the buffer's whole first page, written; the second cannot be copied in.
    expect(kernel.procMemWrite(pid, pid, target, { address: src, length: PAGE + 10 })).toMatchObject({
      kind: 'error',
      errno: 'EFAULT',
    });
    expect(load(target)).toBe(3);
    expect(kernel.procMemRead(pid, pid, target, { address: src + PAGE - 5, length: 10 })).toMatchObject({
      errno: 'EFAULT',
    });
    expect(
      kernel.procMemRead(pid, pid, target, { address: 0xffff_8880_0000_0000n, length: 1 }),
    ).toMatchObject({
      errno: 'EFAULT',
    });
  });

  test('another user’s memory is EACCES; a zombie’s reads nothing; a reaped task has no file', () => {
    const { kernel } = machine();
    const pid = kernel.spawn('root', { uid: 0 }).pid;
    const b = kernel.mmap(pid, { length: PAGE, prot: RW });
    if (b.kind !== 'ok') throw new Error();
    const buf = b.address;
    const other = kernel.spawn('other', { uid: 1001 });
    const o = kernel.mmap(other.pid, { length: PAGE, prot: RW });
    if (o.kind !== 'ok') throw new Error();
    expect(kernel.procMemRead(pid, other.pid, o.address, { address: buf, length: 1 })).toMatchObject({
      kind: 'done',
      bytes: 1,
    }); // root may
    const user = kernel.spawn('user', { uid: 1002 }).pid;
    const ub = kernel.mmap(user, { length: PAGE, prot: RW });
    if (ub.kind !== 'ok') throw new Error();
    expect(kernel.procMemRead(user, other.pid, o.address, { address: ub.address, length: 1 })).toMatchObject({
      errno: 'EACCES',
    });
    const child = kernel.fork(pid).pid;
    kernel.exit(child);
    expect(kernel.procMemRead(pid, child, buf, { address: buf, length: 1 })).toMatchObject({
      kind: 'done',
      bytes: 0,
    });
    kernel.wait(pid, child);
    expect(kernel.procMemRead(pid, child, buf, { address: buf, length: 1 })).toMatchObject({
      errno: 'ENOENT',
    });
  });
});
