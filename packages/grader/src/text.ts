/**
 * The report as plain text for a terminal: a heading, one line per test
 * (✓ passed, ✗ did not, – skipped) with its points, the message indented
 * beneath, then the totals. No colour codes: callers that want colour add it.
 */
import type { Report, TestResult } from './report.ts';
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
  const lines = [`${shown.exercise}: ${STATUS_WORD[shown.status]}`];
  if (shown.message !== undefined) lines.push(indent(shown.message, '  '));
  for (const e of shown.compileErrors ?? [])
    lines.push(indent(`line ${e.line}:${e.column}: ${e.message}`, '  '));
  if (shown.tests.length > 0) lines.push('');
  for (const t of shown.tests) {
    lines.push(
      `  ${mark(t)} ${t.name}${t.status === 'pass' || t.status === 'fail' ? '' : ` (${t.status}${t.limit === undefined ? '' : `: ${t.limit.name} ${t.limit.value}`})`}  ${points(t.points)}/${points(t.maxPoints)}`,
    );
    if (t.message !== '') lines.push(indent(t.message, '      '));
  }
  const ran = shown.tests.filter((t) => t.status !== 'skipped');
  const passed = ran.filter((t) => t.status === 'pass').length;
  lines.push('');
  lines.push(
    `Score: ${points(shown.score)}/${points(shown.maxScore)} — ${passed} of ${ran.length} tests passed`,
  );
  return `${lines.join('\n')}\n`;
}

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
