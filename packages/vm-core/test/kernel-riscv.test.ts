// The kernel on RISC-V Sv39, as a learner meets it: the classic questions
// answered with scause and stval, SUM around user copies, A/D faults under
// Svade, satp with ASIDs, and the 6.1 lazy vmalloc sync. After every step
// the invariant checker must find nothing.
import { describe, expect, test } from 'vitest';
import {
  type AccessOutcome,
  checkInvariants,
  Kernel,
  type KernelOptions,
  PageFlag,
  type TraceEvent,
} from '../src/kernel/index.ts';
import { expectUserAccessClosed } from './user-access.ts';

const RW = { read: true, write: true, exec: false };
const RO = { read: true, write: false, exec: false };
const XO = { read: false, write: false, exec: true };

// scause values (Privileged Spec Table 4.2; EXC_* in asm/csr.h).
const INST_PAGE_FAULT = 12;
const LOAD_PAGE_FAULT = 13;
const STORE_PAGE_FAULT = 15;

/** A RISC-V machine whose every step is followed by the invariant checker. */
function machine(options: KernelOptions = {}) {
  const kernel = new Kernel({ arch: 'riscv-sv39', frames: 512, ...options });
  const step = <T>(what: () => T): T => {
    const result = what();
    expect(checkInvariants(kernel)).toEqual([]);
    return result;
  };
  const map = (pid: number, pages: number, prot = RW, extra: { shared?: boolean } = {}) => {
    const r = step(() => kernel.mmap(pid, { length: pages * 4096, prot, ...extra }));
    if (r.kind !== 'ok') throw new Error(`mmap failed: ${r.errno}`);
    return r.address;
  };
  return { kernel, step, map };
}

const resolutions = (o: { faults: readonly { resolution: string }[] }) => o.faults.map((f) => f.resolution);
const causes = (o: { faults: readonly { errorCode: number }[] }) => o.faults.map((f) => f.errorCode);

