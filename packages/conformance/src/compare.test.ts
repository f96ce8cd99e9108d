import { describe, expect, test } from 'vitest';
import { compareCase, staleKnownPlaces } from './compare.ts';
import { type KnownDifference, KnownList } from './known-differences.ts';
import type { ObservedRun } from './observation.ts';

const run = (...steps: Record<string, string | number | null>[]): ObservedRun => ({
  steps: steps.map((fields, i) => ({ step: i + 1, op: i === 0 ? 'spawn' : 'read', fields })),
  failure: null,
});

const known = (
  id: string,
  kind: 'difference' | 'qemu',
  field: string,
  [simulator, linux]: [string, string],
): KnownDifference => ({
  id,
  what: 'w',
  source: 's',
  kind,
  where: [{ arch: 'x86-64', case: 'c', step: 2, field, simulator, linux }],
});

describe('comparing a case step by step', () => {
  test('equal fields agree; a difference on the list is known; anything else is new, with both values', () => {
    const list = new KnownList([known('sanitize', 'difference', 'error_code', ['0x4', '0x5'])]);
    const result = compareCase(
      'x86-64',
      'c',
      't',
      run({}, { error_code: '0x4', si_code: 'SEGV_MAPERR' }, { minflt: 1 }),
      run({}, { error_code: '0x5', si_code: 'SEGV_MAPERR' }, { minflt: 0 }),
      list,
    );
    expect(result.steps.map((s) => s.verdict)).toEqual(['known', 'new']);
    expect(result.steps[0]!.differences[0]).toMatchObject({
      field: 'error_code',
      simulator: '0x4',
      linux: '0x5',
    });
    expect(result.steps[0]!.differences[0]!.known?.id).toBe('sanitize');
    expect(result.steps[1]!.differences).toEqual([
      { field: 'minflt', simulator: '1', linux: '0', known: null },
    ]);
  });

  test('a listed place that now shows other values is a new difference, and says what the list expected', () => {
    const list = new KnownList([known('sanitize', 'difference', 'error_code', ['0x4', '0x5'])]);
    const result = compareCase(
      'x86-64',
      'c',
      't',
      run({}, { error_code: '0x4' }),
      run({}, { error_code: '0x6' }),
      list,
    );
    expect(result.steps[0]!.verdict).toBe('new');
    expect(result.steps[0]!.differences[0]).toMatchObject({
      known: null,
      listed: { id: 'sanitize', simulator: '0x4', linux: '0x5' },
    });
  });

  test('a step one side never reported is a failure of the case', () => {
    const result = compareCase('x86-64', 'c', 't', run({}, { value: 1 }), run({}), new KnownList([]));
    expect(result.failure).toBe('the simulator reported 2 steps, Linux 1');
  });

  test('a field one side did not observe is a difference too', () => {
    const result = compareCase(
      'x86-64',
      'c',
      't',
      run({}, { value: 0 }),
      run({}, { signal: 'SIGSEGV' }),
      new KnownList([]),
    );
    expect(result.steps[0]!.differences.map((d) => [d.field, d.simulator, d.linux])).toEqual([
      ['value', '0', '(not observed)'],
      ['signal', '(not observed)', 'SIGSEGV'],
    ]);
  });

  test('a QEMU artefact on the list is skipped, not known', () => {
    const list = new KnownList([known('qemu-gp', 'qemu', 'trap', ['13', '14'])]);
    const result = compareCase('x86-64', 'c', 't', run({}, { trap: 13 }), run({}, { trap: 14 }), list);
    expect(result.steps[0]!.verdict).toBe('skipped');
  });

  test('a side that failed is reported, and only the steps both observed are compared', () => {
    const linux: ObservedRun = { ...run({}, { value: 1 }), failure: 'the probe failed: no answer' };
    const result = compareCase(
      'x86-64',
      'c',
      't',
      run({}, { value: 1 }, { value: 2 }),
      linux,
      new KnownList([]),
    );
    expect(result.failure).toBe('Linux: the probe failed: no answer');
    expect(result.steps).toHaveLength(1);
  });

  test('a known place where the sides now agree makes the list stale', () => {
    const entries = [known('fixed-now', 'difference', 'minflt', ['1', '0'])];
    const result = compareCase(
      'x86-64',
      'c',
      't',
      run({}, { minflt: 1 }),
      run({}, { minflt: 1 }),
      new KnownList(entries),
    );
    expect(staleKnownPlaces('x86-64', [result], entries)).toEqual([
      '"fixed-now" names c step 2 minflt, where the two sides do not differ',
    ]);
  });

  test('a known place is per architecture: an x86-64 entry neither covers nor goes stale on arm64', () => {
    const entries = [known('x86-only', 'difference', 'minflt', ['1', '0'])];
    const list = new KnownList(entries);
    const arm = compareCase('arm64', 'c', 't', run({}, { minflt: 1 }), run({}, { minflt: 0 }), list);
    expect(arm.steps[0]!.verdict).toBe('new');
    expect(staleKnownPlaces('arm64', [arm], entries)).toEqual([]);
    const x86 = compareCase('x86-64', 'c', 't', run({}, { minflt: 1 }), run({}, { minflt: 0 }), list);
    expect(x86.steps[0]!.verdict).toBe('known');
  });

  test('what a side reports aside is kept beside the step, never compared', () => {
    const aside = (esr: string): ObservedRun => ({
      steps: [{ step: 1, op: 'read', fields: { esr: 'translation fault' }, aside: { esr } }],
      failure: null,
    });
    const result = compareCase(
      'arm64',
      'c',
      't',
      aside('0x92000004'),
      aside('0x92000007'),
      new KnownList([]),
    );
    expect(result.steps[0]).toMatchObject({
      verdict: 'agree',
      aside: { simulator: { esr: '0x92000004' }, linux: { esr: '0x92000007' } },
    });
  });

  test('two entries may not claim one place', () => {
    expect(
      () =>
        new KnownList([
          known('a', 'difference', 'minflt', ['1', '0']),
          known('b', 'difference', 'minflt', ['1', '0']),
        ]),
    ).toThrow(/"a" and "b" both claim c step 2 minflt/);
  });
});
