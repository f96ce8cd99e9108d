// Credentials as memory management sees them: mmap_min_addr binds every
// task but root (CAP_SYS_RAWIO), and a hint below it is moved up, not
// refused — checked against Debian's 6.1 by the conformance cases
// mmap-min-addr-root and mmap-hint-below-min-addr.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';

const RW = { read: true, write: true, exec: false };
const PAGE = 4096;

describe('mmap_min_addr and CAP_SYS_RAWIO', () => {
  test('spawned processes run as an ordinary user (uid 1000); init and kernel threads as root', () => {
    const kernel = new Kernel({ frames: 256 });
    expect(kernel.spawn('app').uid).toBe(1000);
    expect(kernel.task(1).uid).toBe(0);
    expect(kernel.kthread('kworker/0:1').uid).toBe(0);
  });

  test('a user may not map below 64 KiB: EPERM, and a NULL dereference stays a SIGSEGV', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    expect(kernel.mmap(pid, { address: 0x1000, fixed: true, length: PAGE, prot: RW })).toEqual({
      kind: 'error',
      errno: 'EPERM',
    });
    expect(kernel.access(pid, 0x1000, 'write', 1)).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_MAPERR' },
    });
  });

  test('root may: the page at 0x1000 (even page zero) maps, and a store there is a store', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app', { uid: 0 }).pid;
    expect(kernel.mmap(pid, { address: 0, fixed: true, length: 2 * PAGE, prot: RW })).toEqual({
      kind: 'ok',
      address: 0,
    });
    expect(kernel.access(pid, 0x1000, 'write', 1)).toMatchObject({ kind: 'ok', value: 1 });
    // NULL itself now reads memory: the reason mmap_min_addr exists.
    expect(kernel.access(pid, 0, 'read')).toMatchObject({ kind: 'ok', value: 0 });
  });

  test('a forked child and a thread keep their creator’s uid', () => {
    const kernel = new Kernel({ frames: 256 });
    const root = kernel.spawn('daemon', { uid: 0 }).pid;
    expect(kernel.fork(root).uid).toBe(0);
    expect(kernel.thread(root).uid).toBe(0);
    const user = kernel.spawn('app', { uid: 4242 }).pid;
    expect(kernel.fork(user).uid).toBe(4242);
  });

  test('a uid that is none is refused with what one looks like', () => {
    const kernel = new Kernel({ frames: 256 });
    for (const uid of [-1, 1.5, 2 ** 32 - 1, Number.NaN])
      expect(() => kernel.spawn('app', { uid })).toThrow(/is not one \(0 for root, up to 4294967294\)/);
  });

  test('since 5.0 no stack grows below mmap_min_addr, root’s neither (CVE-2019-9213); before, root’s could', () => {
    for (const [linux, uid, grows] of [
      ['6.1', 0, false],
      ['6.1', 1000, false],
      ['4.19', 0, true],
      ['4.19', 1000, false],
    ] as const) {
      const kernel = new Kernel({ frames: 256, linux });
      const pid = kernel.spawn('app', { uid }).pid;
      // Root may still map there with MAP_FIXED (cap_mmap_addr): only growth is refused.
      expect(
        kernel.mmap(pid, { address: 0x10000, fixed: true, length: PAGE, prot: RW, growsDown: true }),
      ).toMatchObject({ kind: 'ok' });
      const out = kernel.access(pid, 0xf000, 'write', 1);
      expect([linux, uid, out.kind]).toEqual([linux, uid, grows ? 'ok' : 'signal']);
    }
  });
});

describe('round_hint_to_min: a hint is moved, never refused', () => {
  test('a hint below mmap_min_addr becomes mmap_min_addr, for a user as for root', () => {
    for (const uid of [1000, 0]) {
      const kernel = new Kernel({ frames: 256 });
      const pid = kernel.spawn('app', { uid }).pid;
      expect(kernel.mmap(pid, { address: 0x1000, length: PAGE, prot: RW })).toEqual({
        kind: 'ok',
        address: 0x10000,
      });
    }
  });

  test('an unaligned hint is rounded down to its page; a free one is used as it is', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    expect(kernel.mmap(pid, { address: 0x2000_0123, length: PAGE, prot: RW })).toEqual({
      kind: 'ok',
      address: 0x2000_0000,
    });
    // Taken now: the next one at the same hint goes wherever the search puts it.
    const again = kernel.mmap(pid, { address: 0x2000_0000, length: PAGE, prot: RW });
    expect(again.kind === 'ok' && again.address !== 0x2000_0000).toBe(true);
  });

  test('a hint of NULL is no hint: the mapping goes top-down', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { address: 0, length: PAGE, prot: RW });
    expect(r.kind === 'ok' && r.address > 0x7000_0000_0000).toBe(true);
  });
});

describe("arm64: the sysctl's 4096 and the kernel's own 32768 (CONFIG_LSM_MMAP_MIN_ADDR)", () => {
  test('a user may map 0x1000 with MAP_FIXED (vm.mmap_min_addr is 4096), but a hint below 0x8000 is moved to 0x8000', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 256 });
    const pid = kernel.spawn('app', { uid: 1000 }).pid;
    expect(kernel.mmap(pid, { address: 0x1000, fixed: true, length: PAGE, prot: RW })).toEqual({
      kind: 'ok',
      address: 0x1000,
    });
    expect(kernel.mmap(pid, { address: 0x2000, length: PAGE, prot: RW })).toEqual({
      kind: 'ok',
      address: 0x8000,
    });
    // MAP_FIXED below the sysctl's page still needs CAP_SYS_RAWIO.
    expect(kernel.mmap(pid, { address: 0, fixed: true, length: PAGE, prot: RW })).toMatchObject({
      kind: 'error',
      errno: 'EPERM',
    });
  });

  test('a stack stops growing at the kernel’s 0x8000, not at the sysctl’s 0x1000', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 256 });
    const pid = kernel.spawn('app', { uid: 0 }).pid;
    kernel.mmap(pid, { address: 0x9000, fixed: true, length: PAGE, prot: RW, growsDown: true });
    expect(kernel.access(pid, 0x8000, 'write', 1).kind).toBe('ok');
    expect(kernel.access(pid, 0x7000, 'write', 1).kind).toBe('signal');
  });
});