describe('RISC-V: the classic questions', () => {
  test('a COW write is a store page fault the kernel handles and the process never sees', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 2);
    step(() => kernel.access(pid, addr, 'write', 0x11));
    const child = step(() => kernel.fork(pid)).pid;
    const childWrite: AccessOutcome = step(() => kernel.access(child, addr, 'write', 0x22));
    expect(childWrite.kind).toBe('ok');
    expect(resolutions(childWrite)).toEqual(['cow-copy']);
    expect(causes(childWrite)).toEqual([STORE_PAGE_FAULT]);
    expect(childWrite.faults[0]!.message).toMatch(/^scause=15 \(store\/AMO page fault\) stval=0x0000003ff/);
    const parentWrite = step(() => kernel.access(pid, addr, 'write', 0x33));
    expect(resolutions(parentWrite)).toEqual(['cow-reuse']);
    expect(step(() => kernel.access(pid, addr, 'read'))).toMatchObject({ kind: 'ok', value: 0x33 });
    expect(step(() => kernel.access(child, addr, 'read'))).toMatchObject({ kind: 'ok', value: 0x22 });
  });

  test('SIGSEGV: SEGV_MAPERR outside every VMA, SEGV_ACCERR where the VMA forbids the access', () => {
    const { kernel, step, map } = machine();
    const a = kernel.spawn('a').pid;
    expect(step(() => kernel.access(a, 0x1000_0000, 'read'))).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR', address: 0x1000_0000n },
      faults: [{ errorCode: LOAD_PAGE_FAULT, resolution: 'signal' }],
    });
    expect(kernel.task(a).alive).toBe(false);

    const b = kernel.spawn('b').pid;
    const ro = map(b, 1, RO);
    expect(step(() => kernel.access(b, ro, 'write', 1))).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR', address: BigInt(ro) },
      faults: [{ errorCode: STORE_PAGE_FAULT }],
    });

    // A fetch from a mapping without PROT_EXEC: access_error() decides from
    // the cause, so RISC-V refuses at once — x86 would first map the page
    // (its error code says "read, not present") and refuse on the next fault.
    const c = kernel.spawn('c').pid;
    const data = map(c, 1);
    const fetch = step(() => kernel.access(c, data, 'exec'));
    expect(fetch).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_ACCERR' } });
    expect(causes(fetch)).toEqual([INST_PAGE_FAULT]);

    // The kernel half is, to user space, simply not mapped: no VMA, MAPERR.
    const d = kernel.spawn('d').pid;
    expect(step(() => kernel.access(d, kernel.directMapAddress(10), 'read'))).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_MAPERR' },
    });
  });

  test('an execute-only mapping (PAGE_EXEC has no R): fetches work, loads are SEGV_ACCERR', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const text = map(pid, 1, XO);
    expect(resolutions(step(() => kernel.access(pid, text, 'exec')))).toEqual(['zero-page']);
    expect(step(() => kernel.access(pid, text, 'exec'))).toMatchObject({ kind: 'ok', faults: [] });
    const load = step(() => kernel.access(pid, text, 'read'));
    expect(load).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_ACCERR' } });
    expect(causes(load)).toEqual([LOAD_PAGE_FAULT]);
  });

  test('a non-canonical address (bits 63:39 not copies of bit 38) is a page fault and SIGSEGV MAPERR', () => {
    const { kernel, step } = machine();
    for (const address of [0x40_0000_0000, 0x8000_0000_0000]) {
      const pid = kernel.spawn('app').pid;
      const r = step(() => kernel.access(pid, address, 'read'));
      // Unlike x86's #GP (SI_KERNEL, si_addr 0), the hardware raises scause
      // 13 with stval = the address; find_vma() finds nothing.
      expect(r).toMatchObject({
        kind: 'signal',
        signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR', address: BigInt(address) },
      });
      expect(causes(r)).toEqual([LOAD_PAGE_FAULT]);
      expect(r.faults[0]!.message).toContain('non-canonical address');
    }
    // From the kernel it is a bad area too: no_context(), an oops.
    const pid = kernel.spawn('k').pid;
    kernel.switchTo(0, pid);
    const k = step(() => kernel.kernelAccess(0, 0x40_0000_0000, 'read'));
    expect(k.kind).toBe('oops');
    if (k.kind === 'oops')
      expect(k.report).toMatch(
        /^Unable to handle kernel paging request at virtual address 0000004000000000\n/,
      );
  });

  test('kernel memory never swaps: kmalloc and vmalloc pages stay while user pages go to swap', () => {
    const { kernel, step } = machine({ frames: 160 });
    const kbuf = kernel.kmalloc(4096)!;
    const vbuf = kernel.vmalloc(2 * 4096)!;
    const pid = kernel.spawn('big').pid; // created after vmalloc: its root already has the entry
    kernel.switchTo(0, pid);
    step(() => kernel.kernelAccess(0, kbuf, 'write', { value: 0x5a }));
    step(() => kernel.kernelAccess(0, vbuf + 4096, 'write', { value: 0xa5 }));
    const r = step(() => kernel.mmap(pid, { length: 200 * 4096, prot: RW }));
    if (r.kind !== 'ok') throw new Error('mmap');
    for (let i = 0; i < 200; i++) step(() => kernel.access(pid, r.address + i * 4096, 'write', i & 0xff));
    expect(kernel.stats.swapOuts).toBeGreaterThan(40);
    expect(step(() => kernel.kernelAccess(0, kbuf, 'read'))).toMatchObject({
      kind: 'ok',
      value: 0x5a,
      faults: [],
    });
    expect(step(() => kernel.kernelAccess(0, vbuf + 4096, 'read'))).toMatchObject({
      kind: 'ok',
      value: 0xa5,
      faults: [],
    });
    const kpfn = (kbuf - kernel.layout.directMapStart) / 4096;
    expect(kernel.frames.has(kpfn, PageFlag.Kernel)).toBe(true);
    expect(kernel.lru.has(kpfn)).toBe(false);
    for (let i = 0; i < 200; i += 17) {
      expect(step(() => kernel.access(pid, r.address + i * 4096, 'read'))).toMatchObject({ value: i & 0xff });
    }
  });
});

