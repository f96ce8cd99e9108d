// TestContext against a real kernel: every helper does what the kernel does,
// and every assertion passes on the reference kernel and fails, with its
// message, on a kernel that gets the thing wrong.
import { type KernelHooks, referenceHooks, UACCESS_IP } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { MAX_TRACE_EVENTS } from '../report.ts';
import { AssertionFailure, type ContextSetup, HarnessError, TestContext } from './harness.ts';

const PAGE = 4096;
const RO = { read: true, write: false, exec: false };
const NONE = { read: false, write: false, exec: false };

function context(hooks: Partial<KernelHooks> = {}, more: Partial<ContextSetup> = {}): TestContext {
  return new TestContext({ hooks, hookNames: Object.keys(hooks), ...more });
}

/** The message of the AssertionFailure `body` throws. */
function failure(body: () => void): string {
  try {
    body();
  } catch (error) {
    if (error instanceof AssertionFailure) return error.message;
    throw error;
  }
  throw new Error('the assertion held');
}

/** Two threads of one process on two CPUs, both caching the same written page. */
function threadsOnTwoCpus(t: TestContext) {
  t.machine({ cpus: 2 });
  const main = t.spawn('main');
  t.switchTo(0, main);
  const worker = t.thread(main, 'worker');
  t.switchTo(1, worker);
  const addr = t.mmap(main, PAGE);
  t.write(main, addr, 1, { cpu: 0 });
  t.write(worker, addr, 2, { cpu: 1 });
  return { main, worker, addr };
}

/** A flushTlbPage that flushes only the local CPU: the classic SMP bug. */
const localOnlyFlush: KernelHooks['flushTlbPage'] = (k, { mm, address }) => {
  const [first] = k.cpusThatMayCache(mm);
  if (first !== undefined) k.invalidateTlbEntry(first, mm, address);
};

/** A cowBreak that always copies, even for the page's last user. */
const alwaysCopy: KernelHooks['cowBreak'] = (k, f, pfn) => {
  k.getPage(pfn);
  const copy = k.allocPage();
  k.copyPage(pfn, copy);
  k.replacePage(f.mm!, f.address, copy, { writable: true, exec: false, dirty: true });
  k.putPage(pfn);
  return { kind: 'resolved', resolution: 'cow-copy' };
};

describe('the kernel of a test', () => {
  test('is built on first use with the exercise’s frames and the learner’s hooks, once', () => {
    const t = context({}, { frames: 128 });
    const k = t.kernel();
    expect(t.kernel()).toBe(k);
    expect(k.frames.frames).toBe(128);
    expect(k.cpus).toHaveLength(1);
    expect(context().kernel().frames.frames).toBe(256);
  });

  test('machine(…) sets CPUs, swap, TLB and frames before the first helper, never after', () => {
    const t = context({}, { frames: 128 });
    t.machine({ cpus: 3, swapSlots: 0, tlb: null });
    expect(t.kernel().cpus).toHaveLength(3);
    expect(t.kernel().swap).toBeNull();
    expect(t.kernel().frames.frames).toBe(128);
    expect(() => t.machine({ cpus: 2 })).toThrow(HarnessError);
    const late = context();
    late.spawn();
    expect(() => late.machine({ cpus: 2 })).toThrow(/must come before the first helper/);
  });

  test('a machine that cannot be built is the test’s error, not the learner’s', () => {
    expect(() => context().machine({ cpus: 0 })).toThrow(
      new HarnessError('the machine this test asks for cannot be built: cpus must be 1..64'),
    );
    expect(() => context().machine({ arch: 'x86-32', pcid: true })).toThrow(HarnessError);
  });

  test('the learner’s hooks run in it', () => {
    let calls = 0;
    const t = context({
      anonymousFault: (k, f, vma) => {
        calls++;
        return referenceHooks.anonymousFault(k, f, vma);
      },
    });
    const pid = t.spawn();
    t.read(pid, t.mmap(pid, PAGE));
    expect(calls).toBe(1);
  });
});

