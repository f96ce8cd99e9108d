/**
 * End to end: boots Debian's Linux under QEMU with a few programs and checks
 * what the probe saw. Assertions are on behaviour (values, signals, relations
 * between PFNs), never on time. Set FAULTLINE_LINUX_WORKDIR to keep the
 * probe, the initramfs and both serial logs for inspection.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { caseFileNames, collectRun, type LinuxRun, parseProbeOutput, runOnLinux } from './qemu.ts';
import { findLinuxToolchain } from './toolchain.ts';

const BASICS = `# demand zero, the zero page, brk, uaccess with a hole, COW over fork, mmap_min_addr as root
case linux-basics
uid 0
watch a buf
watch a zbuf
watch p cow
watch c cow
spawn a
mmap a - 8192 rw- private,anon - 0 buf
write a buf 7
read a buf
mmap a - 4096 rw- - - 0 zbuf
read a zbuf
write a zbuf 9
mmap a - 12288 rw- - - 0 hole
munmap a hole+8192 4096
copy_from_user a hole+4096 8192
copy_to_user a hole+4096 8192
read a hole+4096
brk a brk+0x2000
touch a brk 0x2000 5
mmap a 0x1000 4096 rw- fixed - 0 low
spawn p
mmap p - 4096 rw- - - 0 cow
write p cow 1
fork p c
read c cow
write c cow 2
read p cow
exit c
`;

const SIGNALS = `# what a signal frame says about faults
case linux-signals
uid 0
spawn unmapped
read unmapped 0x10
spawn kernel
read kernel 0xffff888000010000
spawn nx
mmap nx - 4096 rw- - - 0 data
exec nx data
spawn nx2
mmap nx2 - 4096 rw- - - 0 data2
write nx2 data2 1
exec nx2 data2
spawn rwx
mmap rwx - 4096 rwx - - 0 code
exec rwx code
file f 41
spawn eof
mmap eof - 8192 r-- shared f 0 fm
read eof fm
read eof fm+4096
spawn ro
mmap ro - 4096 r-- - - 0 rodata
write ro rodata 1
`;

const NOBODY = `# mmap_min_addr binds an unprivileged task
case linux-nobody
uid 65534
watch a buf
spawn a
mmap a 0x1000 4096 rw- fixed - 0 low
mmap a - 4096 rw- - - 0 buf
write a buf 3
read a nosuchlabel
`;

const HUGE = `# transparent huge pages: one write fault maps 2 MiB of contiguous, aligned frames
case linux-thp
uid 0
thp always
watch a buf
watch a buf+0x1000
spawn a
mmap a 0x40000000 4194304 rw- fixed - 0 buf
write a buf 1
write a buf+0x1000 2
`;

// The case after a THP case runs with THP off again: a page per fault.
const AFTER_HUGE = `case linux-thp-after
uid 0
spawn a
mmap a 0x40000000 4194304 rw- fixed - 0 buf
write a buf 1
write a buf+0x1000 2
`;

const BAD_THP = `case linux-thp-bad
uid 0
thp sometimes
spawn a
`;

const PROGRAMS = [
  { id: 'linux-basics', text: BASICS },
  { id: 'linux-signals', text: SIGNALS },
  { id: 'linux-nobody', text: NOBODY },
];

const THP_PROGRAMS = [
  { id: 'linux-thp', text: HUGE },
  { id: 'linux-thp-after', text: AFTER_HUGE },
  { id: 'linux-thp-bad', text: BAD_THP },
];

const toolchain = findLinuxToolchain();
if (!toolchain.ok) {
  console.warn(`Linux conformance tests skipped; missing:\n  - ${toolchain.missing.join('\n  - ')}`);
}

type Line = Record<string, unknown>;
interface Page {
  state: string;
  pfn?: number;
  zero?: boolean;
  mapcount?: number;
}
interface StepLine {
  step: number;
  op: string;
  result: Record<string, unknown>;
  minflt: number | null;
  pages: Page[];
}

/** A run's lines by case, and one step's line (which must be there), once `run()` has booted. */
function readerOf(run: () => LinuxRun) {
  const lines = (id: string): readonly Line[] => run().cases.get(id) ?? [];
  const step = (id: string, n: number): StepLine => {
    const line = lines(id).find((l) => l.step === n);
    if (!line) throw new Error(`case ${id} has no step ${n}: ${JSON.stringify(lines(id))}`);
    return line as unknown as StepLine;
  };
  return { lines, step };
}

