/**
 * The page walker's write-back of accessed and dirty state: after a walk
 * that succeeded, the flags it found clear are set in the entries in memory,
 * as the hardware's locked update does — only then is the TLB filled.
 *
 *   x86     A at every level of the walk, D in the leaf on a write
 *           (Intel SDM Vol. 3A §4.8)
 *   RISC-V  A in the leaf, and D on a store, when the hart updates them
 *           itself (Svadu; Privileged Spec §4.3.2 step 7) — under Svade the
 *           walk faults instead and nothing reaches here
 *   ARM64   AF in the leaf with hardware Access flag management, and with
 *           dirty-state management (DBM) the first write to a writable-clean
 *           page clears AP[2] (ARM ARM D8.4.6, FEAT_HAFDBS)
 */
import { formatHex } from './address.ts';
import type { CompiledFormat } from './compiled-format.ts';
import { toBigInt } from './entry-bits.ts';
import type { HwListener } from './events.ts';
import type { PhysicalMemory } from './physical-memory.ts';
import type { WalkResult } from './walk.ts';

/**
 * Sets the accessed flags `w` asks for and, on a write, the leaf's dirty
 * state, storing each changed entry back to memory; `listener` (if any) sees
 * one 'ad-update' per entry that changed.
 */
export function commitAccessedDirty(
  c: CompiledFormat,
  mem: PhysicalMemory,
  va: number,
  w: WalkResult,
  write: boolean,
  listener: HwListener | null,
  cpu: number,
): void {
  const family = c.format.family;
  // The real bits, 0 where the format does not model them (compiled-format.ts).
  const bits = c.commit;
  const eb = c.entryBytes;
  const first = family === 'x86' ? 0 : w.leafLevel;
  for (let level = first; level <= w.leafLevel; level++) {
    const pa = w.entryPa[level]!;
    const lo = mem.entryLo(pa, eb);
    const hi = mem.entryHi(pa, eb);
    let newLo = lo;
    const newHi = hi;
    const isLeaf = level === w.leafLevel;
    switch (family) {
      case 'x86':
        newLo |= bits.accessed;
        if (isLeaf && write && w.setDirty) newLo |= bits.dirty;
        break;
      case 'riscv':
        if (w.setAccessed) newLo |= bits.accessed;
        if (write && w.setDirty) newLo |= bits.dirty;
        break;
      case 'arm64':
        if (w.setAccessed) newLo |= bits.accessed;
        // DBM: the first write to a writable-clean page clears AP[2].
        if (write && w.setDirty) newLo &= ~bits.readOnly;
        break;
    }
    newLo >>>= 0;
    if (newLo === lo && newHi === hi) continue;
    mem.storeEntry(pa, eb, newLo, newHi);
    if (listener !== null) {
      listener({
        type: 'ad-update',
        cpu,
        va,
        level,
        entryPa: pa,
        before: formatHex(toBigInt(lo, hi), eb),
        after: formatHex(toBigInt(newLo, newHi), eb),
        accessed: true,
        dirty: isLeaf && write && w.setDirty,
      });
    }
  }
}