describe('helpers', () => {
  test('tasks: spawn, thread, kthread, switchTo, runningOn, fork, execve, exit', () => {
    const t = context();
    t.machine({ cpus: 2 });
    const app = t.spawn('app');
    expect(t.kernel().task(app).name).toBe('app');
    const helper = t.thread(app, 'helper');
    expect(t.kernel().task(helper).mm).toBe(t.kernel().task(app).mm);
    const kt = t.kthread('kworker/0');
    expect(t.kernel().task(kt).mm).toBeNull();
    expect(t.switchTo(0, app)).toEqual({ cr3Changed: true });
    expect(t.switchTo(1, kt)).toEqual({ cr3Changed: false });
    expect(t.runningOn(app)).toBe(0);
    expect(t.runningOn(helper)).toBeNull();
    const child = t.fork(app);
    expect(t.kernel().task(child).mm).not.toBe(t.kernel().task(app).mm);
    const addr = t.mmap(app, PAGE);
    t.execve(app);
    t.expectSignal(t.read(app, addr), { signal: 'SIGSEGV', code: 'SEGV_MAPERR' }, 'a read after execve');
    t.exit(child);
    expect(t.kernel().task(child).alive).toBe(false);
  });

  test('schedule is seeded: the same seed, the same placements', () => {
    const placements = (seed: number) => {
      const t = context();
      t.machine({ cpus: 2, seed });
      t.spawn('a');
      t.spawn('b');
      return t.schedule(6);
    };
    expect(placements(7)).toEqual(placements(7));
    expect(placements(7)).toHaveLength(6);
  });

  test('mmap options, munmap, mprotect and brk return what the kernel returns', () => {
    const t = context();
    const pid = t.spawn();
    const fixed = t.mmap(pid, PAGE, RO, { address: 0x4000_0000, fixed: true });
    expect(fixed).toBe(0x4000_0000);
    expect(() => t.mmap(pid, PAGE, RO, { address: 0, fixed: true })).toThrow(
      new HarnessError('mmap of 4096 bytes failed with EPERM'),
    );
    t.createFile('hello.txt', 'hello');
    const file = t.mmap(pid, PAGE, RO, { file: 'hello.txt' });
    t.expectValue(t.read(pid, file + 1), 'e'.charCodeAt(0), 'the second byte of the file');
    expect(t.readFile('hello.txt', 0, 5)).toEqual([...new TextEncoder().encode('hello')]);
    expect(t.mprotect(pid, fixed, PAGE, NONE)).toBeNull();
    expect(t.mprotect(pid, 0x7000_0000, PAGE, RO)).toBe('ENOMEM');
    expect(t.munmap(pid, fixed + 1, PAGE)).toBe('EINVAL');
    expect(t.munmap(pid, fixed, PAGE)).toBeNull();
    const start = t.kernel().task(pid).mm!.brk;
    expect(t.brk(pid, start + 3 * PAGE)).toBe(start + 3 * PAGE);
    t.expectResolutions(t.write(pid, start, 1), ['demand-zero'], 'the first write to the heap');
  });

  test('reads and writes on a chosen CPU run the task there (migrating it)', () => {
    const t = context();
    t.machine({ cpus: 2 });
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.write(pid, addr, 5, { cpu: 1 });
    expect(t.runningOn(pid)).toBe(1);
    t.expectValue(t.read(pid, addr, { cpu: 1 }), 5, 'the byte written on cpu 1');
    t.expectValue(t.read(pid, addr, { cpu: 0 }), 5, 'the byte read on cpu 0');
    expect(t.runningOn(pid)).toBe(0);
    t.expectSignal(t.fetch(pid, addr), { signal: 'SIGSEGV', code: 'SEGV_ACCERR' }, 'a fetch from data');
    expect(t.runningOn(pid)).toBeNull();
  });

  test('uaccess: copy_from_user, copy_to_user, get_user, put_user', () => {
    const t = context();
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.expectCopy(t.copyToUser(pid, addr + PAGE - 2, [1, 2]), { notCopied: 0, errno: null }, 'a copy_to_user');
    t.expectCopy(
      t.copyFromUser(pid, addr + PAGE - 2, 4),
      { notCopied: 2, errno: 'EFAULT', data: [1, 2, 0, 0] },
      'a copy_from_user that runs off the end of the mapping',
    );
    expect(t.putUser(pid, addr, 8, 0x0102030405060708n)).toMatchObject({ errno: null, oops: null });
    expect(t.getUser(pid, addr, 2)).toMatchObject({ value: 0x0708n, errno: null });
    expect(t.getUser(pid, 0x5000_0000, 4)).toMatchObject({ value: 0n, errno: 'EFAULT' });
  });

  test('kernel accesses: an instruction with an exception-table entry takes the fixup; others oops', () => {
    const t = context();
    const pid = t.spawn();
    const options = { pid, uaccess: true };
    t.expectFixup(t.kernelAccess(0x5000_0000, 'read', { ...options, ip: UACCESS_IP.copyUser }), 'x');
    t.expectOops(
      t.kernelAccess(0x5000_0000, 'read', options),
      'a kernel read of unmapped user memory',
      'no VMA',
    );
    const other = t.spawn('other');
    t.expectOops(
      t.kernelAccess(t.mmap(other, PAGE), 'read', { pid: other }),
      'a kernel read of user memory outside stac/clac',
      'SMAP',
    );
  });

  test('kernel memory: kmalloc, kfree, vmalloc, vfree', () => {
    const t = context();
    const k = t.kmalloc(2 * PAGE)!;
    const v = t.vmalloc(3 * PAGE)!;
    expect(t.kernelAccess(k, 'write', { value: 9 })).toMatchObject({ kind: 'ok' });
    t.expectValue(t.kernelAccess(k, 'read'), 9, 'a kmalloc’d byte read back');
    t.expectValue(t.kernelAccess(v + PAGE, 'read'), 0, 'a vmalloc’d byte');
    let free = t.freeFrames();
    t.kfree(k);
    expect(t.freeFrames() - free).toBe(2);
    free = t.freeFrames();
    t.vfree(v);
    expect(t.freeFrames() - free).toBe(3);
  });

  test('reclaim, a scan that changes nothing, kswapd and swap', () => {
    const t = context();
    t.machine({ frames: 128, tlb: null });
    const pid = t.spawn();
    const addr = t.mmap(pid, 8 * PAGE);
    for (let i = 0; i < 8; i++) t.write(pid, addr + i * PAGE, i);
    expect(t.reclaim(1)).toBe(1);
    const scan = t.scanForReclaim(1);
    expect(scan).toEqual([expect.objectContaining({ decision: 'reclaim', referenced: false, dirty: true })]);
    expect(t.scanForReclaim(1)).toEqual(scan);
    expect(t.kswapd()).toBe(0);
    t.expectPage(pid, addr, { pte: 'swap' }, 'the first page after one reclaim');
    t.expectResolutions(t.read(pid, addr), ['swap-in'], 'a read of a swapped-out page');
    t.expectValue(t.read(pid, addr + 7 * PAGE), 7, 'the last page');
    expect(t.stats().swapOuts).toBe(1);
  });

  test('useHook: the reference, an empty hook, an instructor’s variant, and the learner’s again', () => {
    const learner: KernelHooks['cowBreak'] = alwaysCopy;
    const t = context({ cowBreak: learner });
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.write(pid, addr, 1);
    const child = t.fork(pid);
    t.exit(child);
    t.useHook('cowBreak', 'reference');
    t.expectResolutions(t.write(pid, addr, 2), ['cow-reuse'], 'the last user’s write, with the reference');
    t.fork(pid);
    t.useHook('cowBreak', 'learner');
    expect(t.kernel().hooks.cowBreak).not.toBe(learner);
    t.expectResolutions(t.write(pid, addr, 3), ['cow-copy'], 'a shared page’s write, with the learner’s');
    t.useHook('anonymousFault', 'empty');
    expect(() => t.read(pid, t.mmap(pid, PAGE))).toThrow(/keeps recurring/);
    t.useHook('anonymousFault', (k, f) => {
      k.mapPage(f.mm!, f.address, k.zeroPfn(), { writable: false, exec: false });
      return { kind: 'resolved', resolution: 'zero-page' };
    });
    t.expectResolutions(
      t.read(pid, t.mmap(pid, PAGE)),
      ['zero-page'],
      'a read with the instructor’s variant',
    );
    expect(() => t.useHook('nope' as 'cowBreak', 'reference')).toThrow(HarnessError);
  });

  test('counters and measure', () => {
    const t = context();
    const pid = t.spawn();
    const addr = t.mmap(pid, 2 * PAGE);
    const cost = t.measure(() => {
      t.write(pid, addr, 1);
      t.read(pid, addr + PAGE);
    });
    expect(cost).toMatchObject({ faults: 2, framesAllocated: 1, shootdownIpis: 0 });
    expect(t.counters().faults).toBe(2);
  });
});