describe('RISC-V: sstatus.SUM around user copies', () => {
  test('copy_from_user from a bad buffer is -EFAULT through the fixup, with SUM clear again on every path', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1);
    step(() => kernel.access(pid, addr + 4094, 'write', 0xaa));
    const seen: boolean[] = [];
    kernel.subscribe((e) => {
      if (e.type === 'fault') seen.push(kernel.cpu(0).mmu.control.sum);
    });
    // Unmapped: the first load faults with SUM set, the fixup returns the count.
    const bad = step(() => kernel.copyFromUser(pid, 0x5000_0000, 16));
    expect(bad).toMatchObject({ notCopied: 16, errno: 'EFAULT', oops: null });
    expect(resolutions(bad)).toEqual(['exception-fixup']);
    expect(causes(bad)).toEqual([LOAD_PAGE_FAULT]);
    expectUserAccessClosed(kernel);
    // Running off the end of a mapping: two bytes copied, the rest zeroed.
    const tail = step(() => kernel.copyFromUser(pid, addr + 4094, 6));
    expect(tail).toMatchObject({ notCopied: 4, errno: 'EFAULT', data: [0xaa, 0, 0, 0, 0, 0] });
    expectUserAccessClosed(kernel);
    // A kernel address: access_ok() refuses before SUM is ever set.
    expect(step(() => kernel.copyFromUser(pid, kernel.directMapAddress(5), 4))).toMatchObject({
      errno: 'EFAULT',
      faults: [],
    });
    expectUserAccessClosed(kernel);
    // The good path.
    expect(step(() => kernel.copyFromUser(pid, addr + 4094, 1))).toMatchObject({
      notCopied: 0,
      data: [0xaa],
    });
    expectUserAccessClosed(kernel);
    // Every fault of a user copy was taken inside the window.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
  });

  test('an oops inside the window still leaves SUM clear, and is a paging request, not a SUM violation', () => {
    const { kernel, step } = machine({
      hooks: {
        // A buggy copy: the load is not the copy instruction, so it has no fixup.
        copyFromUser: (k, c) => {
          k.userAccessBegin(c.pid);
          try {
            const b = k.loadByte(c.pid, c.userAddress, 0n);
            return { notCopied: c.length, errno: 'EFAULT', oops: b.kind === 'oops' ? b.report : null };
          } finally {
            k.userAccessEnd(c.pid);
          }
        },
      },
    });
    const pid = kernel.spawn('app').pid;
    const r = step(() => kernel.copyFromUser(pid, 0x5000_0000, 4));
    expect(r.oops).toMatch(/^Unable to handle kernel paging request at virtual address 0000000050000000\n/);
    expect(r.oops).toContain('status: 0000000200040120'); // SPP, SPIE and SUM
    expect(kernel.task(pid).alive).toBe(false);
    expectUserAccessClosed(kernel);
  });

  test('the kernel touching user memory with SUM clear dies: "access to user memory without uaccess routines"', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1);
    step(() => kernel.access(pid, addr, 'write', 7));
    kernel.switchTo(0, pid);
    expectUserAccessClosed(kernel);
    const r = step(() => kernel.kernelAccess(0, addr, 'read'));
    expect(r.kind).toBe('oops');
    if (r.kind !== 'oops') return;
    const lines = r.report.split('\n');
    expect(lines[0]).toBe(
      `Unable to handle kernel access to user memory without uaccess routines at virtual address ${addr.toString(16).padStart(16, '0')}`,
    );
    expect(lines[1]).toBe('Oops [#1]');
    expect(lines).toContain('epc : 0xffffffff80000000');
    expect(lines).toContain(
      `status: 0000000200000120 badaddr: ${addr.toString(16).padStart(16, '0')} cause: 000000000000000d`,
    );
    expect(kernel.task(pid).alive).toBe(false);
  });

  test('with SUM set the same access works; a NULL dereference with an mm is also a SUM violation', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1);
    step(() => kernel.access(pid, addr, 'write', 7));
    kernel.uaccessApi.userAccessBegin(pid);
    expect(step(() => kernel.kernelAccess(0, addr, 'read'))).toMatchObject({ kind: 'ok', value: 7 });
    kernel.uaccessApi.userAccessEnd(pid);
    // Address 8 is below TASK_SIZE: the SUM check comes before no_context().
    const nul = step(() => kernel.kernelAccess(0, 8, 'read'));
    expect(nul.kind === 'oops' && nul.report.split('\n')[0]).toBe(
      'Unable to handle kernel access to user memory without uaccess routines at virtual address 0000000000000008',
    );
    // A kernel thread has no mm: no_context(), and there the NULL page has its own message.
    kernel.switchTo(0, 2);
    const kt = step(() => kernel.kernelAccess(0, 8, 'read'));
    expect(kt.kind === 'oops' && kt.report.split('\n')[0]).toBe(
      'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008',
    );
  });

  test('a uaccess instruction that faults with SUM clear takes its fixup (6.1.y consults the exception table first)', () => {
    const { kernel, step } = machine({
      hooks: {
        // A copy routine that forgot __enable_user_access().
        copyFromUser: (k, c) => {
          const b = k.loadByte(c.pid, c.userAddress, k.copyInstruction);
          return {
            notCopied: b.kind === 'ok' ? 0 : c.length,
            errno: b.kind === 'ok' ? null : 'EFAULT',
            oops: null,
          };
        },
      },
    });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error('mmap');
    step(() => kernel.access(pid, r.address, 'write', 1));
    const c = step(() => kernel.copyFromUser(pid, r.address, 1));
    expect(c).toMatchObject({ errno: 'EFAULT', oops: null });
    expect(resolutions(c)).toEqual(['exception-fixup']);
    expect(kernel.task(pid).alive).toBe(true);
  });

  test('get_user / put_user: values round-trip, a bad pointer is -EFAULT, SUM clear afterwards', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1);
    expect(step(() => kernel.putUser(pid, addr + 8, 8, 0x1122334455667788n))).toMatchObject({ errno: null });
    expect(step(() => kernel.getUser(pid, addr + 8, 8))).toMatchObject({ value: 0x1122334455667788n });
    expect(step(() => kernel.getUser(pid, 0x7000_0000, 4))).toMatchObject({ value: 0n, errno: 'EFAULT' });
    expectUserAccessClosed(kernel);
  });
});

