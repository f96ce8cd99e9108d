/**
 * `faultline grade EXERCISE FILE… | DIR… [--out DIR] [--jobs N]
 * [--format json|junit|text] [--visible-only] [--audience learner|staff]
 * [--due-date-passed]`: grades learners' TypeScript files against an
 * exercise's tests.
 *
 * One file: its report on stdout, as before. Several, or a folder of them
 * (each `.ts` file in it, or each subfolder holding one; see
 * `grade/submissions.ts`): all are graded on one warm pool of workers, and
 * stdout holds every report (text: each report then a summary table; json:
 * the summary with each report; junit: one document with a suite per
 * submission). `--out DIR` also writes `<name>.json` and `<name>.junit.xml`
 * per submission and `summary.csv` / `summary.json`.
 *
 * The reports show what their audience may see: by default the learner's
 * view (hidden tests without message, output or trace; after-due-date tests
 * too unless `--due-date-passed`), `staff` for instructors.
 *
 * Exit codes: 0 every submission at full marks, 1 a verdict below full marks
 * for at least one, 2 could not grade (bad usage, unknown exercise, or a
 * submission that could not be read or graded — its report is still printed
 * and written, and the reason goes to stderr).
 *
 * Grading runs in worker threads under a wall-clock watchdog (the
 * exercise's `wallMsTotal`): this thread reads the exercise's metadata and
 * the learners' files, and never imports the exercise's tests. In the built
 * CLI nothing is TypeScript at run time: the workers run the grader's build,
 * which compiles the exercise's test files itself (see `loadGrader`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { collectSubmissions, type Submission } from '../grade/submissions.ts';
import { fileStem, type GradedAs, type SummaryRow, summaryCsv, summaryJson } from '../grade/summary.ts';
import { ExitCode, type Io } from '../io.ts';

const USAGE =
  'usage: faultline grade EXERCISE FILE...|DIR... [--out DIR] [--jobs N] [--format json|junit|text] [--visible-only] [--audience learner|staff] [--due-date-passed]';
const FORMATS = ['json', 'junit', 'text'] as const;
type Format = (typeof FORMATS)[number];
const AUDIENCES = ['learner', 'staff'] as const;
type Audience = (typeof AUDIENCES)[number];

type Grader = Awaited<ReturnType<typeof loadGrader>>;
type Report = ReturnType<Grader['grader']['buildReport']>;
type View = Parameters<Grader['grader']['viewFor']>[1];

interface Request {
  readonly id: string;
  readonly paths: readonly string[];
  readonly format: Format;
  readonly view: View;
  readonly visibleOnly: boolean;
  readonly out: string | null;
  readonly jobs: number | null;
}

/** One submission's outcome: its report, and whether a verdict was reached. */
export interface Graded {
  readonly submission: Submission;
  readonly report: Report;
  readonly graded: GradedAs;
  /** Why it was not graded (stderr), for not-gradable and grader-failed. */
  readonly reason?: string;
  /** The same, as its report says it (no host paths), for not-gradable. */
  readonly told?: string;
}

export async function grade(argv: readonly string[], io: Io): Promise<ExitCode> {
  const request = parseRequest(argv, io);
  if (request === null) return ExitCode.Usage;
  const loaded = await loadGrader();
  const { exercises } = loaded;
  const known = await exercises.listExercises();
  if (!known.includes(request.id)) {
    io.err.write(`faultline grade: unknown exercise "${request.id}"; known: ${known.join(', ')}\n`);
    return ExitCode.Usage;
  }
  const submissions = await collectSubmissions(request.paths, {
    skip: request.out === null ? [] : [request.out],
  });
  const single = submissions.length === 1 && request.paths.length === 1 && submissions[0]?.kind === 'file';
  const graded = await gradeAll(loaded, request, submissions, single ? null : io);
  const results =
    request.view.audience === 'learner' ? graded.map((r) => forLearners(r, loaded.grader)) : graded;

  for (const r of graded) {
    if (r.reason !== undefined)
      io.err.write(
        `faultline grade: could not grade ${loaded.grader.oneLine(r.submission.name)}: ${loaded.grader.oneLine(r.reason)}\n`,
      );
  }
  // The reports go out first: a folder that cannot be written must not cost the verdicts.
  const first = results[0];
  if (single && first !== undefined) io.out.write(renderOne(loaded, request, first));
  else
    io.out.write(
      renderBatch(
        loaded,
        request,
        results,
        results.map((r) => summaryRow(r)),
      ),
    );
  if (request.out !== null) {
    const failed = await writeOut(loaded, request, results);
    if (failed !== null) {
      io.err.write(`faultline grade: cannot write the reports to ${request.out}: ${failed}\n`);
      return ExitCode.Usage;
    }
  }

  if (results.some((r) => r.graded !== 'graded')) return ExitCode.Usage;
  return results.every((r) => fullMarks(r.report)) ? ExitCode.Ok : ExitCode.Failed;
}