describe('a signal is blamed on whoever sent it', () => {
  const learnerAnon = { anonymousFault: referenceHooks.anonymousFault };

  test('the OOM killer, not the learner’s hook', () => {
    const t = context(learnerAnon);
    t.machine({ frames: 64, swapSlots: 0 });
    const pid = t.spawn();
    const addr = t.mmap(pid, 256 * PAGE);
    let last = t.write(pid, addr, 1);
    for (let i = 1; i < 256 && last.kind === 'ok'; i++) last = t.write(pid, addr + i * PAGE, 1);
    expect(last).toMatchObject({ kind: 'signal', signal: { signal: 'SIGKILL' } });
    const message = failure(() => t.expectOk(last, 'the write'));
    expect(message).toBe(
      'expected the write to succeed, but the OOM killer killed the process (SIGKILL): memory ran out and nothing could be reclaimed',
    );
  });

  test('no VMA: the kernel’s fault path, the learner’s hook never called', () => {
    const t = context(learnerAnon);
    const outcome = t.write(t.spawn(), 0x5000_0000, 1);
    expect(failure(() => t.expectOk(outcome, 'the write'))).toBe(
      'expected the write to succeed, but the kernel’s fault path sent SIGSEGV (SEGV_MAPERR) to the process (no VMA covers the address, so no fault hook was called)',
    );
    expect(failure(() => t.expectSignal(outcome, { signal: 'SIGBUS' }, 'the write'))).toMatch(
      /^expected the write to be stopped with SIGBUS, but the kernel’s fault path sent SIGSEGV \(SEGV_MAPERR\)/,
    );
  });

  test('the learner’s hook, when it answered the fault with the signal', () => {
    const t = context({
      anonymousFault: (_k, f) => ({
        kind: 'signal',
        signal: { signal: 'SIGSEGV', code: 'SEGV_ACCERR', address: f.address },
      }),
    });
    const pid = t.spawn();
    const outcome = t.write(pid, t.mmap(pid, PAGE), 1);
    expect(failure(() => t.expectOk(outcome, 'the write'))).toBe(
      'expected the write to succeed, but your anonymousFault sent SIGSEGV (SEGV_ACCERR) to the process',
    );
  });

  test('the learner’s hook answered out of memory: the kernel killed the process for it', () => {
    const t = context({ anonymousFault: () => ({ kind: 'oom' }) });
    const pid = t.spawn();
    const outcome = t.read(pid, t.mmap(pid, PAGE));
    expect(failure(() => t.expectOk(outcome, 'the read'))).toBe(
      "expected the read to succeed, but your anonymousFault answered the fault with { kind: 'oom' } (out of memory), so the kernel killed the process with SIGKILL (SI_KERNEL)",
    );
  });

  test('the kernel’s signal after the learner’s hook mapped the page wrongly points back at that mapping', () => {
    // Maps the zero page no-execute, whatever the area allows (the ignores-exec mistake).
    const t = context({
      anonymousFault: (k, f) => {
        k.mapPage(f.mm!, f.address, k.zeroPfn(), { writable: false, exec: false });
        return { kind: 'resolved', resolution: 'zero-page' };
      },
    });
    const pid = t.spawn();
    const code = t.mmap(pid, PAGE, { read: true, write: false, exec: true });
    expect(failure(() => t.expectOk(t.fetch(pid, code), 'the instruction fetch'))).toBe(
      'expected the instruction fetch to succeed, but the kernel’s fault path sent SIGSEGV (SEGV_ACCERR) to the process: your anonymousFault had handled an earlier fault of this access, and the retried access was still not allowed by what it mapped (look at the permissions of the PTE it installed)',
    );
  });

  test('a signal from a hook the test put in place is the kernel’s', () => {
    const t = context(learnerAnon);
    t.useHook('anonymousFault', (_k, f) => ({
      kind: 'signal',
      signal: { signal: 'SIGBUS', code: 'BUS_ADRERR', address: f.address },
    }));
    const pid = t.spawn();
    const outcome = t.write(pid, t.mmap(pid, PAGE), 1);
    expect(failure(() => t.expectOk(outcome, 'the write'))).toBe(
      'expected the write to succeed, but the kernel’s fault path sent SIGBUS (BUS_ADRERR) to the process (no hook of yours was called)',
    );
  });
});

