import { UACCESS_IP } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.ts';
import { formatScenarioReport } from './format.ts';
import { parseScenarioText } from './parse.ts';
import { hookFilesOf, runScenario, type ScenarioReport } from './run.ts';

const run = (yaml: string, options: Parameters<typeof runScenario>[1] = {}): ScenarioReport =>
  runScenario(parseScenarioText(yaml, 'yaml'), options);

const outcome = (r: ScenarioReport, step: number) => r.steps[step - 1]!.outcome;
const resolutions = (r: ScenarioReport, step: number) => r.steps[step - 1]!.faults.map((f) => f.resolution);

/** The message a scenario fails with. */
function failure(yaml: string, options: Parameters<typeof runScenario>[1] = {}): string {
  try {
    run(yaml, options);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('the scenario ran');
}

const COW = `
steps:
  - spawn: { name: parent }
  - mmap: { task: parent, length: 4096, prot: rw-, as: buf }
  - write: { task: parent, addr: buf, value: 1 }
  - fork: { task: parent, name: child }
  - write: { task: child, addr: buf, value: 2 }
`;

describe('watch: free frames and a page’s counts after every step', () => {
  test('the refcount of a COW page: 1, shared by fork (2), split by the child’s write (1 and 1)', () => {
    const r = run(
      `watch: { free_frames: true, pages: [{ task: parent, addr: buf }, { task: child, addr: buf }] }\n${COW}`,
    );
    const pages = r.steps.map((s) => s.watch!.pages!);
    expect(pages[0]).toEqual([
      { task: 'parent', addr: 'buf', pte: 'unknown', why: 'buf is not defined yet' },
      { task: 'child', addr: 'buf', pte: 'unknown', why: 'no task child yet' },
    ]);
    expect(pages[1]![0]).toEqual({ task: 'parent', addr: 'buf', pte: 'none' });
    expect(pages[2]![0]).toMatchObject({ pte: 'present', refcount: 1, mapcount: 1 });
    expect(pages[3]![0]).toMatchObject({ pte: 'present', refcount: 2, mapcount: 2 });
    expect(pages[3]![1]).toEqual({ ...pages[3]![0], task: 'child' });
    expect(pages[4]![0]).toMatchObject({ pte: 'present', refcount: 1, mapcount: 1 });
    expect(pages[4]![1]).toMatchObject({ pte: 'present', refcount: 1, mapcount: 1 });
    expect(pages[4]![1]).not.toMatchObject({ pfn: (pages[4]![0] as { pfn: number }).pfn });
    const free = r.steps.map((s) => s.watch!.freeFrames!);
    expect(free[4]).toBe(free[3]! - 1);
  });

  test('a swapped-out page, and a task that exited', () => {
    const r = run(`
frames: 128
watch: { pages: [{ task: app, addr: buf }] }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf, value: 1 }
  - reclaim: { pages: 1 }
  - reclaim: { pages: 1 }
  - exit: { task: app }
`);
    expect(r.steps[4]!.watch!.pages![0]).toMatchObject({ pte: 'swap' });
    expect(r.steps[5]!.watch!.pages![0]).toMatchObject({ pte: 'unknown', why: 'app has exited' });
  });

  test('no watch, no watch field', () => {
    expect(run(COW).steps.every((s) => s.watch === undefined)).toBe(true);
  });
});

describe('kernel accesses with an instruction pointer hit or miss the exception table', () => {
  const access = (ip: string) => `
steps:
  - spawn: { name: app }
  - kernel_access: { task: app, addr: 0x50000000, access: read, uaccess: true${ip} }
`;

  test('the copy instruction has a fixup: the fault resumes there', () => {
    const r = run(access(', ip: copy_user_generic'));
    expect(outcome(r, 2)).toEqual({ fixup: UACCESS_IP.copyUserFixup });
    expect(resolutions(r, 2)).toEqual(['exception-fixup']);
    expect(r.steps[1]!.summary).toContain('by the instruction at 0x0000000000001000');
  });

  test('get_user’s instruction by name or by address, and its own fixup', () => {
    expect(outcome(run(access(', ip: __get_user_1')), 2)).toEqual({ fixup: UACCESS_IP.getUserFixup });
    expect(outcome(run(access(', ip: 0x1100')), 2)).toEqual({ fixup: UACCESS_IP.getUserFixup });
  });

  test('any other instruction has none: an oops', () => {
    expect(String(outcome(run(access('')), 2).oops)).toContain('BUG: unable to handle page fault');
    expect(String(outcome(run(access(', ip: 0x2000')), 2).oops)).toContain('RIP: 0x2000');
  });

  test('an unknown instruction name is an error naming the field', () => {
    expect(failure(access(', ip: memcpy'))).toBe(
      'step 2 (kernel_access): field "ip": "memcpy" is not an address or a known instruction (copy_user_generic, __get_user_1, __put_user_1)',
    );
  });
});

describe('hooks replaced for a run, or from a step on', () => {
  test('an empty anonymousFault in the header: the first touch can never be resolved, and the report says so', () => {
    const r = run(`hooks: { anonymousFault: empty }\n${COW}`);
    expect(r.steps.map((s) => s.step)).toEqual(['spawn', 'mmap']);
    expect(r.stopped).toMatchObject({ index: 3, step: 'write', notRun: 2 });
    expect(r.stopped!.reason).toMatch(/^pid 3: the fault at 0x[0-9a-f]+ keeps recurring/);
    const text = formatScenarioReport(r);
    expect(text).toMatch(
      / {2}3\. write: the kernel stopped the run: pid 3: the fault at 0x[0-9a-f]+ keeps recurring/,
    );
    expect(text).toContain('(2 later steps did not run)');
    expect(text).toContain('invariants: all hold');
  });

  test('a hook step switches mid-run, and back', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 8192, prot: rw-, as: buf }
  - hook: { name: flushTlbPage, use: empty }
  - hook: { name: flushTlbPage, use: reference }
  - write: { task: app, addr: buf, value: 1 }
`);
    expect(r.steps[2]!.summary).toBe('flushTlbPage now runs an empty hook (it does nothing)');
    expect(outcome(r, 3)).toEqual({ hook: 'flushTlbPage', use: 'empty' });
    expect(r.steps[3]!.summary).toBe('flushTlbPage now runs the reference (Linux’s) implementation');
    expect(resolutions(r, 5)).toEqual(['demand-zero']);
  });

  test('hooks from files come from the caller’s resolver, once per file, with the hooks asked of it', () => {
    const yaml = `
hooks: { anonymousFault: { file: mine.ts } }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - read: { task: app, addr: buf }
  - hook: { name: cowBreak, use: { file: mine.ts } }
  - hook: { name: cowBreak, use: { file: other.ts } }
`;
    expect(hookFilesOf(parseScenarioText(yaml, 'yaml'))).toEqual(
      new Map([
        ['mine.ts', ['anonymousFault', 'cowBreak']],
        ['other.ts', ['cowBreak']],
      ]),
    );
    const asked: string[] = [];
    const r = run(yaml, {
      resolveHookFile: (file) => {
        asked.push(file);
        return {
          // An instructor's variant: every first touch gets a real page, even a read.
          anonymousFault: (k, f, vma) => {
            const pfn = k.allocPage();
            k.clearPage(pfn);
            k.mapPage(f.mm!, f.address, pfn, { writable: vma.write, exec: vma.exec });
            return { kind: 'resolved', resolution: 'demand-zero' };
          },
          cowBreak: (k, f, pfn) => k.hooks.cowBreak(f, pfn),
        };
      },
    });
    expect(resolutions(r, 3)).toEqual(['demand-zero']);
    expect(r.steps[4]!.summary).toBe('cowBreak now runs the implementation in other.ts');
    expect(asked).toEqual(['mine.ts', 'mine.ts', 'other.ts']);
  });

  test('without a resolver, a file is an error naming the field or the step', () => {
    expect(failure(`hooks: { cowBreak: { file: mine.ts } }\n${COW}`)).toBe(
      'field "hooks.cowBreak": the cowBreak hook from "mine.ts": this runner loads no hook files (only "reference" and "empty")',
    );
    expect(failure('steps:\n  - hook: { name: cowBreak, use: { file: x.ts } }\n')).toMatch(
      /^step 1 \(hook\): /,
    );
  });

  test('a file that lacks the hook, and a file hook that fails, name the step and the file', () => {
    const step = 'steps:\n  - spawn: { name: a }\n  - hook: { name: cowBreak, use: { file: x.ts } }\n';
    expect(failure(step, { resolveHookFile: () => ({}) })).toBe(
      'step 2 (hook): "x.ts" does not export cowBreak, so it cannot replace that hook',
    );
    const broken = `hooks: { anonymousFault: { file: x.ts } }\n${COW}`;
    expect(
      failure(broken, {
        resolveHookFile: () => ({
          anonymousFault: () => {
            throw new RangeError('out of ideas');
          },
        }),
      }),
    ).toBe('step 3 (write): the anonymousFault hook from "x.ts" failed: out of ideas');
  });
});

describe('the steps the kernel grew', () => {
  test('get_user and put_user move 64-bit values; a bad address is -EFAULT', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - put_user: { task: app, addr: buf, size: 8, value: 0x1122334455667788 }
  - get_user: { task: app, addr: buf, size: 4 }
  - get_user: { task: app, addr: buf, size: 8 }
  - get_user: { task: app, addr: 0x50000000, size: 2 }
  - put_user: { task: app, addr: 0x50000000, size: 1, value: 1 }
`);
    expect(outcome(r, 3)).toEqual({ errno: null, oops: null });
    expect(outcome(r, 4)).toEqual({ value: '0x55667788', errno: null, oops: null });
    expect(outcome(r, 5)).toEqual({ value: '0x1122334455667788', errno: null, oops: null });
    expect(outcome(r, 6)).toEqual({ value: '0x0', errno: 'EFAULT', oops: null });
    expect(resolutions(r, 6)).toEqual(['exception-fixup']);
    expect(outcome(r, 7)).toEqual({ errno: 'EFAULT', oops: null });
  });

  test('execve: the old mappings are gone, the stack is back', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf, value: 1 }
  - execve: { task: app }
  - read: { task: app, addr: buf }
  - check: {}
