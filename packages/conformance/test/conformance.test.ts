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
import { CASE_ARCHS, caseArchs, loadCases } from '../src/case-file.ts';
import {
  findLinuxToolchain,
  formatConformance,
  runConformance,
  runConformanceOnEach,
  type SuiteResult,
} from '../src/index.ts';
import { PACKAGE_PATHS } from '../src/paths.ts';
import { liveAgainstRecorded } from '../src/suite.ts';

describe.each(CASE_ARCHS)('the simulator against Linux on %s', (arch) => {
  let result: SuiteResult;
  beforeAll(async () => {
    result = await runConformance({ arch, linux: 'auto', log: (line) => console.log(line) });
    console.log(formatConformance(result));
  });

  test('every difference is on the reviewed list, and neither side failed a case', () => {
    expect(result.problems).toEqual([]);
  });

  test('compares at least 100 steps, of which no more than five are skipped as QEMU artefacts', () => {
    expect(result.arch).toBe(arch);
    expect(result.counts.steps).toBeGreaterThanOrEqual(100);
    expect(result.counts.skipped).toBeLessThanOrEqual(5);
  });

  test('uses Linux booted now wherever QEMU is installed, or says why not', () => {
    const toolchain = findLinuxToolchain({ arch });
    expect(result.linux.kind).toBe(toolchain.ok ? 'live' : 'recorded');
    expect(result.linux.kernel).toMatch(arch === 'arm64' ? /-arm64$/ : /-amd64$/);
    if (!toolchain.ok) console.log(`compared with the committed results: ${result.linux.why}`);
  });
});

test('the cases written for both architectures are most of them, and a case for x86-64 alone has no arm64 half', async () => {
  const cases = loadCases(PACKAGE_PATHS.cases);
  const both = cases.filter((c) => caseArchs(c).includes('arm64'));
  expect(both.length).toBeGreaterThanOrEqual(cases.length - 5);
  const halves = await runConformanceOnEach({ linux: 'recorded', only: ['task-size-edge'] });
  expect(halves.map((h) => h.arch)).toEqual(['x86-64']);
});

