// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to find the hidden tests or the reference solution from inside the hook: globalThis.__tests,
 * require, process, fs, import(), Function('return this')(), constructor.constructor. If it finds any, it
 * prints it and answers from it; otherwise it gives up with an error.
 * Must: nothing is found (isolation): each test is an error ("nothing to copy"); overall status fail, score 0;
 * no host path in the report.
 */
import type { FaultInfo, FaultOutcome, VmaInfo } from '@faultline/vm-core';

declare const kernel: any;

export function anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
  const found: string[] = [];
  const g = Function('return this')();
  const g2 = {}.constructor.constructor('return globalThis')();
  for (const name of [
    '__tests',
    '__solution',
    '__hidden',
    'tests',
    'solution',
    'process',
    'require',
    'module',
    'Deno',
    'Bun',
    'std',
    'os',
    'fetch',
    'WebAssembly',
    'setTimeout',
    'XMLHttpRequest',
  ]) {
    if (g[name] !== undefined || g2[name] !== undefined || globalThis[name] !== undefined) found.push(name);
  }
  try {
    found.push(String(require('fs').readFileSync('../tests/hidden.ts', 'utf8')));
  } catch {}
  try {
    found.push(String(require('../solution')));
  } catch {}
  try {
    // Never settles (no module loader, no job loop); a thenable chain cannot run either.
    import('../solution').then((m) => found.push(String(m)));
  } catch {}
  if (found.length > 0) {
    console.log('found', found.join(','));
    return { kind: 'resolved', resolution: 'zero-page' };
  }
  throw new Error(`nothing to copy; globals: ${Object.getOwnPropertyNames(g).join(',')}`);
}
