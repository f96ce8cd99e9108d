// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: calling the kernel API with missing arguments and with extra ones, uncaught.
 * Must: each call is refused ("takes N arguments"); each test is an error; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let calls = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  switch (calls++ % 4) {
    case 0:
      kernel.allocPage('please', 'two');
      break;
    case 1:
      kernel.clearPage();
      break;
    case 2:
      kernel.mapPage(fault.mm, fault.address, kernel.zeroPfn());
      break;
    default:
      kernel.zeroPfn(1);
  }
  return { kind: 'resolved', resolution: 'zero-page' };
}