describe('assertions: they hold on the reference kernel and fail with a message on a wrong one', () => {
  test('expectSignal', () => {
    const t = context();
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE, RO);
    t.expectSignal(
      t.write(pid, addr, 1),
      { signal: 'SIGSEGV', code: 'SEGV_ACCERR' },
      'a write to read-only memory',
    );
    const mapErr = t.write(t.spawn('b'), 0x5000_0000, 1);
    expect(failure(() => t.expectSignal(mapErr, { signal: 'SIGSEGV', code: 'SEGV_ACCERR' }, 'a write'))).toBe(
      'expected a write to be stopped with SIGSEGV (SEGV_ACCERR), but the kernel’s fault path sent SIGSEGV (SEGV_MAPERR) (no VMA covers the address, so no fault hook was called) — SEGV_ACCERR: a VMA covers the address but forbids this access, whereas SEGV_MAPERR: no VMA covers the address',
    );
    const c = t.spawn('c');
    const ok = t.write(c, t.mmap(c, PAGE), 7);
    expect(failure(() => t.expectSignal(ok, { signal: 'SIGSEGV' }, 'the write'))).toBe(
      'expected the write to be stopped with SIGSEGV, but it succeeded (the byte read was 0x7): the process did something its mappings do not allow, and nothing stopped it',
    );
  });

  test('expectOops and expectFixup', () => {
    const t = context();
    const pid = t.spawn();
    const fixup = t.kernelAccess(0x5000_0000, 'read', { pid, uaccess: true, ip: UACCESS_IP.copyUser });
    expect(failure(() => t.expectOops(fixup, 'the read'))).toBe(
      'expected the read to oops (a kernel fault that nothing can fix must not be papered over), but the kernel took an exception-table fixup',
    );
    const oops = t.kernelAccess(0x5000_0000, 'read', { pid: t.spawn('b'), uaccess: true });
    expect(failure(() => t.expectOops(oops, 'the read', 'SMAP'))).toMatch(
      /^expected the read to oops with a report mentioning "SMAP", but the report says: BUG: unable to handle page fault/,
    );
    expect(failure(() => t.expectFixup(oops, 'the read by copy_user'))).toBe(
      'expected the read by copy_user to fault and resume at its exception-table fixup (the faulting instruction has an entry: search_exception_tables finds it), but the kernel oopsed: BUG: unable to handle page fault for address: 0x0000000050000000',
    );
  });

  test('expectCopy: bytes not copied, errno, a zeroed tail; an oops', () => {
    // A copy_from_user that forgets to zero what it did not copy.
    const noZeroing: KernelHooks['copyFromUser'] = (k, c) => {
      let copied = 0;
      k.userAccessBegin(c.pid);
      for (; copied < c.length; copied++) {
        const byte = k.loadByte(c.pid, c.userAddress + BigInt(copied), k.copyInstruction);
        if (byte.kind !== 'ok') break;
        k.storeByte(c.pid, c.kernelAddress + BigInt(copied), byte.value, 0n);
      }
      k.userAccessEnd(c.pid);
      return { notCopied: c.length - copied, errno: copied < c.length ? 'EFAULT' : null, oops: null };
    };
    const t = context({ copyFromUser: noZeroing });
    // Free frames that still hold 0xaa, for the kernel buffer to come from.
    const old = t.spawn('old');
    const junk = t.mmap(old, 16 * PAGE);
    for (let i = 0; i < 16; i++) for (let b = 0; b < 4; b++) t.write(old, junk + i * PAGE + b, 0xaa);
    t.exit(old);
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.write(pid, addr + PAGE - 1, 1);
    const partial = t.copyFromUser(pid, addr + PAGE - 1, 3);
    t.expectCopy(partial, { notCopied: 2, errno: 'EFAULT' }, 'a copy that runs off the end');
    const message = failure(() => t.expectCopy(partial, { notCopied: 2, data: [1, 0, 0] }, 'the copy'));
    expect(message).toMatch(
      /^expected the copy to work, but the kernel buffer holds \[1, 170, 170\] instead of \[1, 0, 0\]/,
    );
    expect(message).toContain('bytes that were not copied must be zeroed');
    expect(failure(() => t.expectCopy(partial, { notCopied: 0, errno: null }, 'the copy'))).toBe(
      'expected the copy to work, but it returned 2 bytes not copied instead of 0 (the return value counts the bytes NOT copied: 0 means all of them); the caller got -EFAULT instead of 0 (success)',
    );
    const withoutFixups = context({ exceptionFixup: () => null });
    const p = withoutFixups.spawn();
    const oops = withoutFixups.copyFromUser(p, 0x5000_0000, 4);
    expect(failure(() => withoutFixups.expectCopy(oops, { notCopied: 4 }, 'a copy from nowhere'))).toMatch(
      /^expected a copy from nowhere to return 4 bytes not copied, but the kernel oopsed: BUG: .* — a uaccess fault must resume at the exception-table fixup, never oops$/,
    );
  });

  test('expectErrno', () => {
    const t = context();
    const pid = t.spawn();
    t.expectErrno(t.munmap(pid, 1, PAGE), 'EINVAL', 'an unaligned munmap');
    expect(failure(() => t.expectErrno(null, 'ENOMEM', 'an mprotect of unmapped memory'))).toBe(
      'expected an mprotect of unmapped memory to return -ENOMEM, but it returned 0 (success)',
    );
  });

  test('expectCount: IPIs of a flush by mm_cpumask, and of one that forgets the other CPU', () => {
    const right = context();
    const r = threadsOnTwoCpus(right);
    const cost = right.measure(() => right.mprotect(r.main, r.addr, PAGE, RO));
    right.expectCount(cost, 'shootdownIpis', 1, 'downgrading a page both CPUs cache');
    right.expectCount(cost, 'tlbFlushPage', { atLeast: 2 }, 'the same downgrade');
    right.expectSignal(
      right.write(r.worker, r.addr, 3, { cpu: 1 }),
      { signal: 'SIGSEGV' },
      'the other CPU’s write',
    );

    const wrong = context({ flushTlbPage: localOnlyFlush });
    const w = threadsOnTwoCpus(wrong);
    const cheap = wrong.measure(() => wrong.mprotect(w.main, w.addr, PAGE, RO));
    expect(
      failure(() => wrong.expectCount(cheap, 'shootdownIpis', 1, 'downgrading a page both CPUs cache')),
    ).toBe(
      'expected downgrading a page both CPUs cache to cost exactly 1 shootdown IPI, but with your flushTlbPage it cost 0 shootdown IPIs. Only the CPUs in the address space’s cpumask (kernel.cpusThatMayCache) can hold its translations: each other CPU interrupted is wasted work, and one skipped keeps a stale entry.',
    );
    // The stale entry the missing IPI left behind: the write goes through.
    expect(wrong.write(w.worker, w.addr, 3, { cpu: 1 }).kind).toBe('ok');
  });

  test('expectCount bounds: at most, at least, between', () => {
    const t = context({ cowBreak: alwaysCopy });
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.write(pid, addr, 1);
    t.exit(t.fork(pid));
    const cost = t.measure(() => t.write(pid, addr, 2));
    expect(
      failure(() => t.expectCount(cost, 'framesAllocated', { atMost: 0 }, 'the last user’s COW write')),
    ).toBe(
      'expected the last user’s COW write to cost at most 0 frames allocated, but with your cowBreak it cost 1 frame allocated. Every allocPage is a frame: a read of untouched private memory needs none (the shared zero page), and a COW write by the page’s last user can reuse the page instead of copying it.',
    );
    expect(failure(() => t.expectCount(cost, 'faults', { atLeast: 2 }, 'it'))).toMatch(
      /^expected it to cost at least 2 page faults, but with your cowBreak it cost 1 page fault\./,
    );
    expect(failure(() => t.expectCount(cost, 'swapOuts', { atLeast: 1, atMost: 2 }, 'it'))).toMatch(
      /^expected it to cost between 1 and 2 pages written to swap, but with your cowBreak it cost 0 pages written to swap\. Only a dirty page/,
    );
    t.expectCount(cost, 'faults', { atLeast: 1, atMost: 1 }, 'it');
    expect(() => t.expectCount(cost, 'nope' as 'faults', 1, 'it')).toThrow(HarnessError);
  });

  test('expectPage: PTE kind, refcount and mapcount, read without the walk hook', () => {
    // A cowBreak that copies but never drops its reference to the old page.
    const leaky: KernelHooks['cowBreak'] = (k, f, pfn) => {
      k.getPage(pfn);
      const copy = k.allocPage();
      k.copyPage(pfn, copy);
      k.replacePage(f.mm!, f.address, copy, { writable: true, exec: false, dirty: true });
      return { kind: 'resolved', resolution: 'cow-copy' };
    };
    const t = context({ cowBreak: leaky });
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    t.write(pid, addr, 1);
    const child = t.fork(pid);
    t.expectPage(pid, addr, { refcount: 2, mapcount: 2 }, 'the page shared after fork');
    t.write(child, addr, 2);
    t.useHook('walkPageTable', 'empty');
    expect(failure(() => t.expectPage(pid, addr, { refcount: 1, mapcount: 1 }, 'the parent’s page'))).toMatch(
      /^expected the page of the parent’s page to be right, but frame \d+ has refcount 2, not 1: a reference was taken and never dropped/,
    );
    expect(failure(() => t.expectPage(pid, addr + PAGE, { pte: 'present' }, 'the next page'))).toBe(
      'expected the PTE of the next page to be present (it maps a frame), but it is empty',
    );
    expect(failure(() => t.expectPage(pid, addr, { refcount: 3 }, 'it'))).toMatch(
      /refcount 2, not 3: a reference was dropped too often/,
    );
  });

  test('the assertions that were there keep their messages', () => {
    const t = context({
      anonymousFault: (k, f, vma) => referenceHooks.anonymousFault(k, { ...f, write: true }, vma),
    });
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    const r = t.read(pid, addr);
    expect(failure(() => t.expectResolutions(r, ['zero-page'], 'the first read'))).toBe(
      'expected the first read to map the shared zero page (resolution "zero-page"), but your anonymousFault resolved it as "demand-zero"',
    );
    expect(failure(() => t.expectValue(r, 1, 'the first read'))).toBe(
      'expected the first read to read 0x1, but it read 0x0',
    );
    expect(failure(() => t.expectPte(pid, addr, { zero: true }, 'the page'))).toMatch(
      /^expected the page, but it maps frame \d+, not the shared zero page \(frame \d+\)$/,
    );
    expect(failure(() => t.expectEqual(1, 2, 'one'))).toBe('expected one to be 2, but it was 1');
  });
});

