// The kernel on ARM64 (4K granule, 48-bit VA), as a learner meets it: the
// classic questions, the user-access story by Linux version and CPU, the
// access flag and dirty state in software or hardware, TTBR0/TTBR1 and
// ASIDs — with the invariant checker run after the steps that matter. (The
// random workload runs on ARM64 with the other architectures, in
// kernel-invariants.property.test.ts.)
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../src/kernel/events.ts';
import { checkInvariants, Kernel, type KernelOptions, PageFlag } from '../src/kernel/index.ts';
import { expectUserAccessClosed } from './user-access.ts';

const RW = { read: true, write: true, exec: false };
const RO = { read: true, write: false, exec: false };
const PAGE = 4096;

function boot(options: KernelOptions = {}) {
  const kernel = new Kernel({ arch: 'arm64', frames: 512, ...options });
  const pid = kernel.spawn('app').pid;
  return { kernel, pid };
}

function mapAnon(kernel: Kernel, pid: number, pages: number, prot = RW, shared = false): number {
  const r = kernel.mmap(pid, { length: pages * PAGE, prot, shared });
  if (r.kind !== 'ok') throw new Error(`mmap failed: ${r.errno}`);
  return r.address;
}

const resolutions = (o: { faults: readonly { resolution: string }[] }) => o.faults.map((f) => f.resolution);
const clean = (kernel: Kernel) => expect(checkInvariants(kernel)).toEqual([]);
/** The raw PTE of `pid` at `va`. */
const rawPte = (kernel: Kernel, pid: number, va: number) =>
  kernel.tables.readPte(kernel.task(pid).mm!.pgdPfn, va);
const reservedRoot = (kernel: Kernel, cpu = 0) => kernel.cpu(cpu).mmu.control.rootHigh - PAGE;

function recording(kernel: Kernel): { events: TraceEvent[]; stop: () => void } {
  const events: TraceEvent[] = [];
  const stop = kernel.subscribe((e) => events.push(e));
  return { events, stop };
}

// The machines of the user-access story.
const MACHINES: readonly [string, KernelOptions][] = [
  ['Linux 6.1, PAN (LDTR/STTR, PAN stays set)', {}],
  ['Linux 5.10, PAN without UAO (PAN cleared around the copy)', { linux: '5.10' }],
  ['Linux 5.10, PAN and UAO (LDTR/STTR already)', { linux: '5.10', uao: true }],
  ['Linux 6.1, SW PAN (reserved TTBR0)', { pan: 'software' }],
  ['Linux 5.10, SW PAN', { linux: '5.10', pan: 'software' }],
];