describe.skipIf(!toolchain.ok)('the probe on a real Linux kernel (QEMU)', () => {
  let run: LinuxRun;
  const { lines, step } = readerOf(() => run);

  beforeAll(async () => {
    if (!toolchain.ok) return;
    const workDir = process.env.FAULTLINE_LINUX_WORKDIR;
    run = await runOnLinux(PROGRAMS, toolchain, {
      ...(workDir ? { workDir } : {}),
      log: (line) => console.log(line),
    });
  });

  test('the boot line describes the machine', () => {
    expect(run.boot).toMatchObject({ machine: 'x86_64', page_size: 4096, files_fs: 'tmpfs' });
    expect(run.boot.kernel).toMatch(/^6\./);
    expect(run.boot.mmap_min_addr).toBe(65536);
    expect(run.boot.randomize_va_space).toBe(0);
    expect(typeof run.boot.mem_total_kb).toBe('number');
  });

  test('every case starts with its uid and ends with done (or a harness error)', () => {
    expect(lines('linux-basics')[0]).toEqual({ case: 'linux-basics', start: true, uid: 0, thp: 'never' });
    expect(lines('linux-basics').at(-1)).toEqual({ case: 'linux-basics', done: true });
    expect(lines('linux-signals').at(-1)).toEqual({ case: 'linux-signals', done: true });
    expect(lines('linux-nobody')[0]).toEqual({ case: 'linux-nobody', start: true, uid: 65534, thp: 'never' });
  });

  test('spawn reports the pid and the stack and brk labels', () => {
    const spawn = step('linux-basics', 1);
    expect(spawn.op).toBe('spawn');
    expect(spawn.minflt).toBeNull();
    expect(spawn.result.pid).toEqual(expect.any(Number));
    expect(spawn.result.stack).toMatch(/^0x7ff/);
    expect(spawn.result.brk).toMatch(/^0x[0-9a-f]+000$/);
    expect(spawn.pages).toEqual([
      { state: 'unknown' },
      { state: 'unknown' },
      { state: 'unknown' },
      { state: 'unknown' },
    ]);
  });

  test('a first write to anonymous memory is one demand-zero fault onto a fresh frame', () => {
    const mmap = step('linux-basics', 2);
    expect(mmap.result.address).toMatch(/^0x7ff/);
    expect(mmap.pages[0]).toEqual({ state: 'none' });
    const write = step('linux-basics', 3);
    expect(write.result).toEqual({});
    expect(write.minflt).toBe(1);
    expect(write.pages[0]).toMatchObject({ state: 'present', zero: false, mapcount: 1 });
    expect(write.pages[0]!.pfn).toBeGreaterThan(0);
    const read = step('linux-basics', 4);
    expect(read.result).toEqual({ value: 7 });
    expect(read.minflt).toBe(0);
    expect(read.pages[0]).toEqual(write.pages[0]);
  });

  test('a first read maps the shared zero page; a write then replaces it', () => {
    const read = step('linux-basics', 6);
    expect(read.result).toEqual({ value: 0 });
    expect(read.minflt).toBe(1);
    expect(read.pages[1]).toMatchObject({ state: 'present', zero: true });
    const write = step('linux-basics', 7);
    expect(write.minflt).toBe(1);
    expect(write.pages[1]).toMatchObject({ state: 'present', zero: false, mapcount: 1 });
    expect(write.pages[1]!.pfn).not.toBe(read.pages[1]!.pfn);
  });

  test('copy_from_user and copy_to_user of a buffer with a hole stop at the hole', () => {
    expect(step('linux-basics', 9).result).toEqual({ errno: null });
    const cfu = step('linux-basics', 10);
    expect(cfu.result).toEqual({ ret: 4096 });
    expect(cfu.minflt).toBe(1);
    const ctu = step('linux-basics', 11);
    expect(ctu.result).toEqual({ ret: 4096 });
    expect(ctu.minflt).toBe(1);
    expect(step('linux-basics', 12).result).toEqual({ value: 0xaa });
  });

  test('brk grows the heap and touch faults in each page', () => {
    const spawnBrk = BigInt(step('linux-basics', 1).result.brk as string);
    expect(BigInt(step('linux-basics', 13).result.brk as string)).toBe(spawnBrk + 0x2000n);
    const touch = step('linux-basics', 14);
    expect(touch.result).toEqual({ pages: 2 });
    expect(touch.minflt).toBe(2);
  });

  test('root may map below mmap_min_addr', () => {
    expect(step('linux-basics', 15).result).toEqual({ address: '0x1000' });
  });

  test('fork shares the page copy-on-write; the child’s write breaks the sharing', () => {
    const write = step('linux-basics', 18);
    expect(write.pages[2]).toMatchObject({ state: 'present', mapcount: 1 });
    const fork = step('linux-basics', 19);
    expect(fork.result.pid).toEqual(expect.any(Number));
    expect(fork.pages[2]).toMatchObject({ state: 'present', mapcount: 2, pfn: write.pages[2]!.pfn });
    expect(fork.pages[3]).toEqual(fork.pages[2]);
    const childRead = step('linux-basics', 20);
    expect(childRead.result).toEqual({ value: 1 });
    expect(childRead.minflt).toBe(0);
    const childWrite = step('linux-basics', 21);
    expect(childWrite.minflt).toBe(1);
    expect(childWrite.pages[2]).toMatchObject({ state: 'present', mapcount: 1 });
    expect(childWrite.pages[3]).toMatchObject({ state: 'present', mapcount: 1 });
    expect(childWrite.pages[3]!.pfn).not.toBe(childWrite.pages[2]!.pfn);
    expect(step('linux-basics', 22).result).toEqual({ value: 1 });
    const exit = step('linux-basics', 23);
    expect(exit.result).toEqual({});
    expect(exit.pages[3]).toEqual({ state: 'unknown' });
  });

  test('a read of an unmapped address: SIGSEGV, SEGV_MAPERR, a user-mode read fault', () => {
    const read = step('linux-signals', 2);
    expect(read.result).toEqual({ signal: 'SIGSEGV', code: 1, addr: '0x10', err: 4, trap: 14 });
    expect(read.minflt).toBe(0);
  });

  test('a read of a kernel address: the error code has the protection bit (sanitize_error_code)', () => {
    const read = step('linux-signals', 4);
    // Hardware says not present (PTI: the user page tables do not map it); the kernel adds X86_PF_PROT.
    expect(read.result).toEqual({ signal: 'SIGSEGV', code: 1, addr: '0xffff888000010000', err: 5, trap: 14 });
    expect(read.minflt).toBe(0);
  });

  test('an instruction fetch from a non-executable mapping: SEGV_ACCERR with the instruction bit', () => {
    // Present page (written first): one protection fault, user | instruction | protection.
    const present = step('linux-signals', 11);
    expect(present.result).toEqual({
      signal: 'SIGSEGV',
      code: 2,
      addr: step('linux-signals', 9).result.address,
      err: 0x15,
      trap: 14,
    });
    expect(present.minflt).toBe(0);
    // Not present: x86's access_error() does not look at VM_EXEC, so the fetch
    // first faults in the zero page as a read would (minflt 1), then the retried
    // fetch hits the NX PTE: the signal again carries 0x15, not 0x14.
    const notPresent = step('linux-signals', 7);
    expect(notPresent.result).toEqual({
      signal: 'SIGSEGV',
      code: 2,
      addr: step('linux-signals', 6).result.address,
      err: 0x15,
      trap: 14,
    });
    expect(notPresent.minflt).toBe(1);
    expect((notPresent.result.err as number) & 0x10).toBe(0x10);
  });

  test('a fetch from an executable zero page succeeds (it decodes as add %al,(%rax) and faults elsewhere)', () => {
    const exec = step('linux-signals', 14);
    expect(exec.result).toEqual({});
    expect(exec.minflt).toBe(1);
  });

  test('a read of a file mapping past EOF is SIGBUS, BUS_ADRERR', () => {
    expect(step('linux-signals', 15).result).toEqual({ size: 1 });
    const inside = step('linux-signals', 18);
    expect(inside.result).toEqual({ value: 0x41 });
    expect(inside.minflt).toBe(1);
    const pastEof = step('linux-signals', 19);
    const start = BigInt(step('linux-signals', 17).result.address as string);
    expect(pastEof.result).toEqual({
      signal: 'SIGBUS',
      code: 2,
      addr: `0x${(start + 4096n).toString(16)}`,
      err: 4,
      trap: 14,
    });
    expect(pastEof.minflt).toBe(0);
  });

  test('a write to a read-only mapping is SEGV_ACCERR with the write bit', () => {
    const write = step('linux-signals', 22);
    expect(write.result).toEqual({
      signal: 'SIGSEGV',
      code: 2,
      addr: step('linux-signals', 21).result.address,
      err: 6,
      trap: 14,
    });
  });

  test('an unprivileged task may not map below mmap_min_addr', () => {
    expect(step('linux-nobody', 2).result).toEqual({ errno: 'EPERM' });
    const write = step('linux-nobody', 4);
    expect(write.minflt).toBe(1);
    // setuid made the task non-dumpable; root still reads its pagemap.
    expect(write.pages[0]).toMatchObject({ state: 'present', zero: false, mapcount: 1 });
    expect(lines('linux-nobody').at(-1)).toMatchObject({
      case: 'linux-nobody',
      error: expect.stringMatching(/label/),
    });
  });
});

