import { describe, expect, test } from 'vitest';
import { decodeEntry, encodeEntry, entryFlags } from './entry.ts';
import { bit, bits, NO_BITS, NOT_MODELLED, union } from './entry-bits.ts';
import { definePagingFormat, validatePagingFormat } from './format-validation.ts';
import { arm64, formats, riscvSv39, tiny8, tiny16, x86_64 } from './formats/index.ts';
import { Mmu } from './mmu.ts';
import { dumpPageTables } from './page-table-dump.ts';
import { PageTableEditor } from './page-table-editor.ts';
import type { PagingFormat } from './paging-format.ts';
import { PhysicalMemory } from './physical-memory.ts';

/** A copy of `base` with `patch` applied: a new object each time, so nothing is served from the check's cache. */
const variant = (base: PagingFormat, patch: Record<string, unknown>): unknown => ({
  ...base,
  id: 'test',
  ...patch,
});
const withBits = (base: PagingFormat, patch: Record<string, unknown>): unknown =>
  variant(base, { bits: { ...base.bits, ...patch } });

const rejects = (format: unknown, error: typeof TypeError | typeof RangeError, message: RegExp) => {
  expect(() => validatePagingFormat(format)).toThrow(error);
  expect(() => validatePagingFormat(format)).toThrow(message);
};

describe('validatePagingFormat: the shipped formats', () => {
  test.each(Object.entries(formats))('%s is sound', (_, format) => {
    expect(() => validatePagingFormat(format)).not.toThrow();
  });

  test('definePagingFormat checks and hands back the same object', () => {
    const mine = { ...tiny8, id: 'mine' };
    expect(definePagingFormat(mine)).toBe(mine);
    expect(() => definePagingFormat({ ...tiny8, id: 'mine', pageShift: 1 })).toThrow(RangeError);
  });
});