`);
    expect(outcome(r, 5)).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(outcome(r, 6)).toEqual({ problems: [] });
  });

  test('kfree and vfree give the frames back', () => {
    const r = run(`
steps:
  - kmalloc: { bytes: 8192, as: k }
  - vmalloc: { bytes: 12288, as: v }
  - kfree: { addr: k }
  - vfree: { addr: v }
`);
    expect(outcome(r, 3)).toEqual({ framesFreed: 2 });
    expect(outcome(r, 4)).toEqual({ framesFreed: 3 });
    expect(run('steps:\n  - kfree: { addr: 0x1000 }\n').stopped).toEqual({
      index: 1,
      step: 'kfree',
      reason: 'kfree of 0x0000000000001000, which kmalloc did not return',
      notRun: 0,
    });
  });

  test('a scan-only reclaim reports and changes nothing; the real one after it frees', () => {
    // Linux 5.8: the first reclaim activates every referenced page but the one it frees.
    const r = run(`
frames: 128
tlb: null
linux: "5.8"
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 32768, prot: rw-, as: buf }
  - touch: { task: app, addr: buf, length: 32768 }
  - reclaim: { pages: 1 }
  - reclaim: { pages: 8, scan_only: true }
  - reclaim: { pages: 8, scan_only: true }
  - reclaim: { pages: 1 }
