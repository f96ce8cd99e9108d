/**
 * How long the conformance suite takes: one boot of Linux under QEMU with
 * every case (compiling the probe included), and the simulator's side of
 * every case. A plain timed loop; the last line printed is one JSON object.
 *
 *   pnpm --filter @faultline/conformance bench
 *
 * Target (issue 11): a boot with a few dozen probes under 10 s here.
 */
import { CASES_DIR, loadCases } from '../src/case-file.ts';
import { findLinuxToolchain, runOnLinux } from '../src/linux/index.ts';
import { programOf } from '../src/program.ts';
import { observeOnSimulator } from '../src/simulator.ts';

const BOOTS = 3;
const SIMULATOR_ROUNDS = 5;

const cases = loadCases(CASES_DIR);
const programs = cases.map((c) => ({ id: c.id, text: programOf(c) }));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const simulatorMs: number[] = [];
for (let round = 0; round < SIMULATOR_ROUNDS; round++) {
  const started = performance.now();
  for (const c of cases) observeOnSimulator(c);
  simulatorMs.push(performance.now() - started);
}

const toolchain = findLinuxToolchain();
const bootSeconds: number[] = [];
let kernel: string | null = null;
if (toolchain.ok) {
  for (let boot = 0; boot < BOOTS; boot++) {
    const started = performance.now();
    const run = await runOnLinux(programs, toolchain);
    bootSeconds.push((performance.now() - started) / 1000);
    kernel = String(run.boot.kernel);
  }
} else console.error(`no Linux boot: missing ${toolchain.missing.join('; ')}`);

console.log(
  JSON.stringify({
    cases: cases.length,
    steps: cases.reduce((n, c) => n + c.scenario.steps.length, 0),
    kernel,
    bootSeconds: bootSeconds.map((s) => Number(s.toFixed(2))),
    bootSecondsMedian: bootSeconds.length > 0 ? Number(median(bootSeconds).toFixed(2)) : null,
    simulatorAllCasesMsMedian: Number(median(simulatorMs).toFixed(1)),
    loadAverage: (await import('node:os')).loadavg()[0],
  }),
);
