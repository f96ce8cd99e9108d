/**
 * The suite itself, as CI runs it: every case on the simulator and on Linux
 * (booted now when QEMU is installed, else the committed results — the log
 * says which), and nothing new. Then its failure paths on copies of the
 * package's files: a case edited without recording Linux again, a difference
 * missing from the reviewed list, a known difference that no longer shows.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findLinuxToolchain, formatConformance, runConformance, type SuiteResult } from '../src/index.ts';
import { PACKAGE_PATHS } from '../src/paths.ts';

describe('the simulator against Linux', () => {
  let result: SuiteResult;
  beforeAll(async () => {
    result = await runConformance({ linux: 'auto', log: (line) => console.log(line) });
    console.log(formatConformance(result));
  });

  test('every difference is on the reviewed list, and neither side failed a case', () => {
    expect(result.problems).toEqual([]);
  });

  test('compares at least 100 steps, of which no more than five are skipped as QEMU artefacts', () => {
    expect(result.counts.steps).toBeGreaterThanOrEqual(100);
    expect(result.counts.skipped).toBeLessThanOrEqual(5);
  });

  test('uses Linux booted now wherever QEMU is installed', () => {
    const toolchain = findLinuxToolchain();
    expect(result.linux.kind).toBe(toolchain.ok ? 'live' : 'recorded');
    if (!toolchain.ok) console.log(`compared with the committed results: ${result.linux.why}`);
  });
});

describe('what makes the suite fail (on the recorded results)', () => {
  let dir: string;
  const copy = () => {
    const d = mkdtempSync(join(tmpdir(), 'faultline-conformance-'));
    cpSync(PACKAGE_PATHS.cases, join(d, 'cases'), { recursive: true });
    cpSync(PACKAGE_PATHS.knownDifferences, join(d, 'known.yaml'));
    cpSync(PACKAGE_PATHS.recorded, join(d, 'recorded.json'));
    return d;
  };
  const run = (d: string, only?: string[]) =>
    runConformance({
      linux: 'recorded',
      casesDir: join(d, 'cases'),
      knownFile: join(d, 'known.yaml'),
      recordedFile: join(d, 'recorded.json'),
      ...(only !== undefined ? { only } : {}),
    });

  beforeAll(() => {
    dir = copy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the committed results alone pass, and say they are the committed ones', async () => {
    const r = await run(dir);
    expect(r.linux.kind).toBe('recorded');
    expect(r.problems).toEqual([]);
  });

  test('a case edited since Linux ran it is stale, and the message says how to record it again', async () => {
    const d = copy();
    try {
      const file = join(d, 'cases', 'demand-zero-touch.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('value: 4', 'value: 5'));
      const r = await run(d);
      expect(r.problems).toContain(
        "demand-zero-touch: the case or the probe changed since Linux's results were recorded: run `faultline conformance --record`",
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('without the reviewed list every known difference is new, with both sides’ values', async () => {
    const d = copy();
    try {
      writeFileSync(join(d, 'known.yaml'), '[]\n');
      const r = await run(d);
      expect(r.counts.new).toBeGreaterThan(0);
      expect(
        r.problems.some((p) => /step \d+ \(\w+\): new difference in [\w ]+: simulator .+, Linux .+/.test(p)),
      ).toBe(true);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('a known difference at a place where the sides agree is a stale entry', async () => {
    const d = copy();
    try {
      const list = readFileSync(join(d, 'known.yaml'), 'utf8');
      writeFileSync(
        join(d, 'known.yaml'),
        `${list}\n- id: not-a-difference\n  what: w\n  source: s\n  where:\n    - { case: demand-zero-touch, step: 3, field: minflt }\n`,
      );
      const r = await run(d);
      expect(r.problems).toContain(
        'known-differences.yaml is stale: "not-a-difference" names demand-zero-touch step 3 minflt, where the two sides do not differ (the simulator was fixed? remove the place)',
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