`);
    const scan = outcome(r, 5) as { scanned: { pfn: number; decision: string }[]; wouldFree: number };
    expect(outcome(r, 6)).toEqual(scan);
    expect(scan.wouldFree).toBe(2);
    expect(scan.scanned.map((p) => p.decision)).toEqual(['reclaim', 'reclaim']);
    expect(r.steps[4]!.summary).toMatch(
      /^scan for 8 pages \(nothing reclaimed\) → 2 would be freed: pfn \d+ dirty: write to swap; /,
    );
    expect(outcome(r, 7)).toEqual({ freed: 1 });
  });

  test('a scan-only reclaim with no swap: nothing would be freed, and the real reclaim frees nothing', () => {
    const r = run(`
frames: 128
swap: 0
tlb: null
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 12288, prot: rw-, as: buf }
  - touch: { task: app, addr: buf, length: 12288 }
  - reclaim: { pages: 3 }
  - reclaim: { pages: 3, scan_only: true }
  - reclaim: { pages: 3 }
`);
    expect(outcome(r, 5)).toMatchObject({ wouldFree: 0 });
    expect(r.steps[4]!.summary).toMatch(
      /→ 0 would be freed: .*reclaim, but it stays: an anonymous page and no swap/,
    );
    expect(outcome(r, 6)).toEqual({ freed: 0 });
  });

  test('touch writes every page its range covers, also when it starts mid-page', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 16384, prot: rw-, as: buf }
  - touch: { task: app, addr: "buf+4000", length: 200 }
  - touch: { task: app, addr: "buf+8192", length: 4096 }
  - touch: { task: app, addr: "buf+12287", length: 1, value: 7 }
  - read: { task: app, addr: "buf+12287" }
`);
    expect(outcome(r, 3)).toEqual({ pages: 2 });
    expect(resolutions(r, 3)).toEqual(['demand-zero', 'demand-zero']);
    expect(outcome(r, 4)).toEqual({ pages: 1 });
    expect(outcome(r, 5)).toEqual({ pages: 1 });
    expect(outcome(r, 6)).toEqual({ value: 7 });
  });

  test('a touch a signal ends says how many pages it stored before it', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 8192, prot: rw-, as: buf }
  - touch: { task: app, addr: buf, length: 16384 }
