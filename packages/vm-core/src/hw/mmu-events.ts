/**
 * The events an MMU shows a listener (events.ts defines them): built only
 * when someone listens — every caller checks for a listener first, so with
 * none attached neither translation path allocates.
 */
import { type Access, accessName, type Privilege, privilegeName } from './access.ts';
import { formatHex } from './address.ts';
import type { CompiledFormat } from './compiled-format.ts';
import { toBigInt } from './entry-bits.ts';
import type { HwListener } from './events.ts';
import type { WalkResult } from './walk.ts';

/** One listener standing for all of `listeners` (null for none), each called in subscription order. */
export function combineListeners(listeners: readonly HwListener[]): HwListener | null {
  const all = listeners.slice();
  if (all.length === 0) return null;
  if (all.length === 1) return all[0]!;
  return (e) => {
    for (const l of all) l(e);
  };
}

/** The access itself: one byte at `pa`. */
export function emitAccess(
  l: HwListener,
  cpu: number,
  va: number,
  pa: number,
  access: Access,
  privilege: Privilege,
): void {
  l({
    type: 'access',
    cpu,
    va,
    pa,
    access: accessName(access),
    privilege: privilegeName(privilege),
    size: 1,
  });
}

/** The entries a walk read, root first. */
export function emitWalkSteps(
  l: HwListener,
  cpu: number,
  c: CompiledFormat,
  va: number,
  w: WalkResult,
): void {
  for (let level = 0; level < w.steps; level++) {
    l({
      type: 'walk-step',
      cpu,
      va,
      level,
      levelName: c.format.levels[level]!.name,
      entryPa: w.entryPa[level]!,
      entry: formatHex(toBigInt(w.entryLo[level]!, w.entryHi[level]!), c.entryBytes),
    });
  }
}

/** A TLB entry written for the page of `va` at `index`; `evicted` is the tag it displaced (NaN: none). */
export function emitFill(
  l: HwListener,
  cpu: number,
  va: number,
  pageMask: number,
  w: WalkResult,
  asid: number,
  index: number,
  evicted: number,
): void {
  l({
    type: 'tlb-fill',
    cpu,
    va,
    pageVa: va - (va & pageMask),
    pagePa: w.pagePa,
    asid,
    global: w.global,
    index,
    evictedPageVa: Number.isNaN(evicted) ? null : evicted,
  });
}
