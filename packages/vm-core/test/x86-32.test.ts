import { describe, expect, test } from 'vitest';
import { Access, isPageFault, type PageFault, Privilege, x86_32 } from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

function errorCode(fault: unknown): number {
  if (!isPageFault(fault) || fault.report.arch !== 'x86')
    throw new Error(`expected an x86 fault, got ${String(fault)}`);
  return fault.report.errorCode;
}

describe('x86 32-bit paging', () => {
  test('a 2-level walk on hand-encoded 4-byte entries', () => {
    const { memory, mmu } = machine(x86_32, { frames: 64 });
    // Root at 0x1000. VA 0xc0401234: PD index 0x301, PT index 0x001, offset 0x234.
    memory.write32(0x1000 + 0x301 * 4, 0x0000_2003); // → PT at 0x2000, P|W (supervisor)
    memory.write32(0x2000 + 0x001 * 4, 0x0000_7003); // page at 0x7000
    memory.write8(0x7234, 0xee);
    expect(mmu.read8(0xc040_1234, Supervisor)).toBe(0xee);
    expect(errorCode(mmu.translate(0xc040_1234, Read, User))).toBe(0b101);
    // A set in both entries, D in the PTE after a write.
    pa(mmu.translate(0xc040_1234, Write, Supervisor));
    expect(memory.read32(0x1000 + 0x301 * 4)).toBe(0x2023);
    expect(memory.read32(0x2004)).toBe(0x7063);
  });

  test('a 4 MiB PSE page, and PS ignored when CR4.PSE = 0', () => {
    const { memory, mmu } = machine(x86_32, { frames: 2048 });
    // PDE 1 (VA 0x0040_0000..0x007f_ffff) → 4 MiB page at PA 0x0040_0000, P|W|U|PS.
    memory.write32(0x1000 + 4, 0x0040_0087);
    expect(pa(mmu.translate(0x0045_6789, Read, User))).toBe(0x0045_6789);
    mmu.setControl({ pse: false });
    mmu.invalidateAll();
    // Now the PDE points to a "page table" at 0x0040_0000 whose entries are zero.
    expect(errorCode(mmu.translate(0x0045_6789, Read, User))).toBe(0b100);
  });

  test('bits 21:13 of a 4 MiB PDE are reserved on a CPU without PSE-36', () => {
    const { memory, mmu } = machine(x86_32, { frames: 2048 });
    memory.write32(0x1000 + 4, 0x0040_2087); // bit 13 set
    const fault = mmu.translate(0x0040_0000, Read, User) as PageFault;
    expect(fault.kind).toBe('reserved-bit');
    expect(errorCode(fault)).toBe(0b1101);
  });

  test('no XD bit: every page is executable, and I/D is reported only with SMEP', () => {
    const { mmu, editor, root } = machine(x86_32, { frames: 64, control: { smep: false } });
    editor.map(root, 0x1000, { pfn: 9, user: true, executable: false });
    expect(typeof mmu.translate(0x1000, Execute, User)).toBe('number');
    // A fetch from a missing page: I/D = 0 because neither NX nor SMEP applies.
    expect(errorCode(mmu.translate(0x5000, Execute, User))).toBe(0b100);
    mmu.setControl({ smep: true });
    expect(errorCode(mmu.translate(0x5000, Execute, User))).toBe(0b10100);
  });

  test('addresses run 0..2^32-1', () => {
    const { mmu, editor, root } = machine(x86_32, { frames: 64 });
    editor.map(root, 0xffff_f000, { pfn: 3, writable: true });
    expect(pa(mmu.translate(0xffff_ffff, Write, Supervisor))).toBe(3 * 4096 + 0xfff);
    expect((mmu.translate(2 ** 32, Read, Supervisor) as PageFault).kind).toBe('non-canonical');
  });
});