function parseRequest(argv: readonly string[], io: Io): Request | null {
  let values: {
    format?: string;
    'visible-only'?: boolean;
    audience?: string;
    'due-date-passed'?: boolean;
    out?: string;
    jobs?: string;
  };
  let positionals: string[];
  const usage = (message: string) => {
    io.err.write(`faultline grade: ${message}\n${USAGE}\n`);
    return null;
  };
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        format: { type: 'string' },
        'visible-only': { type: 'boolean' },
        audience: { type: 'string' },
        'due-date-passed': { type: 'boolean' },
        out: { type: 'string' },
        jobs: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) return usage(`--format must be json, junit or text, not "${values.format}"`);
  const audience = (values.audience ?? 'learner') as Audience;
  if (!AUDIENCES.includes(audience))
    return usage(`--audience must be learner or staff, not "${values.audience}"`);
  if (values['due-date-passed'] === true && audience !== 'learner')
    return usage('--due-date-passed goes with --audience learner (staff see everything)');
  let jobs: number | null = null;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64))
      return usage(`--jobs must be a whole number from 1 to 64, not "${values.jobs}"`);
  }
  if (values.out === '') return usage('--out needs a folder');
  const [id, ...paths] = positionals;
  if (id === undefined || paths.length === 0)
    return usage(
      `expected an exercise id and at least one submission (a file or a folder), got ${positionals.length} arguments`,
    );
  // A report may be published to the learner (a CI log, an LMS): by default it
  // holds only what the learner may see — hidden tests' names, statuses and
  // points, never their messages, output or traces. Instructors ask for staff.
  const view: View =
    audience === 'staff'
      ? { audience: 'staff' }
      : { audience: 'learner', dueDatePassed: values['due-date-passed'] === true };
  return {
    id,
    paths,
    format,
    view,
    visibleOnly: values['visible-only'] === true,
    out: values.out ?? null,
    jobs,
  };
}

/** Grades every submission on one pool; `progress` (batches) hears of each as it finishes. */
async function gradeAll(
  loaded: Grader,
  request: Request,
  submissions: readonly Submission[],
  progress: Io | null,
): Promise<Graded[]> {
  const { exercises, grader, sandbox } = loaded;
  const exerciseDir = join(exercises.EXERCISES_DIR, request.id);
  // Read (not run) here, so that a broken folder stops before any worker starts.
  let facts: { maxScore: number; limits: Report['limits'] };
  try {
    const files = await grader.readExercise(exerciseDir);
    facts = {
      maxScore: request.visibleOnly ? 0 : files.meta.points,
      limits: grader.resolveLimits(files.meta.limits),
    };
  } catch (error) {
    const reason = `exercise "${request.id}" is broken: ${(error as Error).message}`;
    const report = errorReport(loaded, request.id, { maxScore: 0, limits: undefined }, reason);
    return submissions.map((submission) => ({ submission, report, graded: 'grader-failed', reason }));
  }

  const sources = await Promise.all(submissions.map((s) => readSubmission(s)));
  const toGrade = sources.filter((s) => s.kind === 'read').length;
  const size = Math.max(1, Math.min(request.jobs ?? availableParallelism(), toGrade));
  // gradeInPool arms the pool's watchdog with the exercise's own wallMsTotal.
  const pool = sandbox.createPool({ size });
  let done = 0;
  const finished = (g: Graded): Graded => {
    done += 1;
    progress?.err.write(
      `[${done}/${submissions.length}] ${grader.oneLine(g.submission.name)}: ${g.report.status} ${g.report.score}/${g.report.maxScore}\n`,
    );
    return g;
  };
  try {
    const graded = await Promise.all(
      sources.map(async (source): Promise<Graded> => {
        const { submission } = source;
        if (source.kind === 'unreadable') {
          const report = errorReport(loaded, request.id, facts, source.told);
          return finished({
            submission,
            report,
            graded: 'not-gradable',
            reason: source.reason,
            told: source.told,
          });
        }
        const graded = await grader.gradeInPool(pool, {
          driver: loaded.driver,
          exerciseDir,
          learnerSource: source.text,
          visibleOnly: request.visibleOnly,
          filename: basename(source.file),
        });
        return finished(
          graded.kind === 'grader-failed'
            ? { submission, report: graded.report, graded: 'grader-failed', reason: graded.reason }
            : { submission, report: graded.report, graded: 'graded' },
        );
      }),
    );
    // Run on the visible tests only, the total is theirs: known once one submission was graded.
    const visibleTotal = graded.find((g) => g.graded === 'graded')?.report.maxScore;
    if (!request.visibleOnly || visibleTotal === undefined) return graded;
    return graded.map((g) =>
      g.graded === 'not-gradable'
        ? {
            ...g,
            report: errorReport(loaded, request.id, { ...facts, maxScore: visibleTotal }, g.told ?? ''),
          }
        : g,
    );
  } finally {
    await pool.close();
  }
}

