import { describe, expect, test } from 'vitest';
import { machine, pa } from '../../test/machine.ts';
import { Access, Privilege } from './access.ts';
import {
  decodeEntry,
  encodeEntry,
  entryFlags,
  isAccessed,
  isDirty,
  notModelledFlags,
  withAccessed,
  withDirty,
} from './entry.ts';
import { NOT_MODELLED } from './entry-bits.ts';
import type { HwEvent } from './events.ts';
import { isPageFault } from './fault.ts';
import { definePagingFormat } from './format-validation.ts';
import { arm64, riscvSv39, tiny8, x86_32 } from './formats/index.ts';
import { dumpPageTables } from './page-table-dump.ts';

const { Read, Write, Execute } = Access;
const { User, Supervisor } = Privilege;

const ok = (t: unknown) => typeof t === 'number';
const faultKind = (t: unknown) => (isPageFault(t) ? t.kind : 'translated');

// Variants of the shipped formats, each lacking some flags.
const tiny8NoUser = definePagingFormat({
  ...tiny8,
  id: 'tiny8-no-us',
  bits: { ...tiny8.bits, user: NOT_MODELLED },
});
const tiny8NoWrite = definePagingFormat({
  ...tiny8,
  id: 'tiny8-no-rw',
  bits: { ...tiny8.bits, writable: NOT_MODELLED },
});
const tiny8NoAD = definePagingFormat({
  ...tiny8,
  id: 'tiny8-no-ad',
  bits: { ...tiny8.bits, accessed: NOT_MODELLED, dirty: NOT_MODELLED },
});
const tiny8NoDirty = definePagingFormat({
  ...tiny8,
  id: 'tiny8-no-d',
  bits: { ...tiny8.bits, dirty: NOT_MODELLED },
});
const tiny8NoAccessed = definePagingFormat({
  ...tiny8,
  id: 'tiny8-no-a',
  bits: { ...tiny8.bits, accessed: NOT_MODELLED },
});

