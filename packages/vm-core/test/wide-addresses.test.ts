/**
 * Exact 64-bit addresses at the MMU: `translateWide` takes the register
 * value as a bigint. Whatever a number holds goes the usual way; the rest
 * (beyond ±2^53) is non-canonical on every modelled format and faults with
 * the exact address in its report.
 */
import { describe, expect, test } from 'vitest';
import {
  Access,
  arm64,
  definePagingFormat,
  isPageFault,
  type PageFault,
  Privilege,
  riscvSv39,
  toAddress,
  x86_32,
  x86_64,
} from '../src/index.ts';
import { machine, pa } from './machine.ts';

const { Read, Write } = Access;
const { User, Supervisor } = Privilege;

function fault(t: unknown): PageFault {
  if (!isPageFault(t)) throw new Error(`expected a fault, got ${String(t)}`);
  return t;
}

describe('Mmu.translateWide', () => {
  test('an address a number holds translates exactly as translate() does, kernel half included', () => {
    const { mmu, editor, root } = machine(x86_64);
    const kernel = toAddress('0xffff888000001000');
    editor.map(root, kernel, { pfn: 30, writable: true, global: true });
    expect(pa(mmu.translateWide(0xffff_8880_0000_1234n, Read, Supervisor))).toBe(30 * 4096 + 0x234);
    // The same register value, written as a negative (signed) bigint.
    expect(pa(mmu.translateWide(-(2n ** 64n - 0xffff_8880_0000_1234n), Read, Supervisor))).toBe(
      30 * 4096 + 0x234,
    );
    expect(fault(mmu.translateWide(0xffff_8880_0000_1234n, Write, User)).report).toMatchObject({
      errorCode: 0b111,
    });
  });

  test('x86-64: 0x8000000000000000 is #GP(0) with the exact address, no walk', () => {
    const { mmu } = machine(x86_64);
    const f = fault(mmu.translateWide(0x8000_0000_0000_0000n, Read, User));
    expect(f.kind).toBe('non-canonical');
    expect(f.address).toBe('0x8000000000000000');
    expect(f.report).toMatchObject({ vector: 13, mnemonic: '#GP', errorCode: 0, cr2: null });
    expect(f.level).toBe(-1);
    expect(f.va).toBe(Number.MIN_SAFE_INTEGER); // the nearest number, on the same (negative) side
    expect(f.message).toContain('non-canonical');
    const high = fault(mmu.translateWide(0x7fff_ffff_ffff_fff1n, Write, Supervisor));
    expect(high.address).toBe('0x7ffffffffffffff1');
    expect(high.va).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('RISC-V Sv39 and ARM64 report the exact address in stval and FAR', () => {
    const rv = fault(machine(riscvSv39).mmu.translateWide(0x8000_0000_dead_beefn, Write, User));
    expect(rv.kind).toBe('non-canonical');
    expect(rv.report).toMatchObject({ arch: 'riscv', scause: 15, stval: '0x80000000deadbeef' });
    const arm = fault(machine(arm64).mmu.translateWide(0x0123_4567_89ab_cdefn, Read, User));
    expect(arm.kind).toBe('non-canonical');
    expect(arm.address).toBe('0x0123456789abcdef');
    expect(arm.report).toMatchObject({ arch: 'arm64', far: '0x0123456789abcdef' });
  });

  test('ARM64 LDTR/STTR: the wide form faults as an unprivileged access taken at EL1', () => {
    const f = fault(machine(arm64).mmu.translateUnprivilegedWide(0x8000_0000_0000_0000n, Read));
    expect(f).toMatchObject({ kind: 'non-canonical', privilege: 'supervisor', unprivileged: true });
    expect(f.address).toBe('0x8000000000000000');
    expect(() => machine(x86_64).mmu.translateUnprivilegedWide(0x1000n, Read)).toThrow(
      /LDTR\/STTR are ARM64's/,
    );
  });

  test('a 32-bit format reads the value unsigned', () => {
    const { mmu } = machine(x86_32);
    expect(fault(mmu.translateWide(0x1_0000_0000n, Read, Supervisor)).kind).toBe('non-canonical');
    expect(fault(mmu.translateWide(0xffff_ffff_ffff_0000n, Read, Supervisor)).address).toBe(
      '0xffffffffffff0000',
    );
  });

  test('values that are not 64-bit register contents, and address spaces wider than 53 bits, are refused', () => {
    const { mmu } = machine(x86_64);
    expect(() => mmu.translateWide(2n ** 64n, Read, User)).toThrow(/does not fit in 64 bits/);
    const la57 = definePagingFormat({
      ...x86_64,
      id: 'x86-64-la57',
      title: 'x86-64 with 5-level paging',
      levels: [{ name: 'PML5', indexBits: 9, leaf: false }, ...x86_64.levels],
    });
    const wide = machine(la57);
    expect(() => wide.mmu.translateWide(0x00ff_ffff_ffff_f123n, Read, User)).toThrow(
      /beyond ±2\^53 on a 57-bit address space are not modelled/,
    );
  });
});
