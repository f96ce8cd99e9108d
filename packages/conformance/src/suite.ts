/**
 * `faultline conformance`: every case on the simulator and on Linux —
 * booted now under QEMU when this machine can, else the committed results —
 * compared step by step. It fails on a new difference, on a case or probe
 * edited since Linux's results were recorded, on a known difference that no
 * longer shows, and on either side failing to run a case.
 */
import { readFileSync } from 'node:fs';
import { CASE_ARCHS, CASES_DIR, type ConformanceCase, caseArchs, loadCases } from './case-file.ts';
import { type ComparedCase, compareCase, staleKnownPlaces } from './compare.ts';
import { CaseError } from './errors.ts';
import { KnownList, loadKnownDifferences } from './known-differences.ts';
import { findLinuxToolchain, runOnLinux } from './linux/index.ts';
import { observeOnLinux, type ProbeLines } from './linux-side.ts';
import type { CaseArch, ObservedStep } from './observation.ts';
import { PACKAGE_PATHS } from './paths.ts';
import { brokenPreconditions } from './preconditions.ts';
import { programOf } from './program.ts';
import { loadRecorded, RECORDED_FILES, type RecordedResults, saveRecorded, sourceHash } from './recorded.ts';
import { observeOnSimulator } from './simulator.ts';

/** QEMU's emulation differs from hardware in a few corners; more than this many skips hides too much. */
export const MAX_SKIPS = 5;

export interface SuiteOptions {
  /** The architecture to compare on: the cases that list it, on the simulator and on Linux for it (default x86-64). */
  readonly arch?: CaseArch;
  /** "live": boot Linux now (fails without QEMU); "recorded": the committed results; "auto": live when possible. */
  readonly linux: 'auto' | 'live' | 'recorded';
  /** After a live run, write its results as the committed ones. */
  readonly record?: boolean;
  /** Only these case ids (those of them that list this architecture). */
  readonly only?: readonly string[];
  readonly casesDir?: string;
  readonly knownFile?: string;
  /** Linux's committed results for this architecture (default: linux-results.json, linux-results-arm64.json). */
  readonly recordedFile?: string;
  /** The probe's source (default: linux/probe.c): what Linux's recorded results were made with. */
  readonly probeSourceFile?: string;
  /** The environment to look for QEMU, the kernel and gcc in (default: this process's). */
  readonly linuxEnv?: NodeJS.ProcessEnv;
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
  readonly arch: CaseArch;
  readonly linux: LinuxSource;
  readonly cases: readonly ComparedCase[];
  readonly counts: Counts;
  /** Everything that makes the run fail, in words (empty: it passes). */
  readonly problems: readonly string[];
  /** What the reader should know but does not fail the run (e.g. a newer kernel than the recorded one). */
  readonly notes: readonly string[];
}