describe('boot: TTBR1 holds the kernel half, TTBR0 the user half', () => {
  test('every CPU has swapper_pg_dir in TTBR1 and the empty reserved_pg_dir just below it in TTBR0', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 256, cpus: 2 });
    for (const cpu of kernel.cpus) {
      const c = cpu.mmu.control;
      expect(c.rootHigh).toBe(kernel.initMm.pgdPfn * PAGE);
      // A CPU that has run no user task yet: the reserved table, ASID 0.
      if (cpu.current.mm === null) expect([c.root, c.asid]).toEqual([reservedRoot(kernel, cpu.id), 0]);
    }
    const reserved = reservedRoot(kernel) / PAGE;
    expect(kernel.kernelTables.has(reserved)).toBe(true);
    expect(kernel.frames.has(reserved, PageFlag.PageTable)).toBe(true);
    for (let i = 0; i < 512; i++) expect(kernel.memory.read64(reserved * PAGE + i * 8)).toBe(0n);
    expect(kernel.arch.kernelHalfInUserRoot).toBe(false);
    expect(kernel.pcid).toBe(true);
  });

  test("an mm's pgd holds user entries only: none of swapper_pg_dir's is copied into it", () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 1);
    const pgd = kernel.task(pid).mm!.pgdPfn;
    const used: number[] = [];
    for (let i = 0; i < 512; i++) if (kernel.memory.read64(pgd * PAGE + i * 8) !== 0n) used.push(i);
    // One L0 entry: the one covering the mapping (user addresses 0..2^48).
    expect(used).toEqual([kernel.tables.index(addr, 0)]);
    clean(kernel);
  });

  test('the layout of Documentation/arm64/memory.rst (48-bit VA, 4K pages)', () => {
    const { kernel, pid } = boot();
    expect(kernel.directMapAddress(0)).toBe(-(2 ** 48)); // PAGE_OFFSET 0xffff000000000000
    expect(kernel.layout.userEnd).toBe(2 ** 48); // TASK_SIZE_64
    expect(kernel.layout.mmapMinAddr).toBe(4096);
    // The first mmap lands 128 MiB below the top of the 256 TiB user range.
    expect(mapAnon(kernel, pid, 1)).toBe(2 ** 48 - 128 * 2 ** 20 - PAGE);
    expect(kernel.vmalloc(PAGE)).toBe(-(2 ** 47) + 0x0a00_0000); // 0xffff80000a000000
  });

  test('kernel pages are PXN|UXN and global; the linear map uses 2 MiB blocks', () => {
    const { kernel } = boot();
    const swapper = kernel.initMm.pgdPfn;
    const va = kernel.directMapAddress(0);
    const l0 = kernel.memory.read64(swapper * PAGE + kernel.tables.index(va, 0) * 8);
    const l1 = kernel.memory.read64(
      Number((l0 >> 12n) & 0xf_ffff_ffffn) * PAGE + kernel.tables.index(va, 1) * 8,
    );
    const block = kernel.memory.read64(
      Number((l1 >> 12n) & 0xf_ffff_ffffn) * PAGE + kernel.tables.index(va, 2) * 8,
    );
    expect(l0 & ((1n << 60n) | 3n)).toBe((1n << 60n) | 3n); // table, UXNTable
    expect(block & 3n).toBe(1n); // a block descriptor
    expect(block & ((1n << 53n) | (1n << 54n) | (1n << 10n))).toBe((1n << 53n) | (1n << 54n) | (1n << 10n));
    expect(block & ((1n << 11n) | (1n << 6n))).toBe(0n); // global, no EL0 access
    const inspected = kernel.cpu(0).mmu.inspect(va);
    expect(inspected.outcome).toMatchObject({ kind: 'translated', pageSize: 2 * 2 ** 20, global: true });
  });

  test("a user page is PAGE_SHARED/READONLY's: EL0, not global, PXN, dirty after a write", () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 1);
    const pte = rawPte(kernel, pid, addr);
    const set = (n: bigint) => (pte >> n) & 1n;
    // VALID, PAGE, USER, AF, nG, PXN, UXN, PTE_WRITE, PTE_DIRTY; AP[2] clear (hardware-dirty).
    expect([0n, 1n, 6n, 10n, 11n, 53n, 54n, 51n, 55n].map(set)).toEqual(Array(9).fill(1n));
    expect(set(7n)).toBe(0n);
    expect(kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(addr))).toMatchObject({
      user: true,
      writable: true,
      dirty: true,
    });
  });
});

