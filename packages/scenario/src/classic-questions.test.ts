// The questions learners bring, asked of every architecture the kernel runs
// on, as scenarios — with the kernel's invariants checked after every step.
import { architectures, checkInvariants, KERNEL_ARCHES, type KernelArch } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { parseScenarioText } from './parse.ts';
import { bootSession, runOn, type ScenarioReport } from './run.ts';
import type { ScenarioSession } from './session.ts';

function run(arch: KernelArch, steps: string, header = ''): { r: ScenarioReport; session: ScenarioSession } {
  const scenario = parseScenarioText(`arch: ${arch}\n${header}steps:\n${steps}`, 'yaml');
  const session = bootSession(scenario);
  const broken: string[] = [];
  let index = 0;
  const r = runOn(
    session,
    scenario,
    {},
    {
      begin: (i) => {
        index = i;
      },
      end: () => {
        for (const p of checkInvariants(session.kernel)) broken.push(`after step ${index}: ${p}`);
      },
    },
  );
  expect(r.stopped).toBeNull();
  expect(broken).toEqual([]);
  return { r, session };
}

const outcome = (r: ScenarioReport, step: number) => r.steps[step - 1]!.outcome;
const resolutions = (r: ScenarioReport, step: number) => r.steps[step - 1]!.faults.map((f) => f.resolution);

describe.each(KERNEL_ARCHES)('on %s', (arch) => {
  test('a write to a COW page is a fault the process never sees', () => {
    const { r } = run(
      arch,
      `  - spawn: { name: parent }
  - mmap: { task: parent, length: 4096, prot: rw-, as: data }
  - write: { task: parent, addr: data, value: 1 }
  - fork: { task: parent, name: child }
  - write: { task: child, addr: data, value: 2 }
  - write: { task: parent, addr: data, value: 3 }
  - read: { task: child, addr: data }
  - read: { task: parent, addr: data }
`,
    );
    expect(resolutions(r, 5)).toEqual(['cow-copy']);
    expect(outcome(r, 5)).toEqual({ value: 2 });
    // The parent is now the page's only user: it reuses it, copying nothing.
    expect(resolutions(r, 6)).toEqual(['cow-reuse']);
    expect(outcome(r, 7)).toEqual({ value: 2 });
    expect(outcome(r, 8)).toEqual({ value: 3 });
  });

  test('SIGSEGV: SEGV_MAPERR where nothing is mapped, SEGV_ACCERR where the rights say no', () => {
    const { r } = run(
      arch,
      `  - spawn: { name: a }
  - read: { task: a, addr: 0x10000000 }
  - spawn: { name: b }
  - mmap: { task: b, length: 4096, prot: r--, as: ro }
  - write: { task: b, addr: ro, value: 1 }
`,
    );
    expect(outcome(r, 2)).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(outcome(r, 5)).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_ACCERR' });
  });

  test('copy_from_user from a bad buffer: -EFAULT, the tail zeroed, the window closed on every path', () => {
    const { r, session } = run(
      arch,
      `  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf+4094, value: 7 }
  - copy_from_user: { task: app, addr: buf+4094, length: 4 }
  - copy_from_user: { task: app, addr: 0x10000000, length: 4 }
  - copy_from_user: { task: app, addr: page_offset, length: 4 }
  - copy_from_user: { task: app, addr: buf, length: 4 }
`,
    );
    // Two bytes copied, two not: the page after the buffer is unmapped.
    expect(outcome(r, 4)).toMatchObject({ notCopied: 2, errno: 'EFAULT', data: [7, 0, 0, 0] });
    expect(outcome(r, 5)).toMatchObject({ notCopied: 4, errno: 'EFAULT' });
    // A kernel address: access_ok refuses it before any access.
    expect(outcome(r, 6)).toMatchObject({ notCopied: 4, errno: 'EFAULT' });
    expect(r.steps[5]!.faults).toEqual([]);
    expect(outcome(r, 7)).toMatchObject({ notCopied: 0, errno: null });
    const { kernel } = session;
    for (const cpu of kernel.cpus) expect(kernel.arch.userAccessWindowOpen(cpu)).toBe(false);
  });

  test('the kernel touching user memory outside the user-access window oopses', () => {
    // Inside the window, the uaccess routine's own load: on ARM64 since 5.11
    // the window lifts nothing (PAN stays set) and only that instruction,
    // an LDTR, reaches user memory; a plain load there oopses too
    // (arm64-user-copies.test.ts).
    const { r } = run(
      arch,
      `  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf, value: 1 }
  - kernel_access: { task: app, addr: buf, access: read, uaccess: true, ip: copy_user_generic }
  - kernel_access: { task: app, addr: buf, access: read }
`,
    );
    expect(outcome(r, 4)).toEqual({ value: 1 });
    expect(String((outcome(r, 5) as { oops: string }).oops)).toContain(
      architectures[arch].userAccessViolation,
    );
  });

  test('kernel memory never swaps, however short memory gets', () => {
    const { r, session } = run(
      arch,
      `  - spawn: { name: app }
  - kmalloc: { bytes: 4096, as: k }
  - vmalloc: { bytes: 8192, as: v }
  - kernel_access: { addr: k, access: write, value: 5 }
  - kernel_access: { addr: v, access: write, value: 6 }
  - mmap: { task: app, length: 0x60000, prot: rw-, as: big }
  - touch: { task: app, addr: big, length: 0x60000, value: 1 }
  - reclaim: { pages: 64 }
  - kernel_access: { addr: k, access: read }
  - kernel_access: { addr: v, access: read }
`,
      'frames: 128\nswap: 256\n',
    );
    expect(session.kernel.stats.swapOuts).toBeGreaterThan(0);
    expect(outcome(r, 9)).toEqual({ value: 5 });
    expect(outcome(r, 10)).toEqual({ value: 6 });
    // Nothing was swapped in: the kernel's pages never left memory. (Where
    // vmalloc space is synced lazily, as on x86-32 before 5.8, a context
    // that has not seen the area yet takes the sync fault — not a swap-in.)
    expect(resolutions(r, 9)).toEqual([]);
    expect(resolutions(r, 10).filter((how) => how !== 'vmalloc-sync')).toEqual([]);
  });
});
