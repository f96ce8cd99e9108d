/**
 * Teaching formats: real paging, shrunk until a whole address space fits on a
 * screen. They follow x86's rules (P/W/U/A/D bits, permissions ANDed down the
 * walk, the same page-fault error code), so what a learner sees here is what
 * arch/x86/mm/fault.c sees.
 */
import { bit, NOT_MODELLED } from '../entry-bits.ts';
import type { X86Format } from '../paging-format.ts';

/**
 * tiny8: 32-byte pages, one-byte entries, two levels of 4 entries.
 * 9-bit virtual addresses (16 pages, 512 bytes); 8 frames of physical memory
 * (256 bytes).
 *
 *   entry byte:  7 6 5 | 4 3 2 1 0
 *                 PFN  | D A U W P
 */
export const tiny8 = {
  id: 'tiny8',
  title: 'Teaching: 32-byte pages, 1-byte entries, 2 levels',
  family: 'x86',
  pageShift: 5,
  entryBytes: 1,
  levels: [
    { name: 'PD', indexBits: 2, leaf: false },
    { name: 'PT', indexBits: 2, leaf: true },
  ],
  addressing: 'unsigned',
  physAddrBits: 8,
  frame: { shift: 5, width: 3 },
  bits: {
    present: bit(0),
    writable: bit(1),
    user: bit(2),
    accessed: bit(3),
    dirty: bit(4),
    pageSize: NOT_MODELLED,
    global: NOT_MODELLED,
    noExecute: NOT_MODELLED,
    hugePat: NOT_MODELLED,
  },
  protectionKey: null,
  pageSizeNeedsPse: false,
} satisfies X86Format;

/**
 * tiny16: 64-byte pages, two-byte entries, two levels of 32 entries.
 * 16-bit virtual addresses; up to 256 frames (16 KiB). A PD entry with PS set
 * maps a 2 KiB huge page. NX and global bits as on x86-64.
 *
 *   entry:  15..8 | 7  6 5  4 3 2 1 0
 *           PFN   | NX G PS D A U W P
 */
export const tiny16 = {
  id: 'tiny16',
  title: 'Teaching: 64-byte pages, 2-byte entries, 2 levels, huge pages',
  family: 'x86',
  pageShift: 6,
  entryBytes: 2,
  levels: [
    { name: 'PD', indexBits: 5, leaf: true },
    { name: 'PT', indexBits: 5, leaf: true },
  ],
  addressing: 'unsigned',
  physAddrBits: 14,
  frame: { shift: 8, width: 8 },
  bits: {
    present: bit(0),
    writable: bit(1),
    user: bit(2),
    accessed: bit(3),
    dirty: bit(4),
    pageSize: bit(5),
    global: bit(6),
    noExecute: bit(7),
    hugePat: NOT_MODELLED,
  },
  protectionKey: null,
  pageSizeNeedsPse: false,
} satisfies X86Format;
