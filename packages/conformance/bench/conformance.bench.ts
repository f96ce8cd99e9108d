/**
 * How long the conformance suite takes, per architecture: one boot of Linux
 * under QEMU with every case of that half (compiling the probe included),
 * and the simulator's side of every case. A plain timed loop; the last line
 * printed is one JSON object.
 *
 *   pnpm --filter @faultline/conformance bench
 *
 * Target (issue 11): a boot with a few dozen probes under 10 s here.
 */
import { loadavg } from 'node:os';
import { CASE_ARCHS, CASES_DIR, caseArchs, loadCases } from '../src/case-file.ts';
import { findLinuxToolchain, runOnLinux } from '../src/linux/index.ts';
import { programOf } from '../src/program.ts';
import { observeOnSimulator } from '../src/simulator.ts';

const BOOTS = 3;
const SIMULATOR_ROUNDS = 5;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

const halves: Record<string, unknown>[] = [];
for (const arch of CASE_ARCHS) {
  const cases = loadCases(CASES_DIR).filter((c) => caseArchs(c).includes(arch));
  const programs = cases.map((c) => ({ id: c.id, text: programOf(c) }));
  const simulatorMs: number[] = [];
  for (let r = 0; r < SIMULATOR_ROUNDS; r++) {
    const started = performance.now();
    for (const c of cases) observeOnSimulator(c, arch);
    simulatorMs.push(performance.now() - started);
  }
  const toolchain = findLinuxToolchain({ arch });
  const bootSeconds: number[] = [];
  let kernel: string | null = null;
  if (toolchain.ok) {
    for (let boot = 0; boot < BOOTS; boot++) {
      const started = performance.now();
      const run = await runOnLinux(programs, toolchain);
      bootSeconds.push((performance.now() - started) / 1000);
      kernel = String(run.boot.kernel);
    }
  } else console.error(`no Linux boot on ${arch}: missing ${toolchain.missing.join('; ')}`);
  halves.push({
    arch,
    cases: cases.length,
    steps: cases.reduce((n, c) => n + c.scenario.steps.length, 0),
    kernel,
    bootSeconds: bootSeconds.map((s) => round(s, 2)),
    bootSecondsMedian: bootSeconds.length > 0 ? round(median(bootSeconds), 2) : null,
    simulatorAllCasesMsMedian: round(median(simulatorMs), 1),
  });
}

console.log(JSON.stringify({ halves, loadAverage: loadavg()[0] }));
