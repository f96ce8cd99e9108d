/**
 * `faultline conformance`: every case on the simulator and on Linux —
 * booted now under QEMU when this machine can, else the committed results —
 * compared step by step. It fails on a new difference, on a case or probe
 * edited since Linux's results were recorded, on a known difference that no
 * longer shows, and on either side failing to run a case.
 */
import { CASES_DIR, type ConformanceCase, loadCases } from './case-file.ts';
import { type ComparedCase, compareCase, staleKnownPlaces } from './compare.ts';
import { CaseError } from './errors.ts';
import { KnownList, loadKnownDifferences } from './known-differences.ts';
import { findLinuxToolchain, runOnLinux } from './linux/index.ts';
import { observeOnLinux, type ProbeLines } from './linux-side.ts';
import type { ObservedStep } from './observation.ts';
import { brokenPreconditions } from './preconditions.ts';
import { programOf } from './program.ts';
import { loadRecorded, readProbeSource, saveRecorded, sourceHash } from './recorded.ts';
import { observeOnSimulator } from './simulator.ts';

/** QEMU's emulation differs from hardware in a few corners; more than this many skips hides too much. */
export const MAX_SKIPS = 5;

export interface SuiteOptions {
  /** "live": boot Linux now (fails without QEMU); "recorded": the committed results; "auto": live when possible. */
  readonly linux: 'auto' | 'live' | 'recorded';
  /** After a live run, write its results as the committed ones. */
  readonly record?: boolean;
  /** Only these case ids. */
  readonly only?: readonly string[];
  readonly casesDir?: string;
  readonly knownFile?: string;
  readonly recordedFile?: string;
  readonly log?: (line: string) => void;
}

export interface LinuxSource {
  readonly kind: 'live' | 'recorded';
  /** The kernel release the results come from. */
  readonly kernel: string;
  /** Why it is this source (e.g. what is missing for a live run). */
  readonly why: string;
}

export interface Counts {
  readonly cases: number;
  readonly steps: number;
  readonly agree: number;
  readonly known: number;
  readonly skipped: number;
  readonly new: number;
}

export interface SuiteResult {
  readonly linux: LinuxSource;
  readonly cases: readonly ComparedCase[];
  readonly counts: Counts;
  /** Everything that makes the run fail, in words (empty: it passes). */
  readonly problems: readonly string[];
  /** What the reader should know but does not fail the run (e.g. a newer kernel than the recorded one). */
  readonly notes: readonly string[];
}

