/**
 * Linux's results, committed (linux-results.json): what the probe printed
 * for every case, with a hash of what produced it — the probe's source and
 * the case's program — so that a probe or case edited without recording
 * Linux again is caught rather than compared against stale output.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { CaseError } from './errors.ts';
import { qemuArguments } from './linux/qemu.ts';
import type { ProbeLines } from './linux-side.ts';
import type { CaseArch } from './observation.ts';
import { PACKAGE_PATHS } from './paths.ts';

/** Where each architecture's results are committed. */
export const RECORDED_FILES: Readonly<Record<CaseArch, string>> = {
  'x86-64': PACKAGE_PATHS.recorded,
  arm64: PACKAGE_PATHS.recordedArm64,
};

const recordedSchema = z.object({
  about: z.string(),
  boot: z.record(z.string(), z.unknown()),
  cases: z.record(
    z.string(),
    z.object({ hash: z.string(), lines: z.array(z.record(z.string(), z.unknown())) }),
  ),
});

export type RecordedResults = z.infer<typeof recordedSchema>;

/** The machine the probe runs on, as QEMU is told it (paths left out): changing it invalidates the results. */
function machineOf(arch: CaseArch): string {
  return qemuArguments(
    { ok: true, arch, qemu: 'qemu', kernel: 'vmlinuz', gcc: 'gcc' },
    'initramfs.cpio',
    'console.log',
    'probe.jsonl',
  ).join(' ');
}

/**
 * What Linux's output for this program depends on: the probe, the machine
 * and the program. (x86-64's hash reads as it did before arm64 was
 * compared, so its recording stayed valid.)
 */
export function sourceHash(probeSource: string, program: string, arch: CaseArch = 'x86-64'): string {
  return createHash('sha256')
    .update(probeSource)
    .update('\u0000')
    .update(machineOf(arch))
    .update('\u0000')
    .update(program)
    .digest('hex')
    .slice(0, 16);
}

export function loadRecorded(path: string): RecordedResults | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = recordedSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new CaseError(`${path}: not a recording of Linux's results (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export function saveRecorded(
  boot: Readonly<Record<string, unknown>>,
  cases: ReadonlyMap<string, { hash: string; lines: ProbeLines }>,
  path: string,
): void {
  const sorted = Object.fromEntries([...cases].sort(([a], [b]) => a.localeCompare(b)));
  const data: RecordedResults = {
    about:
      'What Linux printed for each conformance case (packages/conformance/linux/probe.c under QEMU). Regenerate with `faultline conformance --record`; never edit by hand.',
    boot: { ...boot },
    cases: sorted as RecordedResults['cases'],
  };
  // One probe line per text line: a re-recording's diff shows exactly what Linux now prints differently.
  const caseText = Object.entries(data.cases).map(
    ([id, c]) =>
      `  ${JSON.stringify(id)}: {\n   "hash": ${JSON.stringify(c.hash)},\n   "lines": [\n${c.lines.map((l) => `    ${JSON.stringify(l)}`).join(',\n')}\n   ]\n  }`,
  );
  const text = `{\n "about": ${JSON.stringify(data.about)},\n "boot": ${JSON.stringify(data.boot)},\n "cases": {\n${caseText.join(',\n')}\n }\n}\n`;
  writeFileSync(path, text);
}
