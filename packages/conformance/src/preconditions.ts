/**
 * What every case assumes of the Linux it runs on, checked against the
 * probe's boot line: a kernel that differs here would give results that
 * say nothing about the simulator (huge pages would change every fault
 * count; randomisation every address).
 */
import { layouts } from '@faultline/vm-core';
import type { CaseArch } from './observation.ts';

/** uname's machine for each architecture. */
const MACHINES: Readonly<Record<CaseArch, string>> = { 'x86-64': 'x86_64', arm64: 'aarch64' };

const expected = (
  arch: CaseArch,
): readonly {
  readonly fact: string;
  readonly holds: (value: unknown) => boolean;
  readonly wanted: string;
}[] => [
  { fact: 'machine', holds: (v) => v === MACHINES[arch], wanted: MACHINES[arch] },
  { fact: 'page_size', holds: (v) => v === 4096, wanted: '4096' },
  // With 256 MB the kernel leaves transparent huge pages off (mm/huge_memory.c, hugepage_init).
  {
    fact: 'thp',
    holds: (v) => v === null || (typeof v === 'string' && v.includes('[never]')),
    wanted: '[never]',
  },
  { fact: 'randomize_va_space', holds: (v) => v === 0, wanted: '0 (norandmaps)' },
  // The simulator's vm.mmap_min_addr: Debian's default (65536 on amd64; 4096 on arm64, CONFIG_DEFAULT_MMAP_MIN_ADDR).
  {
    fact: 'mmap_min_addr',
    holds: (v) => v === layouts[arch].mmapMinAddr,
    wanted: String(layouts[arch].mmapMinAddr),
  },
  { fact: 'files_fs', holds: (v) => v === 'tmpfs', wanted: 'tmpfs' },
];

/** The preconditions the boot line breaks, in words (empty: all hold). */
export function brokenPreconditions(boot: Readonly<Record<string, unknown>>, arch: CaseArch): string[] {
  return expected(arch)
    .filter((e) => !e.holds(boot[e.fact]))
    .map((e) => `Linux's ${e.fact} is ${JSON.stringify(boot[e.fact] ?? null)}, the cases assume ${e.wanted}`);
}