describe('x86 family: a flag that is not modelled', () => {
  test('no U/S: every page is reachable from both privileges, and SMAP/SMEP have no user page to act on', () => {
    const { mmu, editor, root } = machine(tiny8NoUser, { frames: 8 });
    editor.map(root, 0x40, { pfn: 6, writable: true });
    expect(mmu.control).toMatchObject({ smap: true, smep: true, alignmentCheck: false });
    for (const privilege of [User, Supervisor]) {
      for (const access of [Read, Write, Execute])
        expect(ok(mmu.translate(0x40, access, privilege))).toBe(true);
    }
    const seen = mmu.inspect(0x40, Read, Supervisor);
    expect(seen.outcome.kind === 'translated' && seen.outcome.rights.user).toBe(true);
  });

  test('…which is not a U/S bit that exists and is clear (a supervisor page)', () => {
    const { mmu, editor, root } = machine(tiny8, { frames: 8 });
    editor.map(root, 0x40, { pfn: 6, writable: true, user: false });
    expect(faultKind(mmu.translate(0x40, Read, User))).toBe('protection');
    expect(ok(mmu.translate(0x40, Read, Supervisor))).toBe(true);
    // And a user page is closed to the kernel by SMAP.
    editor.map(root, 0x60, { pfn: 7, user: true });
    expect(faultKind(mmu.translate(0x60, Read, Supervisor))).toBe('protection');
  });

  test('no R/W: everything is writable, by both privileges, CR0.WP or not', () => {
    const { mmu, editor, root } = machine(tiny8NoWrite, { frames: 8 });
    editor.map(root, 0x40, { pfn: 6, user: true, writable: false });
    editor.map(root, 0x60, { pfn: 7, user: false, writable: false });
    expect(ok(mmu.translate(0x40, Write, User))).toBe(true);
    expect(mmu.control.writeProtect).toBe(true);
    expect(mmu.write8(0x61, 7, Supervisor)).toBeNull();

    const rw = machine(tiny8, { frames: 8 });
    rw.editor.map(rw.root, 0x40, { pfn: 6, user: true, writable: false });
    expect(faultKind(rw.mmu.translate(0x40, Write, User))).toBe('protection');
  });

  test('no A/D: the walker never sets them, and a write needs no walk to dirty a page', () => {
    const { mmu, memory, editor, root } = machine(tiny8NoAD, { frames: 8 });
    const leaf = editor.map(root, 0x40, { pfn: 6, user: true, writable: true, accessed: true, dirty: true });
    const tables = memory.bytes.slice(0, 3 * 32);
    const events: HwEvent['type'][] = [];
    mmu.subscribe((e) => events.push(e.type));
    pa(mmu.translate(0x40, Read, User));
    pa(mmu.translate(0x41, Write, User));
    expect(memory.bytes.slice(0, 3 * 32)).toEqual(tables);
    expect(events).not.toContain('ad-update');
    // One walk for the read; the write hits the TLB entry the read filled.
    expect(events.filter((e) => e === 'tlb-miss')).toHaveLength(1);
    expect(events.filter((e) => e === 'tlb-hit')).toHaveLength(1);

    const entry = BigInt(memory.read8(leaf));
    expect(isAccessed(tiny8NoAD, entry)).toBe(false); // nothing recorded an access
    expect(isDirty(tiny8NoAD, entry)).toBe(true); // no page can be shown clean
    expect(withAccessed(tiny8NoAD, entry, true)).toBe(entry);
    expect(withDirty(tiny8NoAD, entry, false)).toBe(entry);
  });

  test('no D but an A bit: a write sets A and nothing else', () => {
    const { mmu, memory, editor, root } = machine(tiny8NoDirty, { frames: 8 });
    const leaf = editor.map(root, 0x40, { pfn: 6, user: true, writable: true });
    const before = memory.read8(leaf);
    pa(mmu.translate(0x40, Write, User));
    expect(memory.read8(leaf)).toBe(before | 0b01000);
  });

  test('no A but a D bit: a write sets D and nothing else', () => {
    const { mmu, memory, editor, root } = machine(tiny8NoAccessed, { frames: 8 });
    const leaf = editor.map(root, 0x40, { pfn: 6, user: true, writable: true });
    const pd = memory.read8(root); // PD[0], on the way to 0x40
    const before = memory.read8(leaf);
    pa(mmu.translate(0x40, Read, User));
    expect(memory.read8(leaf)).toBe(before);
    pa(mmu.translate(0x40, Write, User));
    expect(memory.read8(leaf)).toBe(before | 0b10000);
    expect(memory.read8(root)).toBe(pd);
  });

  test('encoding leaves such a flag out; decoding lists it as not modelled, not as clear', () => {
    const asUser = encodeEntry(tiny8NoUser, 1, { kind: 'leaf', pfn: 3, user: true });
    expect(asUser).toBe(encodeEntry(tiny8NoUser, 1, { kind: 'leaf', pfn: 3, user: false }));
    expect(asUser & 0b100n).toBe(0n);

    const decoded = decodeEntry(tiny8NoUser, 1, asUser);
    expect('U' in decoded.flags).toBe(false);
    expect(decoded.notModelled).toEqual(['U', 'PS', 'G', 'NX']);
    expect(entryFlags(tiny8NoUser).map((f) => f.name)).toEqual(['P', 'W', 'A', 'D']);

    const clear = decodeEntry(tiny8, 1, asUser);
    expect(clear.flags.U).toBe(false);
    expect(clear.notModelled).toEqual(['PS', 'G', 'NX']);
    expect(notModelledFlags(x86_32)).toEqual(['NX']);
  });
});

