import { describe, expect, test } from 'vitest';
import { Access, Privilege } from './access.ts';
import { compileFormat } from './compiled-format.ts';
import { defaultControlState } from './control.ts';
import { bit } from './entry-bits.ts';
import { FaultKind } from './fault.ts';
import { definePagingFormat } from './format-validation.ts';
import { arm64, tiny16, x86_64, x86FlagBits } from './formats/index.ts';
import { Mmu } from './mmu.ts';
import { dumpPageTables } from './page-table-dump.ts';
import { bumpFrames, PageTableEditor } from './page-table-editor.ts';
import { permissionTableFor } from './permissions.ts';
import { PhysicalMemory } from './physical-memory.ts';
import { WalkResult, walk } from './walk.ts';

const { Read } = Access;
const { User, Supervisor } = Privilege;

/** x86 PAE's shape: a 4-entry PDPT of 8-byte entries (32 bytes, smaller than its page) over 512-entry tables. */
const paeLike = definePagingFormat({
  id: 'pae-like',
  title: 'x86 PAE-shaped paging (32-byte root table)',
  family: 'x86',
  pageShift: 12,
  entryBytes: 8,
  levels: [
    { name: 'PDPT', indexBits: 2, leaf: false },
    { name: 'PD', indexBits: 9, leaf: true },
    { name: 'PT', indexBits: 9, leaf: true },
  ],
  addressing: 'unsigned',
  physAddrBits: 36,
  frame: { shift: 12, width: 24 },
  bits: { ...x86FlagBits, noExecute: bit(63) },
  protectionKey: null,
  pageSizeNeedsPse: false,
});

/** tiny16 with a 64-entry root: 128 bytes, two 64-byte pages. */
const tiny16WideRoot = definePagingFormat({
  ...tiny16,
  id: 'tiny16-wide-root',
  levels: [{ name: 'PD', indexBits: 6, leaf: true }, tiny16.levels[1]!],
});

describe('roots are checked when they are loaded', () => {
  test('at construction: aligned to the root table, which must lie inside installed memory', () => {
    const memory = new PhysicalMemory({ frames: 16, pageSize: 4096 });
    expect(() => new Mmu({ format: x86_64, memory, control: { root: 0x1010 } })).toThrow(
      /x86-64: root 0x1010 is not aligned to its 4096-byte root table \(PML4\)/,
    );
    expect(() => new Mmu({ format: x86_64, memory, control: { root: 0x10000 } })).toThrow(
      /x86-64: root 0x10000: the 4096-byte root table \(PML4\) does not fit in installed memory \(0..0xffff\)/,
    );
    expect(() => new Mmu({ format: x86_64, memory, control: { root: -4096 } })).toThrow(
      /x86-64: root -4096 is not a physical address/,
    );
    expect(() => new Mmu({ format: x86_64, memory, control: { root: 0xf000 } })).not.toThrow();
  });

  test('on a switch: a bad root is refused and the old one stays loaded', () => {
    const memory = new PhysicalMemory({ frames: 16, pageSize: 4096 });
    const editor = new PageTableEditor(memory, x86_64, bumpFrames(memory, 1));
    const root = editor.createRoot();
    editor.map(root, 0x1000, { pfn: 9, user: true });
    const mmu = new Mmu({ format: x86_64, memory, control: { root } });
    expect(() => mmu.switchAddressSpace(root + 8)).toThrow(RangeError);
    expect(() => mmu.setControl({ root: 16 * 4096, asid: 3 })).toThrow(/does not fit in installed memory/);
    expect(mmu.control).toMatchObject({ root, asid: 0 });
    expect(typeof mmu.translate(0x1000, Read, User)).toBe('number');
  });

  test('ARM64 checks TTBR1 (rootHigh) too; formats with one root ignore it', () => {
    const memory = new PhysicalMemory({ frames: 16, pageSize: 4096 });
    const mmu = new Mmu({ format: arm64, memory });
    expect(() => mmu.setControl({ rootHigh: 0x1008 })).toThrow(/arm64: rootHigh 0x1008 is not aligned/);
    expect(() => mmu.switchAddressSpace(0, { rootHigh: 0x20000 })).toThrow(
      /rootHigh 0x20000: .* does not fit/,
    );
    expect(() => new Mmu({ format: x86_64, memory, control: { rootHigh: 0x1008 } })).not.toThrow();
  });

  test('a root table smaller than a page needs only its own alignment (PAE: 32 bytes)', () => {
    const memory = new PhysicalMemory({ frames: 64, pageSize: 4096 });
    const editor = new PageTableEditor(memory, paeLike, bumpFrames(memory, 2));
    const root = 0x1000 + 32; // the second of the PDPTs sharing frame 1
    editor.map(root, 0x4000_1000, { pfn: 9, user: true });
    const mmu = new Mmu({ format: paeLike, memory, control: { root } });
    expect(mmu.translate(0x4000_1234, Read, User)).toBe(9 * 4096 + 0x234);
    expect(() => mmu.setControl({ root: 0x1010 })).toThrow(
      /root 0x1010 is not aligned to its 32-byte root table \(PDPT\)/,
    );
  });
});

describe('a root table larger than a page', () => {
  test('is checked throughout: the walk faults (bus error) where its second page is not installed', () => {
    const memory = new PhysicalMemory({ frames: 16, pageSize: 64 });
    const c = compileFormat(tiny16WideRoot);
    expect(c.tableBytes[0]).toBe(128);
    // A root whose first page is the last frame; a direct walk() takes any ControlState.
    const state = { ...defaultControlState(), root: memory.size - 64 };
    const out = new WalkResult();
    const table = permissionTableFor(tiny16WideRoot, state);
    expect(walk(c, memory, state, table, 40 * 2048, Read, Supervisor, out)).toBe(false);
    expect(out).toMatchObject({ faultKind: FaultKind.BusError, faultLevel: 0 });
    // The MMU and the dump refuse such a root outright.
    expect(() => new Mmu({ format: tiny16WideRoot, memory, control: { root: memory.size - 64 } })).toThrow(
      /128-byte root table \(PD\)/,
    );
    expect(() => dumpPageTables(tiny16WideRoot, memory, memory.size - 64)).toThrow(/not aligned/);
  });

  test('takes consecutive, aligned frames from the editor and translates through its second page', () => {
    const memory = new PhysicalMemory({ frames: 16, pageSize: 64 });
    const editor = new PageTableEditor(memory, tiny16WideRoot, bumpFrames(memory, 2));
    const root = editor.createRoot();
    expect(root).toBe(2 * 64);
    const leaf = editor.map(root, 40 * 2048 + 3 * 64, { pfn: 9, user: true, writable: true });
    const mmu = new Mmu({ format: tiny16WideRoot, memory, control: { root } });
    expect(mmu.translate(40 * 2048 + 3 * 64 + 5, Read, User)).toBe(9 * 64 + 5);
    expect(mmu.inspect(40 * 2048).steps[0]!.entryPa).toBe(root + 40 * 2);
    expect(leaf).toBeGreaterThanOrEqual(4 * 64); // the PT came after the root's two frames

    const misaligned = new PageTableEditor(memory, tiny16WideRoot, bumpFrames(memory, 1));
    expect(() => misaligned.createRoot()).toThrow(
      /a 128-byte root table must start on a multiple of its size; frame 1 \(0x40\) does not/,
    );
    const scattered = [2, 5];
    const gappy = new PageTableEditor(memory, tiny16WideRoot, () => scattered.shift()!);
    expect(() => gappy.createRoot()).toThrow(/needs consecutive frames; the frame source gave 5 after 2/);
  });
});
