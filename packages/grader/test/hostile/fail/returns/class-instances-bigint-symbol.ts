// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: returning values that are not plain data: a Map, a Date, a BigInt, a Symbol, an unsettled Promise,
 * cycling through them call by call.
 * Must: invalid-value each time; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

let calls = 0;
export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const values = [
    new Map([['kind', 'resolved']]),
    new Date(),
    10n,
    Symbol('resolved'),
    new Promise(() => {}),
    { kind: 'resolved', resolution: 'zero-page', when: new Date() },
  ];
  return values[calls++ % values.length];
}
