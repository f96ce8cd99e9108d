/**
 * `faultline grade EXERCISE FILE [--format json|junit|text] [--visible-only]`:
 * grades a learner's TypeScript file against an exercise's tests.
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

const USAGE = 'usage: faultline grade EXERCISE FILE [--format json|junit|text] [--visible-only]';
const FORMATS = ['json', 'junit', 'text'] as const;
type Format = (typeof FORMATS)[number];

export async function grade(argv: readonly string[], io: Io): Promise<ExitCode> {
  let values: { format?: string; 'visible-only'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { format: { type: 'string' }, 'visible-only': { type: 'boolean' } },
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
  // CI and instructors see everything; the web app renders the learner's view.
  const view = { audience: 'staff' } as const;
  switch (format) {
    case 'json':
      io.out.write(`${JSON.stringify(report)}\n`);
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
