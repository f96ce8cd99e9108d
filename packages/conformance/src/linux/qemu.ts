/**
 * Runs conformance programs on a real Linux kernel: compiles the C probe
 * (packages/conformance/linux/probe.c) statically, packs it as the /init of
 * an initramfs with one /cases/<nnn>-<id>.txt per program, boots the kernel
 * under QEMU (software emulation, no KVM needed) and reads back the JSON
 * lines the probe wrote to the second serial port.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_PATHS } from '../paths.ts';
import { type CpioEntry, writeCpio } from './cpio.ts';
import type { LinuxToolchain } from './toolchain.ts';

export interface LinuxProgram {
  /** The case id ([a-z0-9-]+), as in the program's "case" line. */
  readonly id: string;
  /** The program text (the conformance probe protocol). */
  readonly text: string;
}

export interface LinuxRun {
  /** The probe's boot line: kernel, machine, page_size, mem_total_kb, thp, mmap_min_addr, … */
  readonly boot: Record<string, unknown>;
  /** Each case id's JSON lines in order: start, one per step, then done or error. */
  readonly cases: ReadonlyMap<string, readonly Record<string, unknown>[]>;
  /** The last ~4 KiB of the kernel console (the first serial port). */
  readonly console: string;
}

export interface RunOnLinuxOptions {
  /** Where to build and keep the probe, initramfs and logs; a fresh temporary directory (removed afterwards) if absent. */
  readonly workDir?: string;
  /** Progress messages. */
  readonly log?: (line: string) => void;
  /** Hang guard only: QEMU is killed after this long (default 15 minutes). Never a measure of speed. */
  readonly hangGuardMs?: number;
}

const PROBE_SOURCE = PACKAGE_PATHS.probeSource;

const CONSOLE_TAIL_BYTES = 4096;
const DEFAULT_HANG_GUARD_MS = 15 * 60 * 1000;
const CASE_ID = /^[a-z0-9-]+$/;

/** Character devices of the initramfs's /dev (Documentation/admin-guide/devices.txt). */
const DEVICES: readonly CpioEntry[] = [
  { kind: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
  { kind: 'chardev', path: 'dev/ttyS0', major: 4, minor: 64, mode: 0o660 },
  { kind: 'chardev', path: 'dev/ttyS1', major: 4, minor: 65, mode: 0o660 },
  { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
];

/**
 * The kernel command line: quiet, no KASLR, no address-space randomisation,
 * a panic powers off (-no-reboot). no_timer_check skips the boot-time check
 * that the IO-APIC delivers timer interrupts (arch/x86/kernel/apic/io_apic.c,
 * check_timer): under software emulation on a saturated host the ticks come
 * late and the kernel panics with "IO-APIC + timer doesn't work!" — seen at
 * a load average of 20.
 */
export const KERNEL_COMMAND_LINE = 'console=ttyS0 quiet panic=-1 nokaslr norandmaps no_timer_check';

/** arm64's: the console on the virt board's PL011 (ttyAMA0); no x86 timer check to skip. */
export const KERNEL_COMMAND_LINE_ARM64 = 'console=ttyAMA0 quiet panic=-1 nokaslr norandmaps';

function run(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Builds the probe as a static binary (it is the initramfs's /init). */
export async function compileProbe(gcc: string, output: string): Promise<void> {
  await run(gcc, ['-static', '-O2', '-Wall', '-Wextra', '-o', output, PROBE_SOURCE]);
}

/** File names in /cases, which the probe runs sorted by name: zero-padded order, then the id. */
export function caseFileNames(programs: readonly LinuxProgram[]): string[] {
  const width = Math.max(3, String(programs.length).length);
  const seen = new Set<string>();
  return programs.map((p, i) => {
    if (!CASE_ID.test(p.id)) throw new Error(`case id ${JSON.stringify(p.id)} is not [a-z0-9-]+`);
    if (seen.has(p.id)) throw new Error(`case id ${p.id} appears twice`);
    seen.add(p.id);
    return `${String(i).padStart(width, '0')}-${p.id}.txt`;
  });
}

export function initramfsEntries(probe: Uint8Array, programs: readonly LinuxProgram[]): CpioEntry[] {
  const names = caseFileNames(programs);
  return [
    { kind: 'directory', path: 'dev' },
    ...DEVICES,
    { kind: 'directory', path: 'proc', mode: 0o555 },
    { kind: 'directory', path: 'sys', mode: 0o555 },
    { kind: 'directory', path: 'tmp', mode: 0o1777 },
    { kind: 'directory', path: 'cases' },
    ...programs.map(
      (p, i): CpioEntry => ({ kind: 'file', path: `cases/${names[i]}`, data: p.text, mode: 0o644 }),
    ),
    { kind: 'file', path: 'init', data: probe, mode: 0o755 },
  ];
}

/**
 * QEMU's command line. x86-64: the qemu64 CPU (no KVM here), two 16550
 * serial ports (console, probe output). arm64: the virt board with the
 * `max` CPU (PAN, hardware access and dirty flags; pauth-impdef keeps
 * pointer authentication cheap to emulate), whose one PL011 carries the
 * console, and a pci-serial device — the guest's 8250 /dev/ttyS0 — the
 * probe output (this kernel's virtio console is a module). 256 MiB each:
 * below 512 MiB the kernel leaves transparent huge pages off, as the
 * simulator does.
 */
export function qemuArguments(
  toolchain: LinuxToolchain,
  initrd: string,
  consoleLog: string,
  probeLog: string,
) {
  const common = ['-m', '256M', '-smp', '1', '-nodefaults', '-nographic', '-no-reboot'];
  const boot = ['-kernel', toolchain.kernel, '-initrd', initrd];
  if (toolchain.arch === 'arm64')
    return [
      ...['-machine', 'virt', '-cpu', 'max,pauth-impdef=on'],
      ...common,
      ...boot,
      ...['-append', KERNEL_COMMAND_LINE_ARM64],
      ...['-serial', `file:${consoleLog}`],
      ...['-chardev', `file,id=probe,path=${probeLog}`, '-device', 'pci-serial,chardev=probe'],
      ...['-monitor', 'none'],
    ];
  return [
    ...['-accel', 'tcg', '-cpu', 'qemu64'],
    ...common,
    ...boot,
    ...['-append', KERNEL_COMMAND_LINE],
    ...['-serial', `file:${consoleLog}`, '-serial', `file:${probeLog}`],
    ...['-monitor', 'none'],
  ];
}

interface QemuExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly hung: boolean;
}

function boot(qemu: string, args: readonly string[], hangGuardMs: number): Promise<QemuExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-CONSOLE_TAIL_BYTES);
    });
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, hangGuardMs);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr, hung });
    });
  });
}

