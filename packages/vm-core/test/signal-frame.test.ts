// What a SIGSEGV's frame tells the handler about the fault, beside what the
// CPU reported: the same for user addresses, and Linux's sanitized value for
// addresses user space must learn nothing about (checked against Debian's
// 6.1 by the conformance cases kernel-addresses and task-size-edge on x86-64).
import { describe, expect, test } from 'vitest';
import { Kernel, type KernelArch } from '../src/kernel/index.ts';

const PAGE = 4096;

function signalOf(arch: KernelArch, address: bigint, kind: 'read' | 'write' | 'exec' = 'read') {
  const kernel = new Kernel({ arch, frames: 512 });
  const pid = kernel.spawn('app').pid;
  const out = kernel.access(pid, address, kind);
  if (out.kind !== 'signal') throw new Error(`expected a signal, got ${out.kind}`);
  return { signal: out.signal, cpuReported: out.faults.at(-1)!.errorCode, kernel };
}

describe('x86: the error code in the frame (sanitize_error_code)', () => {
  const arches = ['x86-64', 'x86-32'] as const;

  test.each(arches)('%s: a user address keeps the error code the CPU pushed', (arch) => {
    const { signal, cpuReported } = signalOf(arch, 0x1234_5000n, 'write');
    expect(cpuReported).toBe(0x6);
    expect(signal.frame).toEqual({ arch: 'x86', trapNo: 14, errorCode: 0x6 });
  });

  test.each(arches)('%s: an unmapped kernel address reads as a protection fault (0x4 → 0x5)', (arch) => {
    const kernel = new Kernel({ arch, frames: 512 });
    const vmalloc = BigInt.asUintN(arch === 'x86-64' ? 64 : 32, BigInt(kernel.layout.vmallocStart));
    const { signal, cpuReported } = signalOf(arch, vmalloc + 0x100_0000n);
    expect(cpuReported).toBe(0x4);
    expect(signal.frame).toEqual({ arch: 'x86', trapNo: 14, errorCode: 0x5 });
  });

  test.each(arches)('%s: a mapped supervisor page already reports PROT, and keeps it', (arch) => {
    const kernel = new Kernel({ arch, frames: 512 });
    const direct = BigInt.asUintN(arch === 'x86-64' ? 64 : 32, BigInt(kernel.layout.directMapStart));
    const { signal, cpuReported } = signalOf(arch, direct, 'write');
    expect(cpuReported).toBe(0x7);
    expect(signal.frame).toEqual({ arch: 'x86', trapNo: 14, errorCode: 0x7 });
  });

  test('x86-64: the page at TASK_SIZE_MAX is the kernel’s side of the line, its last byte too', () => {
    for (const address of [0x7fff_ffff_f000n, 0x7fff_ffff_ffffn]) {
      const { signal, cpuReported } = signalOf('x86-64', address, 'write');
      expect([cpuReported, signal.frame]).toEqual([0x6, { arch: 'x86', trapNo: 14, errorCode: 0x7 }]);
    }
  });

  test('x86-64: an instruction fetch from an unmapped kernel address: 0x14 pushed, 0x15 in the frame', () => {
    const { signal, cpuReported } = signalOf('x86-64', 0xffff_ffff_c000_0000n, 'exec');
    expect(cpuReported).toBe(0x14);
    expect(signal.frame).toEqual({ arch: 'x86', trapNo: 14, errorCode: 0x15 });
  });

  test('x86-64: a non-canonical address is a #GP: trap 13, error code 0, and nothing sanitized', () => {
    const { signal } = signalOf('x86-64', 0x8000_0000_0000_0000n);
    expect(signal).toMatchObject({ code: 'SI_KERNEL', address: 0n });
    expect(signal.frame).toEqual({ arch: 'x86', trapNo: 13, errorCode: 0 });
  });
});

describe('ARM64: the ESR in the frame’s esr_context (set_thread_esr)', () => {
  const EC_SHIFT = 26;
  const IL = 1 << 25;
  const WNR = 1 << 6;
  const esr = (ec: number, rest: number) => ((ec << EC_SHIFT) | IL | rest) >>> 0;

  test('a TTBR0 address keeps the syndrome the CPU reported, level and all', () => {
    const { signal, cpuReported } = signalOf('arm64', 0x1234_5000n, 'write');
    // A data abort from EL0, WnR, translation fault at the level the walk stopped.
    expect(cpuReported >>> EC_SHIFT).toBe(0x24);
    expect(cpuReported & WNR).toBe(WNR);
    expect(signal.frame).toEqual({ arch: 'arm64', esr: cpuReported });
  });

  test('a mapped kernel page: the CPU says permission fault, the frame a level-0 translation fault', () => {
    const kernel = new Kernel({ arch: 'arm64', frames: 512 });
    const direct = BigInt.asUintN(64, BigInt(kernel.layout.directMapStart));
    const { signal, cpuReported } = signalOf('arm64', direct + BigInt(PAGE), 'write');
    expect(cpuReported & 0x3c).toBe(0x0c); // permission fault
    expect(signal.frame).toEqual({ arch: 'arm64', esr: esr(0x24, WNR | 0x04) });
  });

  test('an address past 48 bits is no kernel mapping either: the same level-0 translation fault, WnR clear for a read', () => {
    const { signal, cpuReported } = signalOf('arm64', 1n << 48n);
    expect(signal).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR', address: 1n << 48n });
    expect(cpuReported >>> EC_SHIFT).toBe(0x24);
    expect(signal.frame).toEqual({ arch: 'arm64', esr: esr(0x24, 0x04) });
  });

  test('an instruction abort on a kernel address keeps only EC and IL', () => {
    const { signal } = signalOf('arm64', 0xffff_8000_1000_0000n, 'exec');
    expect(signal.frame).toEqual({ arch: 'arm64', esr: esr(0x20, 0x04) });
  });
});

test('RISC-V: the frame holds registers only, so there is nothing to report', () => {
  const { signal } = signalOf('riscv-sv39', 0x1234_5000n);
  expect(signal).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
  expect(signal.frame).toBeNull();
});

test('the OOM killer’s SIGKILL comes from no fault: no frame', () => {
  const kernel = new Kernel({ arch: 'x86-64', frames: 96, swapSlots: 0 });
  const pid = kernel.spawn('hog').pid;
  const r = kernel.mmap(pid, { length: 256 * PAGE, prot: { read: true, write: true, exec: false } });
  if (r.kind !== 'ok') throw new Error(r.errno);
  let last = null;
  for (let i = 0; i < 256; i++) {
    const out = kernel.access(pid, r.address + i * PAGE, 'write', 1);
    if (out.kind !== 'ok') {
      last = out;
      break;
    }
  }
  expect(last).toMatchObject({ kind: 'signal', signal: { signal: 'SIGKILL', frame: null } });
});
