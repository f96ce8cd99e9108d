import { DOMParser, type Element, onErrorStopParsing } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { mixedReport, rawTest } from '../test/fixtures.ts';
import { escapeAttribute, escapeText, renderJUnit, renderJUnitBatch } from './junit.ts';
import { buildReport, REPORT_SCHEMA_VERSION } from './report.ts';

const STAFF = { audience: 'staff' } as const;
const LEARNER = { audience: 'learner', dueDatePassed: false } as const;

function parse(xml: string) {
  // Any error aborts parsing (warnings only flag U+FFFD, which we emit on purpose), so a passing test means well-formed XML.
  const doc = new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, 'text/xml');
  // The parser tolerates a literal ']]>' in text; XML 1.0 does not, and we never emit CDATA.
  expect(xml).not.toContain(']]>');
  // XML 1.0 Char production; the parser does not check it either.
  expect(xml).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
  return doc;
}

function children(parent: Element, tag: string): Element[] {
  return Array.from(parent.getElementsByTagName(tag));
}

function testcase(xml: string, name: string): Element {
  const doc = parse(xml);
  const found = children(doc.documentElement!, 'testcase').find((c) => c.getAttribute('name') === name);
  if (!found) throw new Error(`no testcase ${name}`);
  return found;
}

it('the checker itself rejects malformed XML', () => {
  expect(() => parse('<a><b></a>')).toThrow();
  expect(() => parse('<a x="1" x="2"/>')).toThrow();
  expect(() => parse('<a>]]></a>')).toThrow();
});

describe('renderJUnit structure', () => {
  const xml = renderJUnit(mixedReport(), STAFF);

  it('has testsuites > testsuite > testcase with counts and properties', () => {
    const root = parse(xml).documentElement!;
    expect(root.tagName).toBe('testsuites');
    const [suite] = children(root, 'testsuite');
    expect(suite?.getAttribute('name')).toBe('page-walk');
    for (const el of [root, suite!]) {
      expect(el.getAttribute('tests')).toBe('6');
      expect(el.getAttribute('failures')).toBe('2');
      expect(el.getAttribute('errors')).toBe('1');
      expect(el.getAttribute('skipped')).toBe('1');
      expect(el.getAttribute('time')).toBe('1.552');
    }
    const props = Object.fromEntries(
      children(suite!, 'property').map((p) => [p.getAttribute('name'), p.getAttribute('value')]),
    );
    expect(props).toEqual({
      schemaVersion: String(REPORT_SCHEMA_VERSION),
      status: 'fail',
      score: '4',
      maxScore: '12',
    });
    expect(children(suite!, 'testcase').map((c) => c.getAttribute('classname'))).toEqual(
      Array(6).fill('page-walk'),
    );
  });

  it('maps statuses to failure, error and skipped elements, with time in seconds', () => {
    const pass = testcase(xml, 'maps the first page');
    expect(pass.getAttribute('time')).toBe('0.004');
    expect(children(pass, 'failure')).toHaveLength(0);
    expect(children(pass, 'system-out')[0]?.textContent).toBe('walk 0x0000\n');

    const fail = testcase(xml, 'sets the accessed bit');
    expect(fail.getAttribute('time')).toBe('1.500');
    const [failure] = children(fail, 'failure');
    expect(failure?.getAttribute('type')).toBe('fail');
    expect(failure?.getAttribute('message')).toBe('expected accessed bit set on PTE 0x1000');
    expect(failure?.textContent).toBe('expected accessed bit set on PTE 0x1000\n  got 0x0');

    expect(children(testcase(xml, 'throws nothing'), 'error')[0]?.getAttribute('type')).toBe('error');
    expect(children(testcase(xml, 'swap'), 'skipped')).toHaveLength(1);
  });

  it.each(['timeout', 'memory-limit'] as const)('renders a %s as an error of that type', (status) => {
    const report = buildReport({
      exercise: 'e',
      tests: [rawTest({ name: 't', status, points: 0, message: 'stopped' })],
    });
    const [error] = children(testcase(renderJUnit(report, STAFF), 't'), 'error');
    expect(error?.getAttribute('type')).toBe(status);
  });

  it('adds a synthetic failing testcase for a compile error, so the suite is never green', () => {
    const report = buildReport({
      exercise: 'e',
      tests: [],
      maxScore: 5,
      outcome: { kind: 'compile-error', errors: [{ line: 3, column: 1, message: 'Unexpected "}"' }] },
    });
    const out = renderJUnit(report, LEARNER);
    const suite = children(parse(out).documentElement!, 'testsuite')[0]!;
    expect(suite.getAttribute('tests')).toBe('1');
    expect(suite.getAttribute('errors')).toBe('1');
    const [error] = children(testcase(out, '(compile)'), 'error');
    expect(error?.getAttribute('type')).toBe('compile-error');
    expect(error?.textContent).toContain('line 3:1: Unexpected "}"');
  });

  it('adds a synthetic failing testcase when no test ran', () => {
    const out = renderJUnit(buildReport({ exercise: 'e', tests: [] }), STAFF);
    expect(children(testcase(out, '(grader)'), 'error')[0]?.textContent).toMatch(/No tests ran/);
  });

  it('is deterministic', () => {
    expect(renderJUnit(mixedReport(), STAFF)).toBe(xml);
  });
});