`);
    expect(outcome(r, 3)).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR', pages: 2 });
  });

  test('the report carries the run’s counters', () => {
    const r = run(COW);
    expect(r.counters).toMatchObject({ faults: 2, framesAllocated: 2, swapOuts: 0 });
  });
});

describe('bad scenarios: the message names the step index and the field', () => {
  const cases: [string, string, string][] = [
    [
      'an unknown hook in the header',
      'hooks: { pagefault: empty }\nsteps:\n  - check: {}\n',
      'field "hooks.pagefault": not a hook; the hooks are pageFault, anonymousFault',
    ],
    [
      'a bad hook spec',
      'hooks: { cowBreak: mine.ts }\nsteps:\n  - check: {}\n',
      'field "hooks.cowBreak": a hook is "reference", "empty" or { file: path }',
    ],
    [
      'an unknown hook in a step',
      'steps:\n  - check: {}\n  - hook: { name: nope, use: empty }\n',
      'step 2 (hook): field "name": not a hook',
    ],
    ['a hook step without use', 'steps:\n  - hook: { name: cowBreak }\n', 'step 1 (hook): field "use"'],
    [
      'a get_user of 3 bytes',
      'steps:\n  - get_user: { task: init, addr: 0x1000, size: 3 }\n',
      'step 1 (get_user): field "size": size is 1, 2, 4 or 8 bytes',
    ],
    [
      'a put_user of a negative value',
      'steps:\n  - put_user: { task: init, addr: 0x1000, size: 8, value: -1 }\n',
      'step 1 (put_user): field "value"',
    ],
    [
      'scan_only that is not a boolean',
      'steps:\n  - reclaim: { pages: 1, scan_only: yes please }\n',
      'step 1 (reclaim): field "scan_only"',
    ],
    [
      'an unknown watch field',
      'watch: { frames: true }\nsteps:\n  - check: {}\n',
      'field "watch": unknown field "frames"',
    ],
    [
      'a watch page without an address',
      'watch: { pages: [{ task: a }] }\nsteps:\n  - check: {}\n',
      'field "watch.pages.0.addr"',
    ],
  ];
  for (const [name, yaml, message] of cases) {
    test(name, () => {
      expect(() => parseScenarioText(yaml, 'yaml')).toThrow(ScenarioError);
      expect(() => parseScenarioText(yaml, 'yaml')).toThrow(message);
    });
  }

  test('names of built-in properties are no step and no instruction', () => {
    const spawn = 'steps:\n  - spawn: { name: app }\n';
    expect(failure(`${spawn}  - constructor: {}\n`)).toMatch(
      /^step 2: unknown step "constructor"; known steps: spawn/,
    );
    expect(failure(`${spawn}  - __proto__: { task: app }\n`)).toMatch(/^step 2: unknown step "__proto__"/);
    expect(failure(`${spawn}  - toString: {}\n`)).toMatch(/^step 2: unknown step "toString"/);
    expect(
      failure(`${spawn}  - kernel_access: { task: app, addr: 0x50000000, access: read, ip: toString }\n`),
    ).toBe(
      'step 2 (kernel_access): field "ip": "toString" is not an address or a known instruction (copy_user_generic, __get_user_1, __put_user_1)',
    );
    expect(failure(`hooks: { constructor: empty }\n${spawn}`)).toMatch(
      /field "hooks.constructor": not a hook/,
    );
  });

  test('a bad machine', () => {
    expect(failure('arch: x86-32\npcid: true\nsteps:\n  - check: {}\n')).toBe(
      'the machine: x86-32 has no PCIDs; use pcid: false (the default there)',
    );
  });
});

describe('a step the kernel refuses stops the run; the report keeps what ran', () => {
  test('a task that exited: when, and how', () => {
    const r = run('steps:\n  - spawn: { name: a }\n  - exit: { task: a }\n  - execve: { task: a }\n');
    expect(r.steps).toHaveLength(2);
    expect(r.stopped).toEqual({
      index: 3,
      step: 'execve',
      reason: 'pid 3 has exited; a (pid 3) exited at step 2 (exit)',
      notRun: 0,
    });
  });

  test('a task the OOM killer chose', () => {
    const r = run(`