describe('the classic questions, on ARM64', () => {
  test('a COW write is a fault the process never sees: a permission fault, resolved by a copy', () => {
    const { kernel, pid } = boot();
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 0x11);
    const child = kernel.fork(pid).pid;
    clean(kernel);
    const w = kernel.access(child, addr, 'write', 0x22);
    expect(w).toMatchObject({ kind: 'ok', value: 0x22 });
    expect(resolutions(w)).toEqual(['cow-copy']);
    // ESR: EC 0x24 (DABT from EL0), WnR, FSC 0x0f (level 3 permission fault).
    expect(w.faults[0]!.errorCode).toBe(0x9200_004f);
    expect(kernel.access(pid, addr, 'read')).toMatchObject({ value: 0x11, faults: [] });
    expect(kernel.task(child).alive && kernel.task(pid).alive).toBe(true);
    clean(kernel);
  });

  test('SIGSEGV: SEGV_MAPERR from a translation fault outside every VMA, SEGV_ACCERR from a read-only VMA', () => {
    const { kernel, pid } = boot();
    const r = kernel.access(pid, 0x4000_0000, 'read');
    expect(r).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR', address: 0x4000_0000n },
    });
    expect(r.faults[0]!.errorCode).toBe(0x9200_0004); // DABT (lower EL), level 0 translation fault
    const other = boot();
    const ro = mapAnon(other.kernel, other.pid, 1, RO);
    expect(other.kernel.access(other.pid, ro, 'read')).toMatchObject({ kind: 'ok' });
    const w = other.kernel.access(other.pid, ro, 'write', 1);
    expect(w).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_ACCERR' } });
    expect(w.faults[0]!.errorCode).toBe(0x9200_004f); // the zero page is mapped: a permission fault
    clean(other.kernel);
  });

  test('a user access to the kernel half is SEGV_MAPERR, mapped (permission fault) or not', () => {
    const { kernel, pid } = boot();
    const mapped = kernel.access(pid, kernel.directMapAddress(5), 'read');
    expect(mapped).toMatchObject({ kind: 'signal', signal: { code: 'SEGV_MAPERR' } });
    expect(mapped.faults[0]!.errorCode & 0x3c).toBe(0x0c); // permission fault: EL0 may not touch it
    const second = boot();
    expect(second.kernel.access(second.pid, -(2 ** 47), 'read')).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_MAPERR' },
    });
  });

  test('kernel memory never swaps: kmalloc and vmalloc pages and page tables stay, under any pressure', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 128, swapSlots: 256 });
    const pid = kernel.spawn('app').pid;
    const v = kernel.vmalloc(3 * PAGE)!;
    const km = kernel.kmalloc(PAGE)!;
    for (let i = 0; i < 3; i++) kernel.kernelAccess(0, v + i * PAGE, 'write', { value: 0x40 + i });
    kernel.kernelAccess(0, km, 'write', { value: 0x7e });
    const addr = mapAnon(kernel, pid, 160);
    for (let i = 0; i < 160; i++) expect(kernel.access(pid, addr + i * PAGE, 'write', i).kind).toBe('ok');
    expect(kernel.stats.swapOuts).toBeGreaterThan(0);
    for (let pfn = 0; pfn < kernel.frames.frames; pfn++) {
      if (kernel.frames.has(pfn, PageFlag.Kernel) || kernel.frames.has(pfn, PageFlag.PageTable))
        expect(kernel.lru.has(pfn)).toBe(false);
    }
    for (let i = 0; i < 3; i++)
      expect(kernel.kernelAccess(0, v + i * PAGE, 'read')).toMatchObject({ value: 0x40 + i, faults: [] });
    expect(kernel.kernelAccess(0, km, 'read')).toMatchObject({ value: 0x7e, faults: [] });
    clean(kernel);
  });
});

