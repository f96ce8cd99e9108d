import { describe, expect, test } from 'vitest';
import {
  Access,
  accessName,
  isDirty,
  isPageFault,
  type PageFault,
  Privilege,
  privilegeName,
  toAddress,
  type X86FaultReport,
  x86_64,
} from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

function x86(fault: unknown): X86FaultReport {
  if (!isPageFault(fault)) throw new Error(`expected a fault, got ${String(fault)}`);
  if (fault.report.arch !== 'x86') throw new Error('not an x86 report');
  return fault.report;
}

describe('x86-64 walk on hand-encoded tables', () => {
  test('a 4-level walk reads PML4 → PDPT → PD → PT entries from memory', () => {
    const { memory, mmu } = machine(x86_64);
    // Root at frame 1 (0x1000). VA 0x0000_7f12_3456_7abc:
    //   PML4 index 0x0fe, PDPT index 0x048, PD index 0x1a2, PT index 0x167, offset 0xabc.
    const va = toAddress('0x00007f1234567abc');
    memory.write64(0x1000 + 0x0fe * 8, 0x2007n); // → PDPT at 0x2000, P|W|U
    memory.write64(0x2000 + 0x048 * 8, 0x3007n); // → PD at 0x3000
    memory.write64(0x3000 + 0x1a2 * 8, 0x4007n); // → PT at 0x4000
    memory.write64(0x4000 + 0x167 * 8, 0x8000_0000_0000_5007n); // page at 0x5000, P|W|U, NX
    memory.write8(0x5abc, 0x5a);

    expect(mmu.read8(va, User)).toBe(0x5a);
    expect(pa(mmu.translate(va, Read, User))).toBe(0x5abc);
    const fetch = mmu.translate(va, Execute, User) as PageFault;
    expect(x86(fetch).errorCode).toBe(0b10101); // P | U | I/D: NX page
  });

  test('the walk sets A at every level and D only in the leaf on a write', () => {
    const { memory, mmu } = machine(x86_64);
    memory.write64(0x1000, 0x2007n);
    memory.write64(0x2000, 0x3007n);
    memory.write64(0x3000, 0x4007n);
    memory.write64(0x4000 + 8, 0x5007n); // VA 0x1000 → frame 5

    pa(mmu.translate(0x1000, Read, User));
    expect(memory.read64(0x1000)).toBe(0x2027n); // A = bit 5
    expect(memory.read64(0x2000)).toBe(0x3027n);
    expect(memory.read64(0x3000)).toBe(0x4027n);
    expect(memory.read64(0x4008)).toBe(0x5027n); // read: no D

    pa(mmu.translate(0x1000, Write, User));
    expect(memory.read64(0x4008)).toBe(0x5067n); // D = bit 6
    expect(memory.read64(0x3000)).toBe(0x4027n); // D means nothing in a PDE that points to a table
  });
});