describe('the trace', () => {
  test('keeps the most recent events, flattened, led by a truncation marker', () => {
    const t = context({}, { traceCap: 5 });
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    for (let i = 0; i < 4; i++) t.write(pid, addr + i * PAGE, 1);
    const trace = t.trace();
    expect(trace).toHaveLength(6);
    expect(trace[0]).toMatchObject({ kind: 'truncated' });
    expect(trace.slice(1).every((e) => typeof e.kind === 'string' && e.kind !== 'truncated')).toBe(true);
    expect(trace.at(-1)).toMatchObject({ kind: 'access', access: 'write' });
  });

  test('is exactly the last events the kernel emitted, as the old array-and-shift trace kept them', () => {
    const t = context({}, { traceCap: 7 });
    const seen: string[] = [];
    t.kernel().subscribe((e) => seen.push(e.type));
    const pid = t.spawn();
    t.write(pid, t.mmap(pid, PAGE), 1);
    expect(
      t
        .trace()
        .slice(1)
        .map((e) => e.kind),
    ).toEqual(seen.slice(-7));
    expect(t.trace()[0]).toEqual({ kind: 'truncated', dropped: seen.length - 7 });
  });

  test('nested values become dotted fields, arrays comma lists, `kind` becomes `what`', () => {
    const t = context();
    t.machine({ cpus: 2 });
    const main = t.spawn('main');
    t.switchTo(0, main);
    t.switchTo(1, t.thread(main));
    t.mprotect(main, t.mmap(main, PAGE), PAGE, RO);
    const pid = t.spawn('b');
    t.write(pid, 0x5000_0000, 1);
    const events = t.trace();
    expect(events.find((e) => e.kind === 'signal')).toMatchObject({
      'signal.signal': 'SIGSEGV',
      'signal.code': 'SEGV_MAPERR',
    });
    expect(events.find((e) => e.kind === 'fault')).toHaveProperty('fault.address');
    expect(events.length).toBeLessThanOrEqual(MAX_TRACE_EVENTS);
  });

  test('an untouched context has an empty trace', () => {
    expect(context().trace()).toEqual([]);
  });
});