describe('copy_from_user, by Linux version and CPU', () => {
  describe.each(MACHINES)('%s', (_name, options) => {
    test('a good buffer copies; a bad one gives -EFAULT; the window is closed after every path', () => {
      const { kernel, pid } = boot(options);
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 0x5a);
      expectUserAccessClosed(kernel, options);
      expect(kernel.copyFromUser(pid, addr, 2)).toMatchObject({ notCopied: 0, errno: null, data: [0x5a, 0] });
      expectUserAccessClosed(kernel, options);
      // Unmapped: the copy instruction faults and its fixup ends the copy.
      const bad = kernel.copyFromUser(pid, 0x10_0000, 8);
      expect(bad).toMatchObject({ notCopied: 8, errno: 'EFAULT', oops: null, data: Array(8).fill(0) });
      expect(resolutions(bad)).toEqual(['exception-fixup']);
      expectUserAccessClosed(kernel, options);
      // Half mapped: what was copied stays, the rest is zeroed.
      const half = kernel.copyFromUser(pid, addr + PAGE - 2, 4);
      expect(half).toMatchObject({ notCopied: 2, errno: 'EFAULT', data: [0, 0, 0, 0] });
      expectUserAccessClosed(kernel, options);
      // A kernel pointer: access_ok() refuses it before any load.
      expect(kernel.copyFromUser(pid, kernel.directMapAddress(8), 4)).toMatchObject({
        errno: 'EFAULT',
        faults: [],
      });
      expectUserAccessClosed(kernel, options);
      // get_user and put_user, the same way.
      expect(kernel.getUser(pid, 0x10_0000, 8)).toMatchObject({ value: 0n, errno: 'EFAULT', oops: null });
      expect(kernel.putUser(pid, 0x10_0000, 4, 1n)).toMatchObject({ errno: 'EFAULT', oops: null });
      expectUserAccessClosed(kernel, options);
      expect(kernel.task(pid).alive).toBe(true);
      clean(kernel);
    });

    test('copy_to_user into a COW page breaks COW; into a read-only VMA it is -EFAULT', () => {
      const { kernel, pid } = boot(options);
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      const child = kernel.fork(pid).pid;
      const w = kernel.copyToUser(child, addr, [7, 8]);
      expect(w).toMatchObject({ notCopied: 0, errno: null });
      expect(resolutions(w)).toEqual(['cow-copy']);
      expect(kernel.access(child, addr, 'read')).toMatchObject({ value: 7 });
      expect(kernel.access(pid, addr, 'read')).toMatchObject({ value: 1 });
      const ro = mapAnon(kernel, pid, 1, RO);
      expect(kernel.copyToUser(pid, ro, [1])).toMatchObject({ notCopied: 1, errno: 'EFAULT', oops: null });
      expectUserAccessClosed(kernel, options);
      clean(kernel);
    });

    test('touching user memory from the kernel outside the uaccess routines oopses', () => {
      const { kernel, pid } = boot(options);
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      const r = kernel.kernelAccess(0, addr, 'read');
      expect(r.kind).toBe('oops');
      if (r.kind !== 'oops') return;
      expect(r.report).toContain(
        `Unable to handle kernel access to user memory outside uaccess routines at virtual address ${addr.toString(16).padStart(16, '0')}`,
      );
      expect(r.report).toContain('EC = 0x25: DABT (current EL), IL = 32 bits');
      // Hardware PAN: a permission fault. SW PAN: the reserved TTBR0 has no
      // translation at all (and its ASID 0 hides the user's cached one).
      expect(r.report).toContain(
        options.pan === 'software'
          ? 'FSC = 0x04: level 0 translation fault'
          : 'FSC = 0x0f: level 3 permission fault',
      );
      expect(r.report).toMatch(/Why: access to user memory outside uaccess routines$/);
      expect(kernel.task(pid).alive).toBe(false);
      clean(kernel);
    });
  });

  test('the learner\'s question: "copy_from_user disables PAN before the copy and restores it after"', () => {
    const panChanges = (options: KernelOptions) => {
      const { kernel, pid } = boot(options);
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      const seen: string[] = [];
      const stop = kernel.subscribe((e) => {
        if (e.type !== 'context') return;
        const c = kernel.cpu(0).mmu.control;
        seen.push(
          e.what === 'pan'
            ? `PAN=${+c.pan}`
            : `TTBR0=${c.root === reservedRoot(kernel) ? 'reserved' : 'user'}`,
        );
      });
      const r = kernel.copyFromUser(pid, addr, 1);
      stop();
      return { seen, message: kernel.copyFromUser(pid, 0x10_0000, 1).faults[0]!.message, ok: r.errno };
    };
    // True of Linux before 5.11 on a CPU with PAN and without UAO: plain LDR in the window.
    const old = panChanges({ linux: '5.10' });
    expect(old.seen).toEqual(['PAN=0', 'PAN=1']);
    expect(old.message).toMatch(/EC=0x25.*supervisor read$/);
    // Not of 6.1: LDTR, checked as EL0, with PAN set throughout.
    const now = panChanges({});
    expect(now.seen).toEqual([]);
    expect(now.message).toMatch(/EC=0x25.*supervisor unprivileged read$/);
    // Nor of a CPU without PAN: the window is TTBR0, switched to the task's table and back.
    expect(panChanges({ pan: 'software' }).seen).toEqual(['TTBR0=user', 'TTBR0=reserved']);
    expect([old.ok, now.ok]).toEqual([null, null]);
  });

  test('since 5.11 the kernel data accesses keep PAN set: even inside copy_from_user only LDTR reaches user memory', () => {
    // 5.10: with the window open (PAN clear), any kernel load reaches user memory.
    const older = boot({ linux: '5.10' });
    const a = mapAnon(older.kernel, older.pid, 1);
    older.kernel.access(older.pid, a, 'write', 3);
    older.kernel.uaccessApi.userAccessBegin(older.pid);
    expect(older.kernel.kernelAccess(0, a, 'read')).toMatchObject({ kind: 'ok', value: 3 });
    older.kernel.uaccessApi.userAccessEnd(older.pid);
    // 6.1: opening the window changes nothing; a plain load still faults.
    const now = boot();
    const b = mapAnon(now.kernel, now.pid, 1);
    now.kernel.access(now.pid, b, 'write', 3);
    now.kernel.uaccessApi.userAccessBegin(now.pid);
    expect(now.kernel.kernelAccess(0, b, 'read').kind).toBe('oops');
  });

  test('a uaccess to a kernel address: LDTR faults as EL0 would and the fixup returns -EFAULT; 5.10 LDR just reads it', () => {
    const kernelVa = (k: Kernel) => k.directMapAddress(k.initMm.pgdPfn);
    const now = boot();
    const r = now.kernel.uaccessApi.loadByte(
      now.pid,
      BigInt(kernelVa(now.kernel)),
      now.kernel.uaccessApi.copyInstruction,
    );
    expect(r).toEqual({ kind: 'fixup' });
    const older = boot({ linux: '5.10' });
    older.kernel.uaccessApi.userAccessBegin(older.pid);
    expect(
      older.kernel.uaccessApi.loadByte(
        older.pid,
        BigInt(kernelVa(older.kernel)),
        older.kernel.uaccessApi.copyInstruction,
      ).kind,
    ).toBe('ok');
    older.kernel.uaccessApi.userAccessEnd(older.pid);
  });

  test("SW PAN: a user translation still in the TLB is out of the kernel's reach (reserved ASID 0)", () => {
    const { kernel, pid } = boot({ pan: 'software' });
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 9);
    const asid = kernel.task(pid).mm!.asid;
    expect(
      kernel
        .cpu(0)
        .mmu.tlb!.snapshot()
        .some((e) => e.pageVa === addr && e.asid === asid),
    ).toBe(true);
    // Back in the kernel after the access: reserved table, reserved ASID.
    expectUserAccessClosed(kernel, { pan: 'software' });
    expect(kernel.kernelAccess(0, addr, 'read').kind).toBe('oops');
  });

  test('a copy that forgot to open the window oopses instead of faulting for ever', () => {
    const forgetful: KernelOptions['hooks'] = {
      // One byte, and no userAccessBegin/End around it.
      copyFromUser: (k, c) => {
        const b = k.loadByte(c.pid, c.userAddress, k.copyInstruction);
        if (b.kind !== 'ok')
          return { notCopied: c.length, errno: 'EFAULT', oops: b.kind === 'oops' ? b.report : null };
        k.storeByte(c.pid, c.kernelAddress, b.value, 0n);
        return { notCopied: 0, errno: null, oops: null };
      },
    };
    for (const options of [{ linux: '5.10' }, { pan: 'software' }] as const) {
      const { kernel, pid } = boot({ ...options, hooks: forgetful });
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      expect(kernel.copyFromUser(pid, addr, 1).oops).toContain('outside uaccess routines');
    }
    // 6.1 needs no window: the same hook works.
    const { kernel, pid } = boot({ hooks: forgetful });
    const addr = mapAnon(kernel, pid, 1);
    kernel.access(pid, addr, 'write', 1);
    expect(kernel.copyFromUser(pid, addr, 1)).toMatchObject({ errno: null, data: [1] });
  });
});

