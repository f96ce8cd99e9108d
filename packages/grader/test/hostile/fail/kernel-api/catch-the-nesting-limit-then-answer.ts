// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to recurse through the kernel into its own hook, catch the failure when the nesting limit cuts it,
 * and then answer correctly, hoping the caught failure is forgotten.
 * Must: a learner hook failure reached through the kernel is the verdict even if the guest caught it; each
 * test is an error; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let depth = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  depth++;
  try {
    if (depth < 100) kernel.hooks.anonymousFault(fault, vma);
  } catch (e) {
    // swallowed
  } finally {
    depth--;
  }
  if (depth > 0) return { kind: 'resolved', resolution: 'demand-zero' };
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
