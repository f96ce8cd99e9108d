// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: throwing a plain object whose name/message/stack/toString are getters that loop forever or lie.
 * Must: no getter of the thrown value runs; each test is an error; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const spin = () => {
    for (;;) {}
  };
  const e = new Error('a real error');
  Object.defineProperty(e, 'message', { get: spin });
  Object.defineProperty(e, 'name', { get: spin });
  Object.defineProperty(e, 'stack', { get: spin });
  e.toString = spin;
  throw Math.random() < 2
    ? e
    : {
        get message() {
          return spin();
        },
      };
}
