// What the architecture-specific example scenarios show, step by step: the
// ARM64 user-copy story in its three forms (PAN cleared before 5.11, LDTR
// since, SW PAN), RISC-V's SUM and scause, and who sets the accessed bit.
// (scenarios-every-arch.test.ts runs each with the invariants checked after
// every step; this pins what a learner reads in it.)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenarioText, runScenario, type ScenarioReport } from '@faultline/scenario';
import { architectures } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

function report(file: string): ScenarioReport {
  const r = runScenario(parseScenarioText(readFileSync(join(folder, file), 'utf8'), 'yaml'));
  expect(r.stopped).toBeNull();
  expect(r.invariants).toEqual([]);
  return r;
}

const outcome = (r: ScenarioReport, step: number) => r.steps[step - 1]!.outcome;
const resolutions = (r: ScenarioReport, step: number) => r.steps[step - 1]!.faults.map((f) => f.resolution);
const oops = (r: ScenarioReport, step: number) => String(outcome(r, step).oops);
const violation = (arch: 'arm64' | 'riscv-sv39') => architectures[arch].userAccessViolation;

describe('ARM64 user copies', () => {
  test('5.10: PAN cleared for the copy and set again, on the -EFAULT path too', () => {
    const r = report('arm64-pan-cleared.yaml');
    expect(outcome(r, 4)).toMatchObject({ notCopied: 0, errno: null });
    expect(outcome(r, 5)).toMatchObject({ notCopied: 10, errno: 'EFAULT', oops: null });
    expect(resolutions(r, 5)).toEqual(['exception-fixup']);
    expect(r.steps[5]!.summary).toContain('(inside PAN = 0 … PAN = 1)');
    expect(outcome(r, 6)).toEqual({ value: 1 });
    // After the copies PAN is set again: the same load is now a level 3 permission fault.
    expect(oops(r, 7)).toContain(violation('arm64'));
    expect(r.steps[6]!.faults[0]!.errorCode & 0x3f).toBe(0x0f);
  });

  test('5.10 with UAO, and 5.11 on: LDTR reads user memory with PAN set; a plain load oopses even inside the window', () => {
    for (const file of ['arm64-uao.yaml', 'arm64-uaccess-ldtr.yaml']) {
      const r = report(file);
      expect(outcome(r, 4)).toMatchObject({ notCopied: 0, errno: null });
      expect(outcome(r, 5)).toMatchObject({ notCopied: 10, errno: 'EFAULT', oops: null });
      expect(outcome(r, 6)).toEqual({ value: 1 });
      expect(r.steps[5]!.summary).toContain('(LDTR: checked with EL0');
      expect(r.steps[5]!.summary).toContain('PAN left set');
    }
    const now = report('arm64-uaccess-ldtr.yaml');
    // LDTR of kernel memory: EL0 may not read it, so the copy takes its fixup.
    expect(outcome(now, 7)).toMatchObject({ fixup: expect.any(Number) });
    expect(oops(now, 11)).toContain(violation('arm64'));
    expect(oops(now, 12)).toContain(violation('arm64'));
    expect(oops(report('arm64-uao.yaml'), 7)).toContain(violation('arm64'));
  });

  test('SW PAN: TTBR0 switched for the copy; outside it a translation fault on the reserved table oopses', () => {
    const r = report('arm64-sw-pan.yaml');
    expect(outcome(r, 5)).toMatchObject({ notCopied: 10, errno: 'EFAULT', oops: null });
    expect(r.steps[5]!.summary).toContain('(inside uaccess_ttbr0_enable/disable)');
    expect(outcome(r, 6)).toEqual({ value: 1 });
    expect(oops(r, 7)).toContain(violation('arm64'));
    // A translation fault (FSC 0b0001xx), not a permission fault: there is no PAN.
    expect(r.steps[6]!.faults[0]!.errorCode & 0x3c).toBe(0x04);
  });

  test('the exception table with LDTR: fixups for the uaccess loads, an oops for a plain one', () => {
    const r = report('exception-table-arm64.yaml');
    expect(outcome(r, 2)).toEqual({ fixup: 0x1040 });
    expect(outcome(r, 3)).toEqual({ fixup: 0x1120 });
    expect(oops(r, 5)).toContain('Unable to handle kernel paging request');
  });

  test('the access flag: faults without FEAT_HAFDBS after reclaim and fork, none with it', () => {
    const soft = report('arm64-access-flag.yaml');
    expect(resolutions(soft, 6)).toEqual(['access-flags']);
    expect(resolutions(soft, 8)).toEqual(['access-flags']);
    // FSC 0x0b: a level 3 access flag fault.
    expect(soft.steps[5]!.faults[0]!.errorCode & 0x3f).toBe(0x0b);
    const hard = report('arm64-hafdbs.yaml');
    expect(resolutions(hard, 6)).toEqual([]);
    expect(resolutions(hard, 8)).toEqual([]);
    expect(outcome(hard, 8)).toEqual(outcome(soft, 8));
  });
});

describe('RISC-V', () => {
  test('SUM around the copies, scause 12/13/15 with stval, and the oops without SUM', () => {
    const r = report('riscv-sum.yaml');
    const causes = [4, 5, 7].map((step) => r.steps[step - 1]!.faults[0]!.errorCode);
    expect(causes).toEqual([15, 12, 13]);
    // stval: the faulting address is the one the step touched.
    expect(r.steps[3]!.faults[0]!.address).toBe(outcome(r, 2).address);
    expect(outcome(r, 7)).toMatchObject({ notCopied: 8, errno: 'EFAULT', oops: null });
    expect(outcome(r, 8)).toEqual({ value: 1 });
    expect(oops(r, 9)).toContain(violation('riscv-sv39'));
    expect(oops(r, 12)).toContain('paging request');
  });

  test('Svade: the child’s first read after fork faults to set A; Svadu: no fault; a TLB hit sets nothing on either', () => {
    const svade = report('riscv-svade.yaml');
    expect(resolutions(svade, 6)).toEqual(['access-flags']);
    expect(svade.steps[5]!.faults[0]!.errorCode).toBe(13);
    const svadu = report('riscv-svadu.yaml');
    expect(resolutions(svadu, 6)).toEqual([]);
    for (const r of [svade, svadu]) {
      expect(resolutions(r, 11)).toEqual([]);
      const scanned = (outcome(r, 12) as { scanned: { referenced: boolean }[] }).scanned;
      expect(scanned[0]).toMatchObject({ referenced: false });
    }
  });

  test('vmalloc: a sync fault on 6.1, none since 6.5', () => {
    const old = report('riscv-vmalloc-fault.yaml');
    expect(resolutions(old, 3)).toEqual(['vmalloc-sync']);
    expect(old.steps[2]!.faults[0]!.errorCode).toBe(15);
    expect(resolutions(old, 4)).toEqual([]);
    const now = report('riscv-vmalloc-preallocated.yaml');
    expect(now.steps.flatMap((s) => s.faults)).toEqual([]);
  });

  test('the exception table under SUM: fixups for the uaccess loads, an oops for a plain one', () => {
    const r = report('exception-table-riscv.yaml');
    expect(outcome(r, 2)).toEqual({ fixup: 0x1040 });
    expect(outcome(r, 3)).toEqual({ fixup: 0x1120 });
    expect(oops(r, 5)).toContain('Unable to handle kernel paging request');
  });
});
