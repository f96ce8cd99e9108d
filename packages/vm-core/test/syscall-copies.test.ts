// System calls over user copies with buffers that are partly unmapped:
// read/write/readv on pipes and files, process_vm_readv/writev. What Linux
// 6.1 does at each seam (fs/pipe.c, mm/filemap.c, mm/process_vm_access.c)
// is said in the modules; these tests pin what a program sees.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

/** A process with two pages mapped and, after them, a page that is not. */
function machine() {
  const kernel = new Kernel({ frames: 256, swapSlots: 64 });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 3 * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error('mmap failed');
  kernel.munmap(pid, r.address + 2 * PAGE, PAGE);
  const fill = (at: number, bytes: number[]) => {
    for (const [i, b] of bytes.entries()) kernel.access(pid, at + i, 'write', b);
  };
  const peek = (at: number, n: number) => Array.from({ length: n }, (_, i) => readByte(kernel, pid, at + i));
  return { kernel, pid, base: r.address, hole: r.address + 2 * PAGE, fill, peek };
}

/** A user load that must succeed. */
function readByte(kernel: Kernel, pid: number, at: number): number {
  const r = kernel.access(pid, at, 'read');
  if (r.kind !== 'ok') throw new Error(`the read at ${at} faulted: ${r.kind}`);
  return r.value;
}

const bytes = (n: number, from = 1) => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('pipes', () => {
  test('a read into a buffer that runs into a hole: -EFAULT, the mapped bytes written, the data still in the pipe', () => {
    const { kernel, pid, base, hole, fill, peek } = machine();
    kernel.pipe('p');
    fill(base, bytes(200));
    expect(kernel.writev(pid, { pipe: 'p' }, [{ address: base, length: 200 }])).toMatchObject({
      kind: 'done',
      bytes: 200,
    });
    const r = kernel.readv(pid, { pipe: 'p' }, [{ address: hole - 100, length: 200 }]);
    expect(r).toMatchObject({ kind: 'error', errno: 'EFAULT' });
    expect(r.faults.map((f) => f.resolution)).toContain('exception-fixup');
    expect(peek(hole - 100, 100)).toEqual(bytes(100));
    // Nothing was consumed: a good buffer gets all 200 bytes.
    const again = kernel.readv(pid, { pipe: 'p' }, [{ address: base + 1000, length: 300 }]);
    expect(again).toMatchObject({ kind: 'done', bytes: 200 });
    expect(peek(base + 1000, 200)).toEqual(bytes(200));
    expect(kernel.readv(pid, { pipe: 'p' }, [{ address: base, length: 1 }])).toMatchObject({
      kind: 'error',
      errno: 'EAGAIN',
    });
  });

  test('a write from a buffer that runs into a hole keeps nothing of that page; whole pages before it stay', () => {
    const { kernel, pid, base, hole } = machine();
    kernel.pipe('p');
    expect(kernel.writev(pid, { pipe: 'p' }, [{ address: hole - 100, length: 200 }])).toMatchObject({
      kind: 'error',
      errno: 'EFAULT',
    });
    expect(kernel.readv(pid, { pipe: 'p' }, [{ address: base, length: 10 }])).toMatchObject({
      errno: 'EAGAIN',
    });
    // Two pages: the first copies whole, the second faults at once.
    expect(kernel.writev(pid, { pipe: 'p' }, [{ address: base + PAGE, length: 2 * PAGE }])).toMatchObject({
      kind: 'done',
      bytes: PAGE,
    });
  });

  test('a readv spanning buffers: the count of buffers read whole before the fault', () => {
    const { kernel, pid, base, hole, fill } = machine();
    kernel.pipe('p');
    fill(base, bytes(10));
    kernel.writev(pid, { pipe: 'p' }, [{ address: base, length: 10 }]);
    kernel.writev(pid, { pipe: 'p' }, [{ address: base, length: PAGE }]);
    // A whole page has no sub-page remainder to merge: the pipe holds a
    // 10-byte buffer and a 4096-byte one. The read takes the first whole,
    // then the second runs into the hole: it stays, and the call says 10.
    const r = kernel.readv(pid, { pipe: 'p' }, [
      { address: base, length: PAGE - 10 },
      { address: base + PAGE, length: 10 },
      { address: hole, length: 10 },
    ]);
    expect(r).toMatchObject({ kind: 'done', bytes: 10 });
    expect(kernel.pipes.get('p')?.buffers.map((b) => b.len)).toEqual([PAGE]);
  });

  test('a kernel address anywhere in the iovec fails the whole call before any copy', () => {
    const { kernel, pid, base } = machine();
    kernel.pipe('p');
    const r = kernel.writev(pid, { pipe: 'p' }, [
      { address: base, length: 10 },
      { address: kernel.layout.userEnd, length: 10 },
    ]);
    expect(r).toEqual({ kind: 'error', errno: 'EFAULT', faults: [] });
  });
});