describe('the oops as arm64 prints it', () => {
  test('die_kernel_fault, mem_abort_decode and die() for a NULL dereference in the kernel', () => {
    const { kernel } = boot();
    const r = kernel.kernelAccess(0, 0x10, 'write', { value: 1 });
    expect(r.kind).toBe('oops');
    if (r.kind !== 'oops') return;
    expect(r.report.split('\n').slice(0, 12)).toEqual([
      'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
      'Mem abort info:',
      '  ESR = 0x0000000096000044',
      '  EC = 0x25: DABT (current EL), IL = 32 bits',
      '  SET = 0, FnV = 0',
      '  EA = 0, S1PTW = 0',
      '  FSC = 0x04: level 0 translation fault',
      'Data abort info:',
      '  ISV = 0, ISS = 0x00000044',
      '  CM = 0, WnR = 1',
      'Internal error: Oops: 0000000096000044 [#1] SMP',
      `PID: ${kernel.cpu(0).current.pid}`,
    ]);
  });

  test('a vfree()d area: "paging request"', () => {
    const { kernel } = boot();
    const v = kernel.vmalloc(PAGE)!;
    kernel.vfree(v);
    const r = kernel.kernelAccess(0, v, 'read');
    expect(r.kind === 'oops' && r.report.split('\n')[0]).toBe(
      `Unable to handle kernel paging request at virtual address ${BigInt.asUintN(64, BigInt(v)).toString(16)}`,
    );
  });
});