describe('RISC-V: a flag that is not modelled', () => {
  const noAD = definePagingFormat({
    ...riscvSv39,
    id: 'sv39-no-ad',
    bits: { ...riscvSv39.bits, accessed: NOT_MODELLED, dirty: NOT_MODELLED },
  });
  const noWX = definePagingFormat({
    ...riscvSv39,
    id: 'sv39-no-wx',
    bits: { ...riscvSv39.bits, write: NOT_MODELLED, execute: NOT_MODELLED },
  });
  const noU = definePagingFormat({
    ...riscvSv39,
    id: 'sv39-no-u',
    bits: { ...riscvSv39.bits, user: NOT_MODELLED },
  });

  test('no A/D under Svade: nothing to fault on, nothing set', () => {
    const svade = { hardwareAccessed: false, hardwareDirty: false };
    const { mmu, memory, editor, root } = machine(noAD, { control: svade });
    const leaf = editor.map(root, 0x1000, { pfn: 9, user: true, writable: true });
    const before = memory.read64(leaf);
    expect(ok(mmu.translate(0x1000, Read, User))).toBe(true);
    expect(ok(mmu.translate(0x1000, Write, User))).toBe(true);
    expect(memory.read64(leaf)).toBe(before);

    const real = machine(riscvSv39, { control: svade });
    real.editor.map(real.root, 0x1000, { pfn: 9, user: true, writable: true });
    expect(faultKind(real.mmu.translate(0x1000, Read, User))).toBe('access-flag');
  });

  test('no W and X: every leaf (R set) is writable and executable; R = W = X = 0 still points to a table', () => {
    const { mmu, editor, root } = machine(noWX);
    editor.map(root, 0x1000, { pfn: 9, user: true, accessed: true, dirty: true });
    expect(mmu.inspect(0x1000, Write, User).steps).toHaveLength(3);
    expect(ok(mmu.translate(0x1000, Write, User))).toBe(true);
    expect(ok(mmu.translate(0x1000, Execute, User))).toBe(true);
  });

  test('no U: S-mode reaches every page without SUM, and executes it; U-mode reaches it too', () => {
    const { mmu, memory, editor, root } = machine(noU);
    editor.map(root, 0x1000, { pfn: 9, writable: true, executable: true, accessed: true, dirty: true });
    expect(mmu.control.sum).toBe(false);
    for (const access of [Read, Write, Execute]) {
      expect(ok(mmu.translate(0x1000, access, Supervisor))).toBe(true);
      expect(ok(mmu.translate(0x1000, access, User))).toBe(true);
    }
    // The dump follows pointers as the walk does: U being absent makes no pointer look reserved.
    const dump = dumpPageTables(noU, memory, root);
    expect(dump.tables).toHaveLength(3);
    expect(dump.tables.flatMap((t) => t.entries).filter((e) => e.unfollowed !== undefined)).toEqual([]);
  });
});

describe('ARM64: a flag that is not modelled', () => {
  test('no AP[1]: EL0 and EL1 (PAN set) reach every page, and a writable page stays EL1-executable', () => {
    const noAp1 = definePagingFormat({
      ...arm64,
      id: 'arm64-no-ap1',
      bits: { ...arm64.bits, apUser: NOT_MODELLED },
    });
    const { mmu, editor, root } = machine(noAp1);
    editor.map(root, 0x1000, { pfn: 9, writable: true, executable: true, accessed: true });
    expect(mmu.control.pan).toBe(true);
    expect(ok(mmu.translate(0x1000, Read, User))).toBe(true);
    expect(ok(mmu.translate(0x1000, Write, Supervisor))).toBe(true);
    expect(ok(mmu.translate(0x1000, Execute, Supervisor))).toBe(true);
    expect(faultKind(mmu.translate(0x1000, Execute, User))).toBe('protection'); // UXN still says no

    const real = machine(arm64);
    real.editor.map(real.root, 0x1000, { pfn: 9, writable: true, executable: true, accessed: true });
    expect(faultKind(real.mmu.translate(0x1000, Read, User))).toBe('protection');
  });

  test('no AF: no Access flag fault without TCR.HA, and nothing set', () => {
    const noAf = definePagingFormat({
      ...arm64,
      id: 'arm64-no-af',
      bits: { ...arm64.bits, accessFlag: NOT_MODELLED },
    });
    const { mmu, memory, editor, root } = machine(noAf, { control: { hardwareAccessed: false } });
    const leaf = editor.map(root, 0x1000, { pfn: 9, user: true });
    const before = memory.read64(leaf);
    expect(ok(mmu.translate(0x1000, Read, User))).toBe(true);
    expect(memory.read64(leaf)).toBe(before);
  });

  test('no nG: every entry is tagged with its ASID, unlike nG = 0, which is global', () => {
    const noNg = definePagingFormat({
      ...arm64,
      id: 'arm64-no-ng',
      bits: { ...arm64.bits, notGlobal: NOT_MODELLED },
    });
    for (const [format, global] of [
      [noNg, false],
      [arm64, true],
    ] as const) {
      const { mmu, editor, root } = machine(format);
      editor.map(root, 0x1000, { pfn: 9, global: true, accessed: true });
      const seen = mmu.inspect(0x1000, Read, Supervisor);
      expect(seen.outcome.kind === 'translated' && seen.outcome.global).toBe(global);
    }
  });
});