frames: 64
swap: 0
steps:
  - spawn: { name: hog }
  - mmap: { task: hog, length: 0x100000, prot: rw-, as: buf }
  - touch: { task: hog, addr: buf, length: 0x100000 }
  - read: { task: hog, addr: buf }
`);
    expect(outcome(r, 3)).toMatchObject({ signal: 'SIGKILL' });
    expect(r.stopped!.reason).toBe(
      'pid 3 has exited; hog (pid 3) was killed at step 3 (touch) by the OOM killer (SIGKILL)',
    );
  });

  test('a task a SIGSEGV killed', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - read: { task: app, addr: 0x1000 }
  - read: { task: app, addr: 0x1000 }
  - check: {}
`);
    expect(r.steps).toHaveLength(2);
    expect(r.stopped).toEqual({
      index: 3,
      step: 'read',
      reason:
        'pid 3 has exited; app (pid 3) was killed at step 2 (read) by SIGSEGV (SEGV_MAPERR) at 0x0000000000001000',
      notRun: 1,
    });
  });
});

describe('text', () => {
  test('watch lines under each step, the cost at the end', () => {
    const text = formatScenarioReport(
      run(`watch: { free_frames: true, pages: [{ task: child, addr: buf }] }\n${COW}`),
    );
    expect(text).toMatch(
      / {2}4\. fork parent → pid 4 .*\n {7}watch: \d+ frames free · child buf: pfn \d+, refcount 2, mapcount 2\n/,
    );
    expect(text).toContain('watch: ');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'cost: 1 single-page TLB invalidation, 1 address-space TLB flush, 2 frames allocated, 2 page faults',
    );
  });
});