describe.each(CASE_ARCHS)('a live run against the recording on %s', (arch) => {
  test.skipIf(!findLinuxToolchain({ arch }).ok)(
    '--record saves what Linux printed, keyed by the hash of what made it, and a run on it then passes',
    async () => {
      const d = mkdtempSync(join(tmpdir(), 'faultline-conformance-'));
      try {
        const file = join(d, 'recorded.json');
        const recorded = await runConformance({
          arch,
          linux: 'live',
          record: true,
          recordedFile: file,
          only: ['nx-rwx'],
        });
        expect(recorded.problems).toEqual([]);
        const saved = JSON.parse(readFileSync(file, 'utf8'));
        expect(Object.keys(saved.cases)).toEqual(['nx-rwx']);
        expect(saved.boot).toMatchObject({
          machine: arch === 'arm64' ? 'aarch64' : 'x86_64',
          files_fs: 'tmpfs',
        });
        const again = await runConformance({ arch, linux: 'recorded', recordedFile: file, only: ['nx-rwx'] });
        expect(again.problems).toEqual([]);
        expect(again.counts.steps).toBeGreaterThan(0);
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    },
  );
});

test('a live run that shows other observations than the recording is reported, case and step, with both', () => {
  const [c] = loadCases(PACKAGE_PATHS.cases).filter((x) => x.id === 'demand-zero-touch');
  const recorded = JSON.parse(readFileSync(PACKAGE_PATHS.recorded, 'utf8'));
  const lines = recorded.cases['demand-zero-touch'].lines as { step?: number; minflt?: number }[];
  const tampered = lines.map((l) => (l.step === 3 ? { ...l, minflt: 15 } : l));
  expect(
    liveAgainstRecorded(
      'x86-64',
      [c!],
      new Map([['demand-zero-touch', lines]]),
      new Map([['demand-zero-touch', tampered]]),
      '6.1.0-57-amd64',
    ),
  ).toEqual([
    expect.stringMatching(
      /^demand-zero-touch: Linux 6\.1\.0-57-amd64 now shows at step 3: .*"minflt":16.* \(recorded .*"minflt":15.*\), not what was recorded$/,
    ),
  ]);
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
  /** Runs `body` on a fresh copy of the package's cases, list and recording, removed afterwards. */
  const inCopy = async (body: (d: string) => Promise<void>) => {
    const d = copy();
    try {
      await body(d);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
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

  test('where QEMU cannot be found the committed results decide, and the run says what is missing', async () => {
    const r = await runConformance({
      linux: 'auto',
      linuxEnv: { PATH: '/nonexistent' },
      only: ['demand-zero-touch'],
    });
    expect(r.linux.kind).toBe('recorded');
    expect(r.linux.why).toMatch(/^Linux cannot be booted here \(missing QEMU for x86-64 .*qemu-system-x86\)/);
    expect(r.problems).toEqual([]);
  });

  test('a changed probe makes every recorded result stale', async () => {
    await inCopy(async (d) => {
      const probe = join(d, 'probe.c');
      writeFileSync(probe, `${readFileSync(PACKAGE_PATHS.probeSource, 'utf8')}\n/* changed */\n`);
      const r = await runConformance({
        linux: 'recorded',
        probeSourceFile: probe,
        only: ['demand-zero-touch', 'nx-data'],
      });
      expect(r.problems).toEqual([
        "demand-zero-touch: the case or the probe changed since Linux's results were recorded: run `faultline conformance --record`",
        "nx-data: the case or the probe changed since Linux's results were recorded: run `faultline conformance --record`",
      ]);
    });
  });

  test('a probe that failed a case fails the run, in the probe’s words', async () => {
    await inCopy(async (d) => {
      const file = join(d, 'recorded.json');
      const recorded = JSON.parse(readFileSync(file, 'utf8'));
      const lines = recorded.cases['demand-zero-touch'].lines;
      recorded.cases['demand-zero-touch'].lines = [
        ...lines.slice(0, 3),
        { case: 'demand-zero-touch', error: 'step 3: task a did not answer within 60 s' },
      ];
      writeFileSync(file, JSON.stringify(recorded));
      const r = await run(d, ['demand-zero-touch']);
      expect(r.problems).toEqual([
        'demand-zero-touch: Linux: the probe failed: step 3: task a did not answer within 60 s',
      ]);
    });
  });

  /**
   * Makes Linux's recording of case `id` say `minflt` at each given step,
   * so the two sides differ there (the real list is meant to be empty, so
   * these tests make their own differences).
   */
  const tamperMinflt = (d: string, id: string, steps: Record<number, number>) => {
    const file = join(d, 'recorded.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    const c = recorded.cases[id];
    c.lines = c.lines.map((l: { step?: number }) =>
      l.step !== undefined && l.step in steps ? { ...l, minflt: steps[l.step] } : l,
    );
    writeFileSync(file, JSON.stringify(recorded));
  };
  /** A reviewed-list entry naming places of case `at`'s minflt. */
  const entry = (
    id: string,
    kind: string,
    at: string,
    places: [step: number, simulator: number, linux: number][],
  ) =>
    `- id: ${id}\n  kind: ${kind}\n  what: w\n  source: s\n  where:\n${places
      .map(
        ([step, sim, linux]) =>
          `    - { case: ${at}, step: ${step}, field: minflt, simulator: "${sim}", linux: "${linux}" }\n`,
      )
      .join('')}`;

  test('a known place that shows other values than the list says is a new difference', async () => {
    await inCopy(async (d) => {
      tamperMinflt(d, 'demand-zero-touch', { 3: 15 });
      writeFileSync(
        join(d, 'known.yaml'),
        entry('made-up', 'difference', 'demand-zero-touch', [[3, 16, 14]]),
      );
      const r = await run(d, ['demand-zero-touch']);
      expect(r.problems).toContain(
        'demand-zero-touch step 3 (touch): new difference in minflt: simulator 16, Linux 15 ("made-up" lists simulator 16, Linux 14 there)',
      );
      // With the values right, it is known, and the run passes.
      writeFileSync(
        join(d, 'known.yaml'),
        entry('made-up', 'difference', 'demand-zero-touch', [[3, 16, 15]]),
      );
      const ok = await run(d, ['demand-zero-touch']);
      expect([ok.problems, ok.counts.known]).toEqual([[], 1]);
    });
  });

  test('more than five QEMU artefacts skipped is too many', async () => {
    await inCopy(async (d) => {
      const at = 'cow-child-writes-first';
      // The simulator's minor faults at steps 3, 5, 6, 7, 8 and 9; Linux's made one more each.
      const simulator: [number, number][] = [
        [3, 1],
        [5, 0],
        [6, 1],
        [7, 1],
        [8, 0],
        [9, 0],
      ];
      const skip = (n: number) => {
        const places = simulator.slice(0, n);
        tamperMinflt(d, at, Object.fromEntries(places.map(([step, sim]) => [step, sim + 1])));
        writeFileSync(
          join(d, 'known.yaml'),
          entry(
            'qemu-artefact',
            'qemu',
            at,
            places.map(([step, sim]) => [step, sim, sim + 1]),
          ),
        );
        return run(d, [at]);
      };
      const five = await skip(5);
      expect([five.counts.skipped, five.problems]).toEqual([5, []]);
      const six = await skip(6);
      expect(six.counts.skipped).toBe(6);
      expect(six.problems).toContain('6 steps skipped as QEMU artefacts; at most 5 may be');
    });
  });

  test('a case edited since Linux ran it is stale, and the message says how to record it again', async () => {
    await inCopy(async (d) => {
      const file = join(d, 'cases', 'demand-zero-touch.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('value: 4', 'value: 5'));
      const r = await run(d);
      expect(r.problems).toContain(
        "demand-zero-touch: the case or the probe changed since Linux's results were recorded: run `faultline conformance --record`",
      );
    });
  });

  test('a difference missing from the reviewed list is new, with both sides’ values', async () => {
    await inCopy(async (d) => {
      tamperMinflt(d, 'demand-zero-touch', { 3: 15 });
      const r = await run(d, ['demand-zero-touch']);
      expect(r.counts.new).toBe(1);
      expect(r.problems).toContain(
        'demand-zero-touch step 3 (touch): new difference in minflt: simulator 16, Linux 15',
      );
    });
  });

  test('a known difference at a place where the sides agree is a stale entry', async () => {
    await inCopy(async (d) => {
      writeFileSync(
        join(d, 'known.yaml'),
        entry('not-a-difference', 'difference', 'demand-zero-touch', [[3, 16, 15]]),
      );
      const r = await run(d);
      expect(r.problems).toContain(
        'known-differences.yaml is stale: "not-a-difference" names demand-zero-touch step 3 minflt, where the two sides do not differ (the simulator was fixed? remove the place)',
      );
    });
  });
});
