import { describe, expect, test } from 'vitest';
import { machine } from '../../test/machine.ts';
import { Access, Privilege } from './access.ts';
import { toAddress } from './address.ts';
import { arm64, riscvSv39, tiny8, x86_32, x86_64 } from './formats/index.ts';
import { type DumpedEntry, dumpPageTables, type PageTableDump } from './page-table-dump.ts';
import type { PagingFormat } from './paging-format.ts';

const leaves = (dump: PageTableDump): DumpedEntry[] =>
  dump.tables.flatMap((t) => t.entries.filter((e) => e.entry.kind === 'leaf'));

/** Every leaf the dump shows translates, by the MMU's own side-effect-free walk, to the frame it names. */
function agreesWithTheWalk(
  dump: PageTableDump,
  mmu: ReturnType<typeof machine>['mmu'],
  format: PagingFormat,
): void {
  for (const leaf of leaves(dump)) {
    const seen = mmu.inspect(leaf.va, Access.Read, Privilege.Supervisor);
    expect(seen.steps.at(-1)?.entry.raw).toBe(leaf.entry.raw);
    expect(seen.steps.length - 1).toBe(dump.tables.find((t) => t.entries.includes(leaf))!.level);
    if (seen.outcome.kind === 'translated')
      expect(Math.floor(seen.outcome.pa / 2 ** format.pageShift)).toBe(leaf.entry.pfn);
  }
}

