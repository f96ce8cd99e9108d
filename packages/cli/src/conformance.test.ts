// `faultline conformance` as a user runs it: the built CLI in a process of its
// own (its bundle must still find the cases, the probe and Linux's results),
// on the committed results so that it does not boot Linux (the conformance
// package's own suite does that), and its refusals.
import { describe, expect, test } from 'vitest';
import { runBuiltCli as built, runCli } from './test-support.ts';

describe('faultline conformance', () => {
  test('the built CLI compares with the committed results, says so, and prints the tally (no table: nothing differs)', async () => {
    const ran = await built(['conformance', '--recorded']);
    expect(ran.err).toBe('');
    expect(ran.out).toMatch(/^Linux: the committed results \(6\.1\.\S+\) — asked for the recorded results/);
    // The reviewed list is empty: every step agrees, so there is no row to show.
    expect(ran.out).not.toMatch(/case +step +verdict/);
    expect(ran.out).toMatch(
      /\d+ steps compared in \d+ cases: \d+ agree, 0 known differences, 0 skipped \(QEMU\), 0 new differences/,
    );
    expect(ran.code).toBe(0);
  });

  test('--case and --all list one case’s agreeing steps with their values; --json gives the same facts', async () => {
    const text = await runCli(['conformance', '--recorded', '--case', 'demand-zero-touch', '--all']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/demand-zero-touch +3 touch +agree +pages_stored=16, minflt=16/);
    const json = await runCli(['conformance', '--recorded', '--case', 'demand-zero-touch', '--json']);
    const parsed = JSON.parse(json.out) as {
      counts: { cases: number };
      cases: { steps: { verdict: string }[] }[];
    };
    expect(parsed.counts.cases).toBe(1);
    expect(parsed.cases[0]!.steps.every((s) => s.verdict === 'agree')).toBe(true);
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
