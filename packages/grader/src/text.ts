/**
 * The report as plain text for a terminal: a heading, one line per test
 * (✓ passed, ✗ did not, – skipped) with its points, the message indented
 * beneath, then the totals. No colour codes: callers that want colour add it.
 *
 * Names and messages come from learners (a thrown message, a file name) and
 * from tests: control characters — ESC, CR, backspace and the rest, which a
 * terminal would obey to recolour, overwrite or fake a line — are shown as
 * `\x1b`-style escapes; a line break stays one in a message, and is shown as
 * `\n` in a one-line field (a name).
 */

import type { Report, TestLimit, TestResult } from './report.ts';
import { sizeInWords } from './sizes.ts';
import { type ViewOptions, viewFor } from './view.ts';

const STATUS_WORD: Record<Report['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  'compile-error': 'COMPILE ERROR',
  timeout: 'TIMEOUT',
  'memory-limit': 'MEMORY LIMIT',
};

export function renderText(report: Report, view: ViewOptions): string {
  const shown = viewFor(report, view);
  const lines = [`${oneLine(shown.exercise)}: ${STATUS_WORD[shown.status]}`];
  const compileErrors = shown.compileErrors ?? [];
  // A compile error is listed once, from the diagnostics (the summary's
  // message repeats the first of them).
  if (compileErrors.length > 0) {
    const count = compileErrors.length;
    lines.push(`  Your code did not compile (${count} ${count === 1 ? 'error' : 'errors'}):`);
    for (const e of compileErrors)
      lines.push(indent(`line ${e.line}:${e.column}: ${printable(e.message)}`, '    '));
  } else if (shown.message !== undefined) lines.push(indent(printable(shown.message), '  '));
  if (shown.tests.length > 0) lines.push('');
  // A failure many tests share (a hook that throws before doing anything)
  // is shown under the first of them, with how many more failed so.
  const sharing = new Map<string, number>();
  for (const t of shown.tests)
    if (t.message !== '') sharing.set(t.message, (sharing.get(t.message) ?? 0) + 1);
  const shownAlready = new Set<string>();
  for (const t of shown.tests) {
    lines.push(
      `  ${mark(t)} ${oneLine(t.name)}${t.status === 'pass' || t.status === 'fail' ? '' : ` (${t.status}${t.limit === undefined ? '' : `: ${limitText(t.limit)}`})`}  ${points(t.points)}/${points(t.maxPoints)}`,
    );
    if (t.message !== '' && !shownAlready.has(t.message)) {
      shownAlready.add(t.message);
      lines.push(indent(printable(t.message), '      '));
      const more = (sharing.get(t.message) ?? 1) - 1;
      if (more > 0)
        lines.push(`      (and ${more} more ${more === 1 ? 'test' : 'tests'} below, the same way)`);
    } else if (t.message !== '') lines.push('      (the same failure as above)');
    if (t.hint !== undefined) lines.push(indent(`Hint: ${printable(t.hint)}`, '      '));
    // What the learner's code printed, where this audience may see it (a
    // hidden test's output is withheld from learners by the view).
    if (t.status !== 'pass' && t.output !== '')
      lines.push(indent(`Output:\n${printable(outputTail(t.output))}`, '      '));
  }
  const ran = shown.tests.filter((t) => t.status !== 'skipped');
  const passed = ran.filter((t) => t.status === 'pass').length;
  lines.push('');
  lines.push(
    `Score: ${points(shown.score)}/${points(shown.maxScore)} — ${ran.length === 0 ? 'no test ran' : `${passed} of ${ran.length} tests passed`}`,
  );
  return `${lines.join('\n')}\n`;
}

/** A limit as the status line shows it: its name and value (which CI logs grep for), a size also in MiB. */
function limitText(limit: TestLimit): string {
  return limit.name === 'memoryBytes'
    ? `${limit.name} ${limit.value} (${sizeInWords(limit.value)})`
    : `${limit.name} ${limit.value}`;
}

/** The last lines of a test's console output: enough to see what happened, never a flood. */
function outputTail(output: string): string {
  const lines = output.replace(/\n$/, '').split('\n');
  if (lines.length <= OUTPUT_LINES) return lines.join('\n');
  return [`… (${lines.length - OUTPUT_LINES} earlier lines)`, ...lines.slice(-OUTPUT_LINES)].join('\n');
}

const OUTPUT_LINES = 10;

function mark(t: TestResult): string {
  if (t.status === 'pass') return '✓';
  if (t.status === 'skipped') return '–';
  return '✗';
}

function points(n: number): string {
  return String(n);
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : prefix + line))
    .join('\n');
}

// C0 controls but tab and line feed, DEL, and C1 controls (U+0080–U+009F, which some terminals also obey).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with every control character but tab and line feed as a visible escape. */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/** As `printable`, with line feeds escaped too: for a field that must stay on its line. */
export function oneLine(text: string): string {
  return printable(text).replaceAll('\n', '\\n');
}

function escapeControl(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * What stopped a test, in plain words for a learner (the web app shows it;
 * the terminal keeps the limit's name and value, which CI logs grep for).
 */
export function limitInWords(limit: TestLimit): string {
  const ms = `${limit.value} ms`;
  switch (limit.name) {
    case 'cpuMsPerCall':
      return `One call of your code ran past its CPU budget of ${ms} — an endless loop, or far more work than the task needs.`;
    case 'cpuMsPerTest':
      return `Your code's calls in this test used up the test's CPU budget of ${ms} together.`;
    case 'cpuMsTotal':
      return `Your code used up the CPU budget of the whole submission (${ms}); the tests after this one did not run.`;
    case 'wallMsPerCall':
      return `One call of your code took longer than ${ms} of real time, even though it stayed within its step budget (a slow built-in such as a huge sort).`;
    case 'wallMsTotal':
      return `Grading took longer than ${ms} of real time and was stopped.`;
    case 'memoryBytes':
      return `Your code ran out of memory: the sandbox has ${sizeInWords(limit.value)}.`;
    default: {
      const unreachable: never = limit.name;
      return unreachable;
    }
  }
}