describe('files', () => {
  test('a read into a buffer that runs into a hole returns the bytes read before the fault', () => {
    const { kernel, pid, hole, peek } = machine();
    kernel.createFile('f', bytes(300));
    const r = kernel.readv(pid, { file: 'f', offset: 0 }, [{ address: hole - 100, length: 300 }]);
    expect(r).toMatchObject({ kind: 'done', bytes: 100 });
    expect(peek(hole - 100, 100)).toEqual(bytes(100));
    expect(kernel.readv(pid, { file: 'f', offset: 0 }, [{ address: hole, length: 1 }])).toMatchObject({
      errno: 'EFAULT',
    });
  });

  test('a write keeps what it copied, makes the file longer, and a mapping sees it', () => {
    const { kernel, pid, base, hole, fill } = machine();
    kernel.createFile('f', bytes(10));
    fill(hole - 100, bytes(100, 50));
    const r = kernel.writev(pid, { file: 'f', offset: 5 }, [{ address: hole - 100, length: 200 }]);
    expect(r).toMatchObject({ kind: 'done', bytes: 100 });
    expect(kernel.readFile('f', 0, 200)).toEqual([...bytes(5), ...bytes(100, 50)]);
    const m = kernel.mmap(pid, { length: PAGE, prot: RW, file: 'f', shared: true });
    if (m.kind !== 'ok') throw new Error();
    expect(readByte(kernel, pid, m.address + 5)).toBe(50);
    expect(base).toBeGreaterThan(0);
  });
});

describe('process_vm_readv / process_vm_writev', () => {
  test('a read of untouched memory faults it in on the target (the zero page); a write breaks COW there', () => {
    const { kernel, pid, base, fill, peek } = machine();
    const target = kernel.spawn('target').pid;
    const t = kernel.mmap(target, { length: 2 * PAGE, prot: RW });
    if (t.kind !== 'ok') throw new Error();
    fill(base, [0]); // the caller's buffer is mapped already: only the target's faults remain
    const read = kernel.processVmReadv(
      pid,
      target,
      [{ address: base, length: 8 }],
      [{ address: t.address, length: 8 }],
    );
    expect(read).toMatchObject({ kind: 'done', bytes: 8 });
    expect(read.faults.map((f) => f.resolution)).toEqual(['zero-page']);
    fill(base, bytes(8, 7));
    const written = kernel.processVmWritev(
      pid,
      target,
      [{ address: base, length: 8 }],
      [{ address: t.address, length: 8 }],
    );
    expect(written).toMatchObject({ kind: 'done', bytes: 8 });
    expect(written.faults.map((f) => f.resolution)).toEqual(['cow-copy']);
    expect(readByte(kernel, target, t.address + 1)).toBe(8);
    expect(peek(base, 1)).toEqual([7]);
  });

  test('a remote range running into a hole: the count so far; starting in one: -EFAULT', () => {
    const { kernel, pid, base } = machine();
    const target = kernel.spawn('target').pid;
    const t = kernel.mmap(target, { length: PAGE, prot: RW });
    if (t.kind !== 'ok') throw new Error();
    const local = [{ address: base, length: 2 * PAGE }];
    expect(
      kernel.processVmReadv(pid, target, local, [{ address: t.address + 100, length: PAGE }]),
    ).toMatchObject({
      kind: 'done',
      bytes: PAGE - 100,
    });
    expect(
      kernel.processVmReadv(pid, target, local, [{ address: t.address + PAGE, length: 10 }]),
    ).toMatchObject({
      kind: 'error',
      errno: 'EFAULT',
    });
  });

  test('a read-only target page cannot be written (no FOLL_FORCE); another user is EPERM; a dead one ESRCH', () => {
    const { kernel, pid, base } = machine();
    const target = kernel.spawn('target').pid;
    const t = kernel.mmap(target, { length: PAGE, prot: { ...RW, write: false } });
    if (t.kind !== 'ok') throw new Error();
    const local = [{ address: base, length: 8 }];
    const remote = [{ address: t.address, length: 8 }];
    expect(kernel.processVmWritev(pid, target, local, remote)).toMatchObject({ errno: 'EFAULT' });
    expect(kernel.processVmReadv(pid, target, local, remote)).toMatchObject({ kind: 'done', bytes: 8 });
    const other = kernel.spawn('other', { uid: 1001 }).pid;
    expect(kernel.processVmReadv(pid, other, local, remote)).toMatchObject({ errno: 'EPERM' });
    kernel.exit(target);
    expect(kernel.processVmReadv(pid, target, local, remote)).toMatchObject({ errno: 'ESRCH' });
  });

  test('the caller’s own buffer running into a hole: the bytes that landed', () => {
    const { kernel, pid, hole } = machine();
    const target = kernel.spawn('target').pid;
    const t = kernel.mmap(target, { length: PAGE, prot: RW });
    if (t.kind !== 'ok') throw new Error();
    const r = kernel.processVmReadv(
      pid,
      target,
      [{ address: hole - 50, length: 100 }],
      [{ address: t.address, length: 100 }],
    );
    expect(r).toMatchObject({ kind: 'done', bytes: 50 });
  });
});

