import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { compareKernelVersions, findLinuxToolchain, newestKernel } from './toolchain.ts';

const root = mkdtempSync(join(tmpdir(), 'faultline-toolchain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findLinuxToolchain', () => {
  test('kernel versions compare part by part, numerically', () => {
    expect(compareKernelVersions('6.1.0-57', '6.1.0-9')).toBeGreaterThan(0);
    expect(compareKernelVersions('6.10.0-1', '6.9.0-30')).toBeGreaterThan(0);
    expect(compareKernelVersions('6.1.0-28', '6.1.0-28')).toBe(0);
  });

  test('the newest readable vmlinuz-*-amd64 wins', () => {
    const boot = join(root, 'boot');
    mkdirSync(boot);
    for (const v of ['6.1.0-9', '6.1.0-57', '6.1.0-13']) writeFileSync(join(boot, `vmlinuz-${v}-amd64`), '');
    writeFileSync(join(boot, 'vmlinuz-7.0.0-1-arm64'), '');
    writeFileSync(join(boot, 'config-6.1.0-99-amd64'), '');
    expect(newestKernel(boot)).toBe(join(boot, 'vmlinuz-6.1.0-57-amd64'));
  });

  test('what is missing is named with the Debian package that provides it', () => {
    const result = findLinuxToolchain({ env: { PATH: join(root, 'empty') }, bootDir: join(root, 'nowhere') });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toHaveLength(3);
    expect(result.missing[0]).toMatch(/qemu-system-x86_64.*qemu-system-x86/);
    expect(result.missing[1]).toMatch(/vmlinuz-\*-amd64.*linux-image-amd64/);
    expect(result.missing[2]).toMatch(/gcc.*libc6-dev/);
  });

  test('arm64 asks for its own QEMU, cross compiler and unpacked kernel', () => {
    const boot = join(root, 'arm64-boot');
    mkdirSync(boot);
    writeFileSync(join(boot, 'vmlinuz-6.1.0-57-arm64'), '');
    writeFileSync(join(boot, 'vmlinuz-6.1.0-58-amd64'), '');
    expect(newestKernel(boot, 'arm64')).toBe(join(boot, 'vmlinuz-6.1.0-57-arm64'));
    const result = findLinuxToolchain({
      arch: 'arm64',
      env: { PATH: join(root, 'empty') },
      bootDir: join(root, 'none'),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toHaveLength(3);
    expect(result.missing[0]).toMatch(/qemu-system-aarch64.*qemu-system-arm/);
    expect(result.missing[1]).toMatch(/vmlinuz-\*-arm64.*linux-image-arm64.*FAULTLINE_LINUX_KERNEL_ARM64/);
    expect(result.missing[2]).toMatch(
      /aarch64-linux-gnu-gcc.*gcc-aarch64-linux-gnu and libc6-dev-arm64-cross/,
    );
  });

  test('FAULTLINE_LINUX_KERNEL overrides /boot, and must be readable', () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const qemu = join(bin, 'qemu-system-x86_64');
    writeFileSync(qemu, '#!/bin/sh\n');
    chmodSync(qemu, 0o755);
    const result = findLinuxToolchain({
      env: { PATH: bin, FAULTLINE_LINUX_KERNEL: join(root, 'no-such-bzImage') },
      bootDir: join(root, 'nowhere'),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing.some((m) => m.includes('qemu'))).toBe(false);
    expect(
      result.missing.some((m) => m.includes('FAULTLINE_LINUX_KERNEL') && m.includes('no-such-bzImage')),
    ).toBe(true);
  });
});
