/**
 * `faultline sim run FILE [--arch ARCH] [--json] [--trace]`: runs a scenario
 * file (JSON or YAML) on the simulated kernel and prints each step's outcome
 * and faults. `--arch` runs it on another architecture than the file's own,
 * if the file's `archs` say its concept applies there.
 * Hooks the file takes from TypeScript files (`{ file: mine.ts }`, relative
 * to the scenario) run in the sandbox, as a learner's code does when graded.
 * Exit codes: 0 every step ran (whatever its processes suffered); 1 the
 * kernel stopped the run at a step (a fault that keeps recurring, a step on
 * a task that has exited, …) — the report of the steps that ran and of the
 * one that stopped it is still printed; 2 the file could not be read or is
 * not a valid scenario, or a hook file could not be loaded or failed.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  formatOfFileName,
  formatScenarioReport,
  hookFilesOf,
  onArch,
  parseScenarioText,
  runScenario,
  type Scenario,
  ScenarioError,
  type ScenarioReport,
} from '@faultline/scenario';
import { KERNEL_ARCHES, type KernelArch } from '@faultline/vm-core';
import { ExitCode, type Io } from '../io.ts';
import { type LoadedHookFiles, loadHookFiles } from './sim-hook-files.ts';

const USAGE = `usage: faultline sim run FILE [--arch ${KERNEL_ARCHES.join('|')}] [--json] [--trace]`;

export async function simRun(argv: readonly string[], io: Io): Promise<ExitCode> {
  let values: { json?: boolean; trace?: boolean; arch?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, trace: { type: 'boolean' }, arch: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.err.write(`faultline sim run: ${(error as Error).message}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  if (positionals.length !== 1) {
    io.err.write(`faultline sim run: expected one scenario file, got ${positionals.length}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const file = positionals[0]!;
  const trace = values.trace === true;
  let report: ScenarioReport;
  let hooks: LoadedHookFiles | null = null;
  try {
    const parsed: Scenario = parseScenarioText(readScenarioFile(file), formatOfFileName(file));
    const scenario = values.arch === undefined ? parsed : onArch(parsed, values.arch as KernelArch);
    const hookFiles = hookFilesOf(scenario);
    if (hookFiles.size > 0) hooks = await loadHookFiles(hookFiles, file);
    report = runScenario(scenario, {
      trace,
      ...(hooks !== null ? { resolveHookFile: hooks.resolve } : {}),
    });
  } catch (error) {
    if (error instanceof ScenarioError) {
      io.err.write(`faultline sim run: ${file}: ${error.message}\n`);
      return ExitCode.Usage;
    }
    throw error;
  } finally {
    hooks?.dispose();
  }
  io.out.write(values.json ? `${JSON.stringify(report)}\n` : formatScenarioReport(report, { trace }));
  const stopped = report.stopped;
  if (stopped === null) return ExitCode.Ok;
  io.err.write(
    `faultline sim run: ${file}: the kernel stopped the run at step ${stopped.index} (${stopped.step}): ${stopped.reason}\n`,
  );
  return ExitCode.Failed;
}

function readScenarioFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
