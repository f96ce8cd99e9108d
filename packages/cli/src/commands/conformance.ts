/**
 * `faultline conformance [--arch A]... [--record] [--recorded] [--case ID]... [--all] [--json]`:
 * every conformance case on the simulator and on Linux — booted now under
 * QEMU when this machine has it, else Linux's committed results, and the
 * output says which — compared step by step: agree, known difference (on the
 * reviewed list, with the Linux source that decides it) or new difference;
 * on x86-64 and then on arm64 (each case lists the architectures it runs
 * on), or only on those given with --arch.
 * Exit codes: 0 nothing new; 1 a new difference, a stale recording or list,
 * or a side that could not run a case; 2 usage, or a case that cannot be read.
 */
import { parseArgs } from 'node:util';
import { ExitCode, type Io } from '../io.ts';

const USAGE =
  'usage: faultline conformance [--arch x86-64|arm64]... [--record] [--recorded] [--case ID]... [--all] [--json]';

export async function conformance(argv: readonly string[], io: Io): Promise<ExitCode> {
  let values: {
    arch?: string[];
    record?: boolean;
    recorded?: boolean;
    case?: string[];
    all?: boolean;
    json?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        arch: { type: 'string', multiple: true },
        record: { type: 'boolean' },
        recorded: { type: 'boolean' },
        case: { type: 'string', multiple: true },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    io.err.write(`faultline conformance: ${(error as Error).message}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  if (values.record && values.recorded) {
    io.err.write(`faultline conformance: --record boots Linux; --recorded does not: pick one\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  // Loaded only for this command: its cases and Linux's recorded results are data the others never need.
  const { CASE_ARCHS, CaseError, conformanceJson, formatConformance, runConformanceOnEach } = await import(
    '@faultline/conformance'
  );
  const unknownArch = (values.arch ?? []).filter((a) => !(CASE_ARCHS as readonly string[]).includes(a));
  if (unknownArch.length > 0) {
    io.err.write(
      `faultline conformance: --arch ${unknownArch[0]}: the cases run on ${CASE_ARCHS.join(' and ')}\n${USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  try {
    const results = await runConformanceOnEach({
      ...(values.arch !== undefined ? { archs: values.arch as (typeof CASE_ARCHS)[number][] } : {}),
      linux: values.record ? 'live' : values.recorded ? 'recorded' : 'auto',
      record: values.record === true,
      ...(values.case !== undefined ? { only: values.case } : {}),
      log: (line) => io.err.write(`${line}\n`),
    });
    io.out.write(
      values.json
        ? `${JSON.stringify({ halves: results.map(conformanceJson) })}\n`
        : results.map((r) => formatConformance(r, { all: values.all === true })).join('\n'),
    );
    return results.every((r) => r.problems.length === 0) ? ExitCode.Ok : ExitCode.Failed;
  } catch (error) {
    if (error instanceof CaseError) {
      io.err.write(`faultline conformance: ${error.message}\n`);
      return ExitCode.Usage;
    }
    throw error;
  }
}
