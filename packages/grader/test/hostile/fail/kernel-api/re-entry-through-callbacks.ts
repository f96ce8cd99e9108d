// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to re-enter the kernel from inside a kernel call by passing objects with valueOf/toString/getters
 * (which call kernel.allocPage) where numbers and options are expected.
 * Must: only plain data crosses: the objects are refused before the kernel runs, no callback runs; the kernel
 * error reaches the hook, which does not catch it; each test is an error; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const sneaky = {
    valueOf() {
      return kernel.allocPage();
    },
    toString() {
      return String(kernel.allocPage());
    },
  };
  const options = {
    get writable() {
      kernel.allocPage();
      return true;
    },
    exec: false,
  };
  kernel.mapPage(fault.mm, fault.address, sneaky, options);
  return { kind: 'resolved', resolution: 'demand-zero' };
}
