import { describe, expect, test } from 'vitest';
import { decodeEntry, entryFlags } from './entry.ts';
import { arm64, riscvSv39, tiny8, x86_32, x86_64 } from './formats/index.ts';

describe('entryFlags', () => {
  test('names each format’s flags at the descriptor’s bit positions, low bit first', () => {
    const at = (f: Parameters<typeof entryFlags>[0]) => entryFlags(f).map((x) => `${x.name}@${x.bit}`);
    expect(at(x86_64)).toEqual(['P@0', 'W@1', 'U@2', 'A@5', 'D@6', 'PS@7', 'G@8', 'NX@63']);
    expect(at(x86_32)).toEqual(['P@0', 'W@1', 'U@2', 'A@5', 'D@6', 'PS@7', 'G@8']); // no XD on 32-bit paging
    expect(at(tiny8)).toEqual(['P@0', 'W@1', 'U@2', 'A@3', 'D@4']);
    expect(at(riscvSv39)).toEqual(['V@0', 'R@1', 'W@2', 'X@3', 'U@4', 'G@5', 'A@6', 'D@7']);
    expect(at(arm64)).toContain('DBM@51');
    expect(at(arm64)).toContain('APTable[1]@62');
  });

  test('decodeEntry names exactly these flags', () => {
    for (const format of [x86_64, x86_32, tiny8, riscvSv39, arm64]) {
      const decoded = decodeEntry(format, format.levels.length - 1, 0x3n);
      expect(Object.keys(decoded.flags)).toEqual(entryFlags(format).map((f) => f.name));
    }
  });
});
