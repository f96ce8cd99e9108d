// `faultline conformance` as a user runs it: the built CLI in a process of its
// own (its bundle must still find the cases, the probe and Linux's results),
// on the committed results so that it does not boot Linux (the conformance
// package's own suite does that), and its refusals.
import { describe, expect, test } from 'vitest';
import { runBuiltCli as built, runCli } from './test-support.ts';

describe('faultline conformance', () => {
  test('the built CLI compares with the committed results on x86-64 and then arm64, says so, and prints each tally (no table: nothing differs)', async () => {
    const ran = await built(['conformance', '--recorded']);
    expect(ran.err).toBe('');
    expect(ran.out).toMatch(
      /^x86-64 — Linux: the committed results \(6\.1\.\S+-amd64\) — asked for the recorded results/,
    );
    expect(ran.out).toMatch(
      /\narm64 — Linux: the committed results \(6\.1\.\S+-arm64\) — asked for the recorded results/,
    );
    // The reviewed list is empty: every step agrees, so there is no row to show.
    expect(ran.out).not.toMatch(/case +step +verdict/);
    expect(
      ran.out.match(
        /\d+ steps compared in \d+ cases: \d+ agree, 0 known differences, 0 skipped \(QEMU\), 0 new differences/g,
      ),
    ).toHaveLength(2);
    expect(ran.code).toBe(0);
  });

  test('--arch arm64 runs the arm64 half only, and on a translation fault --all shows the walk level beside, not compared', async () => {
    const text = await runCli([
      'conformance',
      '--recorded',
      '--arch',
      'arm64',
      '--case',
      'prot-none',
      '--all',
    ]);
    expect(text.code).toBe(0);
    expect(text.out).not.toMatch(/x86-64 —/);
    expect(text.out).toMatch(/esr=DABT \(lower EL\), WnR 0, translation fault \(level aside\)/);
    expect(text.out).toMatch(
      /aside +esr +0x9200000\d \(DABT.*\) +0x92000007 \(DABT \(lower EL\), WnR 0, level 3 translation fault\) +\(shown, not compared\)/,
    );
    const bad = await runCli(['conformance', '--recorded', '--arch', 'riscv-sv39']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^faultline conformance: --arch riscv-sv39: the cases run on x86-64 and arm64\n/);
  });

  test('--case and --all list one case’s agreeing steps with their values; --json gives the same facts', async () => {
    const text = await runCli(['conformance', '--recorded', '--case', 'demand-zero-touch', '--all']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/demand-zero-touch +3 touch +agree +pages_stored=16, minflt=16/);
    const json = await runCli(['conformance', '--recorded', '--case', 'demand-zero-touch', '--json']);
    const parsed = JSON.parse(json.out) as {
      halves: { arch: string; counts: { cases: number }; cases: { steps: { verdict: string }[] }[] }[];
    };
    expect(parsed.halves.map((h) => h.arch)).toEqual(['x86-64', 'arm64']);
    for (const half of parsed.halves) {
      expect(half.counts.cases).toBe(1);
      expect(half.cases[0]!.steps.every((s) => s.verdict === 'agree')).toBe(true);
    }
    // A case written for x86-64 only has no arm64 half.
    const x86 = JSON.parse(
      (await runCli(['conformance', '--recorded', '--case', 'task-size-edge', '--json'])).out,
    ) as {
      halves: { arch: string }[];
    };
    expect(x86.halves.map((h) => h.arch)).toEqual(['x86-64']);
  });

  test('an unknown case and contradictory options are usage errors (exit 2)', async () => {
    const unknown = await runCli(['conformance', '--recorded', '--case', 'no-such-case']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe('faultline conformance: no case "no-such-case"\n');
    const both = await runCli(['conformance', '--record', '--recorded']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/pick one/);
    const extra = await runCli(['conformance', 'cases/x.yaml']);
    expect(extra.code).toBe(2);
  });
});
