/**
 * Full 64-bit values at the hook boundary: virtual addresses are exact
 * unsigned bigints in FaultInfo, VmaInfo, signals and the user copies, on
 * every architecture — kernel addresses, non-canonical ones beyond ±2^53,
 * and 32-bit ones on x86-32.
 */
import { describe, expect, test } from 'vitest';
import {
  type FaultInfo,
  KERNEL_ARCHES,
  Kernel,
  type KernelArch,
  referenceHooks,
  type UserCopy,
} from '../src/index.ts';

const RW = { read: true, write: true, exec: false } as const;

/** A kernel whose page-fault hook records what it was told, then runs the reference. */
function recording(arch: KernelArch) {
  const seen: FaultInfo[] = [];
  const copies: UserCopy[] = [];
  const kernel = new Kernel({
    arch,
    frames: 256,
    hooks: {
      pageFault: (k, f) => {
        seen.push(f);
        return referenceHooks.pageFault(k, f);
      },
      copyFromUser: (k, c) => {
        copies.push(c);
        return referenceHooks.copyFromUser(k, c);
      },
    },
  });
  return { kernel, seen, copies };
}

describe.each(KERNEL_ARCHES)('exact addresses on %s', (arch) => {
  test('a fault, its VMA and the signal carry the address as an unsigned bigint', () => {
    const { kernel, seen } = recording(arch);
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: { read: true, write: false, exec: false } });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const mm = kernel.task(pid).mm!.id;
    expect(kernel.api.findVma(mm, BigInt(r.address))).toMatchObject({
      start: BigInt(r.address),
      end: BigInt(r.address + 4096),
    });
    const out = kernel.access(pid, r.address + 0x123, 'write', 1);
    expect(seen[0]!.address).toBe(BigInt(r.address + 0x123));
    expect(typeof seen[0]!.ip).toBe('bigint');
    expect(out).toMatchObject({
      kind: 'signal',
      signal: { code: 'SEGV_ACCERR', address: BigInt(r.address + 0x123) },
    });
  });

  test('a kernel-half address reaches the hook unsigned, as C holds it', () => {
    const { kernel, seen } = recording(arch);
    const pid = kernel.spawn('app').pid;
    const kernelVa = kernel.directMapAddress(1);
    kernel.access(pid, kernelVa, 'read');
    const bits = arch === 'x86-32' ? 32 : 64;
    expect(seen[0]!.address).toBe(BigInt.asUintN(bits, BigInt(kernelVa)));
    expect(seen[0]!.address).toBeGreaterThan(0n);
    expect(kernel.api.isUserAddress(seen[0]!.address)).toBe(false);
  });

  test('access_ok sees the exact value: an address near 2^64 is refused, never rounded into range', () => {
    const { kernel, copies } = recording(arch);
    const pid = kernel.spawn('app').pid;
    for (const user of [0xffff_ffff_ffff_fff0n, 0x8000_0000_0000_0000n, 2n ** 64n - 1n]) {
      const copy = kernel.copyFromUser(pid, user, 32);
      expect(copy).toMatchObject({ notCopied: 32, errno: 'EFAULT', oops: null });
      expect(copies.at(-1)!.userAddress).toBe(BigInt.asUintN(arch === 'x86-32' ? 32 : 64, user));
    }
    expect(kernel.uaccessApi.accessOk(4096n, 1)).toBe(true);
  });
});

describe('non-canonical addresses beyond ±2^53 are exact', () => {
  test('x86-64: #GP, SIGSEGV with SI_KERNEL and si_addr 0, and the report keeps 0x8000000000000000', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.access(pid, 0x8000_0000_0000_0000n, 'read');
    expect(r).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SI_KERNEL', address: 0n },
    });
    expect(r.faults[0]!.address).toBe('0x8000000000000000');
    expect(r.faults[0]!.message).toContain('#GP');
  });

  test.each(['riscv-sv39', 'arm64'] as const)('%s: the hook and the signal get the exact address', (arch) => {
    const { kernel, seen } = recording(arch);
    const pid = kernel.spawn('app').pid;
    const address = 0x8000_0000_dead_beefn;
    const r = kernel.access(pid, address, 'write', 1);
    expect(seen[0]!.address).toBe(address);
    expect(r).toMatchObject({ kind: 'signal', signal: { signal: 'SIGSEGV', code: 'SEGV_MAPERR', address } });
    expect(r.faults[0]!.address).toBe('0x80000000deadbeef');
  });

  test('a kernel-mode access to one oopses with the exact address in the report', () => {
    const kernel = new Kernel({ arch: 'riscv-sv39', frames: 256 });
    const pid = kernel.spawn('k').pid;
    kernel.switchTo(0, pid);
    const r = kernel.kernelAccess(0, 0xdead_0000_0000_beefn, 'read');
    expect(r.kind).toBe('oops');
    if (r.kind === 'oops') expect(r.report).toContain('dead00000000beef');
  });
});

describe('the hook API refuses a number where an address belongs', () => {
  test('with a message that shows how to write it', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    const mm = kernel.task(pid).mm!.id;
    expect(() => kernel.api.findVma(mm, r.address as unknown as bigint)).toThrow(
      new RegExp(
        `^findVma: a virtual address is a bigint \\(the kernel's unsigned long\\), got the number ${r.address} — write 0x${r.address.toString(16)}n or BigInt\\(x\\)$`,
      ),
    );
    expect(() => kernel.uaccessApi.loadByte(pid, '0x1000' as unknown as bigint, 0n)).toThrow(
      /loadByte: a virtual address is a bigint .*got the string "0x1000"/,
    );
    // Read modulo 2^64, like a register: -1n is the top of the address space.
    expect(kernel.api.isUserAddress(-1n)).toBe(false);
    expect(kernel.api.findVma(mm, BigInt(r.address) + 2n ** 64n)).toMatchObject({ start: BigInt(r.address) });
  });
});