describe('RISC-V: accessed and dirty bits, Svade or Svadu', () => {
  test('Svade (the default): the first write to a clean writable page is a store fault that only sets D', () => {
    const { kernel, step, map } = machine();
    expect(kernel.cpu(0).mmu.control.hardwareDirty).toBe(false);
    const pid = kernel.spawn('app').pid;
    // A shared mapping's read fault maps a real page, writable and clean (PAGE_SHARED has no D).
    const addr = map(pid, 1, RW, { shared: true });
    expect(resolutions(step(() => kernel.access(pid, addr, 'read')))).toEqual(['demand-zero']);
    const mm = kernel.task(pid).mm!.id;
    expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({
      writable: true,
      accessed: true,
      dirty: false,
    });
    const w = step(() => kernel.access(pid, addr, 'write', 3));
    expect(resolutions(w)).toEqual(['access-flags']);
    expect(causes(w)).toEqual([STORE_PAGE_FAULT]);
    expect(w.faults[0]!.message).toContain('accessed/dirty flag must be set by software');
    expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({ dirty: true });
    expect(step(() => kernel.access(pid, addr, 'write', 4))).toMatchObject({ kind: 'ok', faults: [] });
  });

  test('Svadu: the hart sets D itself, and nothing faults', () => {
    const { kernel, step, map } = machine({ accessFlags: 'hardware' });
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1, RW, { shared: true });
    step(() => kernel.access(pid, addr, 'read'));
    expect(step(() => kernel.access(pid, addr, 'write', 3))).toMatchObject({ kind: 'ok', faults: [] });
    expect(kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(addr))).toMatchObject({
      dirty: true,
    });
  });

  test("fork's pte_mkold leaves the child's PTEs old: its first read is a load fault under Svade, none under Svadu", () => {
    for (const accessFlags of ['software', 'hardware'] as const) {
      const { kernel, step, map } = machine({ accessFlags });
      const pid = kernel.spawn('app').pid;
      const addr = map(pid, 1);
      step(() => kernel.access(pid, addr, 'write', 9));
      const child = step(() => kernel.fork(pid)).pid;
      const mm = kernel.task(child).mm!.id;
      expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({
        accessed: false,
        writable: false,
      });
      const read = step(() => kernel.access(child, addr, 'read'));
      expect(read).toMatchObject({ kind: 'ok', value: 9 });
      if (accessFlags === 'software') {
        expect(resolutions(read)).toEqual(['access-flags']);
        expect(causes(read)).toEqual([LOAD_PAGE_FAULT]);
      } else {
        expect(read.faults).toEqual([]);
      }
      expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({ accessed: true });
      // The parent's PTE kept its A bit: no fault for it either way.
      expect(step(() => kernel.access(pid, addr, 'read'))).toMatchObject({ kind: 'ok', faults: [] });
    }
  });

  test("reclaim's aging (pte_mkold) makes the next touch of a page an A fault under Svade", () => {
    const { kernel, step, map } = machine({ tlb: null });
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 4);
    for (let i = 0; i < 4; i++) step(() => kernel.access(pid, addr + i * 4096, 'write', i));
    // The scan finds each page referenced, clears A (and activates it); the
    // second look frees the oldest. The three aged pages fault on A alone.
    expect(step(() => kernel.reclaim(1))).toBe(1);
    const reads = [0, 1, 2, 3].map((i) => step(() => kernel.access(pid, addr + i * 4096, 'read')));
    expect(reads.map(resolutions)).toEqual([
      ['swap-in'],
      ['access-flags'],
      ['access-flags'],
      ['access-flags'],
    ]);
    expect(reads.map((r) => r.kind === 'ok' && r.value)).toEqual([0, 1, 2, 3]);
  });

  test('reusing an old COW page (wp_page_reuse) marks it young too: one fault, not two, under Svade', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1);
    step(() => kernel.access(pid, addr, 'write', 1));
    const child = step(() => kernel.fork(pid)).pid;
    step(() => kernel.exit(pid));
    // The child's PTE is old and read-only, and the page is its alone now.
    const w = step(() => kernel.access(child, addr, 'write', 2));
    expect(resolutions(w)).toEqual(['cow-reuse']);
    expect(kernel.api.hooks.walkPageTable(kernel.task(child).mm!.id, BigInt(addr))).toMatchObject({
      accessed: true,
      dirty: true,
    });
  });

  test('copy_to_user into a clean writable page: a kernel-mode store fault with SUM set only sets D', () => {
    const { kernel, step, map } = machine();
    const pid = kernel.spawn('app').pid;
    const addr = map(pid, 1, RW, { shared: true });
    step(() => kernel.access(pid, addr, 'read'));
    const c = step(() => kernel.copyToUser(pid, addr, [1, 2]));
    expect(c).toMatchObject({ notCopied: 0, errno: null });
    expect(resolutions(c)).toEqual(['access-flags']);
    expect(step(() => kernel.access(pid, addr + 1, 'read'))).toMatchObject({ value: 2 });
  });

  test('x86 refuses software A/D; RISC-V takes either', () => {
    expect(() => new Kernel({ accessFlags: 'software' })).toThrow(/x86-64 keeps/);
    expect(
      new Kernel({ arch: 'riscv-sv39', accessFlags: 'hardware' }).cpu(0).mmu.control.hardwareAccessed,
    ).toBe(true);
  });
});

