/**
 * The report as JUnit XML, for CI systems. The mapping:
 *
 *   report            → <testsuites> holding one <testsuite>, both named after the exercise
 *   test              → <testcase name classname=exercise time=seconds>
 *     fail            → <failure type="fail" message=…>message</failure>
 *     error, timeout,
 *     memory-limit    → <error type="<status>" message=…>message</error>
 *     skipped         → <skipped/>
 *     output          → <system-out>
 *   compile-error or
 *   error             → a synthetic <testcase name="(compile)" | "(grader)"> with an <error>, so
 *                       that no CI system reads an empty suite as green (zero tests run is never a pass)
 *   status, score     → <properties> of the suite
 *
 * No timestamp or hostname: the same report always renders to the same bytes.
 * Traces are not rendered; JUnit has no place for them.
 */
import type { Report, TestResult } from './report.ts';
import { type ViewOptions, viewFor } from './view.ts';

export function renderJUnit(report: Report, view: ViewOptions): string {
  const shown = viewFor(report, view);
  const cases = shown.tests.map((t) => testCase(shown.exercise, t));
  const synthetic = syntheticCase(shown);
  if (synthetic !== undefined) cases.unshift(synthetic.xml);

  const count = (s: TestResult['status'][]) => shown.tests.filter((t) => s.includes(t.status)).length;
  const tests = shown.tests.length + (synthetic ? 1 : 0);
  const failures = count(['fail']);
  const errors = count(['error', 'timeout', 'memory-limit']) + (synthetic ? 1 : 0);
  const skipped = count(['skipped']);
  const time = seconds(shown.tests.reduce((total, t) => total + t.durationMs, 0));
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`;
  const name = escapeAttribute(shown.exercise);

  const properties = [
    ['schemaVersion', String(shown.schemaVersion)],
    ['status', shown.status],
    ['score', String(shown.score)],
    ['maxScore', String(shown.maxScore)],
  ]
    .map(([k = '', v = '']) => `      <property name="${escapeAttribute(k)}" value="${escapeAttribute(v)}"/>`)
    .join('\n');

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" ${counts}>`,
    `  <testsuite name="${name}" ${counts}>`,
    '    <properties>',
    properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
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
  switch (t.status) {
    case 'pass':
      return undefined;
    case 'skipped':
      return '      <skipped/>';
    case 'fail':
      return element('failure', 'fail', t.message);
    case 'error':
    case 'timeout':
    case 'memory-limit':
      return element('error', t.status, t.message);
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

function syntheticCase(report: Report): { xml: string } | undefined {
  if (report.status !== 'compile-error' && report.status !== 'error') return undefined;
  const name = report.status === 'compile-error' ? '(compile)' : '(grader)';
  const details = [
    report.message ?? '',
    ...(report.compileErrors ?? []).map((e) => `line ${e.line}:${e.column}: ${e.message}`),
  ]
    .filter((line) => line !== '')
    .join('\n');
  const open = `    <testcase name="${name}" classname="${escapeAttribute(report.exercise)}" time="0.000">`;
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
