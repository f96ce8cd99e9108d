/**
 * What every case assumes of the Linux it runs on, checked against the
 * probe's boot line: a kernel that differs here would give results that
 * say nothing about the simulator (huge pages would change every fault
 * count; randomisation every address).
 */
import { layouts } from '@faultline/vm-core';

const EXPECTED: readonly {
  readonly fact: string;
  readonly holds: (value: unknown) => boolean;
  readonly wanted: string;
}[] = [
  { fact: 'machine', holds: (v) => v === 'x86_64', wanted: 'x86_64' },
  { fact: 'page_size', holds: (v) => v === 4096, wanted: '4096' },
  // With 256 MB the kernel leaves transparent huge pages off (mm/huge_memory.c, hugepage_init).
  {
    fact: 'thp',
    holds: (v) => v === null || (typeof v === 'string' && v.includes('[never]')),
    wanted: '[never]',
  },
  { fact: 'randomize_va_space', holds: (v) => v === 0, wanted: '0 (norandmaps)' },
  // The simulator's vm.mmap_min_addr: Debian's default on amd64.
  {
    fact: 'mmap_min_addr',
    holds: (v) => v === layouts['x86-64'].mmapMinAddr,
    wanted: String(layouts['x86-64'].mmapMinAddr),
  },
  { fact: 'files_fs', holds: (v) => v === 'tmpfs', wanted: 'tmpfs' },
];

/** The preconditions the boot line breaks, in words (empty: all hold). */
export function brokenPreconditions(boot: Readonly<Record<string, unknown>>): string[] {
  return EXPECTED.filter((e) => !e.holds(boot[e.fact])).map(
    (e) => `Linux's ${e.fact} is ${JSON.stringify(boot[e.fact] ?? null)}, the cases assume ${e.wanted}`,
  );
}
