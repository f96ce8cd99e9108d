/**
 * What it takes to run the conformance probes on a real Linux kernel, for
 * each architecture the probe runs on: QEMU for it, a kernel image to boot,
 * and a gcc for it with the static C library to build the probe. Nothing
 * here needs root or KVM.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { PACKAGE_PATHS } from '../paths.ts';

/** The architectures the probe runs on, by Faultline's names for them. */
export type LinuxArch = 'x86-64' | 'arm64';

export interface LinuxToolchain {
  readonly ok: true;
  /** The machine QEMU emulates; x86-64 when absent. */
  readonly arch?: LinuxArch;
  /** qemu-system-x86_64 or qemu-system-aarch64 */
  readonly qemu: string;
  /** The kernel to boot: Debian's /boot/vmlinuz-*-amd64, or the arm64 one unpacked into .tools/arm64/boot. */
  readonly kernel: string;
  /** gcc, or aarch64-linux-gnu-gcc */
  readonly gcc: string;
}

/** Where each architecture's tools come from, with the Debian packages that provide them. */
const TOOLS: Readonly<
  Record<
    LinuxArch,
    {
      readonly qemu: string;
      readonly qemuPackage: string;
      readonly gcc: string;
      readonly gccPackages: string;
      readonly libcPackage: string;
      readonly kernelSuffix: string;
      readonly kernelEnv: string;
      readonly bootDir: string;
      readonly kernelHow: string;
    }
  >
> = {
  'x86-64': {
    qemu: 'qemu-system-x86_64',
    qemuPackage: 'qemu-system-x86',
    gcc: 'gcc',
    gccPackages: 'gcc and libc6-dev',
    libcPackage: 'libc6-dev',
    kernelSuffix: 'amd64',
    kernelEnv: 'FAULTLINE_LINUX_KERNEL',
    bootDir: '/boot',
    kernelHow: 'Debian package linux-image-amd64',
  },
  arm64: {
    qemu: 'qemu-system-aarch64',
    qemuPackage: 'qemu-system-arm',
    gcc: 'aarch64-linux-gnu-gcc',
    gccPackages: 'gcc-aarch64-linux-gnu and libc6-dev-arm64-cross',
    libcPackage: 'libc6-dev-arm64-cross',
    kernelSuffix: 'arm64',
    kernelEnv: 'FAULTLINE_LINUX_KERNEL_ARM64',
    bootDir: PACKAGE_PATHS.arm64Boot,
    kernelHow:
      "Debian's linux-image-arm64, which npm test (as root) unpacks there: faultline.unpackedPackages in package.json",
  },
};

export interface MissingLinuxToolchain {
  readonly ok: false;
  /** What is absent, in words, with the Debian package that provides it. */
  readonly missing: string[];
}

export interface ToolchainSearch {
  /** Which machine; x86-64 by default. */
  readonly arch?: LinuxArch;
  /** Defaults to process.env (PATH, FAULTLINE_LINUX_KERNEL or FAULTLINE_LINUX_KERNEL_ARM64). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where to look for vmlinuz-*-amd64 (or -arm64); defaults to /boot (or .tools/arm64/boot). */
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

/** The newest readable vmlinuz-<version>-<suffix> (amd64 unless said) in bootDir. */
export function newestKernel(bootDir: string, suffix = 'amd64'): string | undefined {
  let names: string[];
  try {
    names = readdirSync(bootDir);
  } catch {
    return undefined;
  }
  const kernels = names
    .map((name) => ({ name, version: new RegExp(`^vmlinuz-(.+)-${suffix}$`).exec(name)?.[1] }))
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
  const arch = search.arch ?? 'x86-64';
  const tools = TOOLS[arch];
  const missing: string[] = [];

  const qemu = findOnPath(tools.qemu, env.PATH);
  if (!qemu) missing.push(`QEMU for ${arch} (${tools.qemu} on PATH; Debian package ${tools.qemuPackage})`);

  let kernel: string | undefined;
  const override = env[tools.kernelEnv];
  if (override) {
    if (canAccess(override, constants.R_OK)) kernel = override;
    else missing.push(`the kernel ${tools.kernelEnv} names (${override}) is not readable`);
  } else {
    const bootDir = search.bootDir ?? tools.bootDir;
    kernel = newestKernel(bootDir, tools.kernelSuffix);
    if (!kernel) {
      missing.push(
        `a readable Linux kernel image ${join(bootDir, `vmlinuz-*-${tools.kernelSuffix}`)} (${tools.kernelHow}; ` +
          `or set ${tools.kernelEnv} to one)`,
      );
    }
  }

  const gcc = findOnPath(tools.gcc, env.PATH);
  if (!gcc)
    missing.push(`a C compiler for ${arch} (${tools.gcc} on PATH; Debian packages ${tools.gccPackages})`);
  else if (!hasStaticLibc(gcc)) {
    missing.push(
      `the static C library libc.a, for ${tools.gcc} -static (Debian package ${tools.libcPackage})`,
    );
  }

  if (qemu && kernel && gcc && missing.length === 0)
    return { ok: true, ...(arch === 'x86-64' ? {} : { arch }), qemu, kernel, gcc };
  return { ok: false, missing };
}
