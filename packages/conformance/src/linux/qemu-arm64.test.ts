/**
 * End to end on arm64: the same probe, cross-compiled, on Debian's arm64
 * kernel under qemu-system-aarch64 (the virt board, the `max` CPU). What
 * arm64 tells user space differs from x86: the fault's syndrome is the ESR
 * in the signal frame's esr_context (EC, WnR, and a fault status code
 * naming the level the walk stopped at), Linux rewrites it for kernel
 * addresses, and mmap_min_addr is 4096. Assertions are on behaviour, never
 * on time. FAULTLINE_LINUX_WORKDIR keeps the build and serial logs.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { type LinuxRun, runOnLinux } from './qemu.ts';
import { findLinuxToolchain } from './toolchain.ts';

const BASICS = `# demand zero, the zero page, uaccess with a hole, COW over fork
case arm64-basics
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
spawn p
mmap p - 4096 rw- - - 0 cow
write p cow 1
fork p c
write c cow 2
read p cow
`;

const SIGNALS = `# what the signal frame's ESR says
case arm64-signals
uid 0
spawn unmapped
read unmapped 0x10
spawn kernel
read kernel 0xffff000000010000
spawn kwrite
write kwrite 0xffff000000010000 1
spawn nx
mmap nx - 4096 rw- - - 0 data
write nx data 1
exec nx data
spawn rwx
mmap rwx - 4096 rwx - - 0 code
exec rwx code
spawn ro
mmap ro - 4096 r-- - - 0 rodata
read ro rodata
write ro rodata 1
`;

const NOBODY = `# arm64's mmap_min_addr is one page: nobody may map the second
case arm64-nobody
uid 65534
spawn a
mmap a 0x1000 4096 rw- fixed - 0 low
mmap a 0 4096 rw- fixed - 0 zero
`;

const PROGRAMS = [
  { id: 'arm64-basics', text: BASICS },
  { id: 'arm64-signals', text: SIGNALS },
  { id: 'arm64-nobody', text: NOBODY },
];

const toolchain = findLinuxToolchain({ arch: 'arm64' });
if (!toolchain.ok) {
  console.warn(`arm64 Linux conformance tests skipped; missing:\n  - ${toolchain.missing.join('\n  - ')}`);
}

interface StepLine {
  step: number;
  op: string;
  result: Record<string, unknown>;
  minflt: number | null;
  pages: { state: string; pfn?: number; zero?: boolean; mapcount?: number }[];
}

/** ESR_ELx fields (ARM ARM D17.2.40): exception class, write-not-read, fault status code. */
function syndrome(esr: unknown): { ec: number; wnr: boolean; fsc: number; il: boolean } {
  if (typeof esr !== 'number') throw new Error(`no ESR in the signal frame: ${JSON.stringify(esr)}`);
  return {
    ec: (esr >>> 26) & 0x3f,
    il: ((esr >>> 25) & 1) === 1,
    wnr: ((esr >>> 6) & 1) === 1,
    fsc: esr & 0x3f,
  };
}

const DATA_ABORT_LOWER_EL = 0x24;
const INSTRUCTION_ABORT_LOWER_EL = 0x20;
/** A translation fault at level 0–3 (DFSC/IFSC 0b0001LL) and a permission fault at level 1–3 (0b0011LL). */
const translationFault = (level: number) => 0x04 + level;
const permissionFault = (level: number) => 0x0c + level;

