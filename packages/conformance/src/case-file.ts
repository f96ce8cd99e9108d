/**
 * A conformance case: a scenario file (the same YAML `faultline sim run`
 * reads) that uses only what a user program can do — so that the probe can
 * do the same on Linux — plus the preconditions the Linux run needs:
 *
 *   linux: { uid: 65534 }     # run the tasks as nobody (default: root)
 *   steps: [...]
 *
 * Its id is the file's name without `.yaml`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archsOf, parseScenarioText, type Scenario, ScenarioError, type StepKind } from '@faultline/scenario';
import { isMap, parseDocument } from 'yaml';
import { z } from 'zod';
import { CaseError } from './errors.ts';
import type { CaseArch } from './observation.ts';
import { PACKAGE_PATHS } from './paths.ts';
import { programOf } from './program.ts';

export { CaseError } from './errors.ts';

/** The steps the Linux probe can perform: system calls and memory accesses of user programs. */
export const PROBED_STEPS = [
  'spawn',
  'fork',
  'exit',
  'mmap',
  'mremap',
  'munmap',
  'mprotect',
  'brk',
  'read',
  'write',
  'exec',
  'touch',
  'copy_from_user',
  'copy_to_user',
  'file',
  'read_file',
  'sigaction',
  'sigprocmask',
  'mark',
  'madvise',
  'ftruncate',
  'mlock',
  'munlock',
  'pipe',
  'readv',
  'writev',
  'process_vm_readv',
  'process_vm_writev',
  'proc_mem_read',
  'proc_mem_write',
] as const satisfies readonly StepKind[];

export type ProbedStepKind = (typeof PROBED_STEPS)[number];

/** The architectures a case can be compared on: those the probe boots Linux for. */
export const CASE_ARCHS = ['x86-64', 'arm64'] as const satisfies readonly CaseArch[];

/** The architectures a case is compared on: its scenario's `archs`, x86-64 alone by default. */
export function caseArchs(c: ConformanceCase): readonly CaseArch[] {
  return archsOf(c.scenario) as readonly CaseArch[];
}

/** Labels every case may use: defined by each spawn, on both sides, from what that process looks like. */
export const BUILTIN_LABELS = ['stack', 'brk'] as const;

const preconditions = z.strictObject({
  /** The uid (and gid) every task runs as: root, or nobody (no CAP_SYS_RAWIO: mmap_min_addr applies). */
  uid: z.union([z.literal(0), z.literal(65534)]).default(0),
});

export type Preconditions = z.infer<typeof preconditions>;

export interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  readonly linux: Preconditions;
  readonly scenario: Scenario;
}

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Parses one case file's text; throws CaseError naming the file and what is wrong. */
export function parseCase(id: string, text: string): ConformanceCase {
  const where = `case ${id}`;
  if (!ID.test(id)) throw new CaseError(`${where}: a case id is lower-case words joined by "-"`);
  const document = parseDocument(text, { intAsBigInt: true });
  if (document.errors.length > 0)
    throw new CaseError(`${where}: not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(document.contents)) throw new CaseError(`${where}: a case is a scenario (a YAML mapping)`);
  const header = document.toJS() as Record<string, unknown>;
  // In a scenario, `linux:` names the release to model; a case is always
  // compared with the recorded kernel (6.1), and its `linux:` is the Linux run's preconditions.
  if (typeof header.linux === 'string')
    throw new CaseError(
      `${where}: field "linux": in a conformance case it holds the Linux run's preconditions ({ uid: 65534 }), not a version — the simulator always models the recorded kernel (6.1)`,
    );
  const linux = preconditions.safeParse(
    JSON.parse(JSON.stringify(header.linux ?? {}, (_key, v) => (typeof v === 'bigint' ? Number(v) : v))),
  );
  if (!linux.success)
    throw new CaseError(`${where}: field "linux": ${linux.error.issues[0]?.message ?? 'invalid'}`);
  document.delete('linux');
  let scenario: Scenario;
  try {
    scenario = parseScenarioText(document.toString(), 'yaml');
  } catch (error) {
    if (error instanceof ScenarioError) throw new CaseError(`${where}: ${error.message}`);
    throw error;
  }
  if (scenario.title === undefined) throw new CaseError(`${where}: give it a title (what it checks)`);
  const elsewhere = archsOf(scenario).filter((a) => !(CASE_ARCHS as readonly string[]).includes(a));
  if (elsewhere.length > 0)
    throw new CaseError(
      `${where}: field "${scenario.archs === undefined ? 'arch' : 'archs'}": the Linux probe runs on ${CASE_ARCHS.join(' and ')}, not ${elsewhere.join(', ')}`,
    );
  for (const [field, value] of [
    ['cpus', scenario.cpus !== 1],
    ['hooks', scenario.hooks !== undefined],
    ['swap', scenario.swap !== undefined],
    ['tlb', scenario.tlb !== undefined],
  ] as const) {
    if (value)
      throw new CaseError(`${where}: field "${field}": the Linux probe runs one CPU, Linux's own code`);
  }
  if (
    scenario.uid !== undefined ||
    scenario.steps.some((step) => step.kind === 'spawn' && step.args.uid !== undefined)
  )
    throw new CaseError(
      `${where}: field "uid": every task of a case runs as the Linux run's uid — give it as linux: { uid: 65534 } (root by default)`,
    );
  if (scenario.files === 'ext4')
    throw new CaseError(
      `${where}: field "files": the Linux probe keeps its files on tmpfs, so a case's files are tmpfs files (leave the field out)`,
    );
  if (scenario.watch?.free_frames) throw new CaseError(`${where}: a user program cannot watch free frames`);
  for (const [index, step] of scenario.steps.entries()) {
    if (!(PROBED_STEPS as readonly string[]).includes(step.kind))
      throw new CaseError(
        `${where}: step ${index + 1} (${step.kind}) is not something a user program does; cases use ${PROBED_STEPS.join(', ')}`,
      );
    if ('cpu' in step.args && step.args.cpu !== undefined)
      throw new CaseError(`${where}: step ${index + 1} (${step.kind}): one CPU, so no "cpu"`);
  }
  const parsed = { id, title: scenario.title, linux: linux.data, scenario };
  programOf(parsed); // what the probe cannot do is an error now, not at boot time
  return parsed;
}

/** Every case in a folder (`*.yaml`), sorted by id. */
export function loadCases(dir: string): ConformanceCase[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) throw new CaseError(`no cases (*.yaml) in ${dir}`);
  return files.map((file) =>
    parseCase(file.slice(0, -'.yaml'.length), readFileSync(join(dir, file), 'utf8')),
  );
}

/** The cases this package ships. */
export const CASES_DIR = PACKAGE_PATHS.cases;
