import { describe, expect, test } from 'vitest';
import {
  Access,
  type Arm64FaultReport,
  arm64,
  isPageFault,
  type PageFault,
  Privilege,
  toAddress,
} from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

function esr(fault: unknown): Arm64FaultReport {
  if (!isPageFault(fault) || fault.report.arch !== 'arm64')
    throw new Error(`expected an ARM64 fault, got ${String(fault)}`);
  return fault.report;
}

// Descriptor bits: valid 0, table/page 1, AP[1] 6, AP[2] 7, AF 10, nG 11, PXN 53, UXN 54.
const AF = 1n << 10n;
const USER = 1n << 6n;
const RO = 1n << 7n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;

describe('ARM64 4K granule, 48-bit', () => {
  test('a 4-level walk on hand-encoded descriptors through TTBR0', () => {
    const { memory, mmu } = machine(arm64);
    memory.write64(0x1000, 0x2003n); // L0 table → 0x2000
    memory.write64(0x2000, 0x3003n); // L1 table
    memory.write64(0x3000, 0x4003n); // L2 table
    memory.write64(0x4000 + 8, 0x9003n | AF | USER | PXN); // L3 page: EL0 RW, PXN
    memory.write8(0x9010, 0x31);
    expect(mmu.read8(0x1010, User)).toBe(0x31);
    expect(pa(mmu.translate(0x1010, Write, User))).toBe(0x9010);
  });

  test('TTBR1 translates the upper half; an address in neither half is a level-0 translation fault', () => {
    const { mmu, editor, memory } = machine(arm64);
    const high = editor.createRoot();
    mmu.setControl({ rootHigh: high });
    const va = toAddress('0xffff000000201000');
    editor.map(high, va, { pfn: 40, writable: true, global: true });
    memory.write8(40 * 4096, 0x12);
    expect(mmu.read8(va, Supervisor)).toBe(0x12);
    const hole = mmu.translate(toAddress('0x0001000000000000'), Read, Supervisor) as PageFault;
    expect(esr(hole)).toMatchObject({ fsc: 0x04, fscName: 'translation fault, level 0' });
  });

  test('ESR: EC by access and EL, WnR for writes, FSC by kind and level', () => {
    const { mmu, editor, root } = machine(arm64);
    const miss = esr(mmu.translate(0x1000, Write, User));
    expect(miss).toMatchObject({ ec: 0x24, wnr: true, fsc: 0x04 }); // data abort from EL0, L0 translation fault
    expect(miss.esr).toBe(((0x24 << 26) | (1 << 25) | (1 << 6) | 0x04) >>> 0);
    editor.map(root, 0x1000, { pfn: 9, user: false, writable: true, accessed: true });
    expect(esr(mmu.translate(0x1000, Read, User))).toMatchObject({ ec: 0x24, wnr: false, fsc: 0x0f }); // permission, L3
    expect(esr(mmu.translate(0x1000, Execute, User))).toMatchObject({ ec: 0x20, fsc: 0x0f });
    expect(esr(mmu.translate(0x5000, Execute, Supervisor))).toMatchObject({ ec: 0x21, fsc: 0x07 }); // L3 translation
    expect(esr(mmu.translate(0x5000, Read, Supervisor))).toMatchObject({ ec: 0x25, fsc: 0x07 });
  });

  test('AF = 0 is an access flag fault without TCR.HA, and set by hardware with it', () => {
    const noHa = machine(arm64, { control: { hardwareAccessed: false } });
    const d = noHa.editor.map(noHa.root, 0x1000, { pfn: 9, user: true, writable: true });
    // Access flag faults take priority over permission faults.
    expect(esr(noHa.mmu.translate(0x1000, Execute, Supervisor))).toMatchObject({
      fsc: 0x0b,
      fscName: 'access flag fault, level 3',
    });
    noHa.memory.write64(d, noHa.memory.read64(d) | AF);
    expect(typeof noHa.mmu.translate(0x1000, Read, User)).toBe('number');

    const ha = machine(arm64);
    const d2 = ha.editor.map(ha.root, 0x1000, { pfn: 9, user: true });
    pa(ha.mmu.translate(0x1000, Read, User));
    expect(ha.memory.read64(d2) & AF).toBe(AF);
  });

  test('AP[2] makes a page read-only at both ELs; AP[1] opens it to EL0', () => {
    const { mmu, editor, root, memory } = machine(arm64, { control: { pan: false } });
    const d = editor.map(root, 0x1000, { pfn: 9, user: true, writable: false, accessed: true });
    expect(memory.read64(d) & (RO | USER)).toBe(RO | USER);
    expect(esr(mmu.translate(0x1000, Write, User)).fsc).toBe(0x0f);
    expect(esr(mmu.translate(0x1000, Write, Supervisor)).fsc).toBe(0x0f);
    expect(typeof mmu.translate(0x1000, Read, User)).toBe('number');
  });

  test('PAN: privileged data access to an EL0 page faults unless PAN is cleared; fetches are PXN business', () => {
    const { mmu, editor, root } = machine(arm64);
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: true, accessed: true });
    expect(esr(mmu.translate(0x1000, Read, Supervisor))).toMatchObject({ ec: 0x25, fsc: 0x0f });
    mmu.userAccessBegin(); // PAN = 0 (uaccess_enable)
    expect(typeof mmu.translate(0x1000, Write, Supervisor)).toBe('number');
    mmu.userAccessEnd();
    expect(esr(mmu.translate(0x1000, Write, Supervisor)).wnr).toBe(true);
  });

  test('EL0-writable pages are never EL1-executable; UXN/PXN split execute rights', () => {
    const { mmu, memory, editor, root } = machine(arm64);
    const d = editor.map(root, 0x1000, {
      pfn: 9,
      user: true,
      writable: true,
      executable: true,
      accessed: true,
    });
    memory.write64(d, memory.read64(d) & ~PXN);
    expect(esr(mmu.translate(0x1000, Execute, Supervisor)).fsc).toBe(0x0f);
    expect(typeof mmu.translate(0x1000, Execute, User)).toBe('number');
    editor.map(root, 0x2000, { pfn: 10, user: false, executable: true, accessed: true });
    expect(typeof mmu.translate(0x2000, Execute, Supervisor)).toBe('number');
    expect(esr(mmu.translate(0x2000, Execute, User)).fsc).toBe(0x0f);
    expect(memory.read64(editor.entryAddress(root, 0x2000, 3)!) & UXN).toBe(UXN);
  });

  test('APTable and XNTable bits in a table descriptor limit every page below it', () => {
    const { mmu, memory, editor, root } = machine(arm64, { control: { pan: false } });
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: true, executable: true, accessed: true });
    const l2 = editor.entryAddress(root, 0x1000, 2)!;
    memory.write64(l2, memory.read64(l2) | (1n << 62n)); // APTable[1]: read-only below
    expect(esr(mmu.translate(0x1000, Write, User)).fsc).toBe(0x0f);
    memory.write64(l2, (memory.read64(l2) & ~(1n << 62n)) | (1n << 61n)); // APTable[0]: no EL0
    mmu.invalidateAll();
    expect(esr(mmu.translate(0x1000, Read, User)).fsc).toBe(0x0f);
    memory.write64(l2, (memory.read64(l2) & ~(1n << 61n)) | (1n << 60n)); // UXNTable
    mmu.invalidateAll();
    expect(esr(mmu.translate(0x1000, Execute, User)).fsc).toBe(0x0f);
  });

  test('blocks at L1 and L2; a block at L0 or 0b01 at L3 is a translation fault', () => {
    const { mmu, memory, editor, root } = machine(arm64, { frames: 1024 });
    editor.map(root, 0x4000_0000, { pfn: 512, level: 2, user: true, accessed: true });
    expect(pa(mmu.translate(0x4000_0000 + 0x1_2345, Read, User))).toBe(512 * 4096 + 0x1_2345);
    editor.map(root, 0x80_0000_0000, { pfn: 0, level: 1, accessed: true });
    expect(pa(mmu.translate(0x80_0000_3000, Read, Supervisor))).toBe(0x3000);
    memory.write64(root + 8 * 2, 0x1n | AF); // L0 entry 2: a "block"
    expect(esr(mmu.translate(0x100_0000_0000, Read, Supervisor)).fsc).toBe(0x04);
    const l3 = editor.map(root, 0x7000, { pfn: 9, accessed: true });
    memory.write64(l3, memory.read64(l3) & ~0x2n);
    expect(esr(mmu.translate(0x7000, Read, Supervisor)).fsc).toBe(0x07);
  });

  test('hardware dirty state (DBM): the first write clears AP[2]', () => {
    const { mmu, memory, editor, root } = machine(arm64);
    const d = editor.map(root, 0x1000, {
      pfn: 9,
      user: true,
      writable: true,
      dirtyBitModifier: true,
      accessed: true,
    });
    expect(memory.read64(d) & RO).toBe(RO);
    pa(mmu.translate(0x1000, Read, User));
    expect(memory.read64(d) & RO).toBe(RO);
    pa(mmu.translate(0x1000, Write, User));
    expect(memory.read64(d) & RO).toBe(0n);
  });
});
