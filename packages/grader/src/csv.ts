/**
 * Grades as CSV, for spreadsheets: the CLI's class summary and the web
 * app's grade export both write through here.
 *
 * Names and messages come from learners (file names, display names, their
 * code's output): a cell a spreadsheet would read as a formula (`=`, `+`,
 * `-`, `@`, a tab or a carriage return first) is prefixed with `'` so it
 * stays text (OWASP, "CSV Injection"), and a cell is quoted as RFC 4180
 * says when it holds a comma, a quote or a line break.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: text a spreadsheet will not evaluate, quoted when it must be. */
export function csvCell(value: string | number): string {
  let text = String(value);
  // Numbers are ours (scores, counts) and never negative; only text can be a formula.
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A whole table: the header row, then one line per row, CRLF-free, ending in a newline. */
export function csvTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return `${[header.map(csvCell).join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\n')}\n`;
}
