// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: returning a Proxy that claims to be the right outcome (its get trap answers kind/resolution).
 * Must: the encoder refuses a Proxy (invalid-value) and runs no trap; overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const answer = !fault.write && !vma.shared ? 'zero-page' : 'demand-zero';
  return new Proxy(
    {},
    {
      get: (_t, key) => (key === 'kind' ? 'resolved' : key === 'resolution' ? answer : undefined),
      ownKeys: () => ['kind', 'resolution'],
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
    },
  );
}
