/**
 * The comparison: both sides' observations of a case, step by step and
 * field by field. A field that differs is a known difference when the
 * reviewed list names that very place, else a new one.
 */
import { describePlace, type KnownDifference, type KnownList, keyOf } from './known-differences.ts';
import type { CaseArch, Observation, ObservedRun } from './observation.ts';

export type Verdict = 'agree' | 'known' | 'skipped' | 'new';

export interface FieldDifference {
  readonly field: string;
  readonly simulator: string;
  readonly linux: string;
  /** The known difference that covers it, if any. */
  readonly known: KnownDifference | null;
  /** The list names this place with other values: what it expected there (the difference is new). */
  readonly listed?: { readonly id: string; readonly simulator: string; readonly linux: string };
}

export interface ComparedStep {
  readonly caseId: string;
  readonly step: number;
  readonly op: string;
  readonly verdict: Verdict;
  readonly fields: Observation;
  readonly differences: readonly FieldDifference[];
  /** What each side reported that is shown but not compared (ObservedStep.aside). */
  readonly aside?: { readonly simulator: Observation; readonly linux: Observation };
}

export interface ComparedCase {
  readonly caseId: string;
  readonly title: string;
  readonly steps: readonly ComparedStep[];
  /** A side that could not run the case to its end: nothing after it was compared. */
  readonly failure: string | null;
}

const show = (v: string | number | null | undefined): string =>
  v === undefined ? '(not observed)' : v === null ? 'none' : String(v);

export function compareCase(
  arch: CaseArch,
  caseId: string,
  title: string,
  simulator: ObservedRun,
  linux: ObservedRun,
  known: KnownList,
): ComparedCase {
  const failures: string[] = [
    simulator.failure === null ? null : `simulator: ${simulator.failure}`,
    linux.failure === null ? null : `Linux: ${linux.failure}`,
  ].filter((f) => f !== null);
  const linuxSteps = new Map(linux.steps.map((s) => [s.step, s]));
  const steps: ComparedStep[] = [];
  // A side that ran to its end has every step; a step only one of them has is a failure, not a skip.
  if (failures.length === 0 && simulator.steps.length !== linux.steps.length)
    failures.push(`the simulator reported ${simulator.steps.length} steps, Linux ${linux.steps.length}`);
  for (const sim of simulator.steps) {
    const lin = linuxSteps.get(sim.step);
    if (lin === undefined) continue;
    const names = [...new Set([...Object.keys(sim.fields), ...Object.keys(lin.fields)])];
    if (names.length === 0) continue; // nothing a program sees (a spawn, a fork's return)
    const differences: FieldDifference[] = [];
    for (const field of names) {
      const a = sim.fields[field];
      const b = lin.fields[field];
      if (a === b) continue;
      const [simulatorShows, linuxShows] = [show(a), show(b)];
      const listed = known.at({ arch, case: caseId, step: sim.step, field });
      const matches =
        listed !== undefined &&
        listed.place.simulator === simulatorShows &&
        listed.place.linux === linuxShows;
      differences.push({
        field,
        simulator: simulatorShows,
        linux: linuxShows,
        known: matches ? listed.entry : null,
        ...(listed !== undefined && !matches
          ? { listed: { id: listed.entry.id, simulator: listed.place.simulator, linux: listed.place.linux } }
          : {}),
      });
    }
    steps.push({
      caseId,
      step: sim.step,
      op: sim.op,
      verdict: verdictOf(differences),
      fields: lin.fields,
      differences,
      ...(sim.aside !== undefined || lin.aside !== undefined
        ? { aside: { simulator: sim.aside ?? {}, linux: lin.aside ?? {} } }
        : {}),
    });
  }
  return { caseId, title, steps, failure: failures.length === 0 ? null : failures.join('; ') };
}

function verdictOf(differences: readonly FieldDifference[]): Verdict {
  if (differences.length === 0) return 'agree';
  if (differences.some((d) => d.known === null)) return 'new';
  return differences.every((d) => d.known?.kind === 'qemu') ? 'skipped' : 'known';
}

/** Known differences that name a place on this architecture where both sides now agree (or that no case has): the list is stale there. */
export function staleKnownPlaces(
  arch: CaseArch,
  cases: readonly ComparedCase[],
  list: readonly KnownDifference[],
): string[] {
  const shown = new Set<string>();
  for (const c of cases)
    for (const s of c.steps)
      for (const d of s.differences) shown.add(keyOf({ arch, case: c.caseId, step: s.step, field: d.field }));
  const stale: string[] = [];
  for (const e of list)
    for (const p of e.where)
      if (p.arch === arch && !shown.has(keyOf(p)))
        stale.push(`"${e.id}" names ${describePlace(p)}, where the two sides do not differ`);
  return stale;
}
