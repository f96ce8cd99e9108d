/**
 * x86 32-bit paging (Intel SDM Vol. 3A §4.3, Tables 4-4..4-6): a page
 * directory and page tables of 1024 four-byte entries; with CR4.PSE = 1 a PDE
 * with PS = 1 maps a 4 MiB page. No XD bit: every readable page is executable
 * unless SMEP forbids it. The modelled CPU has MAXPHYADDR = 32 (no PSE-36),
 * so bits 21:13 of a 4 MiB PDE are reserved.
 */
import { NOT_MODELLED } from '../entry-bits.ts';
import type { X86Format } from '../paging-format.ts';
import { x86FlagBits } from './x86-flags.ts';

export const x86_32 = {
  id: 'x86-32',
  title: 'x86 32-bit paging (2-level, 4 MiB PSE pages)',
  family: 'x86',
  pageShift: 12,
  entryBytes: 4,
  levels: [
    { name: 'PD', indexBits: 10, leaf: true },
    { name: 'PT', indexBits: 10, leaf: true },
  ],
  addressing: 'unsigned',
  physAddrBits: 32,
  frame: { shift: 12, width: 20 },
  bits: { ...x86FlagBits, noExecute: NOT_MODELLED },
  protectionKey: null,
  pageSizeNeedsPse: true,
} satisfies X86Format;
