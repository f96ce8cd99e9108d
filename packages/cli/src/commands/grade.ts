/**
 * `faultline grade EXERCISE FILE [--format json|junit|text] [--visible-only]
 * [--audience learner|staff] [--due-date-passed]`: grades a learner's
 * TypeScript file against an exercise's tests. The report shows what its
 * audience may see: by default the learner's view (hidden tests without
 * message, output or trace; after-due-date tests too unless
 * `--due-date-passed`), `staff` for instructors.
 * Exit codes: 0 full marks, 1 below full marks (a verdict was reached),
 * 2 could not grade (bad usage, unknown exercise, unreadable file, internal error).
 *
 * Grading runs in a worker thread under a wall-clock watchdog (the
 * exercise's `wallMsTotal`): this thread reads the exercise's metadata and
 * the learner's file, and never imports the exercise's tests. A report is
 * printed whatever happens; exit 2 says when it is an error on the grader's
 * side (with the reason on stderr), not a verdict on the submission.
 *
 * The grader and the exercises are TypeScript loaded at run time (exercise
 * tests are .ts files instructors write): the binary provides tsx's loader
 * through `io.loadTypeScript`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, type Io } from '../io.ts';

const USAGE =
  'usage: faultline grade EXERCISE FILE [--format json|junit|text] [--visible-only] [--audience learner|staff] [--due-date-passed]';
const FORMATS = ['json', 'junit', 'text'] as const;
type Format = (typeof FORMATS)[number];
const AUDIENCES = ['learner', 'staff'] as const;
type Audience = (typeof AUDIENCES)[number];

export async function grade(argv: readonly string[], io: Io): Promise<ExitCode> {
  let values: { format?: string; 'visible-only'?: boolean; audience?: string; 'due-date-passed'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        format: { type: 'string' },
        'visible-only': { type: 'boolean' },
        audience: { type: 'string' },
        'due-date-passed': { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.err.write(`faultline grade: ${(error as Error).message}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    io.err.write(`faultline grade: --format must be json, junit or text, not "${values.format}"\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const audience = (values.audience ?? 'learner') as Audience;
  if (!AUDIENCES.includes(audience)) {
    io.err.write(
      `faultline grade: --audience must be learner or staff, not "${values.audience}"\n${USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  if (values['due-date-passed'] === true && audience !== 'learner') {
    io.err.write(
      `faultline grade: --due-date-passed goes with --audience learner (staff see everything)\n${USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  if (positionals.length !== 2) {
    io.err.write(
      `faultline grade: expected an exercise id and a file, got ${positionals.length} arguments\n${USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  const [id, file] = positionals as [string, string];
  const { exercises, grader, sandbox } = await loadGrader(io);
  const known = await exercises.listExercises();
  if (!known.includes(id)) {
    io.err.write(`faultline grade: unknown exercise "${id}"; known: ${known.join(', ')}\n`);
    return ExitCode.Usage;
  }
  const exerciseDir = join(exercises.EXERCISES_DIR, id);
  try {
    // Read (not run) here so that a broken folder is a usage error before any worker starts.
    await exercises.readExercise(exerciseDir);
  } catch (error) {
    io.err.write(`faultline grade: exercise "${id}" is broken: ${(error as Error).message}\n`);
    return ExitCode.Usage;
  }
  let learnerSource: string;
  try {
    learnerSource = readFileSync(file, 'utf8');
  } catch (error) {
    io.err.write(
      `faultline grade: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`,
    );
    return ExitCode.Usage;
  }

  // gradeInPool arms the pool's watchdog with the exercise's own wallMsTotal.
  const pool = sandbox.createPool({ size: 1 });
  let graded: Awaited<ReturnType<typeof grader.gradeInPool>>;
  try {
    graded = await grader.gradeInPool(pool, {
      exerciseDir,
      learnerSource,
      visibleOnly: values['visible-only'] === true,
      filename: file.split('/').pop() ?? 'solution.ts',
    });
  } finally {
    await pool.close();
  }
  const { report } = graded;
  // A report may be published to the learner (a CI log, an LMS): by default it
  // holds only what the learner may see — hidden tests' names, statuses and
  // points, never their messages, output or traces. Instructors ask for staff.
  const view =
    audience === 'staff'
      ? ({ audience: 'staff' } as const)
      : ({ audience: 'learner', dueDatePassed: values['due-date-passed'] === true } as const);
  switch (format) {
    case 'json':
      io.out.write(`${JSON.stringify(grader.viewFor(report, view))}\n`);
      break;
    case 'junit':
      io.out.write(grader.renderJUnit(report, view));
      break;
    case 'text':
      io.out.write(grader.renderText(report, view));
      break;
  }
  if (graded.kind === 'grader-failed') {
    io.err.write(`faultline grade: could not grade ${file}: ${graded.reason}\n`);
    return ExitCode.Usage;
  }
  return report.status === 'pass' && report.score === report.maxScore ? ExitCode.Ok : ExitCode.Failed;
}

export async function loadGrader(io: Io) {
  await io.loadTypeScript?.();
  const [exercises, grader, sandbox] = await Promise.all([
    import('@faultline/exercises'),
    import('@faultline/grader'),
    import('@faultline/sandbox'),
  ]);
  return { exercises, grader, sandbox };
}