describe('labels a caller defines, and buffers given by length', () => {
  test('a label passed in resolves like one an mmap defined', () => {
    const r = run(
      `steps:
  - spawn: { name: a }
  - mmap: { task: a, addr: 0x500000, length: 4096, prot: rw-, flags: [fixed] }
  - write: { task: a, addr: "heap+16", value: 7 }
  - read: { task: a, addr: "heap+16" }`,
      { labels: { heap: 0x500000 } },
    );
    expect(outcome(r, 4)).toEqual({ value: 7 });
  });

  test('copy_to_user of length bytes of fill copies them, and short of a hole copies what is mapped', () => {
    const r = run(`steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 8192, prot: rw-, as: buf }
  - munmap: { task: a, addr: "buf+4096", length: 4096 }
  - copy_to_user: { task: a, addr: "buf+4000", length: 200, fill: 0xAA }
  - read: { task: a, addr: "buf+4000" }`);
    expect(outcome(r, 4)).toMatchObject({ notCopied: 104, errno: 'EFAULT' });
    expect(outcome(r, 5)).toEqual({ value: 0xaa });
  });

  test('copy_to_user takes bytes or a length, not both and not neither', () => {
    const head = 'steps:\n  - spawn: { name: a }\n  - copy_to_user: { task: a, addr: 0x1000';
    expect(failure(`${head}, bytes: [1], length: 1 }`)).toMatch(/either "bytes" .* or "length"/);
    expect(failure(`${head} }`)).toMatch(/either "bytes" .* or "length"/);
    expect(failure(`${head}, bytes: [1], fill: 2 }`)).toMatch(/"fill" goes with "length"/);
  });
});

describe('zombies and wait', () => {
  const FAMILY = `
watch: { tasks: true }
steps:
  - spawn: { name: parent }
  - fork: { task: parent, name: child }
  - wait: { task: parent }
  - exit: { task: child, code: 3 }
  - wait: { task: parent, child: child }
  - wait: { task: parent }
`;

  test('exit leaves a zombie holding its status; the parent’s wait reaps it; a second wait gets ECHILD', () => {
    const r = run(FAMILY);
    expect(r.steps[2]!.summary).toBe(
      'parent waits for any child → none has exited yet (a real wait would sleep; WNOHANG returns 0)',
    );
    expect(outcome(r, 3)).toEqual({ wouldBlock: true });
    expect(r.steps[3]!.summary).toMatch(
      /^exit child with status 3: \d+ frames freed; a zombie until parent waits for it$/,
    );
    expect(outcome(r, 4)).toMatchObject({ state: 'zombie' });
    expect(r.steps[3]!.watch!.tasks).toContainEqual({
      pid: 4,
      name: 'child',
      state: 'zombie',
      parent: 3,
      status: 'exited 3',
    });
    expect(r.steps[4]!.summary).toBe('parent waits for child → reaped child: exited 3');
    expect(outcome(r, 5)).toEqual({ pid: 4, status: 'exited 3' });
    expect(r.steps[4]!.watch!.tasks!.map((t) => t.name)).toEqual(['parent']);
    expect(outcome(r, 6)).toEqual({ errno: 'ECHILD' });
    expect(r.invariants).toEqual([]);
  });

  test('the text report shows the zombie in the watched task list', () => {
    const text = formatScenarioReport(run(FAMILY));
    expect(text).toContain(
      'tasks: parent (pid 3, parent 1) running, child (pid 4, parent 3) zombie, exited 3',
    );
  });

  test('a process killed by a signal is a zombie too, and wait says which signal', () => {
    const r = run(`
steps:
  - spawn: { name: sh }
  - fork: { task: sh, name: app }
  - read: { task: app, addr: 0x1000 }
  - wait: { task: sh }
`);
    expect(r.steps[3]!.summary).toBe('sh waits for any child → reaped app: killed by SIGSEGV');
  });

  test('a step on a reaped task stops the run saying it no longer exists (a fork child keeps its parent’s name)', () => {
    const r = run(`
steps:
  - spawn: { name: parent }
  - fork: { task: parent, name: child }
  - exit: { task: child }
  - wait: { task: parent }
  - read: { task: child, addr: 0x1000 }
`);
    expect(r.stopped).toMatchObject({
      index: 5,
      reason:
        'pid 4 (parent) has exited and been reaped: it no longer exists; parent (pid 4) exited at step 3 (exit)',
    });
  });

  test('a thread is reaped as it exits; a wait for a non-child is ECHILD; bad codes are refused', () => {
    const r = run(`
steps:
  - spawn: { name: app }
  - thread: { task: app, name: worker }
  - exit: { task: worker }
  - spawn: { name: other }
  - wait: { task: app, child: other }
`);
    expect(r.steps[2]!.summary).toMatch(/reaped at once \(a thread is not waited for\)$/);
    expect(outcome(r, 5)).toEqual({ errno: 'ECHILD' });
    expect(failure('steps:\n  - spawn: { name: a }\n  - exit: { task: a, code: 300 }\n')).toMatch(
      /^step 2 \(exit\): field "code"/,
    );
  });
});

