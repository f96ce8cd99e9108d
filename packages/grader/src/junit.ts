/**
 * The report as JUnit XML, for CI systems. The mapping:
 *
 *   report            → <testsuites> holding one <testsuite>, both named after the exercise
 *                       (or "exercise: submission" when the submission is named)
 *   test              → <testcase name classname=exercise time=seconds>
 *     fail            → <failure type="fail" message=…>message</failure>
 *     error, timeout,
 *     memory-limit    → <error type="<status>" message=…>message</error>
 *     skipped         → <skipped/>
 *     hint            → after the message, "Hint: …" (also where the message is withheld)
 *     output          → <system-out>
 *   compile-error or
 *   error             → a synthetic <testcase> with an <error>, so that no CI system reads an
 *                       empty suite as green (zero tests run is never a pass). It is named for the
 *                       submission when the fault is the submission's (it does not compile, does
 *                       not export the hooks, cannot be read), "(grader)" when it is the grader's;
 *                       without a submission name, "(compile)" or "(grader)".
 *   status, score     → <properties> of the suite
 *   many submissions  → one <testsuites> holding a <testsuite> per submission (renderJUnitBatch)
 *
 * No timestamp or hostname: the same report always renders to the same bytes.
 * Traces are not rendered; JUnit has no place for them.
 */
import type { Report, TestResult } from './report.ts';
import { type ViewOptions, viewFor } from './view.ts';

/** Who a report is about, for naming its suite and its synthetic testcase. */
export interface JUnitSubmission {
  /** The submission's name (its file's or folder's). */
  readonly name: string;
  /** Whose problem an error report is: the submission's own (the default), or the grader's. */
  readonly fault?: 'submission' | 'grader';
}

export function renderJUnit(report: Report, view: ViewOptions, submission?: JUnitSubmission): string {
  const suite = testSuite(report, view, submission);
  return document(suite.name, suite.counts, suite.xml);
}

/** Many submissions' reports as one document: a <testsuite> each, totals on <testsuites>. */
export function renderJUnitBatch(
  name: string,
  entries: readonly { report: Report; submission: JUnitSubmission }[],
  view: ViewOptions,
): string {
  const suites = entries.map((e) => testSuite(e.report, view, e.submission));
  const total = suites.reduce(
    (sum, s) => ({
      tests: sum.tests + s.counts.tests,
      failures: sum.failures + s.counts.failures,
      errors: sum.errors + s.counts.errors,
      skipped: sum.skipped + s.counts.skipped,
      ms: sum.ms + s.counts.ms,
    }),
    { tests: 0, failures: 0, errors: 0, skipped: 0, ms: 0 },
  );
  return document(
    name,
    total,
    suites.flatMap((s) => s.xml),
  );
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  ms: number;
}

function countAttributes(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(c.ms)}"`;
}

function document(name: string, counts: Counts, suites: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeAttribute(name)}" ${countAttributes(counts)}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function testSuite(
  report: Report,
  view: ViewOptions,
  submission: JUnitSubmission | undefined,
): { name: string; counts: Counts; xml: string[] } {
  const shown = viewFor(report, view);
  const cases = shown.tests.map((t) => testCase(shown.exercise, t));
  const synthetic = syntheticCase(shown, submission);
  if (synthetic !== undefined) cases.unshift(synthetic.xml);

  const count = (s: TestResult['status'][]) => shown.tests.filter((t) => s.includes(t.status)).length;
  const counts: Counts = {
    tests: shown.tests.length + (synthetic ? 1 : 0),
    failures: count(['fail']),
    errors: count(['error', 'timeout', 'memory-limit']) + (synthetic ? 1 : 0),
    skipped: count(['skipped']),
    ms: shown.tests.reduce((total, t) => total + t.durationMs, 0),
  };
  const name = submission === undefined ? shown.exercise : `${shown.exercise}: ${submission.name}`;

  const properties = [
    ['schemaVersion', String(shown.schemaVersion)],
    ['status', shown.status],
    ['score', String(shown.score)],
    ['maxScore', String(shown.maxScore)],
    ...(submission === undefined ? [] : [['submission', submission.name]]),
  ]
    .map(([k = '', v = '']) => `      <property name="${escapeAttribute(k)}" value="${escapeAttribute(v)}"/>`)
    .join('\n');

  const xml = [
    `  <testsuite name="${escapeAttribute(name)}" ${countAttributes(counts)}>`,
    '    <properties>',
    properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ];
  return { name, counts, xml };
}