export async function runConformance(options: SuiteOptions): Promise<SuiteResult> {
  const arch = options.arch ?? 'x86-64';
  const log = options.log ?? (() => undefined);
  const known = loadKnownDifferences(options.knownFile);
  const list = new KnownList(known);
  let cases = loadCases(options.casesDir ?? CASES_DIR);
  if (options.only !== undefined && options.only.length > 0) {
    const unknown = options.only.filter((id) => !cases.some((c) => c.id === id));
    if (unknown.length > 0) throw new CaseError(`no case ${unknown.map((id) => `"${id}"`).join(', ')}`);
    cases = cases.filter((c) => options.only!.includes(c.id));
  }
  cases = cases.filter((c) => caseArchs(c).includes(arch));
  const probe = readFileSync(options.probeSourceFile ?? PACKAGE_PATHS.probeSource, 'utf8');
  const programs = cases.map((c) => ({ id: c.id, text: programOf(c) }));
  const hashes = new Map(programs.map((p) => [p.id, sourceHash(probe, p.text, arch)]));
  const problems: string[] = [];
  const notes: string[] = [];
  const recordedFile = options.recordedFile ?? RECORDED_FILES[arch];
  const recorded = loadRecorded(recordedFile);
  const committed = usableRecorded(cases, recorded, hashes);

  const toolchain =
    options.linux === 'recorded' || cases.length === 0
      ? null
      : findLinuxToolchain({ arch, ...(options.linuxEnv === undefined ? {} : { env: options.linuxEnv }) });
  let source: LinuxSource;
  let linuxLines: ReadonlyMap<string, ProbeLines>;
  if (toolchain?.ok) {
    log(`booting Linux (${arch}) under QEMU (${toolchain.kernel}) for ${programs.length} cases…`);
    const run = await runOnLinux(programs, toolchain, { log });
    const kernel = String(run.boot.kernel ?? 'unknown');
    const broken = [...brokenPreconditions(run.boot, arch), ...probeErrors(run.cases)];
    const recordedKernel = recorded === null ? null : String(recorded.boot.kernel);
    if (options.record) {
      problems.push(...broken);
      if (broken.length > 0) problems.push('nothing was recorded: the run above is not one to keep');
      else {
        const merged = new Map(Object.entries(recorded?.cases ?? {}));
        for (const p of programs)
          merged.set(p.id, { hash: hashes.get(p.id)!, lines: [...(run.cases.get(p.id) ?? [])] });
        // A whole run drops the results of cases that no longer exist.
        if (options.only === undefined || options.only.length === 0)
          for (const id of merged.keys()) if (!hashes.has(id)) merged.delete(id);
        saveRecorded(run.boot, merged, recordedFile);
        log(`recorded Linux's results (${arch}) for ${programs.length} cases`);
      }
      source = { kind: 'live', kernel, why: 'booted now to record its results' };
      linuxLines = run.cases;
    } else if (recordedKernel === null || recordedKernel === kernel) {
      // The same kernel as recorded: the live run decides, and must reproduce the recording.
      source = { kind: 'live', kernel, why: 'QEMU and a kernel are installed here' };
      linuxLines = run.cases;
      problems.push(...broken, ...committed.problems);
      problems.push(...liveAgainstRecorded(arch, cases, run.cases, committed.lines, kernel));
    } else {
      // Another kernel (a newer Debian point release, say): the committed results decide, so the
      // verdict does not depend on what /boot holds; what this kernel does otherwise is a note.
      source = {
        kind: 'recorded',
        kernel: recordedKernel,
        why: `Linux ${kernel} is installed here, not the recorded ${recordedKernel}, so the committed results decide`,
      };
      linuxLines = committed.lines;
      problems.push(...brokenPreconditions(recorded!.boot, arch), ...committed.problems);
      notes.push(...liveAgainstRecorded(arch, cases, run.cases, committed.lines, kernel));
    }
  } else {
    if (options.linux === 'live' && toolchain !== null && !toolchain.ok)
      throw new CaseError(`cannot boot Linux (${arch}) here: missing ${toolchain.missing.join('; ')}`);
    if (recorded === null && cases.length > 0)
      throw new CaseError(`no recorded Linux results for ${arch} (${recordedFile}): run with --record`);
    const why =
      cases.length === 0
        ? `no case chosen runs on ${arch}`
        : toolchain === null
          ? 'asked for the recorded results'
          : `Linux cannot be booted here (missing ${toolchain.ok ? '' : toolchain.missing.join('; ')}), so this compares with the committed results`;
    source = { kind: 'recorded', kernel: String(recorded?.boot.kernel ?? 'unknown'), why };
    if (recorded !== null) problems.push(...brokenPreconditions(recorded.boot, arch));
    problems.push(...committed.problems);
    linuxLines = committed.lines;
  }

  const compared: ComparedCase[] = [];
  for (const c of cases) {
    const lines = linuxLines.get(c.id);
    if (lines === undefined) continue; // reported above
    const result = compareCase(
      arch,
      c.id,
      c.title,
      observeOnSimulator(c, arch),
      observeOnLinux(c, lines, arch),
      list,
    );
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
        `${s.caseId} step ${s.step} (${s.op}): new difference in ${d.field}: simulator ${d.simulator}, Linux ${d.linux}${
          d.listed === undefined
            ? ''
            : ` ("${d.listed.id}" lists simulator ${d.listed.simulator}, Linux ${d.listed.linux} there)`
        }`,
      );
  }
  if (options.only === undefined || options.only.length === 0) {
    for (const stale of staleKnownPlaces(arch, compared, known))
      problems.push(`known-differences.yaml is stale: ${stale} (the simulator was fixed? remove the place)`);
  }
  if (counts.skipped > MAX_SKIPS)
    problems.push(`${counts.skipped} steps skipped as QEMU artefacts; at most ${MAX_SKIPS} may be`);
  return { arch, linux: source, cases: compared, counts, problems, notes };
}