describe('the Linux version a scenario models', () => {
  const SCAN = (linux: string) => `
frames: 128
tlb: null
${linux}
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 8192, prot: rw-, as: buf }
  - touch: { task: app, addr: buf, length: 8192 }
  - reclaim: { pages: 2, scan_only: true }
`;

  test('6.1 by default: a page referenced once is kept for a second look; 5.8 activates it', () => {
    const decisions = (r: ScenarioReport) =>
      (outcome(r, 4) as { scanned: { decision: string }[] }).scanned.map((p) => p.decision);
    expect(decisions(run(SCAN('')))).toEqual(['keep', 'keep']);
    expect(decisions(run(SCAN('linux: "6.1"')))).toEqual(['keep', 'keep']);
    expect(decisions(run(SCAN('linux: "5.8"')))).toEqual(['activate', 'activate']);
  });

  test('the scan names PG_referenced where reclaim set it', () => {
    const r = run(`
frames: 128
tlb: null
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 8192, prot: rw-, as: buf }
  - touch: { task: app, addr: buf, length: 8192 }
  - reclaim: { pages: 1 }
  - read: { task: app, addr: buf+0x1000 }
  - reclaim: { pages: 1, scan_only: true }
`);
    expect(r.steps[5]!.summary).toMatch(/pfn \d+, PG_referenced set, referenced: activate/);
  });

  test('a version that is not one is an error about the machine; an unquoted number is caught by the schema', () => {
    expect(failure('linux: "6.1.55"\nsteps:\n  - spawn: { name: a }\n')).toMatch(/field "linux"/);
    expect(failure('linux: "2.6"\nsteps:\n  - spawn: { name: a }\n')).toBe(
      'the machine: Linux version "2.6" is older than the kernel modelled here goes back (3.0 and later)',
    );
    expect(failure('linux: 5.10\nsteps:\n  - spawn: { name: a }\n')).toMatch(
      /field "linux": linux is a release as a quoted "major.minor" string/,
    );
  });
});