describe('the access flag and the dirty state', () => {
  test("fork's pte_mkold: with the access flag in software the child's first touch faults; in hardware it does not", () => {
    for (const accessFlags of ['software', 'hardware'] as const) {
      const { kernel, pid } = boot({ accessFlags });
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      const child = kernel.fork(pid).pid;
      expect(kernel.api.hooks.walkPageTable(kernel.task(child).mm!.id, BigInt(addr))).toMatchObject({
        accessed: false,
      });
      const r = kernel.access(child, addr, 'read');
      expect(r).toMatchObject({ kind: 'ok', value: 1 });
      if (accessFlags === 'software') {
        expect(resolutions(r)).toEqual(['access-flags']);
        expect(r.faults[0]!.errorCode).toBe(0x9200_000b); // level 3 access flag fault
      } else expect(r.faults).toEqual([]);
      expect(kernel.api.hooks.walkPageTable(kernel.task(child).mm!.id, BigInt(addr))).toMatchObject({
        accessed: true,
      });
      // A write after it is still COW (PTE_WRITE clear), not a missing dirty bit.
      expect(resolutions(kernel.access(child, addr, 'write', 2))).toEqual(['cow-copy']);
      clean(kernel);
    }
  });

  test('the default: the access flag and DBM in hardware; a CPU without PAN has neither', () => {
    expect(boot().kernel.cpu(0).mmu.control).toMatchObject({ hardwareAccessed: true, hardwareDirty: true });
    expect(boot({ pan: 'software' }).kernel.cpu(0).mmu.control).toMatchObject({ hardwareAccessed: false });
    expect(
      boot({ pan: 'software', accessFlags: 'hardware' }).kernel.cpu(0).mmu.control.hardwareAccessed,
    ).toBe(true);
  });

  test('without DBM, the first write to a writable-clean page faults and the handler makes it dirty', () => {
    for (const accessFlags of ['software', 'hardware'] as const) {
      const { kernel, pid } = boot({ accessFlags });
      const addr = mapAnon(kernel, pid, 1, RW, true); // shared: a real page, writable but clean
      expect(resolutions(kernel.access(pid, addr, 'read'))).toEqual(['demand-zero']);
      const mm = kernel.task(pid).mm!.id;
      expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({
        writable: true,
        dirty: false,
      });
      expect((rawPte(kernel, pid, addr) >> 7n) & 1n).toBe(1n); // PTE_WRITE | PTE_RDONLY
      const w = kernel.access(pid, addr, 'write', 5);
      if (accessFlags === 'software') {
        expect(resolutions(w)).toEqual(['access-flags']);
        expect(w.faults[0]!.errorCode).toBe(0x9200_004f); // a write permission fault
      } else expect(w.faults).toEqual([]); // DBM: the MMU cleared AP[2] itself
      expect(kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({ dirty: true });
      expect((rawPte(kernel, pid, addr) >> 7n) & 1n).toBe(0n);
      clean(kernel);
    }
  });

  test("reclaim's scan clears the access flag and flushes the entry (ptep_clear_flush_young): a software AF faults again", () => {
    for (const accessFlags of ['software', 'hardware'] as const) {
      const kernel = new Kernel({ arch: 'arm64', frames: 256, swapSlots: 64, accessFlags });
      const pid = kernel.spawn('app').pid;
      const addr = mapAnon(kernel, pid, 8);
      for (let i = 0; i < 8; i++) kernel.access(pid, addr + i * PAGE, 'write', i);
      const mm = kernel.task(pid).mm!.id;
      kernel.reclaim(1);
      const old = [...Array(8).keys()]
        .map((i) => addr + i * PAGE)
        .filter((va) => {
          const p = kernel.api.hooks.walkPageTable(mm, BigInt(va));
          return p.kind === 'present' && !p.accessed;
        });
      expect(old.length).toBeGreaterThan(0);
      const tlb = kernel.cpu(0).mmu.tlb!.snapshot();
      for (const va of old) expect(tlb.some((e) => e.pageVa === va)).toBe(false);
      for (const va of old) {
        const r = kernel.access(pid, va, 'read');
        expect(resolutions(r)).toEqual(accessFlags === 'software' ? ['access-flags'] : []);
        expect(kernel.api.hooks.walkPageTable(mm, BigInt(va))).toMatchObject({ accessed: true });
      }
      clean(kernel);
    }
  });
});

describe('kernel threads and TTBR0', () => {
  test('a kernel thread on a CPU that never ran a user task has no user half: a user address is a paging request, a copy -EFAULT', () => {
    for (const options of [{}, { pan: 'software' }] as const) {
      const { kernel, pid } = boot({ ...options, cpus: 2 });
      const addr = mapAnon(kernel, pid, 1);
      kernel.access(pid, addr, 'write', 1);
      const worker = kernel.kthread('kworker/1:0').pid;
      kernel.switchTo(1, worker);
      expect(kernel.cpu(1).mmu.control.root).toBe(reservedRoot(kernel, 1));
      const copy = kernel.copyFromUser(worker, addr, 1);
      expect(copy).toMatchObject({ errno: 'EFAULT', oops: null });
      const r = kernel.kernelAccess(1, addr, 'read');
      expect(r.kind === 'oops' && r.report.split('\n')[0]).toBe(
        `Unable to handle kernel ${options.pan === 'software' ? 'read from unreadable memory' : 'paging request'} at virtual address ${addr.toString(16).padStart(16, '0')}`,
      );
      expect(r.kind === 'oops' && r.report).toMatch(/Why: kernel thread touched a user address$/);
      clean(kernel);
    }
  });

  test('lazy TLB: a kernel thread after a process keeps its TTBR0; PAN keeps plain loads out, LDTR gets through unless SW PAN', () => {
    const hw = boot();
    const a = mapAnon(hw.kernel, hw.pid, 1);
    hw.kernel.access(hw.pid, a, 'write', 4);
    const worker = hw.kernel.kthread('kworker/0:1').pid;
    hw.kernel.switchTo(0, worker);
    expect(hw.kernel.cpu(0).mmu.control.root).toBe(hw.kernel.task(hw.pid).mm!.pgdPfn * PAGE);
    // Why kthread_use_mm() exists: the borrowed user half is still reachable by LDTR.
    expect(hw.kernel.copyFromUser(worker, a, 1)).toMatchObject({ errno: null, data: [4] });
    const r = hw.kernel.kernelAccess(0, a, 'read');
    expect(r.kind === 'oops' && r.report.split('\n')[0]).toContain('read from unreadable memory');

    const sw = boot({ pan: 'software' });
    const b = mapAnon(sw.kernel, sw.pid, 1);
    sw.kernel.access(sw.pid, b, 'write', 4);
    const swWorker = sw.kernel.kthread('kworker/0:1').pid;
    sw.kernel.switchTo(0, swWorker);
    // Its saved TTBR0 is reserved_pg_dir (enter_lazy_tlb): the window opens onto nothing.
    expect(sw.kernel.copyFromUser(swWorker, b, 1)).toMatchObject({ errno: 'EFAULT' });
  });

  test('when the last user of an mm exits, TTBR0 goes back to the reserved table (cpu_set_reserved_ttbr0)', () => {
    const { kernel, pid } = boot();
    kernel.access(pid, mapAnon(kernel, pid, 1), 'write', 1);
    expect(kernel.cpu(0).mmu.control.root).toBe(kernel.task(pid).mm!.pgdPfn * PAGE);
    kernel.exit(pid);
    expect(kernel.cpu(0).mmu.control).toMatchObject({ root: reservedRoot(kernel), asid: 0 });
    clean(kernel);
  });
});

describe('vmalloc and the shared kernel half', () => {
  test('a vmalloc area is reachable in every process and on every CPU at once, with no fault and no sync', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 512, cpus: 2 });
    const a = kernel.spawn('a').pid;
    const b = kernel.spawn('b').pid;
    kernel.switchTo(0, a);
    kernel.switchTo(1, b);
    const v = kernel.vmalloc(2 * PAGE)!;
    expect(kernel.kernelAccess(0, v, 'write', { value: 0x33 })).toMatchObject({ kind: 'ok', faults: [] });
    expect(kernel.kernelAccess(1, v, 'read')).toMatchObject({ kind: 'ok', value: 0x33, faults: [] });
    // A process created afterwards sees it too, though its pgd was never touched.
    const c = kernel.spawn('c').pid;
    kernel.switchTo(1, c);
    expect(kernel.kernelAccess(1, v + PAGE, 'read')).toMatchObject({ kind: 'ok', faults: [] });
    expect(kernel.api.syncKernelMapping(kernel.task(c).mm!.id, BigInt(v))).toBe(false);
    expect(kernel.layout.vmallocSync).toBe('kernel-root');
    clean(kernel);
  });
});