describe('renderJUnit for a named submission', () => {
  const noExport = buildReport({
    exercise: 'e',
    tests: [],
    maxScore: 5,
    outcome: { kind: 'not-run', message: 'Your module does not export anonymousFault' },
  });

  it("names the synthetic testcase for the submission when the error is the submission's own", () => {
    const out = renderJUnit(noExport, STAFF, { name: 'alice' });
    expect(children(testcase(out, 'alice'), 'error')[0]?.textContent).toContain('does not export');
    expect(out).not.toContain('(grader)');
    const suite = children(parse(out).documentElement!, 'testsuite')[0]!;
    expect(suite.getAttribute('name')).toBe('e: alice');
    const props = children(suite, 'property').map((p) => [p.getAttribute('name'), p.getAttribute('value')]);
    expect(props).toContainEqual(['submission', 'alice']);
  });

  it('keeps (grader) when the grader could not grade, and names compile errors for the submission', () => {
    expect(
      testcase(renderJUnit(noExport, STAFF, { name: 'alice', fault: 'grader' }), '(grader)'),
    ).toBeDefined();
    const compile = buildReport({
      exercise: 'e',
      tests: [],
      maxScore: 5,
      outcome: { kind: 'compile-error', errors: [{ line: 1, column: 2, message: 'Unexpected end' }] },
    });
    const out = renderJUnit(compile, STAFF, { name: 'bob', fault: 'grader' });
    expect(children(testcase(out, 'bob'), 'error')[0]?.getAttribute('type')).toBe('compile-error');
  });
});

describe('renderJUnitBatch', () => {
  it('holds one suite per submission, with the totals on the root', () => {
    const out = renderJUnitBatch(
      'page-walk',
      [
        { report: mixedReport(), submission: { name: 'alice' } },
        {
          report: buildReport({ exercise: 'page-walk', tests: [] }),
          submission: { name: 'bob', fault: 'grader' },
        },
      ],
      LEARNER,
    );
    const root = parse(out).documentElement!;
    const suites = children(root, 'testsuite');
    expect(suites.map((s) => s.getAttribute('name'))).toEqual(['page-walk: alice', 'page-walk: bob']);
    expect(root.getAttribute('tests')).toBe('7');
    expect(root.getAttribute('errors')).toBe('2');
    expect(root.getAttribute('failures')).toBe('2');
    expect(out).not.toContain('secret expectation');
    expect(testcase(out, '(grader)')).toBeDefined();
  });
});

describe('renderJUnit visibility', () => {
  it('omits hidden tests’ messages and output for learners, keeps them for staff', () => {
    const learner = renderJUnit(mixedReport(), LEARNER);
    const hidden = testcase(learner, 'hidden: copy on write');
    expect(children(hidden, 'failure')).toHaveLength(1);
    expect(learner).not.toContain('secret expectation');
    expect(learner).not.toContain('hidden log');
    expect(renderJUnit(mixedReport(), STAFF)).toContain('secret expectation');
  });

  it('shows after_due_date tests to learners only once the due date has passed', () => {
    expect(renderJUnit(mixedReport(), LEARNER)).not.toContain('due-date log');
    expect(renderJUnit(mixedReport(), { audience: 'learner', dueDatePassed: true })).toContain(
      'due-date log',
    );
  });
});

describe('XML escaping of hostile strings', () => {
  // [input, what a reader of the XML gets back]
  const hostile: [string, string][] = [
    [']]><script>alert(1)</script>', ']]><script>alert(1)</script>'],
    ['<![CDATA[ x ]]>', '<![CDATA[ x ]]>'],
    ['a & b "quoted" \'single\'', 'a & b "quoted" \'single\''],
    ['nul\u0000 bell\u0007 esc\u001b vt\u000b', 'nul\uFFFD bell\uFFFD esc\uFFFD vt\uFFFD'],
    [
      'lone high \uD800 lone low \uDC00 reversed \uDC00\uD800',
      'lone high \uFFFD lone low \uFFFD reversed \uFFFD\uFFFD',
    ],
    ['noncharacters \uFFFE\uFFFF', 'noncharacters \uFFFD\uFFFD'],
    ['pair 😀 stays', 'pair 😀 stays'],
    ['tab\tnewline\ncr\r', 'tab\tnewline\ncr\r'],
    ['&lt; already escaped', '&lt; already escaped'],
  ];

  it.each(hostile)('round-trips or replaces %j in names, messages and output', (s, expected) => {
    const report = buildReport({
      exercise: `ex ${s}`,
      tests: [rawTest({ name: `t ${s}`, status: 'fail', points: 0, message: s, output: s })],
    });
    const xml = renderJUnit(report, STAFF);
    const doc = parse(xml);
    const [tc] = children(doc.documentElement!, 'testcase');
    expect(tc?.getAttribute('name')).toBe(`t ${expected}`);
    expect(doc.documentElement?.getAttribute('name')).toBe(`ex ${expected}`);
    // XML parsers normalize a CR in text content to LF (attributes keep it, as &#13;).
    expect(children(tc!, 'system-out')[0]?.textContent).toBe(expected.replaceAll('\r', '\n'));
    expect(children(tc!, 'failure')[0]?.textContent).toBe(expected.replaceAll('\r', '\n'));
    expect(xml).not.toContain('<script>');
  });

  it('escapes markup and keeps attribute whitespace as references', () => {
    expect(escapeText(']]>')).toBe(']]&gt;');
    expect(escapeText('<a>&')).toBe('&lt;a&gt;&amp;');
    expect(escapeAttribute('"\'\t\n\r')).toBe('&quot;&apos;&#9;&#10;&#13;');
    expect(escapeText('\u0000\uD800x')).toBe('\uFFFD\uFFFDx');
  });
});