describe('addresses beyond what a number holds', () => {
  test('a load from 0x8000000000000000 faults with that exact address, on each architecture in its own way', () => {
    const yaml = (arch: string) => `
archs: [${arch}]
steps:
  - spawn: { name: a }
  - read: { task: a, addr: 0x8000000000000000 }
  - spawn: { name: b }
  - copy_from_user: { task: b, addr: 0xfffffffffffffff0, length: 32 }
`;
    const x86 = run(yaml('x86-64'));
    expect(x86.steps[1]!.faults[0]!.address).toBe('0x8000000000000000');
    // A #GP: trap 13, error code 0 in the frame.
    expect(outcome(x86, 2)).toEqual({
      signal: 'SIGSEGV',
      code: 'SI_KERNEL',
      address: '0x0000000000000000',
      trapNo: 13,
      errorCode: '0x0',
    });
    for (const [arch, frame] of [
      ['riscv-sv39', {}],
      // Outside TTBR0: the frame's ESR is a level-0 translation fault.
      ['arm64', { esr: '0x92000004' }],
    ] as const) {
      const r = run(yaml(arch));
      expect(outcome(r, 2)).toEqual({
        signal: 'SIGSEGV',
        code: 'SEGV_MAPERR',
        address: '0x8000000000000000',
        ...frame,
      });
      expect(outcome(r, 4)).toMatchObject({ notCopied: 32, errno: 'EFAULT' });
    }
  });

  test('where only a mapping address makes sense, a non-canonical one is refused with the reason', () => {
    expect(
      failure(
        'steps:\n  - spawn: { name: a }\n  - munmap: { task: a, addr: 0x8000000000000000, length: 4096 }',
      ),
    ).toMatch(
      /field "addr": 0x8000000000000000 is out of range here \(a non-canonical address; loads, stores and user copies take it as written\)/,
    );
    expect(
      failure('steps:\n  - spawn: { name: a }\n  - read: { task: a, addr: 0x10000000000000000 }'),
    ).toMatch(/field "addr": 0x10000000000000000 does not fit in 64 bits/);
  });
});

describe('files: what the files live on', () => {
  const yaml = (files: string) => `${files}
steps:
  - file: { name: data, text: "original" }
  - spawn: { name: a }
  - mmap: { task: a, length: 4096, prot: rw-, flags: [shared], file: data, as: map }
  - read: { task: a, addr: map }
  - write: { task: a, addr: map, value: 79 }
`;

  test('ext4 (the default) write-notifies a shared mapping; tmpfs maps it writable at the read', () => {
    for (const header of ['', 'files: ext4'])
      expect(resolutions(run(yaml(header)), 5)).toEqual(['page-mkwrite']);
    expect(resolutions(run(yaml('files: tmpfs')), 5)).toEqual([]);
  });

  test('any other value is an error naming the two', () => {
    expect(failure(yaml('files: xfs'))).toMatch(
      /files is "ext4" \(a disk file system, write-notified\) or "tmpfs" \(files in memory\), not "xfs"/,
    );
  });
});

describe('uid: who the processes run as', () => {
  const yaml = (header: string, spawn = '{ name: a }') => `${header}
steps:
  - spawn: ${spawn}
  - mmap: { task: a, addr: 0x1000, length: 4096, prot: rw-, flags: [fixed] }
`;

  test('an ordinary user by default, refused below mmap_min_addr; root (header or spawn) may map there', () => {
    expect(outcome(run(yaml('')), 2)).toEqual({ errno: 'EPERM' });
    expect(outcome(run(yaml('uid: 0')), 2)).toEqual({ address: '0x0000000000001000' });
    expect(outcome(run(yaml('uid: 1000', '{ name: a, uid: 0 }')), 2)).toEqual({
      address: '0x0000000000001000',
    });
  });

  test('a uid that is none is an error naming the field', () => {
    expect(failure(yaml('uid: -1'))).toMatch(/uid.*a uid is 0 \(root\) or more/);
    expect(failure(yaml('', '{ name: a, uid: root }'))).toMatch(
      /a uid is a number \(0 for root, 1000 for a user\), not "root"/,
    );
  });
});
