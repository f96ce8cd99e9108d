import { describe, expect, test } from 'vitest';
import { Access, isPageFault, Mmu, type PageFault, Privilege, x86_64 } from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write } = Access;
const { User } = Privilege;

describe('stale TLB entries behave as on hardware', () => {
  test('a PTE made read-only without a flush still allows writes through the TLB', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const pte = editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    pa(mmu.translate(0x1000, Write, User));
    memory.write64(pte, memory.read64(pte) & ~0x2n); // clear R/W: no invlpg
    expect(typeof mmu.translate(0x1000, Write, User)).toBe('number'); // stale: still writable
    mmu.invalidatePage(0x1000);
    expect((mmu.translate(0x1000, Write, User) as PageFault).kind).toBe('protection');
  });

  test('an unmapped page stays reachable until invalidated, and then faults', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, writable: true, user: true });
    memory.write8(9 * 4096, 0x11);
    expect(mmu.read8(0x1000, User)).toBe(0x11);
    editor.unmap(root, 0x1000);
    expect(mmu.read8(0x1000, User)).toBe(0x11);
    mmu.invalidatePage(0x1000);
    expect(isPageFault(mmu.read8(0x1000, User))).toBe(true);
  });

  test('remapping to another frame without a flush keeps reading the old frame', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true });
    memory.write8(9 * 4096, 1);
    memory.write8(10 * 4096, 2);
    expect(mmu.read8(0x1000, User)).toBe(1);
    editor.map(root, 0x1000, { pfn: 10, user: true });
    expect(mmu.read8(0x1000, User)).toBe(1);
    mmu.invalidatePage(0x1000);
    expect(mmu.read8(0x1000, User)).toBe(2);
  });

  test('raising permissions needs no flush: a denied TLB entry is re-walked, not faulted', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: false });
    pa(mmu.translate(0x1000, Read, User));
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: true });
    expect(typeof mmu.translate(0x1000, Write, User)).toBe('number');
  });

  test('ASIDs keep address spaces apart without a flush; a CR3 write without PCID flushes non-global entries', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const other = editor.createRoot();
    editor.map(root, 0x1000, { pfn: 9, user: true });
    editor.map(other, 0x1000, { pfn: 10, user: true });
    editor.map(root, 0x2000, { pfn: 11, user: true, global: true });
    editor.map(other, 0x2000, { pfn: 11, user: true, global: true });
    memory.write8(9 * 4096, 9);
    memory.write8(10 * 4096, 10);
    mmu.switchAddressSpace(root, { asid: 1, flush: 'none' });
    expect(mmu.read8(0x1000, User)).toBe(9);
    mmu.read8(0x2000, User);
    mmu.switchAddressSpace(other, { asid: 2, flush: 'none' });
    expect(mmu.read8(0x1000, User)).toBe(10);
    mmu.switchAddressSpace(root, { asid: 1, flush: 'none' });
    expect(mmu.read8(0x1000, User)).toBe(9);
    // Same ASID for both (no PCIDs) and no flush: the stale entry wins.
    mmu.switchAddressSpace(other, { asid: 1, flush: 'none' });
    expect(mmu.read8(0x1000, User)).toBe(9);
    mmu.switchAddressSpace(other, { asid: 1, flush: 'non-global' });
    expect(mmu.read8(0x1000, User)).toBe(10);
    const globals = mmu.tlb!.snapshot().filter((e) => e.global);
    expect(globals).toHaveLength(1);
  });

  test('without a TLB every access walks, so nothing is ever stale', () => {
    const { memory, editor, root } = machine(x86_64);
    const mmu = new Mmu({ format: x86_64, memory, tlb: null, control: { root } });
    const pte = editor.map(root, 0x1000, { pfn: 9, user: true, writable: true });
    pa(mmu.translate(0x1000, Write, User));
    memory.write64(pte, 0n);
    expect(isPageFault(mmu.translate(0x1000, Write, User))).toBe(true);
  });
});
