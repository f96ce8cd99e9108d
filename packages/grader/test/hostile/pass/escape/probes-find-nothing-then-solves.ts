// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: probing process, require, import(), globalThis, Function('return this')(), constructor.constructor,
 * __tests, WebAssembly and timers — answering wrongly if any of them reaches the host — then solving the
 * exercise.
 * Must: every probe finds only the guest's own global, so the correct handler earns full marks (26/26, pass).
 * A sandbox escape would turn it into a wrong answer and this fixture would leave pass/.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

function escaped(): string | null {
  const g = Function('return this')();
  if (g !== globalThis) return 'Function("return this") is another global';
  if ((() => {}).constructor.constructor('return this')() !== globalThis) return 'constructor.constructor';
  for (const name of [
    'process',
    'require',
    'module',
    '__tests',
    'fetch',
    'WebAssembly',
    'setTimeout',
    'setImmediate',
    'Buffer',
    'std',
    'os',
  ]) {
    if (name in globalThis) return `global ${name}`;
  }
  try {
    require('fs');
    return 'require works';
  } catch {}
  try {
    const p = import('node:fs');
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    if (settled) return 'import() settled';
  } catch {}
  if (!Object.isFrozen(kernel)) return 'the kernel object is not frozen';
  return null;
}

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const escape = escaped();
  if (escape !== null) {
    console.log('ESCAPED:', escape);
    return { kind: 'oom' };
  }
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
