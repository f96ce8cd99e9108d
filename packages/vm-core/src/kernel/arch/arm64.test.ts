import { describe, expect, test } from 'vitest';
import { arm64Pte as pte } from './arm64-pte.ts';

// Bit positions from arch/arm64/include/asm/pgtable-hwdef.h and pgtable-prot.h (6.1).
const VALID = 1n << 0n;
const TABLE = 1n << 1n;
const USER = 1n << 6n;
const RDONLY = 1n << 7n;
const SHARED = 3n << 8n;
const AF = 1n << 10n;
const NG = 1n << 11n;
const WRITE = 1n << 51n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;
const DIRTY = 1n << 55n;
const PROT_NONE = 1n << 58n;
const PXN_TABLE = 1n << 59n;
const UXN_TABLE = 1n << 60n;
const frame = (pfn: number) => BigInt(pfn) << 12n;

describe('swap entries in the 6.1 layout', () => {
  test('type in bits 7:3, offset in 57:8; valid, table, exclusive and PROT_NONE bits clear', () => {
    const e = pte.swapEntry(5, 0x1234);
    expect(e).toBe((5n << 3n) | (0x1234n << 8n));
    expect(e & (VALID | TABLE | (1n << 2n) | PROT_NONE)).toBe(0n);
    expect([pte.swapType(e), pte.swapOffset(e)]).toEqual([5, 0x1234]);
    // Not a present page, and not nothing either.
    expect(pte.mapsFrame(e)).toBe(false);
    expect(pte.none(e)).toBe(false);
  });

  test('the widest type and a 50-bit offset round-trip and stay below PROT_NONE', () => {
    const offset = 2 ** 50 - 1;
    const e = pte.swapEntry(31, offset);
    expect(e >> 58n).toBe(0n);
    expect([pte.swapType(e), pte.swapOffset(e)]).toEqual([31, offset]);
  });

  test('a swap PTE sets PTE_SWP_EXCLUSIVE (bit 2) for nobody: the type and offset ignore it', () => {
    const e = pte.swapEntry(1, 9) | (1n << 2n);
    expect([pte.swapType(e), pte.swapOffset(e)]).toEqual([1, 9]);
  });
});

describe('PTEs as pgtable.h builds them', () => {
  test('a private read-only user page is PAGE_READONLY: EL0, AP[2], AF, nG, PXN and UXN', () => {
    const p = pte.make(7, { user: true, writable: false, exec: false });
    expect(p).toBe(frame(7) | VALID | TABLE | SHARED | AF | USER | RDONLY | NG | PXN | UXN);
    expect([pte.pfn(p), pte.write(p), pte.dirty(p), pte.young(p), pte.exec(p)]).toEqual([
      7,
      false,
      false,
      true,
      false,
    ]);
  });

  test('a writable page starts clean — PTE_WRITE with AP[2] still set — and mkdirty clears AP[2]', () => {
    const clean = pte.make(3, { user: true, writable: true, exec: true });
    expect(clean & (WRITE | RDONLY | UXN | PXN)).toBe(WRITE | RDONLY | PXN);
    expect(pte.dirty(clean)).toBe(false);
    const dirty = pte.mkdirty(clean);
    expect(dirty & (WRITE | RDONLY | DIRTY)).toBe(WRITE | DIRTY);
    expect(pte.dirty(dirty)).toBe(true);
    expect(pte.make(3, { user: true, writable: true, exec: true, dirty: true })).toBe(dirty);
  });

  test('pte_dirty: the software bit, or writable with AP[2] clear (what DBM does on a write)', () => {
    const clean = pte.make(3, { user: true, writable: true, exec: false });
    expect(pte.dirty(clean & ~RDONLY)).toBe(true);
    expect(pte.dirty(clean | DIRTY)).toBe(true);
    expect(pte.dirty(clean & ~WRITE & ~RDONLY)).toBe(false);
  });

  test('pte_wrprotect moves hardware dirtiness into PTE_DIRTY; pte_mkwrite clears AP[2]', () => {
    const hwDirty = pte.make(3, { user: true, writable: true, exec: false }) & ~RDONLY;
    expect(hwDirty & DIRTY).toBe(0n);
    const ro = pte.wrprotect(hwDirty);
    expect(ro & (WRITE | RDONLY | DIRTY)).toBe(RDONLY | DIRTY);
    expect([pte.write(ro), pte.dirty(ro)]).toEqual([false, true]);
    const rw = pte.mkwrite(ro);
    expect(rw & (WRITE | RDONLY)).toBe(WRITE);
  });

  test('pte_mkclean sets AP[2] again, so the next write faults or is caught by DBM', () => {
    const dirty = pte.make(3, { user: true, writable: true, exec: false, dirty: true });
    const clean = pte.mkclean(dirty);
    expect(clean & (WRITE | RDONLY | DIRTY)).toBe(WRITE | RDONLY);
    expect(pte.dirty(clean)).toBe(false);
  });

  test('pte_mkold / pte_mkyoung toggle the access flag only', () => {
    const p = pte.make(3, { user: true, writable: false, exec: false });
    expect(pte.mkold(p)).toBe(p & ~AF);
    expect(pte.mkyoung(pte.mkold(p))).toBe(p);
  });

  test('kernel data is PAGE_KERNEL: writable and hardware-dirty, PXN|UXN, global, no EL0 access', () => {
    const k = pte.make(9, {
      user: false,
      writable: true,
      exec: false,
      global: true,
      accessed: true,
      dirty: true,
    });
    expect(k).toBe(frame(9) | VALID | TABLE | SHARED | AF | WRITE | PXN | UXN);
    // A linear-map block: the same attributes with the table bit clear.
    expect(pte.makeHuge(512, { user: false, writable: true, exec: false, global: true })).toBe(
      frame(512) | VALID | SHARED | AF | WRITE | PXN | UXN,
    );
    expect(pte.leafAbove(pte.makeHuge(512, { user: false, writable: true, exec: false }))).toBe(true);
  });

  test('table descriptors: a user mm gets PXNTable, the kernel UXNTable', () => {
    expect(pte.makeTable(4, true)).toBe(frame(4) | VALID | TABLE | PXN_TABLE);
    expect(pte.makeTable(4, false)).toBe(frame(4) | VALID | TABLE | UXN_TABLE);
    expect(pte.leafAbove(pte.makeTable(4, true))).toBe(false);
  });

  test('pte_modify to PROT_NONE keeps the frame with valid clear; back to read restores EL0 access', () => {
    const rw = pte.make(6, { user: true, writable: true, exec: false }) & ~RDONLY; // hardware-dirty
    const none = pte.modify(rw, { read: false, write: false, exec: false });
    expect(none & (VALID | PROT_NONE | USER | WRITE)).toBe(PROT_NONE);
    expect([pte.valid(none), pte.mapsFrame(none), pte.pfn(none), pte.dirty(none)]).toEqual([
      false,
      true,
      6,
      true,
    ]);
    const ro = pte.modify(none, { read: true, write: false, exec: true });
    expect(ro & (VALID | PROT_NONE | USER | UXN | PXN | RDONLY)).toBe(VALID | USER | PXN | RDONLY);
  });
});
