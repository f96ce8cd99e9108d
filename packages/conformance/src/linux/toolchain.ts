/**
 * What it takes to run the conformance probes on a real Linux kernel: QEMU
 * for x86-64, a kernel image to boot, and gcc with the static C library to
 * build the probe. Nothing here needs root or KVM.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface LinuxToolchain {
  readonly ok: true;
  /** qemu-system-x86_64 */
  readonly qemu: string;
  /** A bzImage to boot (Debian's /boot/vmlinuz-*-amd64). */
  readonly kernel: string;
  readonly gcc: string;
}

export interface MissingLinuxToolchain {
  readonly ok: false;
  /** What is absent, in words, with the Debian package that provides it. */
  readonly missing: string[];
}

export interface ToolchainSearch {
  /** Defaults to process.env (PATH, FAULTLINE_LINUX_KERNEL). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where to look for vmlinuz-*-amd64; defaults to /boot. */
  readonly bootDir?: string;
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (canAccess(candidate, constants.X_OK)) return candidate;
  }
  return undefined;
}

/** Compares kernel release strings numerically, part by part ("6.1.0-57" > "6.1.0-9"). */
export function compareKernelVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** The newest readable vmlinuz-<version>-amd64 in bootDir. */
export function newestKernel(bootDir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(bootDir);
  } catch {
    return undefined;
  }
  const kernels = names
    .map((name) => ({ name, version: /^vmlinuz-(.+)-amd64$/.exec(name)?.[1] }))
    .filter((k): k is { name: string; version: string } => k.version !== undefined)
    .filter((k) => canAccess(join(bootDir, k.name), constants.R_OK))
    .sort((a, b) => compareKernelVersions(b.version, a.version));
  return kernels[0] ? join(bootDir, kernels[0].name) : undefined;
}

/** Whether gcc can link statically: libc.a resolves to a real path. */
function hasStaticLibc(gcc: string): boolean {
  try {
    const path = execFileSync(gcc, ['-print-file-name=libc.a'], { encoding: 'utf8' }).trim();
    return isAbsolute(path) && canAccess(path, constants.R_OK);
  } catch {
    return false;
  }
}

export function findLinuxToolchain(search: ToolchainSearch = {}): LinuxToolchain | MissingLinuxToolchain {
  const env = search.env ?? process.env;
  const missing: string[] = [];

  const qemu = findOnPath('qemu-system-x86_64', env.PATH);
  if (!qemu) missing.push('QEMU for x86-64 (qemu-system-x86_64 on PATH; Debian package qemu-system-x86)');

  let kernel: string | undefined;
  const override = env.FAULTLINE_LINUX_KERNEL;
  if (override) {
    if (canAccess(override, constants.R_OK)) kernel = override;
    else missing.push(`the kernel FAULTLINE_LINUX_KERNEL names (${override}) is not readable`);
  } else {
    const bootDir = search.bootDir ?? '/boot';
    kernel = newestKernel(bootDir);
    if (!kernel) {
      missing.push(
        `a readable Linux kernel image ${bootDir}/vmlinuz-*-amd64 (Debian package linux-image-amd64; ` +
          'or set FAULTLINE_LINUX_KERNEL to a bzImage)',
      );
    }
  }

  const gcc = findOnPath('gcc', env.PATH);
  if (!gcc) missing.push('a C compiler (gcc on PATH; Debian packages gcc and libc6-dev)');
  else if (!hasStaticLibc(gcc)) {
    missing.push('the static C library libc.a, for gcc -static (Debian package libc6-dev)');
  }

  if (qemu && kernel && gcc && missing.length === 0) return { ok: true, qemu, kernel, gcc };
  return { ok: false, missing };
}
