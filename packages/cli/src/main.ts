/**
 * `faultline` — the command-line face of Faultline.
 *
 *   faultline demo [--json]     a guided tour of the simulated MMU
 *   faultline sim policy …      page replacement on a reference string
 *   faultline sim run FILE      a scenario (JSON or YAML) on the simulated kernel
 *   faultline grade EX FILE…    grade learners' solutions (files or folders)
 *   faultline conformance       the simulator against a real Linux kernel
 *   faultline user add …        create an account (the first instructor)
 *   faultline worker …          grade submissions from a web app's database
 *   faultline help              this text
 *
 * Exit codes: 0 success, 1 a check failed, 2 usage error or internal error.
 */
import { conformance } from './commands/conformance.ts';
import { demo } from './commands/demo.ts';
import { list, scaffold, validate } from './commands/exercises.ts';
import { grade } from './commands/grade.ts';
import { simPolicy } from './commands/sim-policy.ts';
import { simRun } from './commands/sim-run.ts';
import { user } from './commands/user.ts';
import { worker } from './commands/worker.ts';
import { ExitCode, type Io } from './io.ts';

export const USAGE = `usage: faultline <command> [options]

commands:
  demo [--json]   walk through the simulated MMU: page walks, TLB hits and
                  misses, page-fault error codes, a stale TLB entry
  sim policy --policy fifo|lru|opt|clock --frames N --trace 1,2,3,... [--json]
                  page replacement on a reference string, one line per
                  reference (HIT or miss, the victim, the frames after it),
                  then hits, misses and the hit ratio
  sim run FILE [--json] [--trace]
                  run a scenario file (JSON or YAML) on the simulated kernel:
                  each step's outcome (value, signal and si_code, errno, oops)
                  and the faults it took with their error codes and how each
                  was resolved; --trace adds every hardware and kernel event
  grade EXERCISE FILE...|DIR... [--out DIR] [--jobs N] [--format json|junit|text]
        [--visible-only] [--audience learner|staff] [--due-date-passed]
                  grade learners' TypeScript files (a folder: each .ts file or
                  subfolder is one) against the exercise's tests; --out DIR
                  writes JSON and JUnit per submission and summary.csv/.json;
                  exit 0 all at full marks, 1 below, 2 if one could not grade
  list [--json] [--exercises DIR]
                  the exercises in learning order: id, kind, difficulty,
                  points, title and prerequisites (--json: one array)
  validate [EXERCISE...] [--exercises DIR]
                  prove exercises sound: reference at full marks, starter and
                  every mutant below, deterministic; exit 0 sound, 1 not, 2 error;
                  --exercises DIR validates a course's own exercise folders
  new SLUG [--exercises DIR]
                  scaffold an exercise folder in exercises/ (or DIR) to fill in
  conformance [--arch x86-64|arm64]... [--record] [--recorded] [--case ID]... [--all] [--json]
                  run every conformance case on the simulator and on Linux 6.1,
                  x86-64 then arm64 (or the --arch given), each booted now
                  under QEMU when it is installed (else the
                  committed results) and compare what a program observes:
                  agree, known difference (with the Linux source that decides
                  it) or new; --record saves Linux's results; exit 1 on
                  anything new or stale
  user add --email EMAIL --name NAME [--role learner|instructor|author]
           [--database URL] [--password-stdin]
                  create an account in the web app's database (the first
                  instructor comes from here); without --password-stdin a
                  password is made up and printed once
  worker --database URL [--jobs N] [--data-dir DIR] [--lease-ms N]
                  grade submissions from the web app's database queue until
                  stopped (Ctrl-C / SIGTERM); any number beside the web app
  help            show this text
`;

export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        return demo(rest, io);
      case 'sim':
        return await sim(rest, io);
      case 'grade':
        return await grade(rest, io);
      case 'conformance':
        return await conformance(rest, io);
      case 'validate':
        return await validate(rest, io);
      case 'list':
        return await list(rest, io);
      case 'new':
        return await scaffold(rest, io);
      case 'user':
        return await user(rest, io);
      case 'worker':
        return await worker(rest, io);
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

/** `faultline sim <what>`: the simulations, one subcommand each. */
async function sim(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case 'policy':
      return simPolicy(rest, io);
    case 'run':
      return await simRun(rest, io);
    case undefined:
      io.err.write(`faultline sim: missing subcommand\n\n${USAGE}`);
      return ExitCode.Usage;
    default:
      io.err.write(`faultline sim: unknown subcommand "${subcommand}"\n\n${USAGE}`);
      return ExitCode.Usage;
  }
}
