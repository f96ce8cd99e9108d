// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: tampering with Object.prototype, Array.prototype, JSON, Reflect, Object.keys and
 * Function.prototype.call/apply/bind (all made to throw or lie) after computing a correct outcome, and
 * before returning it.
 * Must: the prelude's encoder and console use intrinsics captured before the learner's code ran, so the
 * correct outcome still crosses: full marks (26/26, pass).
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const outcome = (() => {
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
  })();
  const boom = () => {
    throw new Error('tampered intrinsic called');
  };
  Object.prototype.toJSON = () => ({ kind: 'oom' });
  Object.defineProperty(Object.prototype, 'kind', { get: boom, set: boom, configurable: true });
  Array.prototype.push = boom;
  Array.prototype[Symbol.iterator] = boom;
  JSON.stringify = boom;
  JSON.parse = boom;
  Reflect.ownKeys = boom;
  Object.keys = boom;
  Object.getOwnPropertyNames = boom;
  Object.getOwnPropertyDescriptor = boom;
  Function.prototype.call = boom;
  Function.prototype.apply = boom;
  Function.prototype.bind = boom;
  String.prototype.slice = boom;
  return outcome;
}
