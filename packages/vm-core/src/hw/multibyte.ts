/**
 * Accesses wider than a byte, as the CPU makes them: little-endian, each
 * byte translated on its own (an access may cross into the next page), and
 * every translation done before anything is read or stored, so that a fault
 * on the second page leaves nothing half done.
 */
import { Access, type Privilege } from './access.ts';
import type { PageFault } from './fault.ts';
import type { Mmu } from './mmu.ts';

export function readBytes(mmu: Mmu, va: number, size: 1 | 2 | 4, privilege: Privilege): number | PageFault {
  const bytes = mmu.memory.bytes;
  const first = mmu.translate(va, Access.Read, privilege);
  if (typeof first !== 'number') return first;
  let value = bytes[first]!;
  for (let i = 1; i < size; i++) {
    const pa = mmu.translate(va + i, Access.Read, privilege);
    if (typeof pa !== 'number') return pa;
    value |= bytes[pa]! << (8 * i);
  }
  return value >>> 0;
}

export function writeBytes(
  mmu: Mmu,
  va: number,
  size: 1 | 2 | 4,
  value: number,
  privilege: Privilege,
): PageFault | null {
  const bytes = mmu.memory.bytes;
  const pas: number[] = [];
  for (let i = 0; i < size; i++) {
    const pa = mmu.translate(va + i, Access.Write, privilege);
    if (typeof pa !== 'number') return pa;
    pas.push(pa);
  }
  for (let i = 0; i < size; i++) bytes[pas[i]!] = (value >>> (8 * i)) & 0xff;
  return null;
}