describe('validatePagingFormat: geometry', () => {
  test('the descriptor itself, its id, title and family', () => {
    rejects(42, TypeError, /a paging format must be an object; got 42/);
    rejects(variant(tiny8, { id: '' }), TypeError, /id must be a non-empty string; got ""/);
    rejects(variant(tiny8, { title: 7 }), TypeError, /"test": title must be a string; got 7/);
    rejects(variant(tiny8, { family: 3 }), TypeError, /family must be a string; got 3/);
    rejects(variant(tiny8, { family: 'mips' }), RangeError, /family "mips" is not one of x86, riscv, arm64/);
  });

  test('page size, entry width and addressing', () => {
    rejects(variant(tiny8, { pageShift: 5.5 }), TypeError, /pageShift must be an integer; got 5.5/);
    rejects(variant(tiny8, { pageShift: 1 }), RangeError, /pageShift 1 gives 2-byte pages/);
    rejects(variant(x86_64, { pageShift: 31 }), RangeError, /pageShift 31 gives/);
    rejects(variant(tiny8, { entryBytes: 3 }), RangeError, /entryBytes 3 is not one of 1, 2, 4, 8/);
    rejects(variant(tiny8, { addressing: 'signed' }), RangeError, /addressing "signed" is not/);
  });

  test('one to five levels (four on ARM64), each well formed, the last mapping pages', () => {
    const pt = { name: 'PT', indexBits: 1, leaf: true };
    rejects(variant(tiny8, { levels: 'PD, PT' }), TypeError, /levels must be an array/);
    rejects(variant(tiny8, { levels: [] }), RangeError, /levels has 0 entries; a walk reads 1 to 5 levels/);
    rejects(
      variant(tiny8, { levels: Array.from({ length: 6 }, () => pt) }),
      RangeError,
      /levels has 6 entries; a walk reads 1 to 5 levels \(MAX_LEVELS\)/,
    );
    const five = Array.from({ length: 5 }, (_, i) => ({ name: `L${i}`, indexBits: 9, leaf: i > 1 }));
    expect(() => validatePagingFormat(variant(x86_64, { levels: five }))).not.toThrow(); // 5-level paging
    rejects(
      variant(arm64, { levels: five }),
      RangeError,
      /levels has 5 entries; a walk reads 1 to 4 levels on ARM64/,
    );
    rejects(variant(tiny8, { levels: [null, pt] }), TypeError, /levels\[0\] must be an object; got null/);
    rejects(
      variant(tiny8, { levels: [{ ...pt, name: '' }, pt] }),
      TypeError,
      /levels\[0\].name must be a non-empty/,
    );
    rejects(
      variant(tiny8, { levels: [{ ...pt, indexBits: 0 }, pt] }),
      RangeError,
      /levels\[0\].indexBits 0 is not in 1..30/,
    );
    rejects(
      variant(tiny8, { levels: [{ ...pt, leaf: 1 }, pt] }),
      TypeError,
      /levels\[0\].leaf must be a boolean; got 1/,
    );
    rejects(
      variant(tiny8, { levels: [pt, { ...pt, leaf: false }] }),
      RangeError,
      /levels\[1\].leaf is false, but the last level \(PT\) always maps pages/,
    );
  });

  test('a table below the root fits in a page; the root may be smaller or span several', () => {
    // 64 two-byte entries in a 64-byte page.
    const levels = (pd: number, pt: number) => [
      { name: 'PD', indexBits: pd, leaf: true },
      { name: 'PT', indexBits: pt, leaf: true },
    ];
    rejects(
      variant(tiny16, { levels: levels(5, 6) }),
      RangeError,
      /levels\[1\] \(PT\) has 2\^6 entries of 2 bytes: a 128-byte table does not fit in a 64-byte page, and only the root table may span several pages/,
    );
    expect(() => validatePagingFormat(variant(tiny16, { levels: levels(7, 5) }))).not.toThrow(); // a 256-byte root
    expect(() => validatePagingFormat(variant(tiny16, { levels: levels(1, 5) }))).not.toThrow(); // a 4-byte root
    rejects(
      variant(x86_64, { levels: [{ name: 'PML4', indexBits: 29, leaf: false }, ...x86_64.levels.slice(1)] }),
      RangeError,
      /levels\[0\] \(PML4\): a 4294967296-byte table exceeds any installable memory/,
    );
  });

  test('at most 64 address bits, and leaves of at most 1 GiB', () => {
    const wide = [{ name: 'L0', indexBits: 30, leaf: false }, ...x86_64.levels.slice(1)];
    rejects(
      variant(x86_64, { entryBytes: 1, levels: wide }),
      RangeError,
      /add up to 69 address bits, more than 64/,
    );
    rejects(
      variant(x86_64, { levels: [{ name: 'PML4', indexBits: 9, leaf: true }, ...x86_64.levels.slice(1)] }),
      RangeError,
      /levels\[0\] \(PML4\).leaf: a leaf there would map 549755813888 bytes; leaves map at most 1073741824 \(1 GiB\)/,
    );
  });

  test('the frame field lies inside the entry, its installable frame numbers in the low half', () => {
    rejects(variant(tiny8, { frame: 5 }), TypeError, /frame must be \{ shift, width \}; got 5/);
    rejects(
      variant(tiny8, { frame: { shift: 5, width: 'three' } }),
      TypeError,
      /frame.width must be an integer/,
    );
    rejects(
      variant(tiny8, { frame: { shift: -1, width: 3 } }),
      RangeError,
      /frame \{ shift: -1, width: 3 \} needs shift ≥ 0/,
    );
    rejects(variant(tiny8, { frame: { shift: 5, width: 0 } }), RangeError, /needs shift ≥ 0 and width ≥ 1/);
    rejects(
      variant(tiny8, { frame: { shift: 5, width: 4 } }),
      RangeError,
      /frame \(bits 5..8\) goes beyond a 1-byte entry \(bits 0..7\)/,
    );
    rejects(
      variant(x86_64, { frame: { shift: 20, width: 32 }, physAddrBits: 40 }),
      RangeError,
      /frame starts at bit 20: frame numbers of up to 19 bits .* must fit in the entry's low 32 bits/,
    );
  });

  test('physAddrBits lies between the page offset and what the frame field can address', () => {
    rejects(variant(tiny8, { physAddrBits: 'eight' }), TypeError, /physAddrBits must be an integer/);
    rejects(variant(tiny8, { physAddrBits: 5 }), RangeError, /physAddrBits 5 must be above pageShift \(5\)/);
    rejects(
      variant(x86_64, { physAddrBits: 53 }),
      RangeError,
      /physAddrBits 53 must be above pageShift \(12\) and at most pageShift \+ frame.width \(52\)/,
    );
  });
});