/**
 * `faultline conformance`'s whole run: each architecture in turn (x86-64,
 * then arm64, or those asked for), each with its own Linux, recorded
 * results and tally. With `only`, an architecture none of those cases
 * lists is left out.
 */
export async function runConformanceOnEach(
  options: Omit<SuiteOptions, 'arch' | 'recordedFile'> & { readonly archs?: readonly CaseArch[] },
): Promise<SuiteResult[]> {
  const { archs = CASE_ARCHS, ...rest } = options;
  const chosen =
    options.only === undefined || options.only.length === 0
      ? null
      : loadCases(options.casesDir ?? CASES_DIR).filter((c) => options.only!.includes(c.id));
  const results: SuiteResult[] = [];
  for (const arch of archs) {
    if (chosen !== null && chosen.length > 0 && !chosen.some((c) => caseArchs(c).includes(arch))) continue;
    results.push(await runConformance({ ...rest, arch }));
  }
  return results;
}

/** The committed results still valid for these cases (same probe, same program), and what is stale. */
function usableRecorded(
  cases: readonly ConformanceCase[],
  recorded: RecordedResults | null,
  hashes: ReadonlyMap<string, string>,
): { lines: ReadonlyMap<string, ProbeLines>; problems: string[] } {
  const lines = new Map<string, ProbeLines>();
  const problems: string[] = [];
  for (const c of cases) {
    const r = recorded?.cases[c.id];
    if (r === undefined)
      problems.push(`${c.id}: Linux's results were never recorded: run \`faultline conformance --record\``);
    else if (r.hash !== hashes.get(c.id))
      problems.push(
        `${c.id}: the case or the probe changed since Linux's results were recorded: run \`faultline conformance --record\``,
      );
    else lines.set(c.id, r.lines);
  }
  return { lines, problems };
}

/** Cases the probe could not run, in words. */
function probeErrors(cases: ReadonlyMap<string, ProbeLines>): string[] {
  const errors: string[] = [];
  for (const [id, lines] of cases)
    for (const line of lines)
      if (typeof line.error === 'string') errors.push(`${id}: the probe failed: ${line.error}`);
  return errors;
}

/**
 * What a live run shows differently from the recording, case by case (in
 * the shared terms, so frame numbers may differ): with the same kernel,
 * the committed results no longer say what Linux does.
 */
export function liveAgainstRecorded(
  arch: CaseArch,
  cases: readonly ConformanceCase[],
  live: ReadonlyMap<string, ProbeLines>,
  recorded: ReadonlyMap<string, ProbeLines>,
  kernel: string,
): string[] {
  const differences: string[] = [];
  for (const c of cases) {
    const then = recorded.get(c.id);
    if (then === undefined) continue; // missing or stale: reported already
    const diff = firstDifference(
      observeOnLinux(c, live.get(c.id) ?? [], arch).steps,
      observeOnLinux(c, then, arch).steps,
    );
    if (diff !== null) differences.push(`${c.id}: Linux ${kernel} now shows ${diff}, not what was recorded`);
  }
  return differences;
}

function firstDifference(now: readonly ObservedStep[], then: readonly ObservedStep[]): string | null {
  for (let i = 0; i < Math.max(now.length, then.length); i++) {
    const a = JSON.stringify(now[i]?.fields ?? null);
    const b = JSON.stringify(then[i]?.fields ?? null);
    if (a !== b) return `at step ${now[i]?.step ?? then[i]?.step}: ${a} (recorded ${b})`;
  }
  return null;
}