function testCase(exercise: string, t: TestResult): string {
  const open = `    <testcase name="${escapeAttribute(t.name)}" classname="${escapeAttribute(exercise)}" time="${seconds(t.durationMs)}"`;
  const children: string[] = [];
  const outcome = outcomeElement(t);
  if (outcome !== undefined) children.push(outcome);
  if (t.output !== '') children.push(`      <system-out>${escapeText(t.output)}</system-out>`);
  if (children.length === 0) return `${open}/>`;
  return [`${open}>`, ...children, '    </testcase>'].join('\n');
}

function outcomeElement(t: TestResult): string | undefined {
  // The author's hint follows the message (and stands alone where a hidden test's message is withheld).
  const text =
    t.hint === undefined ? t.message : [t.message, `Hint: ${t.hint}`].filter((s) => s !== '').join('\n');
  switch (t.status) {
    case 'pass':
      return undefined;
    case 'skipped':
      return '      <skipped/>';
    case 'fail':
      return element('failure', 'fail', text);
    case 'error':
    case 'timeout':
    case 'memory-limit':
      return element('error', t.status, text);
    default: {
      const unreachable: never = t.status;
      return unreachable;
    }
  }
}

function element(tag: 'failure' | 'error', type: string, message: string): string {
  const attributes = `type="${escapeAttribute(type)}" message="${escapeAttribute(firstLine(message))}"`;
  return message === ''
    ? `      <${tag} ${attributes}/>`
    : `      <${tag} ${attributes}>${escapeText(message)}</${tag}>`;
}

function syntheticCase(report: Report, submission: JUnitSubmission | undefined): { xml: string } | undefined {
  if (report.status !== 'compile-error' && report.status !== 'error') return undefined;
  const name =
    submission !== undefined && (report.status === 'compile-error' || submission.fault !== 'grader')
      ? submission.name
      : report.status === 'compile-error'
        ? '(compile)'
        : '(grader)';
  const details = [
    report.message ?? '',
    ...(report.compileErrors ?? []).map((e) => `line ${e.line}:${e.column}: ${e.message}`),
  ]
    .filter((line) => line !== '')
    .join('\n');
  const open = `    <testcase name="${escapeAttribute(name)}" classname="${escapeAttribute(report.exercise)}" time="0.000">`;
  return { xml: [open, element('error', report.status, details), '    </testcase>'].join('\n') };
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * XML 1.0 cannot carry C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE or U+FFFF — not even as character references — so they
 * become U+FFFD. Markup characters become entities, which also defuses `]]>`.
 */
export function escapeText(text: string): string {
  return replaceInvalidXmlChars(text).replace(/[&<>]/g, (c) => ENTITIES[c] ?? c);
}

/** As `escapeText`, plus quotes, and whitespace as references so attribute normalization keeps it. */
export function escapeAttribute(text: string): string {
  return replaceInvalidXmlChars(text).replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

// Anything outside the BMP's valid range, surrogates included: the common clean case skips the loop.
const MAYBE_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/;

function replaceInvalidXmlChars(text: string): string {
  if (!MAYBE_INVALID.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i += 1;
      } else {
        out += '\uFFFD';
      }
    } else if (
      (code >= 0xdc00 && code <= 0xdfff) ||
      (code < 0x20 && code !== 0x9 && code !== 0xa && code !== 0xd) ||
      code === 0xfffe ||
      code === 0xffff
    ) {
      out += '\uFFFD';
    } else {
      out += text[i]!;
    }
  }
  return out;
}
