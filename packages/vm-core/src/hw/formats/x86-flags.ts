/**
 * The flag bits 32-bit and 4-level x86 paging share (Intel SDM Vol. 3A
 * Tables 4-5 and 4-15..4-20): P, R/W, U/S, A, D, PS, G in the low byte and,
 * in a huge leaf, PAT at bit 12. Only XD (bit 63) differs between them.
 */
import { bit } from '../entry-bits.ts';

export const x86FlagBits = {
  present: bit(0),
  writable: bit(1),
  user: bit(2),
  accessed: bit(5),
  dirty: bit(6),
  pageSize: bit(7),
  global: bit(8),
  hugePat: bit(12),
} as const;