// Since Linux 5.19 (gup_must_unshare, mm/internal.h) a read-only pin of an
// anonymous page that may be shared copy-on-write unshares it first; the
// live kernel shows the fault in the caller's ru_minflt (conformance case
// process-vm-cow-nobody).
describe('process_vm_readv of a page shared copy-on-write', () => {
  function forked(linux: '5.18' | '6.1') {
    const kernel = new Kernel({ frames: 256, swapSlots: 64, linux });
    const parent = kernel.spawn('parent').pid;
    const t = kernel.mmap(parent, { length: PAGE, prot: RW });
    if (t.kind !== 'ok') throw new Error('mmap failed');
    kernel.access(parent, t.address, 'write', 42);
    const child = kernel.fork(parent).pid;
    const reader = kernel.spawn('reader').pid;
    const buf = kernel.mmap(reader, { length: PAGE, prot: RW });
    if (buf.kind !== 'ok') throw new Error('mmap failed');
    kernel.access(reader, buf.address, 'write', 0);
    const readFrom = (pid: number) =>
      kernel.processVmReadv(
        reader,
        pid,
        [{ address: buf.address, length: 8 }],
        [{ address: t.address, length: 8 }],
      );
    return { kernel, parent, child, address: t.address, readFrom };
  }

  test('since 5.19 the pin copies the shared page for the target; its own write then reuses that copy', () => {
    const { kernel, parent, child, address, readFrom } = forked('6.1');
    const r = readFrom(child);
    expect(r).toMatchObject({ kind: 'done', bytes: 8 });
    expect(r.faults.map((f) => f.resolution)).toEqual(['cow-copy']);
    expect(r.faults[0]?.message).toMatch(/unshare/);
    // The child's page is its own now: its store reuses it, no second copy.
    const store = kernel.access(child, address, 'write', 7);
    expect(store.kind).toBe('ok');
    expect(store.faults.map((f) => f.resolution)).toEqual(['cow-reuse']);
    expect(readByte(kernel, parent, address)).toBe(42);
    // Pinned again, the page is exclusive: nothing to unshare.
    expect(readFrom(child).faults).toEqual([]);
  });

  test('a page nobody else holds any more is only marked exclusive (reused in place)', () => {
    const { kernel, parent, child, address, readFrom } = forked('6.1');
    kernel.exit(parent);
    const r = readFrom(child);
    expect(r.faults.map((f) => f.resolution)).toEqual(['cow-reuse']);
    expect(readByte(kernel, child, address)).toBe(42);
  });

  test('before 5.19 the pin takes the shared page as it is: no fault, and the child’s store copies', () => {
    const { kernel, child, address, readFrom } = forked('5.18');
    expect(readFrom(child).faults).toEqual([]);
    expect(kernel.access(child, address, 'write', 7).faults.map((f) => f.resolution)).toEqual(['cow-copy']);
  });
});