describe('x86-64 page-fault error codes (SDM Vol. 3A §4.7)', () => {
  // Every combination of access and privilege, against a not-present page and
  // against a present supervisor read-only page.
  const cases = [
    { access: Read, privilege: User, notPresent: 0b00100, supervisorPage: 0b00101 },
    { access: Write, privilege: User, notPresent: 0b00110, supervisorPage: 0b00111 },
    { access: Execute, privilege: User, notPresent: 0b10100, supervisorPage: 0b10101 },
    { access: Read, privilege: Supervisor, notPresent: 0b00000, supervisorPage: null },
    { access: Write, privilege: Supervisor, notPresent: 0b00010, supervisorPage: 0b00011 },
    { access: Execute, privilege: Supervisor, notPresent: 0b10000, supervisorPage: 0b10001 },
  ];

  for (const c of cases) {
    test(`${privilegeName(c.privilege)} ${accessName(c.access)}`, () => {
      const { mmu, editor, root } = machine(x86_64);
      editor.map(root, 0x40_0000, { pfn: 20, writable: false, user: false, executable: false });
      const missing = x86(mmu.translate(0x50_0000, c.access, c.privilege));
      expect(missing.vector).toBe(14);
      expect(missing.errorCode).toBe(c.notPresent);
      expect(missing.present).toBe(false);
      expect(missing.cr2).toBe('0x0000000000500000');
      const onPage = mmu.translate(0x40_0000, c.access, c.privilege);
      if (c.supervisorPage === null) expect(typeof onPage).toBe('number');
      else expect(x86(onPage).errorCode).toBe(c.supervisorPage);
    });
  }

  test('a user read of a present supervisor page reports P=1, W=0, U=1', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: true, user: false });
    const fault = mmu.translate(0x1000, Read, User) as PageFault;
    expect(fault.kind).toBe('protection');
    expect(x86(fault)).toMatchObject({ errorCode: 0b101, present: true, write: false, user: true });
    expect(fault.message).toContain('P=1 W=0 U=1');
    expect(fault.levelName).toBe('PT');
  });

  test('a missing upper level faults with P=0 at that level', () => {
    const { mmu } = machine(x86_64);
    const fault = mmu.translate(0x1234, Write, User) as PageFault;
    expect(fault.kind).toBe('not-present');
    expect(fault.level).toBe(0);
    expect(fault.levelName).toBe('PML4');
    expect(x86(fault).errorCode).toBe(0b110);
  });

  test('U/S = 0 in any upper level makes the page supervisor-only', () => {
    const { memory, mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    // Clear U/S in the PD entry pointing at the page table.
    const pde = editor.entryAddress(root, 0x1000, 2)!;
    memory.write64(pde, memory.read64(pde) & ~0x4n);
    expect(x86(mmu.translate(0x1000, Read, User)).errorCode).toBe(0b101);
    expect(typeof mmu.translate(0x1000, Read, Supervisor)).toBe('number');
  });

  test('R/W = 0 in an upper level makes the page read-only', () => {
    const { memory, mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    const pdpte = editor.entryAddress(root, 0x1000, 1)!;
    memory.write64(pdpte, memory.read64(pdpte) & ~0x2n);
    expect(x86(mmu.translate(0x1000, Write, User)).errorCode).toBe(0b111);
  });

  test('reserved bits set RSVD (and P)', () => {
    const { memory, mmu, editor, root } = machine(x86_64);
    const pte = editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    // Bit 47 is above MAXPHYADDR (46): reserved.
    memory.write64(pte, memory.read64(pte) | (1n << 47n));
    const fault = mmu.translate(0x1000, Read, User) as PageFault;
    expect(fault.kind).toBe('reserved-bit');
    expect(x86(fault).errorCode).toBe(0b1101);
  });

  test('PS in a PML4 entry is reserved', () => {
    const { memory, mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true });
    memory.write64(root, memory.read64(root) | 0x80n);
    expect(x86(mmu.translate(0x1000, Read, User)).reservedBit).toBe(true);
  });

  test('with EFER.NXE = 0 the XD bit is reserved', () => {
    const { mmu, editor, root } = machine(x86_64, { control: { noExecuteEnabled: false } });
    editor.map(root, 0x1000, { pfn: 9, user: true, executable: false });
    const r = x86(mmu.translate(0x1000, Read, User));
    expect(r.reservedBit).toBe(true);
    editor.map(root, 0x2000, { pfn: 10, user: true, executable: true });
    expect(typeof mmu.translate(0x2000, Execute, User)).toBe('number');
  });

  test('a non-canonical address is #GP(0), not #PF, and leaves CR2 alone', () => {
    const { mmu } = machine(x86_64);
    const fault = mmu.translate(toAddress('0x0000800000000000'), Read, User) as PageFault;
    expect(fault.kind).toBe('non-canonical');
    expect(x86(fault)).toMatchObject({ vector: 13, mnemonic: '#GP', errorCode: 0, cr2: null });
    expect(x86(mmu.translate(toAddress('0xffff7fffffffffff'), Read, Supervisor)).vector).toBe(13);
  });

  test('the kernel half (0xffff8…) is reached through the same root', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const va = toAddress('0xffff888000001000');
    editor.map(root, va, { pfn: 30, writable: true, global: true });
    memory.write8(30 * 4096 + 5, 0x77);
    expect(mmu.read8(va + 5, Supervisor)).toBe(0x77);
    expect(x86(mmu.translate(va, Read, User)).errorCode).toBe(0b101);
  });
});

describe('x86-64 huge pages', () => {
  test('a 2 MiB page in the PD maps 512 frames', () => {
    const { mmu, editor, root } = machine(x86_64, { frames: 2048 });
    editor.map(root, 0x4000_0000, { pfn: 512, level: 2, writable: true, user: true });
    expect(pa(mmu.translate(0x4000_0000 + 0x12_3456, Read, User))).toBe(512 * 4096 + 0x12_3456);
    expect(mmu.inspect(0x4000_0000, Read, User).outcome).toMatchObject({
      kind: 'translated',
      pageSize: 2 ** 21,
    });
  });

  test('a 1 GiB page in the PDPT', () => {
    // Physical memory is small; the 1 GiB page's first frames are what we touch.
    const { mmu, editor, root, memory } = machine(x86_64, { frames: 512 });
    editor.map(root, 0x40_0000_0000, { pfn: 0, level: 1, writable: true, user: true });
    memory.write8(0x1234, 0x42);
    expect(mmu.read8(0x40_0000_1234, User)).toBe(0x42);
    const beyond = mmu.translate(0x40_1000_0000, Read, User) as PageFault;
    expect(beyond.kind).toBe('bus-error');
  });

  test('a misaligned 2 MiB frame number sets reserved bits; the PAT bit (12) does not', () => {
    const { mmu, editor, root, memory } = machine(x86_64, { frames: 2048 });
    const pde = editor.map(root, 0x4000_0000, { pfn: 512, level: 2, user: true });
    memory.write64(pde, memory.read64(pde) | 0x1000n); // PAT
    expect(typeof mmu.translate(0x4000_0000, Read, User)).toBe('number');
    memory.write64(pde, memory.read64(pde) | 0x2000n); // bit 13: reserved
    mmu.invalidateAll();
    expect(x86(mmu.translate(0x4000_0000, Read, User)).reservedBit).toBe(true);
  });
});