describe.skipIf(!toolchain.ok)('transparent huge pages on a real Linux kernel (QEMU)', () => {
  let run: LinuxRun;
  const { lines, step } = readerOf(() => run);
  beforeAll(async () => {
    if (!toolchain.ok) return;
    run = await runOnLinux(THP_PROGRAMS, toolchain, { log: (line) => console.log(line) });
  });

  test('"thp always" maps a 2 MiB-aligned run of frames with one fault', () => {
    expect(lines('linux-thp')[0]).toEqual({ case: 'linux-thp', start: true, uid: 0, thp: 'always' });
    const write = step('linux-thp', 3);
    expect(write.minflt).toBe(1);
    const [first, second] = write.pages as [Page, Page];
    expect(first).toMatchObject({ state: 'present', zero: false });
    expect(first.pfn! % 512).toBe(0);
    expect(second).toMatchObject({ state: 'present', pfn: first.pfn! + 1 });
    expect(step('linux-thp', 4).minflt).toBe(0);
    expect(lines('linux-thp').at(-1)).toEqual({ case: 'linux-thp', done: true });
  });

  test('the next case has THP off again: a fault per page', () => {
    expect(step('linux-thp-after', 3).minflt).toBe(1);
    expect(step('linux-thp-after', 4).minflt).toBe(1);
  });

  test("a THP setting other than always or never is the case's error", () => {
    expect(lines('linux-thp-bad').at(-1)).toMatchObject({
      case: 'linux-thp-bad',
      error: expect.stringMatching(/malformed header line 'thp'/),
    });
  });
});

