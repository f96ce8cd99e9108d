/**
 * `faultline` — the command-line face of Faultline.
 *
 *   faultline demo [--json]     a guided tour of the simulated MMU
 *   faultline help              this text
 *
 * Exit codes: 0 success, 1 a check failed, 2 usage error or internal error.
 */
import { demo } from './commands/demo.ts';
import { ExitCode, type Io } from './io.ts';

export const USAGE = `usage: faultline <command> [options]

commands:
  demo [--json]   walk through the simulated MMU: page walks, TLB hits and
                  misses, page-fault error codes, a stale TLB entry
  help            show this text
`;

export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        return demo(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out.write(USAGE);
        return ExitCode.Ok;
      default:
        io.err.write(`faultline: unknown command "${command}"\n\n${USAGE}`);
        return ExitCode.Usage;
    }
  } catch (error) {
    io.err.write(`faultline: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Usage;
  }
}
