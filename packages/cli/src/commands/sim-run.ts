/**
 * `faultline sim run FILE [--json] [--trace]`: runs a scenario file (JSON or
 * YAML) on the simulated kernel and prints each step's outcome and faults.
 * Exit codes: 0 the scenario ran (whatever its processes suffered), 2 the
 * file could not be read or is not a valid scenario.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ExitCode, type Io } from '../io.ts';
import { runScenario, type ScenarioReport } from '../scenario/run.ts';
import { parseScenario, ScenarioError } from '../scenario/schema.ts';

const USAGE = 'usage: faultline sim run FILE [--json] [--trace]';

export function simRun(argv: readonly string[], io: Io): ExitCode {
  let values: { json?: boolean; trace?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, trace: { type: 'boolean' } },
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
  let report: ScenarioReport;
  try {
    const scenario = parseScenario(readScenarioFile(file));
    report = runScenario(scenario, { trace: values.trace === true });
  } catch (error) {
    if (error instanceof ScenarioError) {
      io.err.write(`faultline sim run: ${file}: ${error.message}\n`);
      return ExitCode.Usage;
    }
    throw error;
  }
  if (values.json) {
    io.out.write(`${JSON.stringify(report)}\n`);
    return ExitCode.Ok;
  }
  io.out.write(formatReport(report, values.trace === true));
  return ExitCode.Ok;
}

function readScenarioFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    // YAML integers are read as BigInt so that 64-bit addresses such as
    // 0xffff888000000000 arrive exactly, then narrowed (see exactNumbers).
    return extname(file) === '.json'
      ? JSON.parse(text)
      : exactNumbers(parseYaml(text, { intAsBigInt: true }));
  } catch (error) {
    throw new ScenarioError(
      `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Turns BigInt values from the YAML parser into numbers when they are safe
 * integers, and into "0x…" strings (which address fields accept) when they
 * are not, so no 64-bit address is silently rounded.
 */
function exactNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : `0x${BigInt.asUintN(64, value).toString(16)}`;
  }
  if (Array.isArray(value)) return value.map(exactNumbers);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, exactNumbers(v)]));
  }
  return value;
}

export function formatReport(report: ScenarioReport, trace: boolean): string {
  const lines: string[] = [];
  if (report.title !== null) lines.push(`${report.title} (${report.arch})`, '');
  for (const step of report.steps) {
    const cpu = step.cpu === null ? '' : `[cpu ${step.cpu}] `;
    lines.push(`${String(step.index).padStart(3)}. ${cpu}${step.summary}`);
    const faultLine = (f: (typeof step.faults)[number]) =>
      `       fault at ${f.address}, error code 0x${f.errorCode.toString(16)} → ${f.resolution}`;
    if (step.faults.length <= 6 || trace) {
      for (const f of step.faults) lines.push(faultLine(f));
    } else {
      // Long runs of faults (a touch of many pages) are summarised.
      const counts = new Map<string, number>();
      for (const f of step.faults) counts.set(f.resolution, (counts.get(f.resolution) ?? 0) + 1);
      lines.push(faultLine(step.faults[0]!));
      lines.push(
        `       … ${step.faults.length - 2} more faults (${[...counts].map(([r, n]) => `${n} ${r}`).join(', ')} in all)`,
      );
      lines.push(faultLine(step.faults.at(-1)!));
    }
    const oops = step.outcome.oops;
    if (typeof oops === 'string') for (const l of oops.split('\n')) lines.push(`       | ${l}`);
    if (trace && step.events !== undefined) {
      for (const e of step.events) lines.push(`       · ${JSON.stringify(e)}`);
    }
  }
  lines.push('');
  lines.push(
    report.invariants.length === 0
      ? 'invariants: all hold'
      : `invariants VIOLATED:\n  ${report.invariants.join('\n  ')}`,
  );
  return `${lines.join('\n')}\n`;
}