describe('TLB and ASIDs', () => {
  test('each mm has its own ASID; a switch keeps the other entries, so switching back hits the TLB', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 512 });
    const a = kernel.spawn('a').pid;
    const b = kernel.spawn('b').pid;
    const [asidA, asidB] = [a, b].map((p) => kernel.task(p).mm!.asid);
    expect(asidA).not.toBe(asidB);
    expect(Math.min(asidA!, asidB!)).toBeGreaterThan(0); // ASID 0 is reserved
    const va = mapAnon(kernel, a, 1);
    kernel.access(a, va, 'write', 1);
    kernel.access(b, mapAnon(kernel, b, 1), 'write', 1);
    expect(kernel.cpu(0).mmu.control.asid).toBe(asidB);
    const { events, stop } = recording(kernel);
    expect(kernel.access(a, va, 'read')).toMatchObject({ value: 1, faults: [] });
    stop();
    expect(events.filter((e) => e.type === 'tlb-flush')).toEqual([]);
    expect(events.some((e) => e.type === 'tlb-hit')).toBe(true);
    expect(events.some((e) => e.type === 'walk-step')).toBe(false);
  });

  test('pcid: false (no tags, not a Linux arm64 configuration) drops the non-global entries on every switch', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 512, pcid: false });
    const a = kernel.spawn('a').pid;
    const b = kernel.spawn('b').pid;
    const va = mapAnon(kernel, a, 1);
    kernel.access(a, va, 'write', 1);
    kernel.switchTo(0, b);
    const { events, stop } = recording(kernel);
    kernel.access(a, va, 'read');
    stop();
    expect(events.some((e) => e.type === 'tlb-flush' && e.scope === 'non-global')).toBe(true);
    expect(events.some((e) => e.type === 'walk-step')).toBe(true);
  });

  test('a COW break invalidates one page of one ASID (TLBI VALE1IS), and only on CPUs that ran the mm', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 512, cpus: 2 });
    const pid = kernel.spawn('app').pid;
    const va = mapAnon(kernel, pid, 1);
    kernel.access(pid, va, 'write', 1);
    const child = kernel.fork(pid).pid;
    const { events, stop } = recording(kernel);
    kernel.access(child, va, 'write', 2);
    stop();
    const asid = kernel.task(child).mm!.asid;
    const flushes = events.filter((e) => e.type === 'tlb-flush');
    expect(flushes).toEqual([expect.objectContaining({ scope: 'page', va, asid })]);
    expect(kernel.arch.tlb).toMatchObject({ invalidatePage: 'TLBI VALE1IS', invalidateTag: 'TLBI ASIDE1IS' });
    expect(kernel.arch.asidSpace).toEqual({ name: 'ASID', count: 65536 });
    clean(kernel);
  });
});

describe('options', () => {
  test('machines that do not exist are refused, with the reason', () => {
    expect(() => new Kernel({ arch: 'arm64', uao: true })).toThrow(/uao: true changes nothing in Linux 6.1/);
    expect(() => new Kernel({ arch: 'arm64', linux: '5.10', pan: 'software', uao: true })).toThrow(
      /no UAO either/,
    );
    expect(() => new Kernel({ arch: 'arm64', pan: 'software', pcid: false })).toThrow(/SW PAN needs ASIDs/);
    expect(() => new Kernel({ pan: 'software' })).toThrow(/pan is an ARM64 option; x86-64/);
    expect(() => new Kernel({ arch: 'arm64', linux: '6.1.20' as never })).toThrow(
      /without the point release/,
    );
    expect(() => new Kernel({ arch: 'arm64', pan: 'sometimes' as never })).toThrow(/pan must be/);
  });
});
