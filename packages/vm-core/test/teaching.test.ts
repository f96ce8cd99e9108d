import { describe, expect, test } from 'vitest';
import { Access, decodeEntry, isPageFault, type PageFault, Privilege, tiny8, tiny16 } from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

describe('tiny8: 32-byte pages, 1-byte entries', () => {
  test('the whole machine is 256 bytes and a walk is two byte reads', () => {
    const { memory, mmu } = machine(tiny8, { frames: 8 });
    expect(memory.size).toBe(256);
    // Root at frame 1 (PA 32). VA 0b10_01_00101 = 0x125: PD index 2, PT index 1, offset 5.
    memory.write8(32 + 2, (2 << 5) | 0b00111); // PD[2] → PT in frame 2, P W U
    memory.write8(64 + 1, (5 << 5) | 0b00111); // PT[1] → frame 5
    memory.write8(5 * 32 + 5, 0xab);
    expect(mmu.read8(0x125, User)).toBe(0xab);
    expect(memory.read8(64 + 1)).toBe((5 << 5) | 0b01111); // A set
    pa(mmu.translate(0x125, Write, User));
    expect(memory.read8(64 + 1)).toBe((5 << 5) | 0b11111); // D set
    expect(decodeEntry(tiny8, 1, BigInt(memory.read8(65))).summary).toBe('0xbf leaf pfn 0x5 P W U A D');
  });

  test('faults carry x86 error codes', () => {
    const { mmu, editor, root } = machine(tiny8, { frames: 8 });
    editor.map(root, 0x40, { pfn: 6, user: false });
    const fault = mmu.translate(0x45, Read, User) as PageFault;
    expect(fault.report).toMatchObject({ arch: 'x86', errorCode: 0b101 });
    expect(fault.address).toBe('0x00000045');
    expect((mmu.translate(0x200, Read, User) as PageFault).kind).toBe('non-canonical');
  });
});

describe('tiny16: 64-byte pages, 2-byte entries, huge pages', () => {
  test('a PS leaf in the PD maps 2 KiB', () => {
    const { mmu, editor, root } = machine(tiny16, { frames: 256 });
    editor.map(root, 0x0800, { pfn: 64, level: 0, user: true, writable: true });
    expect(pa(mmu.translate(0x0800 + 0x7ff, Write, User))).toBe(64 * 64 + 0x7ff);
  });

  test('NX and the I/D bit', () => {
    const { mmu, editor, root } = machine(tiny16, { frames: 256 });
    editor.map(root, 0x40, { pfn: 9, user: true, executable: false });
    const fault = mmu.translate(0x40, Execute, User);
    expect(isPageFault(fault) && fault.report.arch === 'x86' && fault.report.errorCode).toBe(0b10101);
    expect(typeof mmu.translate(0x40, Read, Supervisor)).not.toBe('number'); // SMAP
  });
});
