// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to make a wrong answer look right to a naive encoder: Object.prototype getters/values for kind and
 * resolution, a toJSON on Object.prototype, a JSON.stringify that always answers the right outcome, and
 * Array.prototype tampering, then returns an empty object.
 * Must: the encoder reads own data properties with captured intrinsics: the result is `{}`, the wrong shape;
 * overall status fail, score 0.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const answer = !fault.write && !vma.shared ? 'zero-page' : 'demand-zero';
  Object.prototype.kind = 'resolved';
  Object.defineProperty(Object.prototype, 'resolution', {
    get: () => answer,
    enumerable: true,
    configurable: true,
  });
  Object.prototype.toJSON = () => ({ kind: 'resolved', resolution: answer });
  JSON.stringify = () =>
    JSON.parse(`{"kind":"resolved","resolution":"${answer}"}`) &&
    `{"kind":"resolved","resolution":"${answer}"}`;
  Array.prototype.map = () => [];
  Object.keys = () => ['kind', 'resolution'];
  Object.entries = () => [
    ['kind', 'resolved'],
    ['resolution', answer],
  ];
  Reflect.ownKeys = () => ['kind', 'resolution'];
  return {};
}
