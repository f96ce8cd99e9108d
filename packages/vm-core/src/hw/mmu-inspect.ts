/**
 * The walk without side effects, for debuggers and the visualiser (after
 * v86's debugger walk): the same walk the MMU does, reported step by step,
 * with no A/D update, no TLB fill and no events.
 */
import { Access, type Privilege } from './access.ts';
import type { CompiledFormat } from './compiled-format.ts';
import type { ControlState } from './control.ts';
import { type DecodedEntry, decodeEntry } from './entry.ts';
import { toBigInt } from './entry-bits.ts';
import type { PageFault } from './fault.ts';
import { Perm, type PermissionTable } from './permissions.ts';
import type { PhysicalMemory } from './physical-memory.ts';
import { assertAddress } from './translation-fault.ts';
import { WalkResult, walk } from './walk.ts';

export interface RightsView {
  readonly read: boolean;
  readonly write: boolean;
  readonly user: boolean;
  readonly userExec: boolean;
  readonly supervisorExec: boolean;
  readonly dirty: boolean;
}

export interface InspectedStep {
  readonly level: number;
  readonly levelName: string;
  readonly entryPa: number;
  readonly entry: DecodedEntry;
}

export type InspectOutcome =
  | {
      readonly kind: 'translated';
      readonly pa: number;
      readonly pageSize: number;
      readonly global: boolean;
      readonly rights: RightsView;
    }
  | { readonly kind: 'fault'; readonly fault: PageFault };

export interface Inspection {
  readonly va: number;
  readonly steps: readonly InspectedStep[];
  readonly outcome: InspectOutcome;
}

/** Walks for `va` as the MMU would and reports every step; `toFault` builds the fault a failed walk raises. */
export function inspectWalk(
  c: CompiledFormat,
  memory: PhysicalMemory,
  state: ControlState,
  permTable: PermissionTable,
  va: number,
  access: Access,
  privilege: Privilege,
  toFault: (w: WalkResult) => PageFault,
): Inspection {
  assertAddress(va);
  const format = c.format;
  const w = new WalkResult();
  walk(c, memory, state, permTable, va, access, privilege, w);
  const steps: InspectedStep[] = [];
  for (let level = 0; level < w.steps; level++) {
    steps.push({
      level,
      levelName: format.levels[level]!.name,
      entryPa: w.entryPa[level]!,
      entry: decodeEntry(format, level, toBigInt(w.entryLo[level]!, w.entryHi[level]!)),
    });
  }
  if (!w.ok) return { va, steps, outcome: { kind: 'fault', fault: toFault(w) } };
  const p = w.perm;
  return {
    va,
    steps,
    outcome: {
      kind: 'translated',
      pa: w.pa,
      pageSize: c.leafSpan[w.leafLevel]!,
      global: w.global,
      rights: {
        read: (p & Perm.Read) !== 0,
        write: (p & Perm.Write) !== 0,
        user: (p & Perm.User) !== 0,
        userExec: (p & Perm.UserExec) !== 0,
        supervisorExec: (p & Perm.SupervisorExec) !== 0,
        // A write access already counts as dirtying in the walk result.
        dirty: (p & Perm.Dirty) !== 0 && !(access === Access.Write && w.setDirty),
      },
    },
  };
}
