// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: garbage arguments (NaN, -1, 2**60, strings, objects, arrays, null, missing and extra arguments,
 * another process's mm, a kernel address) to every kernel API method the hook uses, catching each refusal,
 * then solving the exercise.
 * Must: every garbage call throws before the kernel runs and leaves the kernel unchanged (no leaked or
 * corrupted frames), so the correct handler still earns full marks (26/26, pass). A garbage call the kernel
 * accepted is reported in the log and turned into a wrong answer.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

const GARBAGE = [
  Number.NaN,
  -1,
  2 ** 60,
  -(2 ** 60),
  1.5,
  Number.POSITIVE_INFINITY,
  '7',
  '',
  {},
  [],
  [1],
  null,
  undefined,
  true,
  { valueOf: () => 1 },
];

function refused(what: string, call: () => unknown): string | null {
  try {
    call();
  } catch {
    return null;
  }
  return what;
}

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const m = fault.mm;
  const ok = { writable: false, exec: false };
  const accepted: (string | null)[] = [];
  accepted.push(refused('zeroPfn(1)', () => kernel.zeroPfn(1)));
  accepted.push(refused('allocPage(1)', () => kernel.allocPage(1)));
  accepted.push(refused('clearPage()', () => kernel.clearPage()));
  accepted.push(refused('clearPage(1, 2)', () => kernel.clearPage(1, 2)));
  accepted.push(refused('mapPage()', () => kernel.mapPage()));
  accepted.push(refused('mapPage(3 args)', () => kernel.mapPage(m, fault.address, kernel.zeroPfn())));
  accepted.push(refused('mapPage(5 args)', () => kernel.mapPage(m, fault.address, kernel.zeroPfn(), ok, 1)));
  accepted.push(
    refused('mapPage(kernel address)', () => kernel.mapPage(m, 2 ** 47 + 4096, kernel.zeroPfn(), ok)),
  );
  accepted.push(
    refused('mapPage(unknown mm)', () => kernel.mapPage(9999, fault.address, kernel.zeroPfn(), ok)),
  );
  accepted.push(
    refused('mapPage(options extra)', () =>
      kernel.mapPage(m, fault.address, kernel.zeroPfn(), { ...ok, user: true }),
    ),
  );
  accepted.push(
    refused('mapPage(options string)', () =>
      kernel.mapPage(m, fault.address, kernel.zeroPfn(), { writable: 'yes', exec: false }),
    ),
  );
  for (const g of GARBAGE) {
    accepted.push(refused(`clearPage(${String(g)})`, () => kernel.clearPage(g)));
    accepted.push(
      refused(`mapPage(mm=${String(g)})`, () => kernel.mapPage(g, fault.address, kernel.zeroPfn(), ok)),
    );
    accepted.push(refused(`mapPage(address=${String(g)})`, () => kernel.mapPage(m, g, kernel.zeroPfn(), ok)));
    accepted.push(refused(`mapPage(pfn=${String(g)})`, () => kernel.mapPage(m, fault.address, g, ok)));
    accepted.push(
      refused(`mapPage(options=${String(g)})`, () => kernel.mapPage(m, fault.address, kernel.zeroPfn(), g)),
    );
  }
  const bad = accepted.filter((a) => a !== null);
  if (bad.length > 0) {
    console.log('the kernel accepted:', bad.join('; '));
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