type Source =
  | { readonly kind: 'read'; readonly submission: Submission; readonly file: string; readonly text: string }
  | {
      readonly kind: 'unreadable';
      readonly submission: Submission;
      /** For stderr: with the path. */
      readonly reason: string;
      /** For the report, which may be published: named by the submission's file or folder name, not its path. */
      readonly told: string;
    };

async function readSubmission(submission: Submission): Promise<Source> {
  if (submission.kind === 'unusable')
    return {
      kind: 'unreadable',
      submission,
      reason: `${submission.path}: ${submission.reason}`,
      told: `${basename(submission.path)}: ${submission.reason}`,
    };
  try {
    return { kind: 'read', submission, file: submission.file, text: await readFile(submission.file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return {
      kind: 'unreadable',
      submission,
      reason: `cannot read ${submission.file} (${code})`,
      told: `cannot read ${basename(submission.file)} (${code})`,
    };
  }
}

/** A report for a submission that could not be graded: status error, zero points, the reason. */
function errorReport(
  { grader }: Grader,
  exercise: string,
  facts: { maxScore: number; limits: Report['limits'] },
  reason: string,
): Report {
  return grader.buildReport({
    exercise,
    maxScore: facts.maxScore,
    ...(facts.limits === undefined ? {} : { limits: facts.limits }),
    tests: [],
    outcome: { kind: 'not-run', message: `Not graded: ${reason}.` },
  });
}

function fullMarks(report: Report): boolean {
  return report.status === 'pass' && report.score === report.maxScore;
}

function summaryRow(r: Graded, files?: SummaryRow['files']): SummaryRow {
  const row: SummaryRow = {
    submission: r.submission.name,
    path: r.submission.kind === 'file' ? r.submission.file : r.submission.path,
    graded: r.graded,
    status: r.report.status,
    score: r.report.score,
    maxScore: r.report.maxScore,
    testsPassed: r.report.tests.filter((t) => t.status === 'pass').length,
    tests: r.report.tests.length,
    message: r.report.message ?? '',
  };
  return files === undefined ? row : { ...row, files };
}

/** A grader failure as a learner may read it (`graderFailureForLearners`): the reason stays on stderr. */
export function forLearners(r: Graded, grader: Pick<Grader['grader'], 'graderFailureForLearners'>): Graded {
  return r.graded === 'grader-failed' ? { ...r, report: grader.graderFailureForLearners(r.report) } : r;
}

/** The JUnit naming of a submission: a grader failure is "(grader)", anything else the submission's own. */
function junitSubmission(r: Graded) {
  return { name: r.submission.name, fault: r.graded === 'grader-failed' ? 'grader' : 'submission' } as const;
}

function renderOne({ grader }: Grader, request: Request, r: Graded): string {
  switch (request.format) {
    case 'json':
      return `${JSON.stringify(grader.viewFor(r.report, request.view))}\n`;
    case 'junit':
      return grader.renderJUnit(r.report, request.view, junitSubmission(r));
    case 'text':
      return grader.renderText(r.report, request.view);
  }
}

function renderBatch(
  { grader }: Grader,
  request: Request,
  results: readonly Graded[],
  rows: readonly SummaryRow[],
): string {
  switch (request.format) {
    case 'json': {
      const summary = JSON.parse(summaryJson(request.id, rows)) as Record<string, unknown>;
      const reports = results.map((r) => ({
        submission: r.submission.name,
        report: grader.viewFor(r.report, request.view),
      }));
      return `${JSON.stringify({ ...summary, reports })}\n`;
    }
    case 'junit':
      return grader.renderJUnitBatch(
        request.id,
        results.map((r) => ({ report: r.report, submission: junitSubmission(r) })),
        request.view,
      );
    case 'text':
      return [
        ...results.map(
          (r) => `== ${grader.oneLine(r.submission.name)} ==\n${grader.renderText(r.report, request.view)}`,
        ),
        summaryTable(rows, grader.oneLine),
      ].join('\n');
  }
}

/** The summary for a terminal; `shown` makes a student's file name safe to print (no control characters). */
function summaryTable(rows: readonly SummaryRow[], shown: (name: string) => string): string {
  const width = Math.max(10, ...rows.map((r) => shown(r.submission).length));
  const lines = rows.map((r) =>
    `${shown(r.submission).padEnd(width)}  ${r.status.padEnd(13)}  ${`${r.score}/${r.maxScore}`.padStart(7)}  ${r.graded === 'graded' ? '' : r.graded}`.trimEnd(),
  );
  const full = rows.filter((r) => r.graded === 'graded' && r.status === 'pass' && r.score === r.maxScore);
  return [
    `Summary: ${rows.length} submission${rows.length === 1 ? '' : 's'}, ${full.length} at full marks`,
    ...lines,
    '',
  ].join('\n');
}

/** Writes each submission's JSON and JUnit reports and the summaries; an error message, or null. */
async function writeOut(
  loaded: Grader,
  request: Request,
  results: readonly Graded[],
): Promise<string | null> {
  const { grader } = loaded;
  const dir = request.out ?? '.';
  const taken = new Set<string>();
  try {
    await mkdir(dir, { recursive: true });
    const rows: SummaryRow[] = [];
    for (const r of results) {
      const stem = fileStem(r.submission.name, taken);
      const files = { json: `${stem}.json`, junit: `${stem}.junit.xml` };
      await writeFile(join(dir, files.json), `${JSON.stringify(grader.viewFor(r.report, request.view))}\n`);
      await writeFile(join(dir, files.junit), grader.renderJUnit(r.report, request.view, junitSubmission(r)));
      rows.push(summaryRow(r, files));
    }
    await writeFile(join(dir, 'summary.csv'), summaryCsv(rows));
    await writeFile(join(dir, 'summary.json'), summaryJson(request.id, rows));
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') return `${dir} is a file, not a folder (${code})`;
    return code ?? (error as Error).message;
  }
}

/** Defined `true` by build.mjs in the built CLI (dist/main.js); undeclared from source (vitest). */
declare const __FAULTLINE_CLI_BUNDLE__: boolean | undefined;

/**
 * The grader, the exercises and the sandbox, and `driver`, the module the
 * grading workers run. In the built CLI the first two are bundled into it and
 * the sandbox is its own build, so nothing here is TypeScript; the bundle is
 * no driver, so the workers run the grader's build (`@faultline/grader/driver`,
 * which compiles exercise tests itself). From source, `driver` is left to
 * `gradeInPool` (the grader's source, through tsx).
 */
export async function loadGrader() {
  const [exercises, grader, sandbox] = await Promise.all([
    import('@faultline/exercises'),
    import('@faultline/grader'),
    import('@faultline/sandbox'),
  ]);
  const built = typeof __FAULTLINE_CLI_BUNDLE__ === 'boolean' && __FAULTLINE_CLI_BUNDLE__;
  const driver = built ? await builtDriver() : undefined;
  return { exercises, grader, sandbox, driver };
}

/** The grader's build, which the workers of the built CLI run (turbo builds it before the CLI). */
async function builtDriver(): Promise<string> {
  const url = import.meta.resolve('@faultline/grader/driver');
  const { existsSync } = await import('node:fs');
  if (!existsSync(new URL(url)))
    throw new Error(`the grader's build is missing (${new URL(url).pathname}): run \`pnpm build\``);
  return url;
}
