/**
 * ARMv8-A VMSAv8-64 stage 1, 4 KiB granule, 48-bit VA (ARM ARM D8.3, "VMSAv8-64
 * translation table descriptor formats"): four levels of 512 descriptors;
 * TTBR0_EL1 translates the low half (bits 63:48 all 0), TTBR1_EL1 the high half
 * (all 1). Blocks: 1 GiB at level 1, 2 MiB at level 2; level 0 cannot be a
 * block with this granule (without FEAT_LPA2).
 */
import { bit } from '../entry-bits.ts';
import type { Arm64Format } from '../paging-format.ts';

export const arm64 = {
  id: 'arm64',
  title: 'ARM64 4K granule, 48-bit VA (TTBR0/TTBR1)',
  family: 'arm64',
  pageShift: 12,
  entryBytes: 8,
  levels: [
    { name: 'L0', indexBits: 9, leaf: false },
    { name: 'L1', indexBits: 9, leaf: true },
    { name: 'L2', indexBits: 9, leaf: true },
    { name: 'L3', indexBits: 9, leaf: true },
  ],
  addressing: 'sign-extended',
  physAddrBits: 48,
  frame: { shift: 12, width: 36 },
  bits: {
    valid: bit(0),
    tableOrPage: bit(1),
    apUser: bit(6),
    apReadOnly: bit(7),
    accessFlag: bit(10),
    notGlobal: bit(11),
    dirtyBitModifier: bit(51),
    pxn: bit(53),
    uxn: bit(54),
    pxnTable: bit(59),
    uxnTable: bit(60),
    apTableNoUser: bit(61),
    apTableReadOnly: bit(62),
  },
} satisfies Arm64Format;
