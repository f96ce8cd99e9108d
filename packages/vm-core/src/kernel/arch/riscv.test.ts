import { describe, expect, test } from 'vitest';
import { Access, Privilege } from '../../hw/access.ts';
import { riscvSv39 } from '../../hw/formats/riscv-sv39.ts';
import { Mmu } from '../../hw/mmu.ts';
import { PhysicalMemory } from '../../hw/physical-memory.ts';
import { riscvSv39Architecture } from './riscv.ts';

const ops = riscvSv39Architecture.pte;
// pgtable-bits.h
const V = 1n << 0n;
const R = 1n << 1n;
const W = 1n << 2n;
const X = 1n << 3n;
const U = 1n << 4n;
const G = 1n << 5n;
const A = 1n << 6n;
const D = 1n << 7n;

describe('RISC-V PTEs as Linux 6.1 builds them', () => {
  test('the frame number sits at bit 10 (_PAGE_PFN_SHIFT)', () => {
    const pte = ops.make(0x12345, { writable: false, user: true, exec: false });
    expect(pte >> 10n).toBe(0x12345n);
    expect(ops.pfn(pte)).toBe(0x12345);
  });

  test('user protections are _PAGE_BASE (present, accessed, user) plus R/W/X; D only from pte_mkdirty', () => {
    // PAGE_READ, PAGE_WRITE (W implies R), PAGE_EXEC (execute-only), and a
    // writable page faulted in by a write (pte_mkwrite(pte_mkdirty())).
    expect(ops.make(1, { writable: false, user: true, exec: false }) & 0xffn).toBe(V | A | U | R);
    expect(ops.make(1, { writable: true, user: true, exec: false }) & 0xffn).toBe(V | A | U | R | W);
    expect(ops.make(1, { read: false, writable: false, user: true, exec: true }) & 0xffn).toBe(V | A | U | X);
    expect(ops.make(1, { read: false, writable: true, user: true, exec: false }) & 0xffn).toBe(
      V | A | U | R | W,
    );
    expect(ops.make(1, { writable: true, user: true, exec: false, dirty: true }) & 0xffn).toBe(
      V | A | U | R | W | D,
    );
  });

  test('PAGE_KERNEL is R W present, accessed, dirty and global; a table pointer is V alone', () => {
    const kernel = { writable: true, user: false, exec: false, global: true, accessed: true, dirty: true };
    expect(ops.make(7, kernel) & 0x3ffn).toBe(R | W | V | A | D | G);
    // _PAGE_TABLE: U, A and D are reserved in a non-leaf PTE.
    expect(ops.makeTable(9, true)).toBe((9n << 10n) | V);
    expect(ops.makeTable(9, false)).toBe((9n << 10n) | V);
    expect(ops.leafAbove(ops.makeTable(9, true))).toBe(false);
    // A leaf above the last level (the direct map's 2 MiB pages) is any entry with R, W or X.
    expect(ops.leafAbove(ops.makeHuge(512, kernel))).toBe(true);
  });

  test('pte_wrprotect, pte_mkwrite, pte_mkdirty, pte_mkclean, pte_mkold, pte_mkyoung each flip one bit', () => {
    const pte = ops.make(3, { writable: true, user: true, exec: false, dirty: true });
    expect(pte ^ ops.wrprotect(pte)).toBe(W);
    expect(ops.mkwrite(ops.wrprotect(pte))).toBe(pte);
    expect(pte ^ ops.mkclean(pte)).toBe(D);
    expect(ops.mkdirty(ops.mkclean(pte))).toBe(pte);
    expect(pte ^ ops.mkold(pte)).toBe(A);
    expect(ops.mkyoung(ops.mkold(pte))).toBe(pte);
    expect(ops.write(pte) && ops.dirty(pte) && ops.young(pte) && ops.user(pte) && !ops.exec(pte)).toBe(true);
  });

  test('PROT_NONE (pte_modify to PAGE_NONE) keeps the frame, A and D with V clear and _PAGE_GLOBAL set', () => {
    const pte = ops.make(5, { writable: true, user: true, exec: false, dirty: true });
    const none = ops.modify(pte, { read: false, write: false, exec: false });
    expect(none).toBe((5n << 10n) | G | R | A | D); // PAGE_NONE = _PAGE_PROT_NONE | _PAGE_READ
    expect(ops.valid(none)).toBe(false);
    expect(ops.mapsFrame(none)).toBe(true);
    expect(ops.pfn(none)).toBe(5);
    // Back to read-write: present, young and user again, W only through a write fault.
    const back = ops.modify(ops.mkold(none), { read: true, write: true, exec: false });
    expect(back).toBe((5n << 10n) | V | A | U | R | D);
    expect(ops.modify(pte, { read: false, write: false, exec: true }) & 0xffn).toBe(V | A | U | X | D);
  });

  test('swap entries: bits 0..5 clear, type in 10:6, offset from bit 11', () => {
    const pte = ops.swapEntry(3, 77);
    expect(pte).toBe((3n << 6n) | (77n << 11n));
    expect(pte & 0x3fn).toBe(0n);
    expect({ type: ops.swapType(pte), offset: ops.swapOffset(pte) }).toEqual({ type: 3, offset: 77 });
    expect(ops.none(pte)).toBe(false);
    expect(ops.mapsFrame(pte)).toBe(false);
    // The largest type (5 bits) does not run into the offset.
    expect(ops.swapType(ops.swapEntry(31, 1))).toBe(31);
    expect(ops.swapOffset(ops.swapEntry(31, 1))).toBe(1);
  });

  test('the entries it builds are what the hardware walker translates', () => {
    const memory = new PhysicalMemory({ frames: 64, pageSize: 4096 });
    const mmu = new Mmu({
      format: riscvSv39,
      memory,
      tlb: null,
      control: { root: 0x1000, hardwareAccessed: false, hardwareDirty: false },
    });
    memory.writeEntry(0x1000, 8, ops.makeTable(2, true));
    memory.writeEntry(0x2000, 8, ops.makeTable(3, true));
    const clean = ops.make(9, { writable: true, user: true, exec: false });
    memory.writeEntry(0x3000 + 8, 8, clean);
    // Young: a read goes through under Svade; clean: the first store faults.
    expect(mmu.translate(0x1000, Access.Read, Privilege.User)).toBe(9 * 4096);
    const fault = mmu.translate(0x1000, Access.Write, Privilege.User);
    expect(typeof fault === 'object' && fault.kind).toBe('access-flag');
    memory.writeEntry(0x3000 + 8, 8, ops.mkdirty(clean));
    expect(mmu.translate(0x1000, Access.Write, Privilege.User)).toBe(9 * 4096);
    // PROT_NONE and swap entries are invalid to the hardware.
    memory.writeEntry(0x3000 + 8, 8, ops.modify(clean, { read: false, write: false, exec: false }));
    expect(typeof mmu.translate(0x1000, Access.Read, Privilege.User)).toBe('object');
  });
});
