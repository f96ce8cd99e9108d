import { describe, expect, test } from 'vitest';
import { Access, isPageFault, type PageFault, Privilege, riscvSv39, toAddress } from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

function scause(fault: unknown): number {
  if (!isPageFault(fault) || fault.report.arch !== 'riscv')
    throw new Error(`expected a RISC-V fault, got ${String(fault)}`);
  return fault.report.scause;
}

// Sv39 PTE bits: V=1 R=2 W=4 X=8 U=16 G=32 A=64 D=128; PPN at bit 10.
const pte = (ppn: number, flags: number) => (BigInt(ppn) << 10n) | BigInt(flags);

describe('RISC-V Sv39', () => {
  test('a 3-level walk on hand-encoded PTEs; leaf = any of R/W/X', () => {
    const { memory, mmu } = machine(riscvSv39);
    // VA 0x4020_3abc: VPN[2] = 1, VPN[1] = 1, VPN[0] = 3.
    memory.write64(0x1000 + 1 * 8, pte(2, 0b1)); // pointer: V only
    memory.write64(0x2000 + 1 * 8, pte(3, 0b1));
    memory.write64(0x3000 + 3 * 8, pte(9, 0b11010111)); // D A U W R V
    memory.write8(9 * 4096 + 0xabc, 0x99);
    expect(mmu.read8(0x4020_3abc, User)).toBe(0x99);
    expect(scause(mmu.translate(0x4020_3abc, Execute, User))).toBe(12);
  });

  test('scause is 12/13/15 by access kind and stval holds the address', () => {
    const { mmu } = machine(riscvSv39);
    const load = mmu.translate(0x1000, Read, User) as PageFault;
    expect(load.report).toMatchObject({
      scause: 13,
      causeName: 'load page fault',
      stval: '0x0000000000001000',
    });
    expect(scause(mmu.translate(0x1000, Write, User))).toBe(15);
    expect(scause(mmu.translate(0x1000, Execute, User))).toBe(12);
  });

  test('W without R is reserved, and a non-leaf with A/D/U set faults', () => {
    const { memory, mmu } = machine(riscvSv39);
    memory.write64(0x1000, pte(2, 0b1));
    memory.write64(0x2000, pte(3, 0b1));
    memory.write64(0x3000 + 8, pte(9, 0b101)); // W V, no R
    expect((mmu.translate(0x1000, Read, Supervisor) as PageFault).kind).toBe('reserved-bit');
    memory.write64(0x2000, pte(3, 0b1000001)); // pointer with A set
    expect((mmu.translate(0x1000, Read, Supervisor) as PageFault).kind).toBe('reserved-bit');
  });

  test('gigapages and megapages, and a misaligned superpage faults', () => {
    const { memory, mmu } = machine(riscvSv39, { frames: 1024 });
    memory.write64(0x1000 + 8 * 2, pte(0, 0b11001111)); // 1 GiB leaf at VA 2 GiB → PA 0
    expect(pa(mmu.translate(0x8000_0000 + 0x5555, Read, Supervisor))).toBe(0x5555);
    memory.write64(0x1000 + 8 * 3, pte(2, 0b1));
    memory.write64(0x2000, pte(512, 0b11000011)); // 2 MiB megapage at PA 2 MiB
    expect(pa(mmu.translate(0xc000_0000 + 0x1234, Read, Supervisor))).toBe(0x20_1234);
    memory.write64(0x2000 + 8, pte(513, 0b11000011)); // PPN[0] ≠ 0: misaligned
    expect((mmu.translate(0xc020_0000, Read, Supervisor) as PageFault).kind).toBe('reserved-bit');
  });

  test('bits 63:39 must copy bit 38, else a page fault (not an access fault)', () => {
    const { mmu } = machine(riscvSv39);
    const fault = mmu.translate(toAddress('0x0000008000000000'), Read, Supervisor) as PageFault;
    expect(fault.kind).toBe('non-canonical');
    expect(scause(fault)).toBe(13);
  });

  test('SUM gates S-mode loads/stores to U pages; S-mode never executes U pages', () => {
    const { mmu, editor, root } = machine(riscvSv39);
    editor.map(root, 0x1000, {
      pfn: 9,
      user: true,
      writable: true,
      executable: true,
      accessed: true,
      dirty: true,
    });
    expect(scause(mmu.translate(0x1000, Read, Supervisor))).toBe(13);
    mmu.userAccessBegin(); // SUM = 1
    expect(typeof mmu.translate(0x1000, Write, Supervisor)).toBe('number');
    expect(scause(mmu.translate(0x1000, Execute, Supervisor))).toBe(12);
    // U-mode cannot touch S pages at all.
    editor.map(root, 0x2000, { pfn: 10, writable: true });
    expect(scause(mmu.translate(0x2000, Read, User))).toBe(13);
  });

  test('MXR lets loads read execute-only pages', () => {
    const { mmu, editor, root } = machine(riscvSv39);
    editor.map(root, 0x1000, { pfn: 9, user: true, readable: false, executable: true });
    expect(scause(mmu.translate(0x1000, Read, User))).toBe(13);
    mmu.setControl({ mxr: true });
    expect(typeof mmu.translate(0x1000, Read, User)).toBe('number');
  });

  test('Svade: A = 0, or D = 0 on a store, is a page fault; Svadu sets them', () => {
    const svade = machine(riscvSv39, { control: { hardwareAccessed: false, hardwareDirty: false } });
    const leaf = svade.editor.map(svade.root, 0x1000, { pfn: 9, user: true, writable: true });
    expect((svade.mmu.translate(0x1000, Read, User) as PageFault).kind).toBe('access-flag');
    svade.memory.write64(leaf, svade.memory.read64(leaf) | 0x40n); // software sets A
    expect(typeof svade.mmu.translate(0x1000, Read, User)).toBe('number');
    expect(scause(svade.mmu.translate(0x1000, Write, User))).toBe(15);

    const svadu = machine(riscvSv39);
    const leaf2 = svadu.editor.map(svadu.root, 0x1000, { pfn: 9, user: true, writable: true });
    pa(svadu.mmu.translate(0x1000, Write, User));
    expect(svadu.memory.read64(leaf2) & 0xc0n).toBe(0xc0n);
  });

  test('a permission fault comes before the A/D check (spec step 5 before 7)', () => {
    const { mmu, editor, root } = machine(riscvSv39, { control: { hardwareAccessed: false } });
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: false });
    expect((mmu.translate(0x1000, Write, User) as PageFault).kind).toBe('protection');
  });
});