describe('reading the probe output (no QEMU needed)', () => {
  const programs = [
    { id: 'a', text: 'case a\n' },
    { id: 'b', text: 'case b\n' },
  ];

  test('only JSON objects are kept; serial noise and cut lines are ignored', () => {
    const text = [
      '\u0000garbage',
      '{"boot":{"kernel":"6.1.0"}}\r',
      '{"case":"a","start":true,"uid":0}',
      '{"case":"a","step":1,"op":"spawn","resu',
      '[1,2]',
      '{"case":"a","done":true}',
      '',
    ].join('\n');
    expect(parseProbeOutput(text)).toEqual([
      { boot: { kernel: '6.1.0' } },
      { case: 'a', start: true, uid: 0 },
      { case: 'a', done: true },
    ]);
  });

  test('lines are grouped by case, in order; an error line also ends a case', () => {
    const run = collectRun(
      parseProbeOutput(
        [
          '{"boot":{"kernel":"6.1.0"}}',
          '{"case":"a","start":true,"uid":0}',
          '{"case":"a","done":true}',
          '{"case":"b","start":true,"uid":0}',
          '{"case":"b","error":"step 1: undefined label"}',
        ].join('\n'),
      ),
      programs,
      'console',
    );
    expect(run.boot).toEqual({ kernel: '6.1.0' });
    expect(run.cases.get('a')).toEqual([
      { case: 'a', start: true, uid: 0 },
      { case: 'a', done: true },
    ]);
    expect(run.cases.get('b')?.at(-1)).toEqual({ case: 'b', error: 'step 1: undefined label' });
  });

  test('a missing boot line or an unfinished case is an error that shows the console', () => {
    expect(() => collectRun([], programs, 'Kernel panic')).toThrow(/no boot line[\s\S]*Kernel panic/);
    const unfinished = parseProbeOutput('{"boot":{}}\n{"case":"a","done":true}\n{"case":"b","start":true}\n');
    expect(() => collectRun(unfinished, programs, 'tail')).toThrow(
      /case b has neither a done nor an error[\s\S]*tail/,
    );
  });

  test('case files sort in program order and ids are checked', () => {
    expect(caseFileNames(programs)).toEqual(['000-a.txt', '001-b.txt']);
    expect(() => caseFileNames([{ id: 'Bad Id', text: '' }])).toThrow(/a-z0-9/);
    expect(() => caseFileNames([programs[0]!, programs[0]!])).toThrow(/twice/);
  });
});