async function readTail(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.slice(-CONSOLE_TAIL_BYTES);
  } catch {
    return '';
  }
}

/** Every line of the probe's output that parses as a JSON object, in order; anything else is ignored. */
export function parseProbeOutput(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        lines.push(value as Record<string, unknown>);
      }
    } catch {
      // a line mangled by the serial port or cut by a crash: not evidence of anything
    }
  }
  return lines;
}

function withConsole(message: string, consoleTail: string): Error {
  return new Error(`${message}\n--- kernel console (last ${CONSOLE_TAIL_BYTES} bytes) ---\n${consoleTail}`);
}

/** Groups the lines by case and checks that the boot line and every program's end are there. */
export function collectRun(
  lines: readonly Record<string, unknown>[],
  programs: readonly LinuxProgram[],
  consoleTail: string,
): LinuxRun {
  const bootLine = lines.find((l) => typeof l.boot === 'object' && l.boot !== null);
  if (!bootLine) {
    throw withConsole('the probe printed no boot line (did the kernel reach /init?)', consoleTail);
  }
  const cases = new Map<string, Record<string, unknown>[]>();
  for (const line of lines) {
    if (typeof line.case !== 'string') continue;
    let list = cases.get(line.case);
    if (!list) {
      list = [];
      cases.set(line.case, list);
    }
    list.push(line);
  }
  for (const program of programs) {
    const list = cases.get(program.id) ?? [];
    const ended = list.some((l) => l.done === true || typeof l.error === 'string');
    if (!ended) {
      const last = list.at(-1);
      const where = last ? `its last line was ${JSON.stringify(last)}` : 'it printed nothing';
      throw withConsole(`case ${program.id} has neither a done nor an error line: ${where}`, consoleTail);
    }
  }
  return { boot: bootLine.boot as Record<string, unknown>, cases, console: consoleTail };
}

export async function runOnLinux(
  programs: readonly { id: string; text: string }[],
  toolchain: LinuxToolchain,
  options: RunOnLinuxOptions = {},
): Promise<LinuxRun> {
  const log = options.log ?? (() => {});
  const ownDir = options.workDir === undefined;
  const dir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'faultline-linux-')));
  await mkdir(dir, { recursive: true });
  try {
    caseFileNames(programs); // reject bad ids before spending time on a build
    const probeBinary = join(dir, 'init');
    log(`compiling ${PROBE_SOURCE}`);
    await compileProbe(toolchain.gcc, probeBinary);

    const initrd = join(dir, 'initramfs.cpio');
    const probe = new Uint8Array(await readFile(probeBinary));
    await writeFile(initrd, writeCpio(initramfsEntries(probe, programs)));

    const consoleLog = join(dir, 'console.log');
    const probeLog = join(dir, 'probe.jsonl');
    await rm(consoleLog, { force: true });
    await rm(probeLog, { force: true });
    const args = qemuArguments(toolchain, initrd, consoleLog, probeLog);
    log(
      `booting ${toolchain.kernel} with ${programs.length} program(s): ${toolchain.qemu} ${args.join(' ')}`,
    );
    const hangGuardMs = options.hangGuardMs ?? DEFAULT_HANG_GUARD_MS;
    const exit = await boot(toolchain.qemu, args, hangGuardMs);
    const consoleTail = await readTail(consoleLog);
    if (exit.hung) {
      throw withConsole(
        `QEMU did not power off within ${Math.round(hangGuardMs / 60000)} minutes and was killed ` +
          '(a hang guard: the probe powers off once every case is done)',
        consoleTail,
      );
    }
    if (exit.code !== 0) {
      log(`QEMU exited with ${exit.signal ?? exit.code}: ${exit.stderr.trim()}`);
    }
    let output = '';
    try {
      output = await readFile(probeLog, 'utf8');
    } catch {
      throw withConsole(
        `QEMU exited (${exit.signal ?? exit.code}) without creating ${probeLog}: ${exit.stderr.trim()}`,
        consoleTail,
      );
    }
    return collectRun(parseProbeOutput(output), programs, consoleTail);
  } finally {
    if (ownDir) await rm(dir, { recursive: true, force: true });
  }
}
