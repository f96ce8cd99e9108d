/**
 * RISC-V Sv39 (Privileged Spec §4.4 / §4.3.1 PTE format): three levels of 512
 * eight-byte PTEs, 39-bit virtual addresses whose bits 63:39 must copy bit 38.
 * A PTE is a leaf when any of R/W/X is set, at any level (1 GiB gigapages,
 * 2 MiB megapages). W without R is reserved.
 */
import { bit, bits, union } from '../entry-bits.ts';
import type { RiscvFormat } from '../paging-format.ts';

export const riscvSv39 = {
  id: 'riscv-sv39',
  title: 'RISC-V Sv39 (3-level, 39-bit)',
  family: 'riscv',
  pageShift: 12,
  entryBytes: 8,
  levels: [
    { name: 'VPN[2]', indexBits: 9, leaf: true },
    { name: 'VPN[1]', indexBits: 9, leaf: true },
    { name: 'VPN[0]', indexBits: 9, leaf: true },
  ],
  addressing: 'sign-extended',
  physAddrBits: 56,
  frame: { shift: 10, width: 44 },
  bits: {
    valid: bit(0),
    read: bit(1),
    write: bit(2),
    execute: bit(3),
    user: bit(4),
    global: bit(5),
    accessed: bit(6),
    dirty: bit(7),
    // Bits 60:54 reserved; PBMT (62:61) and N (63) are reserved too on a hart
    // without Svpbmt/Svnapot, which is the hart we model.
    reserved: union(bits(54, 60), bits(61, 62), bit(63)),
  },
} satisfies RiscvFormat;
