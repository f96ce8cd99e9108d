/**
 * Proves an exercise sound: the reference solution earns full marks, the
 * starter and every mutant earn less, and grading is deterministic (the same
 * submission twice gives the same report, durations aside). Schema validity
 * is the loader's job (`exercise/load.ts`): a folder that loads has it.
 */
import type { Report } from '../report.ts';
import { type GradableExercise, gradeSubmission } from './run.ts';

/** The submissions that prove an exercise: its reference solution, its starter, its mutants. */
export interface ValidationSubject {
  readonly solution: string;
  readonly starter: string;
  readonly mutants: readonly { readonly name: string; readonly source: string }[];
}

export interface ValidatableExercise extends GradableExercise, ValidationSubject {}

export interface ValidationResult {
  readonly ok: boolean;
  /** One line per problem; empty when ok. */
  readonly problems: string[];
  readonly reports: {
    readonly solution: Report;
    readonly starter: Report;
    readonly mutants: Readonly<Record<string, Report>>;
  };
}

/** The report without its durations, for comparing runs. */
export function withoutDurations(report: Report): unknown {
  return { ...report, tests: report.tests.map(({ durationMs: _d, ...rest }) => rest) };
}

/** Validates in-process (the tests run on this thread). */
export function validateExercise(exercise: ValidatableExercise): Promise<ValidationResult> {
  return validateWith(exercise, (learnerSource) => gradeSubmission({ exercise, learnerSource }));
}

/**
 * Validates with any way of grading (the CLI grades in a pool worker, under
 * the watchdog): only the reports are needed, so the exercise's tests need
 * not be loaded here.
 */
export async function validateWith(
  exercise: ValidationSubject,
  grade: (learnerSource: string) => Promise<Report>,
): Promise<ValidationResult> {
  const problems: string[] = [];

  const solution = await grade(exercise.solution);
  if (solution.status !== 'pass' || solution.score !== solution.maxScore) {
    const failing = solution.tests.filter((t) => t.status !== 'pass').map((t) => `"${t.name}": ${t.message}`);
    problems.push(
      `the reference solution scores ${solution.score}/${solution.maxScore} (${solution.status}${solution.message ? `: ${solution.message}` : ''})${failing.length > 0 ? `; failing: ${failing.join('; ')}` : ''}`,
    );
  }
  const again = await grade(exercise.solution);
  if (JSON.stringify(withoutDurations(again)) !== JSON.stringify(withoutDurations(solution)))
    problems.push('grading is not deterministic: two runs of the reference solution gave different reports');

  const starter = await grade(exercise.starter);
  if (starter.score >= starter.maxScore) problems.push('the starter code earns full marks');

  if (exercise.mutants.length === 0) problems.push('the exercise has no mutants');
  const mutants: Record<string, Report> = {};
  for (const mutant of exercise.mutants) {
    const report = await grade(mutant.source);
    mutants[mutant.name] = report;
    if (report.status === 'compile-error') problems.push(`mutant ${mutant.name} does not compile`);
    const hiddenFailed = report.tests.some((t) => t.visibility !== 'visible' && t.status !== 'pass');
    if (report.score >= report.maxScore) problems.push(`mutant ${mutant.name} earns full marks`);
    else if (!hiddenFailed) problems.push(`mutant ${mutant.name} fails no hidden test`);
  }
  return { ok: problems.length === 0, problems, reports: { solution, starter, mutants } };
}