describe('RISC-V: vmalloc in 6.1 (vmalloc_fault syncs the top-level entry lazily)', () => {
  test("a process created before a vmalloc takes one fault that copies init_mm's root entry", () => {
    const { kernel, step } = machine();
    const old = kernel.spawn('old').pid;
    const v = step(() => kernel.vmalloc(2 * 4096))!;
    expect(v).toBe(kernel.layout.vmallocStart);
    const young = kernel.spawn('young').pid;
    kernel.switchTo(0, old);
    const first = step(() => kernel.kernelAccess(0, v + 4096, 'read'));
    expect(first).toMatchObject({
      kind: 'ok',
      faults: [{ errorCode: LOAD_PAGE_FAULT, resolution: 'vmalloc-sync' }],
    });
    expect(step(() => kernel.kernelAccess(0, v, 'read'))).toMatchObject({ kind: 'ok', faults: [] });
    // pgd_alloc copied the entry into the newer process.
    kernel.switchTo(0, young);
    expect(step(() => kernel.kernelAccess(0, v, 'read'))).toMatchObject({ kind: 'ok', faults: [] });
  });

  test('a user access to the vmalloc area is SIGSEGV; a kernel access to an unmapped part oopses', () => {
    const { kernel, step } = machine();
    const v = step(() => kernel.vmalloc(4096))!;
    const pid = kernel.spawn('app').pid;
    expect(step(() => kernel.access(pid, v, 'read'))).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR' },
    });
    const other = kernel.spawn('other').pid;
    kernel.switchTo(0, other);
    // The guard page after the area: init_mm has the tables but no PTE.
    const r = step(() => kernel.kernelAccess(0, v + 4096, 'write', { value: 1 }));
    expect(r.kind).toBe('oops');
    if (r.kind === 'oops') {
      expect(r.report.split('\n')[0]).toBe(
        'Unable to handle kernel paging request at virtual address ffffffc800001000',
      );
      expect(r.report).toContain('cause: 000000000000000f');
    }
  });

  test('since 6.5 the top-level entries are preallocated at boot: no process ever takes the sync fault', () => {
    const { kernel, step } = machine({ linux: '6.5' });
    const old = kernel.spawn('old').pid;
    const v = step(() => kernel.vmalloc(4096))!;
    kernel.switchTo(0, old);
    expect(step(() => kernel.kernelAccess(0, v, 'read'))).toMatchObject({ kind: 'ok', faults: [] });
    // An unmapped part is still an oops (6.5 reaches no_context() through bad_area()).
    expect(step(() => kernel.kernelAccess(0, v + 4096, 'read')).kind).toBe('oops');
  });

  test('a kernel thread syncs the entry into the tables satp points at (the ones it borrowed)', () => {
    const { kernel, step } = machine();
    const pid = kernel.spawn('p').pid;
    kernel.switchTo(0, pid);
    const v = step(() => kernel.vmalloc(4096))!;
    kernel.switchTo(0, 2);
    expect(resolutions(step(() => kernel.kernelAccess(0, v, 'read')))).toEqual(['vmalloc-sync']);
    kernel.switchTo(0, pid);
    expect(step(() => kernel.kernelAccess(0, v, 'read'))).toMatchObject({ faults: [] });
  });
});