export async function runConformance(options: SuiteOptions): Promise<SuiteResult> {
  const log = options.log ?? (() => undefined);
  const known = loadKnownDifferences(options.knownFile);
  const list = new KnownList(known);
  let cases = loadCases(options.casesDir ?? CASES_DIR);
  if (options.only !== undefined && options.only.length > 0) {
    const unknown = options.only.filter((id) => !cases.some((c) => c.id === id));
    if (unknown.length > 0) throw new CaseError(`no case ${unknown.map((id) => `"${id}"`).join(', ')}`);
    cases = cases.filter((c) => options.only!.includes(c.id));
  }
  const probe = readProbeSource();
  const programs = cases.map((c) => ({ id: c.id, text: programOf(c) }));
  const hashes = new Map(programs.map((p) => [p.id, sourceHash(probe, p.text)]));
  const problems: string[] = [];
  const notes: string[] = [];
  const recorded = loadRecorded(options.recordedFile);

  const toolchain = options.linux === 'recorded' ? null : findLinuxToolchain();
  let source: LinuxSource;
  let linuxLines: ReadonlyMap<string, ProbeLines>;
  if (toolchain?.ok) {
    log(`booting Linux under QEMU (${toolchain.kernel}) for ${programs.length} cases…`);
    const run = await runOnLinux(programs, toolchain, { log });
    const kernel = String(run.boot.kernel ?? 'unknown');
    source = { kind: 'live', kernel, why: 'QEMU and a kernel are installed here' };
    linuxLines = run.cases;
    problems.push(...brokenPreconditions(run.boot));
    if (options.record) {
      const merged = new Map(Object.entries(recorded?.cases ?? {}));
      for (const p of programs)
        merged.set(p.id, { hash: hashes.get(p.id)!, lines: [...(run.cases.get(p.id) ?? [])] });
      for (const id of merged.keys())
        if (!cases.some((c) => c.id === id) && options.only === undefined) merged.delete(id);
      saveRecorded(run.boot, merged, options.recordedFile);
      log(`recorded Linux's results for ${programs.length} cases`);
    } else if (recorded !== null) {
      const recordedKernel = String(recorded.boot.kernel);
      if (recordedKernel !== kernel)
        notes.push(
          `Linux ${kernel} ran here; the committed results are from ${recordedKernel}, so a difference between the two is not checked`,
        );
      problems.push(...liveAgainstRecorded(cases, run.cases, recorded, hashes, kernel));
    }
  } else {
    if (options.linux === 'live' && toolchain !== null && !toolchain.ok)
      throw new CaseError(`cannot boot Linux here: missing ${toolchain.missing.join('; ')}`);
    if (recorded === null)
      throw new CaseError('no recorded Linux results (linux-results.json): run with --record');
    const why =
      toolchain === null
        ? 'asked for the recorded results'
        : `QEMU cannot run here (missing ${toolchain.ok ? '' : toolchain.missing.join('; ')}), so this compares with the committed results`;
    source = { kind: 'recorded', kernel: String(recorded.boot.kernel ?? 'unknown'), why };
    problems.push(...brokenPreconditions(recorded.boot));
    const lines = new Map<string, ProbeLines>();
    for (const c of cases) {
      const r = recorded.cases[c.id];
      if (r === undefined)
        problems.push(`${c.id}: Linux's results were never recorded: run \`faultline conformance --record\``);
      else if (r.hash !== hashes.get(c.id))
        problems.push(
          `${c.id}: the case or the probe changed since Linux's results were recorded: run \`faultline conformance --record\``,
        );
      else lines.set(c.id, r.lines);
    }
    linuxLines = lines;
  }

  const compared: ComparedCase[] = [];
  for (const c of cases) {
    const lines = linuxLines.get(c.id);
    if (lines === undefined) continue; // reported above
    const result = compareCase(c.id, c.title, observeOnSimulator(c), observeOnLinux(c, lines), list);
    if (result.failure !== null) problems.push(`${c.id}: ${result.failure}`);
    compared.push(result);
  }

  const steps = compared.flatMap((c) => c.steps);
  const counts: Counts = {
    cases: compared.length,
    steps: steps.length,
    agree: steps.filter((s) => s.verdict === 'agree').length,
    known: steps.filter((s) => s.verdict === 'known').length,
    skipped: steps.filter((s) => s.verdict === 'skipped').length,
    new: steps.filter((s) => s.verdict === 'new').length,
  };
  for (const s of steps) {
    if (s.verdict !== 'new') continue;
    for (const d of s.differences.filter((x) => x.known === null))
      problems.push(
        `${s.caseId} step ${s.step} (${s.op}): new difference in ${d.field}: simulator ${d.simulator}, Linux ${d.linux}`,
      );
  }
  if (options.only === undefined || options.only.length === 0) {
    for (const stale of staleKnownPlaces(compared, known))
      problems.push(`known-differences.yaml is stale: ${stale} (the simulator was fixed? remove the place)`);
  }
  if (counts.skipped > MAX_SKIPS)
    problems.push(`${counts.skipped} steps skipped as QEMU artefacts; at most ${MAX_SKIPS} may be`);
  return { linux: source, cases: compared, counts, problems, notes };
}

/**
 * A live run must reproduce what was recorded (same observations, same
 * kernel): otherwise the committed results no longer say what Linux does.
 */
function liveAgainstRecorded(
  cases: readonly ConformanceCase[],
  live: ReadonlyMap<string, ProbeLines>,
  recorded: NonNullable<ReturnType<typeof loadRecorded>>,
  hashes: ReadonlyMap<string, string>,
  kernel: string,
): string[] {
  const problems: string[] = [];
  const sameKernel = String(recorded.boot.kernel) === kernel;
  for (const c of cases) {
    const r = recorded.cases[c.id];
    if (r === undefined || r.hash !== hashes.get(c.id)) {
      problems.push(
        `${c.id}: Linux's recorded results are missing or stale: run \`faultline conformance --record\``,
      );
      continue;
    }
    const now = observeOnLinux(c, live.get(c.id) ?? []).steps;
    const then = observeOnLinux(c, r.lines).steps;
    const diff = firstDifference(now, then);
    if (diff !== null && sameKernel)
      problems.push(
        `${c.id}: Linux ${kernel} now shows ${diff}, not what was recorded: the probe is not reproducible`,
      );
  }
  return problems;
}

function firstDifference(now: readonly ObservedStep[], then: readonly ObservedStep[]): string | null {
  for (let i = 0; i < Math.max(now.length, then.length); i++) {
    const a = JSON.stringify(now[i]?.fields ?? null);
    const b = JSON.stringify(then[i]?.fields ?? null);
    if (a !== b) return `at step ${now[i]?.step ?? then[i]?.step}: ${a} (recorded ${b})`;
  }
  return null;
}