describe('validatePagingFormat: flags', () => {
  test('every flag is given, as a bit or NOT_MODELLED', () => {
    rejects(variant(tiny8, { bits: null }), TypeError, /bits must be an object; got null/);
    const { user: _, ...noUser } = tiny8.bits;
    rejects(
      variant(tiny8, { bits: noUser }),
      TypeError,
      /bits.user is missing; a format without this flag says NOT_MODELLED/,
    );
    rejects(
      withBits(tiny8, { user: { lo: -1, hi: 0 } }),
      TypeError,
      /bits.user must be entry bits \{ lo, hi \}/,
    );
    rejects(withBits(tiny8, { user: 4 }), TypeError, /bits.user must be entry bits/);
  });

  test('an empty mask is refused: a missing flag is NOT_MODELLED, not NO_BITS', () => {
    rejects(
      withBits(tiny8, { user: NO_BITS }),
      RangeError,
      /bits.user is empty \(NO_BITS\); a format without this flag says NOT_MODELLED/,
    );
    rejects(
      withBits(tiny8, { present: NO_BITS }),
      RangeError,
      /bits.present is empty \(NO_BITS\); it decides whether an entry is valid/,
    );
  });

  test('the flags that decide validity and kind cannot be NOT_MODELLED', () => {
    rejects(withBits(tiny8, { present: NOT_MODELLED }), RangeError, /bits.present cannot be NOT_MODELLED/);
    rejects(withBits(riscvSv39, { read: NOT_MODELLED }), RangeError, /bits.read cannot be NOT_MODELLED/);
    rejects(
      withBits(arm64, { tableOrPage: NOT_MODELLED }),
      RangeError,
      /bits.tableOrPage cannot be NOT_MODELLED/,
    );
  });

  test('a flag is one bit, inside the entry, in the half the walker tests', () => {
    rejects(
      withBits(tiny8, { user: bits(2, 3) }),
      RangeError,
      /bits.user has 2 bits set \(2, 3\); a flag is one bit/,
    );
    rejects(
      withBits(tiny16, { user: bit(20) }),
      RangeError,
      /bits.user is bit 20, beyond a 2-byte entry \(bits 0..15\)/,
    );
    rejects(
      withBits(x86_64, { user: bit(52) }),
      RangeError,
      /bits.user is bit 52; the walker tests it in the entry's low half/,
    );
    rejects(
      withBits(arm64, { pxn: bit(5) }),
      RangeError,
      /bits.pxn is bit 5; the walker tests it in the entry's high half/,
    );
    // NX may sit in either half.
    expect(() => validatePagingFormat(withBits(x86_64, { noExecute: bit(11) }))).not.toThrow();
  });

  test('no flag shares a bit with the frame field (x86 PAT of a huge leaf excepted) or another flag', () => {
    // The frame field over the present bit.
    rejects(
      variant(tiny8, { frame: { shift: 0, width: 3 }, physAddrBits: 8 }),
      RangeError,
      /frame \(bits 0..2\) overlaps bits.present \(bit 0\)/,
    );
    rejects(
      withBits(x86_64, { global: bit(20) }),
      RangeError,
      /frame \(bits 12..51\) overlaps bits.global \(bit 20\)/,
    );
    expect(x86_64.bits.hugePat).toEqual(bit(12)); // inside the frame field, by design
    rejects(
      withBits(tiny8, { writable: bit(0) }),
      RangeError,
      /bits.writable \(bit 0\) is also bits.present/,
    );
  });

  test('x86 protection keys and RISC-V reserved bits stay clear of the frame and the flags', () => {
    rejects(
      variant(x86_64, { protectionKey: { shift: 60, width: 4 } }),
      RangeError,
      /protectionKey overlaps bits.noExecute \(bit 63\)/,
    );
    rejects(
      variant(x86_64, { protectionKey: { shift: 48, width: 4 } }),
      RangeError,
      /protectionKey \(bits 48, 49, 50, 51\) overlaps frame/,
    );
    rejects(
      variant(x86_64, { protectionKey: { shift: 62, width: 4 } }),
      RangeError,
      /protectionKey \(bits 62..65\) goes beyond a 8-byte entry/,
    );
    rejects(variant(x86_64, { pageSizeNeedsPse: 'no' }), TypeError, /pageSizeNeedsPse must be a boolean/);
    rejects(
      withBits(riscvSv39, { reserved: union(bits(54, 63), bit(0)) }),
      RangeError,
      /bits.reserved overlaps bits.valid \(bit 0\)/,
    );
    rejects(
      withBits(riscvSv39, { reserved: bits(50, 63) }),
      RangeError,
      /bits.reserved \(bits 50, .*\) overlaps frame/,
    );
    rejects(
      variant(riscvSv39, {
        entryBytes: 4,
        frame: { shift: 10, width: 22 },
        physAddrBits: 34,
        bits: { ...riscvSv39.bits },
      }),
      RangeError,
      /bits.reserved has bits 54, 55, .* beyond a 4-byte entry/,
    );
    expect(() => validatePagingFormat(withBits(riscvSv39, { reserved: NO_BITS }))).not.toThrow();
  });
});

describe('everything that uses a descriptor checks it first', () => {
  const broken = variant(tiny8, { frame: { shift: 0, width: 3 } }) as PagingFormat;
  const memory = new PhysicalMemory({ frames: 8, pageSize: 32 });
  test.each([
    ['the MMU', () => new Mmu({ format: broken, memory })],
    ['the editor', () => new PageTableEditor(memory, broken, () => 1)],
    ['the dump', () => dumpPageTables(broken, memory, 0)],
    ['encodeEntry', () => encodeEntry(broken, 1, { kind: 'leaf', pfn: 1 })],
    ['decodeEntry', () => decodeEntry(broken, 1, 0n)],
    ['entryFlags', () => entryFlags(broken)],
  ])('%s', (_, use) => {
    expect(use).toThrow(/paging format "test": frame \(bits 0..2\) overlaps bits.present/);
  });
});
