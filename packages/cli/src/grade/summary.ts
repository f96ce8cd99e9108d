/**
 * The class summary of a batch: one row per submission with its status and
 * score, as CSV (for a spreadsheet) and JSON (for a script).
 *
 * Submission names come from students' file and folder names, and messages
 * from their code: cells are written by the grader's `csvCell`, which keeps
 * a formula-looking cell text (OWASP, "CSV Injection") and quotes as RFC 4180
 * says.
 */
import { csvCell } from '@faultline/grader/csv';

/** How grading a submission ended, for the summary's `graded` column. */
export type GradedAs =
  /** A verdict was reached (whatever the score). */
  | 'graded'
  /** The submission could not be graded for a reason of its own (unreadable, no single solution file). */
  | 'not-gradable'
  /** The grader failed (a worker died, the exercise's tests did not load): not the submission's fault. */
  | 'grader-failed';

export interface SummaryRow {
  readonly submission: string;
  /** The graded file, or the folder that held no single solution. */
  readonly path: string;
  readonly graded: GradedAs;
  readonly status: string;
  readonly score: number;
  readonly maxScore: number;
  readonly testsPassed: number;
  readonly tests: number;
  /** The report's one-line summary (empty for a pass). */
  readonly message: string;
  /** Files written for this submission under --out, relative to it. */
  readonly files?: { readonly json: string; readonly junit: string };
}

const COLUMNS = [
  'submission',
  'path',
  'graded',
  'status',
  'score',
  'maxScore',
  'testsPassed',
  'tests',
  'message',
] as const satisfies readonly (keyof SummaryRow)[];

export function summaryCsv(rows: readonly SummaryRow[]): string {
  const lines = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => csvCell(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function summaryJson(exercise: string, rows: readonly SummaryRow[]): string {
  const count = (graded: GradedAs) => rows.filter((r) => r.graded === graded).length;
  const summary = {
    exercise,
    submissions: rows.length,
    fullMarks: rows.filter((r) => r.graded === 'graded' && r.status === 'pass' && r.score === r.maxScore)
      .length,
    graded: count('graded'),
    notGradable: count('not-gradable'),
    graderFailed: count('grader-failed'),
    rows,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/**
 * A file name for a submission's reports: its name with anything but
 * letters, digits, `.`, `_` and `-` made `_` (folders in a name become
 * `__`), never a hidden file, and unique among `taken`.
 */
export function fileStem(name: string, taken: Set<string>): string {
  const base =
    name
      .replaceAll('/', '__')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[.]+/, '_')
      .slice(0, 120) || 'submission';
  let stem = base;
  for (let n = 2; taken.has(stem.toLowerCase()) || RESERVED.has(stem.toLowerCase()); n++)
    stem = `${base}-${n}`;
  taken.add(stem.toLowerCase());
  return stem;
}

/** Names the summary files use (compared without case, as on macOS and Windows). */
const RESERVED = new Set(['summary']);
