// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: about 1 M characters of console output per fault (strings, objects, cyclic objects, a Proxy),
 * then the correct answer.
 * Must: output is capped and cut in the guest at no cost to the host; the correct handler still earns full
 * marks (26/26, pass) well within the CPU budget.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

const cyclic: Record<string, unknown> = { name: 'cyclic' };
cyclic.self = cyclic;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const chunk = 'x'.repeat(100_000);
  for (let i = 0; i < 10; i++) console.log(chunk, cyclic, new Proxy({}, {}), [1, [2, [3]]]);
  const mm = fault.mm;
  if (!fault.write && !vma.shared) {
    kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false, exec: vma.exec });
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  const pfn = kernel.allocPage();
  if (pfn < 0) return { kind: 'oom' };
  kernel.clearPage(pfn);
  kernel.mapPage(mm, fault.address, pfn, { writable: vma.write, exec: vma.exec, dirty: fault.write });
  return { kind: 'resolved', resolution: 'demand-zero' };
}