describe('dumpPageTables', () => {
  test('x86-64: levels by their SDM names, the user half followed, the kernel half listed, nothing changed', () => {
    const { memory, mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x40_1000, { pfn: 30, writable: true, user: true });
    editor.map(root, 0x40_3000, { pfn: 31, user: true, accessed: true, dirty: true });
    editor.map(root, 0x80_0000, { pfn: 64, writable: true, user: true, level: 2 }); // a 2 MiB page
    const kernel = toAddress('0xffff888000000000');
    editor.map(root, kernel, { pfn: 40, writable: true, global: true });
    const before = memory.bytes.slice();

    const dump = dumpPageTables(x86_64, memory, root, { from: 0, to: 2 ** 47 });

    expect(memory.bytes).toEqual(before);
    expect(dump.complete).toBe(true);
    expect(dump.tables.map((t) => t.levelName)).toEqual(['PML4', 'PDPT', 'PD', 'PT']);
    const [pml4, , pd, pt] = dump.tables;
    expect(pml4!.entries.map((e) => [e.index, e.va])).toEqual([
      [0, 0],
      [273, kernel],
    ]);
    expect(pml4!.entries[1]).toMatchObject({ next: null, unfollowed: 'outside-range' });
    expect(pml4!.entries[0]!.next).toBe(dump.tables[1]!.pa);
    expect(pd!.entries.map((e) => [e.index, e.entry.kind, e.span])).toEqual([
      [2, 'table', 2 ** 21],
      [4, 'leaf', 2 ** 21],
    ]);
    expect(pt!.entries.map((e) => [e.va, e.entry.pfn, e.entry.flags.D])).toEqual([
      [0x40_1000, 30, false],
      [0x40_3000, 31, true],
    ]);
    expect(pt!.entries[0]!.entryPa).toBe(pt!.pa + 1 * 8);
    agreesWithTheWalk(dump, mmu, x86_64);
    // No A bit was set by dumping, no TLB entry filled: a later walk still sets A.
    expect(mmu.tlb!.lookup(0x40_1000, 0)).toBe(-1);
  });

  test('x86-64: the whole tree by default, upper-half addresses negative', () => {
    const { memory, editor, root } = machine(x86_64);
    const kernel = toAddress('0xffffc90000001000');
    editor.map(root, kernel, { pfn: 41, writable: true });
    const dump = dumpPageTables(x86_64, memory, root);
    expect(dump.tables).toHaveLength(4);
    expect(leaves(dump).map((e) => e.va)).toEqual([kernel]);
  });

  test('x86-32: a 4 MiB PSE page is a leaf; without CR4.PSE its PDE is a pointer (SDM §4.3)', () => {
    const { memory, editor, root } = machine(x86_32, { frames: 64 });
    editor.map(root, 0x0040_0000, { pfn: 0, writable: true, level: 0 }); // PDE 1, PS = 1, frame 0
    const withPse = dumpPageTables(x86_32, memory, root);
    expect(withPse.tables.map((t) => t.levelName)).toEqual(['PD']);
    expect(withPse.tables[0]!.entries[0]).toMatchObject({ index: 1, span: 2 ** 22, next: null });
    expect(withPse.tables[0]!.entries[0]!.entry.kind).toBe('leaf');

    const withoutPse = dumpPageTables(x86_32, memory, root, { pse: false });
    expect(withoutPse.tables[0]!.entries[0]!.entry.kind).toBe('table');
    expect(withoutPse.tables.map((t) => [t.levelName, t.pfn, t.va])).toEqual([
      ['PD', root / 4096, 0],
      ['PT', 0, 0x0040_0000],
    ]);
  });

  test('RISC-V Sv39: a megapage at VPN[1], the upper half sign-extended, A in a pointer is reserved (§4.3.2)', () => {
    const { memory, mmu, editor, root } = machine(riscvSv39);
    editor.map(root, 0x20_0000, { pfn: 512, writable: true, user: true, level: 1, accessed: true });
    const high = toAddress('0xffffffffc0001000');
    editor.map(root, high, { pfn: 7, writable: true, accessed: true, dirty: true });
    // Bits in memory above the 256 frames installed: the pfn 512 leaf reads as beyond memory to the
    // walk, but the dump only lists leaves, it follows pointers.
    const dump = dumpPageTables(riscvSv39, memory, root);
    expect(dump.tables.map((t) => t.levelName)).toEqual(['VPN[2]', 'VPN[1]', 'VPN[1]', 'VPN[0]']);
    expect(dump.tables[0]!.entries.map((e) => [e.index, e.va])).toEqual([
      [0, 0],
      [511, -(2 ** 30)],
    ]);
    expect(leaves(dump).map((e) => [e.va, e.span])).toEqual([
      [0x20_0000, 2 ** 21],
      [high, 4096],
    ]);
    agreesWithTheWalk(dump, mmu, riscvSv39);

    const pointer = dump.tables[0]!.entries[0]!;
    memory.write64(pointer.entryPa, memory.read64(pointer.entryPa) | (1n << 6n)); // A in a non-leaf PTE
    const broken = dumpPageTables(riscvSv39, memory, root);
    expect(broken.tables[0]!.entries[0]).toMatchObject({ next: null, unfollowed: 'reserved-bits' });
    expect(mmu.inspect(0x20_0000).outcome.kind).toBe('fault');
  });

  test('ARM64: a TTBR1 table translates the upper half; blocks and pages by their descriptor bits', () => {
    const { memory, mmu, editor } = machine(arm64);
    const high = editor.createRoot();
    mmu.setControl({ rootHigh: high });
    const va = toAddress('0xffff000000201000');
    editor.map(high, va, { pfn: 40, writable: true, global: true, accessed: true });
    editor.map(high, toAddress('0xffff000040000000'), { pfn: 0, writable: true, accessed: true, level: 1 });
    const dump = dumpPageTables(arm64, memory, high, { high: true });
    expect(dump.tables.map((t) => t.levelName)).toEqual(['L0', 'L1', 'L2', 'L3']);
    expect(dump.tables[0]!.entries[0]!.va).toBe(toAddress('0xffff000000000000'));
    // Tables depth first: the L1 block comes before the L3 page.
    expect(leaves(dump).map((e) => [e.va, e.span, e.entry.flags.AF])).toEqual([
      [toAddress('0xffff000040000000'), 2 ** 30, true],
      [va, 4096, true],
    ]);
    agreesWithTheWalk(dump, mmu, arm64);
  });

  test('tiny8: the whole address space of a teaching format, one-byte entries', () => {
    const { memory, mmu, editor, root } = machine(tiny8, { frames: 8 });
    editor.map(root, 0x20, { pfn: 5, writable: true, user: true });
    editor.map(root, 0x1e0, { pfn: 6, user: true });
    const dump = dumpPageTables(tiny8, memory, root);
    expect(dump.tables.map((t) => [t.levelName, t.va, t.entries.length])).toEqual([
      ['PD', 0, 2],
      ['PT', 0, 1],
      ['PT', 0x180, 1],
    ]);
    expect(leaves(dump).map((e) => [e.va, e.entry.summary])).toEqual([
      [0x20, '0xa7 leaf pfn 0x5 P W U'],
      [0x1e0, '0xc5 leaf pfn 0x6 P U'],
    ]);
    agreesWithTheWalk(dump, mmu, tiny8);
  });

  test('non-present entries that hold bits are listed (a swap entry), zero entries are not', () => {
    const { memory, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true });
    editor.setRaw(root, 0x2000, 3, 0x3_00n); // P = 0, software bits: how Linux keeps a swap entry
    const pt = dumpPageTables(x86_64, memory, root).tables[3]!;
    expect(pt.entries.map((e) => [e.index, e.entry.kind])).toEqual([
      [1, 'leaf'],
      [2, 'invalid'],
    ]);
  });

  test('a broken tree is shown broken: beyond memory, reserved bits, a loop, and the table limit', () => {
    const { memory, editor, root } = machine(x86_64, { frames: 16 });
    editor.map(root, 0x1000, { pfn: 9, user: true });
    const pml4 = dumpPageTables(x86_64, memory, root).tables[0]!;
    const slot = (i: number) => pml4.pa + i * 8;
    memory.write64(slot(1), (1000n << 12n) | 0x7n); // a table in frame 1000 of 16
    memory.write64(slot(2), (BigInt(root / 4096) << 12n) | 0x7n); // back to the root
    memory.write64(slot(3), (1n << 50n) | (2n << 12n) | 0x7n); // bit 50 is above MAXPHYADDR 46
    const dump = dumpPageTables(x86_64, memory, root);
    expect(dump.tables[0]!.entries.map((e) => [e.index, e.unfollowed])).toEqual([
      [0, undefined],
      [1, 'beyond-memory'],
      [2, 'seen'],
      [3, 'reserved-bits'],
    ]);
    const cut = dumpPageTables(x86_64, memory, root, { maxTables: 2 });
    expect(cut.complete).toBe(false);
    expect(cut.tables).toHaveLength(2);
    expect(cut.tables[1]!.entries[0]!.unfollowed).toBe('limit');
    expect(() => dumpPageTables(x86_64, memory, 16 * 4096)).toThrow(RangeError);
  });
});