describe('RISC-V: satp, ASIDs and sfence.vma', () => {
  function twoProcesses(options: KernelOptions) {
    const m = machine(options);
    const a = m.kernel.spawn('a').pid;
    const b = m.kernel.spawn('b').pid;
    const inA = m.map(a, 1);
    const inB = m.map(b, 1);
    return { ...m, a, b, inA, inB };
  }

  test('with ASIDs (the default), a switch writes satp.ASID and keeps the other address space cached', () => {
    const { kernel, step, a, b, inA, inB } = twoProcesses({});
    const asidA = kernel.task(a).mm!.asid;
    const asidB = kernel.task(b).mm!.asid;
    expect(asidA).not.toBe(asidB);
    kernel.switchTo(0, a);
    step(() => kernel.access(a, inA, 'write', 1));
    kernel.switchTo(0, b);
    expect(kernel.cpu(0).mmu.control.asid).toBe(asidB);
    step(() => kernel.access(b, inB, 'write', 2));
    const tlb = kernel.cpu(0).mmu.tlb!.snapshot();
    expect(tlb.some((e) => e.asid === asidA && e.pageVa === inA)).toBe(true);
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    kernel.switchTo(0, a);
    expect(step(() => kernel.access(a, inA, 'read'))).toMatchObject({ kind: 'ok', value: 1 });
    expect(events.some((e) => e.type === 'tlb-hit' && e.asid === asidA)).toBe(true);
    expect(events.some((e) => e.type === 'tlb-flush')).toBe(false);
  });

  test('without ASIDs (pcid: false), every switch is sfence.vma of everything, kernel entries included', () => {
    const { kernel, step, a, b, inA } = twoProcesses({ pcid: false });
    const k = kernel.kmalloc(4096)!;
    kernel.switchTo(0, a);
    step(() => kernel.access(a, inA, 'write', 1));
    step(() => kernel.kernelAccess(0, k, 'read'));
    expect(
      kernel
        .cpu(0)
        .mmu.tlb!.snapshot()
        .some((e) => e.global),
    ).toBe(true);
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    kernel.switchTo(0, b);
    expect(kernel.cpu(0).mmu.control.asid).toBe(0);
    expect(kernel.cpu(0).mmu.tlb!.snapshot()).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'tlb-flush', scope: 'all' }));
  });

  test('fork write-protects the parent and flushes by its ASID only (sfence.vma x0, asid)', () => {
    const { kernel, step, a, b, inA, inB } = twoProcesses({});
    kernel.switchTo(0, b);
    step(() => kernel.access(b, inB, 'write', 2));
    kernel.switchTo(0, a);
    step(() => kernel.access(a, inA, 'write', 1));
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    step(() => kernel.fork(a));
    const asidA = kernel.task(a).mm!.asid;
    expect(events).toContainEqual(expect.objectContaining({ type: 'tlb-flush', scope: 'asid', asid: asidA }));
    const asidB = kernel.task(b).mm!.asid;
    expect(
      kernel
        .cpu(0)
        .mmu.tlb!.snapshot()
        .some((e) => e.asid === asidB),
    ).toBe(true);
  });

  test('mprotect shoots the page down on every hart that ran the mm (remote harts through SBI)', () => {
    const { kernel, step, map } = machine({ cpus: 2 });
    const pid = kernel.spawn('app').pid;
    const t = kernel.thread(pid).pid;
    const addr = map(pid, 1);
    kernel.switchTo(0, pid);
    kernel.switchTo(1, t);
    step(() => kernel.access(pid, addr, 'write', 1));
    step(() => kernel.access(t, addr, 'write', 2));
    const events: TraceEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    expect(step(() => kernel.mprotect(pid, addr, 4096, RO))).toBeNull();
    const shot = events
      .filter((e) => e.type === 'tlb-shootdown')
      .flatMap((e) => (e.type === 'tlb-shootdown' ? e.cpus : []));
    expect(new Set(shot)).toEqual(new Set([0, 1]));
    // The other hart's stale writable entry is gone: its write faults.
    expect(step(() => kernel.access(t, addr, 'write', 3))).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR' },
    });
  });
});