describe('the helpers check their arguments: a bad one is the test’s error, not the learner’s', () => {
  /** The message of the HarnessError `body` throws. */
  function harnessError(body: () => unknown): string {
    try {
      body();
    } catch (error) {
      if (error instanceof HarnessError) return error.message;
      throw error;
    }
    throw new Error('no HarnessError');
  }
  const loose = (t: TestContext) => t as unknown as Record<string, (...args: unknown[]) => unknown>;

  test('a value that is not a byte, a prot that is not an object', () => {
    const t = context();
    const pid = t.spawn();
    const addr = t.mmap(pid, PAGE);
    expect(harnessError(() => t.write(pid, addr, 300))).toBe('t.write: value 300 is not a byte (0–255)');
    expect(harnessError(() => loose(t).mmap!.call(t, pid, PAGE, 'rw-'))).toMatch(
      /^t\.mmap: prot "rw-" is not \{ read, write, exec \} with three booleans/,
    );
    expect(harnessError(() => loose(t).mprotect!.call(t, pid, addr, PAGE, 'r--'))).toMatch(
      /^t\.mprotect: prot "r--"/,
    );
    expect(harnessError(() => loose(t).read!.call(t, pid, String(addr)))).toMatch(
      /^t\.read: address "\d+" is not an integer/,
    );
    expect(harnessError(() => loose(t).putUser!.call(t, pid, addr, 8, 5))).toBe(
      't.putUser: value 5 is not a bigint that fits in 8 bytes',
    );
    expect(harnessError(() => loose(t).getUser!.call(t, pid, addr, 3))).toBe(
      't.getUser: size 3 is not 1, 2, 4 or 8',
    );
    expect(harnessError(() => t.copyToUser(pid, addr, [1, 256]))).toBe(
      't.copyToUser: bytes [1,256] is not an array of bytes (0–255)',
    );
  });

  test('a pid that does not exist, a CPU the machine lacks, a file never created', () => {
    const t = context();
    t.machine({ cpus: 2 });
    const pid = t.spawn();
    expect(harnessError(() => t.read(999, 0x1000))).toBe(
      't.read: no task with pid 999 (t.spawn, t.thread, t.fork and t.kthread return pids)',
    );
    expect(harnessError(() => t.fork(999))).toMatch(/^t\.fork: no task with pid 999/);
    expect(harnessError(() => t.read(pid, 0x1000, { cpu: 2 }))).toBe(
      't.read: cpu 2 is not a CPU of this machine (it has 2: 0–1; t.machine({ cpus }) sets how many)',
    );
    expect(harnessError(() => t.switchTo(5, pid))).toMatch(/^t\.switchTo: cpu 5 is not a CPU/);
    expect(harnessError(() => t.kernelAccess(0x1000, 'read', { cpu: 3 }))).toMatch(/^t\.kernelAccess: cpu 3/);
    expect(harnessError(() => t.mmap(pid, PAGE, RO, { file: 'nope.txt' }))).toBe(
      't.mmap: no file "nope.txt" (make it with t.createFile first)',
    );
    expect(harnessError(() => t.readFile('nope.txt', 0, 4))).toMatch(/^t\.readFile: no file "nope\.txt"/);
  });

  test('kernelAccess takes the instruction names scenario files take; UACCESS_IP is the grader’s export', async () => {
    const grader = await import('../index.ts');
    expect(grader.UACCESS_IP).toBe(UACCESS_IP);
    const t = context();
    const pid = t.spawn();
    const byName = t.kernelAccess(0x5000_0000, 'read', { pid, uaccess: true, ip: 'copy_user_generic' });
    t.expectFixup(byName, 'a copy instruction’s fault');
    const get = t.kernelAccess(0x5000_0000, 'read', { pid, uaccess: true, ip: '__get_user_1' });
    expect(get).toEqual({ ...get, kind: 'fixup', fixupIp: UACCESS_IP.getUserFixup });
    expect(harnessError(() => t.kernelAccess(0x5000_0000, 'read', { ip: 'toString' }))).toBe(
      't.kernelAccess: ip "toString" is not an address or a known instruction (copy_user_generic, __get_user_1, __put_user_1)',
    );
  });
});
