// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: replacing the global `kernel` with a fake whose methods always succeed, and writing to the real
 * one's methods (it is frozen), then answering without real mappings.
 * Must: the real kernel object is frozen and the global cannot be replaced (the assignment does not take),
 * so the "fake" calls reach the real, argument-checked kernel: every fault maps a fresh writable frame,
 * which is wrong for reads (the zero-page tests fail); overall status fail, score < 26.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  try {
    kernel.mapPage = () => undefined;
  } catch {}
  globalThis.kernel = { zeroPfn: () => 0, allocPage: () => 1, clearPage: () => {}, mapPage: () => {} };
  const k = globalThis.kernel;
  k.mapPage(fault.mm, fault.address, k.allocPage(), { writable: true, exec: false });
  return { kind: 'resolved', resolution: !fault.write && !vma.shared ? 'zero-page' : 'demand-zero' };
}