describe.skipIf(!toolchain.ok)('the probe on a real arm64 Linux kernel (qemu-system-aarch64)', () => {
  let run: LinuxRun;
  const step = (id: string, n: number): StepLine => {
    const line = (run.cases.get(id) ?? []).find((l) => l.step === n);
    if (!line) throw new Error(`case ${id} has no step ${n}: ${JSON.stringify(run.cases.get(id))}`);
    return line as unknown as StepLine;
  };

  beforeAll(async () => {
    if (!toolchain.ok) return;
    const workDir = process.env.FAULTLINE_LINUX_WORKDIR;
    run = await runOnLinux(PROGRAMS, toolchain, {
      ...(workDir ? { workDir } : {}),
      log: (line) => console.log(line),
    });
  });

  test('the boot line describes an arm64 machine with 4 KiB pages and THP off', () => {
    expect(run.boot).toMatchObject({ machine: 'aarch64', page_size: 4096, files_fs: 'tmpfs' });
    expect(run.boot.kernel).toMatch(/^6\.1\..*-arm64$/);
    expect(run.boot.mmap_min_addr).toBe(4096);
    expect(run.boot.thp).toBe('always madvise [never]');
    for (const id of ['arm64-basics', 'arm64-signals', 'arm64-nobody'])
      expect(run.cases.get(id)?.at(-1)).toEqual({ case: id, done: true });
  });

  test('a first write is one demand-zero fault; a first read maps the zero page, which a write replaces', () => {
    const write = step('arm64-basics', 3);
    expect(write.minflt).toBe(1);
    expect(write.pages[0]).toMatchObject({ state: 'present', zero: false, mapcount: 1 });
    expect(step('arm64-basics', 4)).toMatchObject({ result: { value: 7 }, minflt: 0 });
    const read = step('arm64-basics', 6);
    expect(read).toMatchObject({ result: { value: 0 }, minflt: 1 });
    expect(read.pages[1]).toMatchObject({ state: 'present', zero: true });
    const replaced = step('arm64-basics', 7);
    expect(replaced.minflt).toBe(1);
    expect(replaced.pages[1]).toMatchObject({ state: 'present', zero: false, mapcount: 1 });
  });

  test('copy_from_user of a buffer with a hole stops at the hole', () => {
    expect(step('arm64-basics', 10)).toMatchObject({ result: { ret: 4096 }, minflt: 1 });
  });

  test("fork shares the page copy-on-write; the child's write copies it", () => {
    const fork = step('arm64-basics', 14);
    expect(fork.pages[2]).toMatchObject({ state: 'present', mapcount: 2 });
    expect(fork.pages[3]).toEqual(fork.pages[2]);
    const childWrite = step('arm64-basics', 15);
    expect(childWrite.minflt).toBe(1);
    expect(childWrite.pages[3]!.pfn).not.toBe(childWrite.pages[2]!.pfn);
    expect(step('arm64-basics', 16).result).toEqual({ value: 1 });
  });

  test('an unmapped address: SEGV_MAPERR, a data abort from EL0 with a translation fault, not a write', () => {
    const { result } = step('arm64-signals', 2);
    expect(result).toMatchObject({ signal: 'SIGSEGV', code: 1, addr: '0x10' });
    const esr = syndrome(result.esr);
    expect(esr).toMatchObject({ ec: DATA_ABORT_LOWER_EL, wnr: false, il: true });
    expect([0, 1, 2, 3].map(translationFault)).toContain(esr.fsc);
  });

  test('a kernel address: Linux rewrites the ESR to a level-0 translation fault, keeping only WnR (set_thread_esr)', () => {
    const read = step('arm64-signals', 4).result;
    expect(read).toMatchObject({ signal: 'SIGSEGV', code: 1, addr: '0xffff000000010000' });
    expect(read.esr).toBe(0x92000004);
    const write = step('arm64-signals', 6).result;
    expect(write.esr).toBe(0x92000044);
  });

  test('a fetch from a present non-executable page: SEGV_ACCERR, an instruction abort with a level-3 permission fault', () => {
    const { result } = step('arm64-signals', 10);
    expect(result).toMatchObject({ signal: 'SIGSEGV', code: 2 });
    expect(syndrome(result.esr)).toMatchObject({ ec: INSTRUCTION_ABORT_LOWER_EL, fsc: permissionFault(3) });
  });

  test('a fetch from an executable zero page succeeds (UDF #0 then raises SIGILL at the target)', () => {
    expect(step('arm64-signals', 13).result).toEqual({});
  });

  test('a write to a present read-only page: SEGV_ACCERR, WnR set, a level-3 permission fault', () => {
    expect(step('arm64-signals', 16).result).toMatchObject({ value: 0 });
    const { result } = step('arm64-signals', 17);
    expect(result).toMatchObject({ signal: 'SIGSEGV', code: 2 });
    expect(syndrome(result.esr)).toMatchObject({
      ec: DATA_ABORT_LOWER_EL,
      wnr: true,
      fsc: permissionFault(3),
    });
  });

  test('an unprivileged task may map the second page but not page zero', () => {
    expect(step('arm64-nobody', 2).result).toEqual({ address: '0x1000' });
    expect(step('arm64-nobody', 3).result).toEqual({ errno: 'EPERM' });
  });
});
