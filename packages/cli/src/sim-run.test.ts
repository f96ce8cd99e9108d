import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioReport } from '@faultline/scenario';
import { describe, expect, test } from 'vitest';
import { runCli, scratchFolders } from './test-support.ts';

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

const run = runCli;

async function report(file: string): Promise<ScenarioReport> {
  const r = await run(['sim', 'run', join(scenarios, file), '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as ScenarioReport;
}

const resolutions = (r: ScenarioReport, step: number) => r.steps[step - 1]!.faults.map((f) => f.resolution);

const scratchDir = scratchFolders('sim');

function scratch(name: string, text: string): string {
  const dir = scratchDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The scenario files (hooks/ holds the TypeScript hooks some of them load). */
const scenarioFiles = readdirSync(scenarios).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('every shipped scenario runs and keeps the kernel consistent', () => {
  test('there are scenarios, and only hook files beside them', () => {
    expect(scenarioFiles.length).toBeGreaterThan(10);
    expect(readdirSync(scenarios).filter((f) => !scenarioFiles.includes(f))).toEqual(['hooks']);
  });

  test('each is named in lower case, digits and dashes, as the web app opens them by name (/trace?scenario=…)', () => {
    for (const file of scenarioFiles) expect(file).toMatch(/^[a-z0-9][a-z0-9-]{0,63}\.(ya?ml|json)$/);
  });

  for (const file of scenarioFiles) {
    test(file, async () => {
      const r = await report(file);
      expect(r.steps.length).toBeGreaterThan(2);
      expect(r.invariants).toEqual([]);
    });
  }
});

describe('what the scenarios show', () => {
  test('demand paging: zero page on read, COW of the zero page on write, demand-zero', async () => {
    const r = await report('demand-paging.yaml');
    expect(resolutions(r, 3)).toEqual(['zero-page']);
    expect(resolutions(r, 4)).toEqual(['cow-copy']);
    expect(r.steps[4]!.outcome).toEqual({ value: 42 });
    expect(resolutions(r, 6)).toEqual(['demand-zero']);
  });

  test('COW after fork: copy for the child, reuse for the parent, no signal', async () => {
    const r = await report('cow-fork.yaml');
    expect(resolutions(r, 6)).toEqual(['cow-copy']);
    expect(r.steps[5]!.faults[0]!.errorCode).toBe(0b111);
    expect(resolutions(r, 7)).toEqual(['cow-reuse']);
    expect(r.steps[7]!.outcome).toEqual({ value: 3 });
    expect(r.steps[8]!.outcome).toEqual({ value: 2 });
  });

  test('SEGV_MAPERR, SEGV_ACCERR, and P=1 W=0 U=1 for the kernel half', async () => {
    const r = await report('segfaults.yaml');
    expect(r.steps[1]!.outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(r.steps[5]!.outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
    expect(r.steps[7]!.faults[0]!.errorCode).toBe(0b101);
    expect(r.steps[7]!.outcome).toMatchObject({ code: 'SEGV_MAPERR', address: '0xffff888000010000' });
  });

  test('copy_from_user: partial copy and -EFAULT, kernel threads included', async () => {
    const r = await report('copy-from-user.yaml');
    expect(r.steps[4]!.outcome).toMatchObject({ notCopied: 10, errno: 'EFAULT', oops: null });
    expect(r.steps[5]!.outcome).toMatchObject({ notCopied: 8, errno: 'EFAULT' });
    expect(resolutions(r, 6)).toEqual(['exception-fixup']);
    expect(r.steps[9]!.outcome).toMatchObject({ notCopied: 8, errno: 'EFAULT', oops: null });
  });

  test('SMAP and kernel threads oops with readable reports', async () => {
    const r = await report('smap-and-kernel-threads.yaml');
    expect(r.steps[3]!.outcome).toEqual({ value: 1 });
    expect(String(r.steps[4]!.outcome.oops)).toContain('SMAP');
    expect(r.steps[6]!.outcome).toEqual({ cr3Changed: false });
    expect(String(r.steps[7]!.outcome.oops)).toContain('#PF: error_code(0x0000) - not-present page');
  });

  test('x86-32 vmalloc: one sync fault, then none', async () => {
    const r = await report('vmalloc-x86-32.yaml');
    expect(resolutions(r, 3)).toEqual(['vmalloc-sync']);
    expect(resolutions(r, 4)).toEqual([]);
  });

  test('swap: pages come back with their data; the OOM killer picks the hog', async () => {
    const swap = await report('swap-and-reclaim.yaml');
    expect(swap.stats.swapOuts).toBeGreaterThan(0);
    expect(resolutions(swap, 5)).toEqual(['swap-in']);
    expect(swap.steps[4]!.outcome).toEqual({ value: 1 });
    const oom = await report('oom-killer.yaml');
    expect(oom.steps[5]!.outcome).toMatchObject({ signal: 'SIGKILL' });
    expect(oom.steps[6]!.outcome).toEqual({ value: 1 });
  });

  test('threads on two CPUs: a downgrade is shot down on the other CPU', async () => {
    const r = await report('threads-smp.json');
    expect(r.steps[8]!.outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
  });

  test('a seeded schedule is reproducible, and fork shoots down the other CPU', async () => {
    const a = await report('smp-schedule.yaml');
    const b = await report('smp-schedule.yaml');
    expect(a.steps[3]!.outcome).toEqual(b.steps[3]!.outcome);
    expect(resolutions(a, 9)).toEqual(['cow-copy']);
    expect(a.steps[9]!.outcome).toEqual({ value: 1 });
  });

  test('file mappings: page cache, private copy, shared write, SIGBUS', async () => {
    const r = await report('file-mappings.yaml');
    expect(resolutions(r, 4)).toEqual(['page-cache']);
    expect(resolutions(r, 7)).toEqual(['cow-copy']);
    expect(r.steps[7]!.outcome).toEqual({ bytes: [104, 101, 108, 108, 111] });
    expect(resolutions(r, 12)).toEqual(['page-mkwrite']);
    expect(r.steps[13]!.outcome).toEqual({ value: 74 });
    expect(r.steps[15]!.outcome).toMatchObject({ signal: 'SIGBUS', code: 'BUS_ADRERR' });
  });

  test('watch: the refcount of a COW page through fork, copy and reuse', async () => {
    const r = await report('cow-refcounts.yaml');
    const parent = (step: number) => r.steps[step - 1]!.watch!.pages![0]!;
    expect(parent(3)).toMatchObject({ pte: 'present', refcount: 1, mapcount: 1 });
    expect(parent(4)).toMatchObject({ pte: 'present', refcount: 2, mapcount: 2 });
    expect(resolutions(r, 5)).toEqual(['cow-copy']);
    expect(parent(5)).toMatchObject({ refcount: 1, mapcount: 1 });
    expect(resolutions(r, 6)).toEqual(['cow-reuse']);
    expect(parent(6)).toEqual(parent(5));
    expect(r.steps[6]!.watch!.freeFrames).toBeGreaterThan(r.steps[5]!.watch!.freeFrames!);
  });

  test('the exception table: a fixup for the uaccess instructions, an oops for any other', async () => {
    const r = await report('exception-table.yaml');
    expect(r.steps[1]!.outcome).toEqual({ fixup: 0x1040 });
    expect(r.steps[2]!.outcome).toEqual({ fixup: 0x1120 });
    expect(String(r.steps[4]!.outcome.oops)).toContain('no VMA covers the address');
  });

  test('a scan-only reclaim: all referenced, then cold after a real reclaim, then one touched again', async () => {
    const r = await report('second-chance-scan.yaml');
    type Scan = { scanned: { decision: string; referenced: boolean }[]; wouldFree: number };
    const scan = (step: number) => r.steps[step - 1]!.outcome as Scan;
    expect(scan(4).scanned.map((p) => p.decision)).toEqual(Array(8).fill('activate'));
    expect(r.steps[4]!.outcome).toEqual({ freed: 1 });
    expect(scan(6)).toMatchObject({ wouldFree: 2 });
    expect(scan(8).scanned.map((p) => p.referenced)).toEqual([false, true]);
  });

  test('Linux 6.1 looks twice: kept with PG_referenced, then activated on the second reference', async () => {
    const r = await report('second-look-scan.yaml');
    type Scan = { scanned: { decision: string }[]; wouldFree: number };
    const scan = (step: number) => r.steps[step - 1]!.outcome as Scan;
    expect(scan(4).scanned.map((p) => p.decision)).toEqual(Array(4).fill('keep'));
    expect(r.steps[4]!.outcome).toEqual({ freed: 1 });
    expect(scan(6).scanned.map((p) => p.decision)).toEqual(['reclaim', 'reclaim', 'reclaim']);
    expect(scan(8).scanned.map((p) => p.decision)).toEqual(['activate', 'reclaim', 'reclaim']);
    expect(r.steps[7]!.summary).toMatch(/PG_referenced set, referenced: activate/);
  });

  test('x86-32 vmalloc on 6.1: synced as it maps, no fault anywhere', async () => {
    const r = await report('vmalloc-x86-32-synced.yaml');
    expect(r.steps.flatMap((s) => s.faults)).toEqual([]);
    expect(r.steps[5]!.outcome).toEqual({ value: 1 });
  });

  test('zombies: exit frees the frames at once, wait reaps; orphans go to init', async () => {
    const r = await report('zombies.yaml');
    expect(r.steps[5]!.outcome).toEqual({ wouldBlock: true });
    expect(r.steps[6]!.outcome).toEqual({ framesFreed: 8, state: 'zombie' });
    expect(r.steps[7]!.outcome).toEqual({ pid: 4, status: 'exited 3' });
    expect(r.steps[8]!.outcome).toEqual({ errno: 'ECHILD' });
    expect(r.steps[12]!.watch!.tasks).toContainEqual(
      expect.objectContaining({ name: 'grandchild', parent: 1 }),
    );
    expect(r.steps[13]!.outcome).toMatchObject({ pid: 6 });
    expect(r.steps[14]!.outcome).toMatchObject({ pid: 5 });
    expect(r.steps[15]!.watch!.tasks!.map((t) => t.name)).toEqual(['shell']);
  });

  test('an empty flushTlbPage: the other CPU writes through its stale entry', async () => {
    const r = await report('empty-flush.yaml');
    expect(r.steps[7]!.outcome).toEqual({ value: 3 });
    expect(r.steps[8]!.outcome).toEqual({ value: 3 });
    const reference = await report('threads-smp.json');
    expect(reference.steps[8]!.outcome).toMatchObject({ signal: 'SIGSEGV' });
  });

  test('a cowBreak from a file, run in the sandbox: right answers, one frame more', async () => {
    const r = await report('cow-always-copy.yaml');
    expect(resolutions(r, 6)).toEqual(['cow-copy']);
    expect(r.steps[6]!.outcome).toEqual({ value: 2 });
    const parent = (step: number) => r.steps[step - 1]!.watch!.pages![0]! as { pfn: number };
    expect(parent(6).pfn).not.toBe(parent(5).pfn);
    const reference = await report('cow-refcounts.yaml');
    expect(r.counters.framesAllocated).toBe(reference.counters.framesAllocated + 1);
  });

  test('text output and --trace', async () => {
    const text = await run(['sim', 'run', join(scenarios, 'cow-fork.yaml')]);
    expect(text.out).toContain('fault at 0x');
    expect(text.out).toContain('→ cow-copy');
    expect(text.out).toContain('invariants: all hold');
    const traced = await run(['sim', 'run', join(scenarios, 'cow-fork.yaml'), '--trace']);
    expect(traced.out).toContain('"type":"walk-step"');
  });
});

describe('a run the kernel stops is still a report (exit 1)', () => {
  test('an empty anonymousFault: the steps that ran, and the one the kernel stopped at', async () => {
    const file = scratch(
      'empty.yaml',
      'hooks: { anonymousFault: empty }\nsteps:\n  - spawn: { name: app }\n  - mmap: { task: app, length: 4096, prot: rw-, as: buf }\n  - read: { task: app, addr: buf }\n  - exit: { task: app }\n',
    );
    const text = await run(['sim', 'run', file]);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/ {2}2\. mmap 4096 bytes rw- as buf/);
    expect(text.out).toMatch(
      / {2}3\. read: the kernel stopped the run: pid 3: the fault at 0x[0-9a-f]+ keeps recurring/,
    );
    expect(text.out).toContain('(1 later step did not run)');
    expect(text.err).toMatch(
      /the kernel stopped the run at step 3 \(read\): pid 3: the fault .* keeps recurring/,
    );
    const json = await run(['sim', 'run', file, '--json']);
    expect(json.code).toBe(1);
    const r = JSON.parse(json.out) as ScenarioReport;
    expect(r.steps).toHaveLength(2);
    expect(r.stopped).toMatchObject({ index: 3, step: 'read', notRun: 1 });
  });

  test('a step on a task that exited says how and when it died', async () => {
    const r = await run([
      'sim',
      'run',
      scratch(
        'exited.yaml',
        'steps:\n  - spawn: { name: a }\n  - read: { task: a, addr: 0x1000 }\n  - read: { task: a, addr: 0x1000 }\n',
      ),
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/ {2}2\. .*SIGSEGV \(SEGV_MAPERR\)/);
    expect(r.out).toContain(
      '  3. read: the kernel stopped the run: pid 3 has exited; a (pid 3) was killed at step 2 (read) by SIGSEGV (SEGV_MAPERR) at 0x0000000000001000',
    );
  });
});

describe('bad scenario files get a clear error naming the step and field (exit 2)', () => {
  const cases: [string, string, string, RegExp][] = [
    ['unknown step', 'bad.yaml', 'steps:\n  - frobnicate: {}\n', /step 1: unknown step "frobnicate"/],
    [
      'bad field',
      'bad.yaml',
      'steps:\n  - spawn: { name: a }\n  - mmap: { task: a, length: -4, prot: rw- }\n',
      /step 2 \(mmap\): field "length"/,
    ],
    [
      'bad prot',
      'bad.yaml',
      'steps:\n  - spawn: { name: a }\n  - mmap: { task: a, length: 4096, prot: rwz }\n',
      /step 2 \(mmap\): field "prot": prot looks like "rw-"/,
    ],
    [
      'unknown field',
      'bad.yaml',
      'steps:\n  - spawn: { name: a, colour: blue }\n',
      /step 1 \(spawn\): unknown field "colour"/,
    ],
    [
      'two keys',
      'bad.yaml',
      'steps:\n  - spawn: { name: a }\n    exit: { task: a }\n',
      /step 1: a step has exactly one key/,
    ],
    [
      'unknown task',
      'bad.yaml',
      'steps:\n  - read: { task: ghost, addr: 0x1000 }\n',
      /step 1 \(read\): field "task": no task named "ghost"/,
    ],
    [
      'unknown label',
      'bad.yaml',
      'steps:\n  - spawn: { name: a }\n  - read: { task: a, addr: nowhere+4 }\n',
      /step 2 \(read\): field "addr": no label "nowhere"/,
    ],
    ['no steps', 'bad.yaml', 'frames: 128\nsteps: []\n', /a scenario needs at least one step/],
    ['bad machine', 'bad.yaml', 'frames: 3\nsteps:\n  - spawn: { name: a }\n', /field "frames"/],
    [
      'PCIDs on x86-32',
      'bad.yaml',
      'arch: x86-32\npcid: true\nsteps:\n  - spawn: { name: a }\n',
      /the machine: x86-32 has no PCIDs/,
    ],
    ['not YAML', 'bad.yaml', 'steps: [\n', /not valid YAML/],
    ['not JSON', 'bad.json', '{ "steps": ', /not valid JSON/],
  ];
  for (const [name, file, text, message] of cases) {
    test(name, async () => {
      const r = await run(['sim', 'run', scratch(file, text)]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    });
  }

  test('hook files: unreadable, not TypeScript, missing the hook, failing in the sandbox', async () => {
    const dir = scratchDir();
    const scenario = (hookFile: string, extra = '') => {
      const file = join(dir, `uses-${hookFile}.yaml`);
      writeFileSync(
        file,
        `hooks: { cowBreak: { file: ${hookFile} } }\nsteps:\n  - spawn: { name: a }\n  - mmap: { task: a, length: 4096, prot: rw-, as: b }\n  - write: { task: a, addr: b, value: 1 }\n  - fork: { task: a }\n  - write: { task: a, addr: b, value: 2 }\n${extra}`,
      );
      return file;
    };
    writeFileSync(join(dir, 'broken.ts'), 'export function cowBreak( {\n');
    writeFileSync(join(dir, 'other.ts'), 'export function anonymousFault() { return { kind: "oom" }; }\n');
    writeFileSync(join(dir, 'throws.ts'), 'export function cowBreak() { throw new Error("not today"); }\n');
    const cases: [string, RegExp][] = [
      ['missing.ts', /hook file "missing\.ts": cannot read it \(ENOENT\)/],
      [
        'broken.ts',
        /hook file "broken\.ts" does not compile: 2:1: Expected identifier but found end of file/,
      ],
      [
        'other.ts',
        /hook file "other\.ts" does not export cowBreak, which the scenario asks of it; it exports anonymousFault/,
      ],
      ['throws.ts', /step 5 \(write\): the cowBreak hook from "throws\.ts" failed: .*not today/],
    ];
    for (const [hookFile, message] of cases) {
      const r = await run(['sim', 'run', scenario(hookFile)]);
      expect(r.err).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
    }
  });

  test('--arch riscv-sv39: a shipped example on RISC-V, its faults reported in scause terms', async () => {
    const r = await run([
      'sim',
      'run',
      join(scenarios, 'cow-refcounts.yaml'),
      '--arch',
      'riscv-sv39',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const rv = JSON.parse(r.out) as ScenarioReport;
    expect(rv.arch).toBe('riscv-sv39');
    expect(rv.invariants).toEqual([]);
    // The child's write to the COW page: a store page fault.
    expect(rv.steps.flatMap((s) => s.faults).filter((f) => f.resolution === 'cow-copy')).toMatchObject([
      { errorCode: 15 },
    ]);
    const text = await run(['sim', 'run', join(scenarios, 'cow-refcounts.yaml'), '--arch', 'riscv-sv39']);
    expect(text.out).toContain('scause');
  });

  test('--arch arm64: a shipped example on ARM64, its faults reported in ESR terms', async () => {
    const r = await run(['sim', 'run', join(scenarios, 'cow-refcounts.yaml'), '--arch', 'arm64', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as ScenarioReport;
    expect(report.arch).toBe('arm64');
    expect(report.invariants).toEqual([]);
    // The child's write to the COW page: a level 3 permission fault, from EL0, WnR.
    expect(report.steps.flatMap((s) => s.faults).filter((f) => f.resolution === 'cow-copy')).toMatchObject([
      { errorCode: 0x9200_004f },
    ]);
    const text = await run(['sim', 'run', join(scenarios, 'cow-refcounts.yaml'), '--arch', 'arm64']);
    expect(text.out).toContain('ESR');
  });

  test('--arch: another architecture the file is written for; refused, with the reason, otherwise', async () => {
    const both = scratch(
      'both.yaml',
      'archs: [x86-64, x86-32]\nsteps:\n  - spawn: { name: a }\n  - kmalloc: { bytes: 16, as: k }\n',
    );
    const onX86_32 = await run(['sim', 'run', both, '--arch', 'x86-32', '--json']);
    expect(onX86_32.err).toBe('');
    expect(JSON.parse(onX86_32.out)).toMatchObject({ arch: 'x86-32' });
    // Without --arch, the first of its archs.
    expect(JSON.parse((await run(['sim', 'run', both, '--json'])).out)).toMatchObject({ arch: 'x86-64' });

    const only = scratch('only.yaml', 'arch: x86-32\nsteps:\n  - spawn: { name: a }\n');
    const refused = await run(['sim', 'run', only, '--arch', 'x86-64']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('this scenario is written for x86-32 only, not x86-64');
    expect(refused.out).toBe('');

    const unknown = await run(['sim', 'run', both, '--arch', 'sparc']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown architecture "sparc"; the kernel runs on x86-64, x86-32');
  });

  test('a missing file and missing arguments', async () => {
    const missing = await run(['sim', 'run', '/nonexistent/scenario.yaml']);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('cannot read the file (ENOENT)');
    const none = await run(['sim', 'run']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('expected one scenario file');
  });
});