describe('RISC-V: the layout', () => {
  test('TASK_SIZE 0x4000000000, mmap below STACK_TOP - 128 MiB, mmap_min_addr 4096, kernel half from root entry 256', () => {
    const { kernel, map } = machine();
    expect(kernel.layout).toMatchObject({ userEnd: 0x40_0000_0000, mmapMinAddr: 4096, kernelRootFirst: 256 });
    const pid = kernel.spawn('app').pid;
    expect(map(pid, 1)).toBe(0x40_0000_0000 - 128 * 2 ** 20 - 4096);
    expect(kernel.mmap(pid, { address: 0x1000, length: 4096, prot: RW, fixed: true })).toEqual({
      kind: 'ok',
      address: 0x1000,
    });
    expect(kernel.mmap(pid, { address: 0, length: 4096, prot: RW, fixed: true })).toMatchObject({
      errno: 'EPERM',
    });
    // The direct map starts at PAGE_OFFSET = 0xffffffd800000000, root entry 352, with 2 MiB leaves.
    expect(kernel.tables.index(kernel.layout.directMapStart, 0)).toBe(352);
    const root = kernel.initMm.pgdPfn;
    expect(kernel.tables.entryAddress(root, kernel.layout.directMapStart, { level: 2 })).toBeNull();
  });
});
