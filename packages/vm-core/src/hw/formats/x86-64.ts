/**
 * x86-64 4-level paging (Intel SDM Vol. 3A §4.5, Tables 4-14..4-20): 48-bit
 * canonical linear addresses, PML4 → PDPT → PD → PT with 512 eight-byte
 * entries each, 1 GiB pages at the PDPT and 2 MiB pages at the PD (PS = 1).
 */
import { bit } from '../entry-bits.ts';
import type { X86Format } from '../paging-format.ts';
import { x86FlagBits } from './x86-flags.ts';

export const x86_64 = {
  id: 'x86-64',
  title: 'x86-64 4-level paging (48-bit)',
  family: 'x86',
  pageShift: 12,
  entryBytes: 8,
  levels: [
    { name: 'PML4', indexBits: 9, leaf: false },
    { name: 'PDPT', indexBits: 9, leaf: true },
    { name: 'PD', indexBits: 9, leaf: true },
    { name: 'PT', indexBits: 9, leaf: true },
  ],
  addressing: 'sign-extended',
  // A common MAXPHYADDR; bits 51:46 of every entry are then reserved.
  physAddrBits: 46,
  frame: { shift: 12, width: 40 },
  bits: { ...x86FlagBits, noExecute: bit(63) },
  protectionKey: { shift: 59, width: 4 },
  pageSizeNeedsPse: false,
} satisfies X86Format;