describe('x86 supervisor protections', () => {
  test('SMAP blocks kernel data accesses to user pages unless EFLAGS.AC is set (stac/clac)', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    const blocked = mmu.translate(0x1000, Read, Supervisor) as PageFault;
    expect(x86(blocked)).toMatchObject({ errorCode: 0b001, present: true, user: false });
    mmu.userAccessBegin(); // stac
    expect(typeof mmu.translate(0x1000, Write, Supervisor)).toBe('number');
    mmu.userAccessEnd(); // clac
    expect(x86(mmu.translate(0x1000, Write, Supervisor)).errorCode).toBe(0b011);
  });

  test('SMEP blocks kernel execution of user pages even with AC set', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true, executable: true });
    mmu.userAccessBegin();
    expect(x86(mmu.translate(0x1000, Execute, Supervisor)).errorCode).toBe(0b10001);
    mmu.setControl({ smep: false });
    expect(typeof mmu.translate(0x1000, Execute, Supervisor)).toBe('number');
  });

  test('without SMAP the kernel reads user pages freely', () => {
    const { mmu, editor, root } = machine(x86_64, { control: { smap: false } });
    editor.map(root, 0x1000, { pfn: 9, user: true });
    expect(typeof mmu.translate(0x1000, Read, Supervisor)).toBe('number');
  });

  test('CR0.WP = 0 lets the kernel write read-only pages; WP = 1 does not', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: false });
    expect(x86(mmu.translate(0x1000, Write, Supervisor)).errorCode).toBe(0b011);
    mmu.setControl({ writeProtect: false });
    expect(typeof mmu.translate(0x1000, Write, Supervisor)).toBe('number');
    // User writes are never helped by WP = 0.
    editor.map(root, 0x2000, { pfn: 10, user: true, writable: false });
    expect(x86(mmu.translate(0x2000, Write, User)).errorCode).toBe(0b111);
  });

  test('protection keys: PKRU.AD blocks data access, WD blocks writes, PK flag set', () => {
    const { mmu, editor, root } = machine(x86_64, { control: { protectionKeys: true } });
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: true, executable: true, protectionKey: 3 });
    expect(typeof mmu.translate(0x1000, Write, User)).toBe('number');
    mmu.setControl({ pkru: 0b10 << 6 }); // WD for key 3
    mmu.invalidateAll();
    expect(typeof mmu.translate(0x1000, Read, User)).toBe('number');
    expect(x86(mmu.translate(0x1000, Write, User))).toMatchObject({
      errorCode: 0b100111,
      protectionKey: true,
    });
    mmu.setControl({ pkru: 0b01 << 6 }); // AD for key 3
    expect(x86(mmu.translate(0x1000, Read, User)).errorCode).toBe(0b100101);
    // Instruction fetches ignore protection keys.
    expect(typeof mmu.translate(0x1000, Execute, User)).toBe('number');
  });
});

describe('dirty tracking through the TLB', () => {
  test('a write through a clean TLB entry walks again and sets D', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const pte = editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    pa(mmu.translate(0x1000, Read, User)); // fills TLB with a clean entry
    expect(isDirty(x86_64, memory.read64(pte))).toBe(false);
    pa(mmu.translate(0x1000, Write, User));
    expect(isDirty(x86_64, memory.read64(pte))).toBe(true);
  });

  test('if software clears D without a flush, the cached dirty entry does not set it again (SDM §4.8)', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const pte = editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    pa(mmu.translate(0x1000, Write, User));
    memory.write64(pte, memory.read64(pte) & ~0x40n);
    pa(mmu.translate(0x1000, Write, User));
    expect(isDirty(x86_64, memory.read64(pte))).toBe(false);
    mmu.invalidatePage(0x1000);
    pa(mmu.translate(0x1000, Write, User));
    expect(isDirty(x86_64, memory.read64(pte))).toBe(true);
  });
});

describe('garbage addresses', () => {
  test('NaN, fractions and unsafe integers are refused with a clear error, even after a TLB fill', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true });
    pa(mmu.translate(0x1000, Read, User));
    for (const bad of [Number.NaN, 0x1000 + 0.5, 2 ** 60, Number.POSITIVE_INFINITY]) {
      expect(() => mmu.translate(bad, Read, User)).toThrow(/not an integer address/);
      expect(() => mmu.inspect(bad)).toThrow(/not an integer address/);
    }
  });
});
