// ptep_set_access_flags through the hook API: what the fault handler uses
// where hardware leaves the accessed and dirty state to software.
import { describe, expect, test } from 'vitest';
import { Kernel } from '../src/kernel/index.ts';

describe('setAccessFlags', () => {
  test('marks a present PTE young (and dirty on a write), and says when it already was', () => {
    const kernel = new Kernel();
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: { read: true, write: true, exec: false } });
    if (r.kind !== 'ok') throw new Error(r.errno);
    kernel.access(pid, r.address, 'write', 1);
    const mm = kernel.task(pid).mm!.id;
    // The MMU set both when the write went through: nothing left to do.
    expect(kernel.api.setAccessFlags(mm, BigInt(r.address), true)).toBe(false);
    // As after reclaim's scan (pte_mkold) and writeback (pte_mkclean):
    const pa = kernel.tables.entryAddress(kernel.task(pid).mm!.pgdPfn, r.address)!;
    kernel.tables.writeAt(pa, kernel.arch.pte.mkold(kernel.arch.pte.mkclean(kernel.tables.readAt(pa))));
    expect(kernel.api.hooks.walkPageTable(mm, BigInt(r.address))).toMatchObject({
      accessed: false,
      dirty: false,
    });
    expect(kernel.api.setAccessFlags(mm, BigInt(r.address), false)).toBe(true);
    expect(kernel.api.hooks.walkPageTable(mm, BigInt(r.address))).toMatchObject({
      accessed: true,
      dirty: false,
    });
    expect(kernel.api.setAccessFlags(mm, BigInt(r.address), true)).toBe(true);
    expect(kernel.api.hooks.walkPageTable(mm, BigInt(r.address))).toMatchObject({
      accessed: true,
      dirty: true,
    });
  });

  test('refuses to dirty a read-only PTE: that write fault is COW, not a missing dirty bit', () => {
    const kernel = new Kernel();
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: { read: true, write: true, exec: false } });
    if (r.kind !== 'ok') throw new Error(r.errno);
    kernel.access(pid, r.address, 'read');
    const mm = kernel.task(pid).mm!.id;
    expect(() => kernel.api.setAccessFlags(mm, BigInt(r.address), true)).toThrow(
      /read-only — a write fault here is COW/,
    );
    expect(() => kernel.api.setAccessFlags(mm, BigInt(r.address + 4096), false)).toThrow(
      /nothing is mapped there/,
    );
  });
});

describe('the accessFlags option', () => {
  test('x86 keeps A and D in hardware only: software is refused with the reason', () => {
    expect(() => new Kernel({ accessFlags: 'software' })).toThrow(
      /x86-64 keeps accessed and dirty state in hardware only/,
    );
    expect(() => new Kernel({ arch: 'x86-32', accessFlags: 'software' })).toThrow(/x86-32 keeps/);
    expect(new Kernel({ accessFlags: 'hardware' }).cpus[0]!.mmu.control.hardwareAccessed).toBe(true);
  });
});
