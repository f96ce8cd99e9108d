/**
 * A grading report as a learner reads it: the verdict and score, then each
 * test with its status and points and — where the learner may see them —
 * the message, output and hint. The report arrives already cut to what this
 * reader may see (the grader's `viewFor`), so this only draws it.
 */
import type { Report, TestResult } from '@faultline/grader/report';
import { limitInWords } from '@faultline/grader/text';

const VERDICT: Record<Report['status'], { word: string; tone: string }> = {
  pass: { word: 'All tests pass', tone: 'bg-emerald-50 text-emerald-900 border-emerald-300' },
  fail: { word: 'Some tests fail', tone: 'bg-amber-50 text-amber-900 border-amber-300' },
  error: { word: 'Could not be graded', tone: 'bg-slate-100 text-slate-900 border-slate-300' },
  timeout: { word: 'Stopped: out of time', tone: 'bg-red-50 text-red-900 border-red-300' },
  'memory-limit': { word: 'Stopped: out of memory', tone: 'bg-red-50 text-red-900 border-red-300' },
  'compile-error': { word: 'Does not compile', tone: 'bg-red-50 text-red-900 border-red-300' },
};

const TEST_MARK: Record<TestResult['status'], { mark: string; label: string; tone: string }> = {
  pass: { mark: '✓', label: 'passed', tone: 'text-emerald-700' },
  fail: { mark: '✗', label: 'failed', tone: 'text-red-700' },
  error: { mark: '!', label: 'error', tone: 'text-red-700' },
  timeout: { mark: '⏱', label: 'timed out', tone: 'text-red-700' },
  'memory-limit': { mark: '▲', label: 'out of memory', tone: 'text-red-700' },
  skipped: { mark: '–', label: 'not run', tone: 'text-slate-500' },
};

/** How a failed test's picture opens: in place (the exercise page) or on a page of its own (a submission's page). */
export type TraceOpener =
  | { readonly onShow: (test: TestResult) => void }
  | { readonly href: (test: TestResult) => string };

export function ReportView({ report, title, trace }: { report: Report; title: string; trace?: TraceOpener }) {
  const verdict = VERDICT[report.status];
  const ran = report.tests.filter((t) => t.status !== 'skipped');
  const passed = ran.filter((t) => t.status === 'pass').length;
  return (
    <section
      aria-label={title}
      data-testid="report"
      data-status={report.status}
      className="flex flex-col gap-3"
    >
      <div className={`rounded border p-3 ${verdict.tone}`}>
        <p className="font-semibold">
          {title}: {verdict.word} —{' '}
          <span data-testid="score">
            {report.score}/{report.maxScore}
          </span>{' '}
          points
        </p>
        <p className="text-sm">
          {passed} of {ran.length} tests passed
          {report.tests.length > ran.length ? `, ${report.tests.length - ran.length} not run` : ''}.
        </p>
        {report.message !== undefined && report.status !== 'compile-error' && (
          <p className="mt-1 whitespace-pre-wrap text-sm">{report.message}</p>
        )}
        {report.compileErrors !== undefined && (
          <ul className="mt-2 font-mono text-sm">
            {report.compileErrors.map((e) => (
              <li key={`${e.line}:${e.column}:${e.message}`}>
                line {e.line}, column {e.column}: {e.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <ol className="flex flex-col divide-y divide-slate-200 rounded border border-slate-200 bg-white">
        {report.tests.map((test) => (
          <TestRow key={test.name} test={test} trace={trace} />
        ))}
      </ol>
    </section>
  );
}

function TestRow({ test, trace }: { test: TestResult; trace: TraceOpener | undefined }) {
  const mark = TEST_MARK[test.status];
  const drawable = (test.trace !== undefined && test.trace.length > 0) || test.recording !== undefined;
  return (
    <li className="flex flex-col gap-1 p-3" data-testid="test-result" data-test-status={test.status}>
      <div className="flex items-baseline gap-2">
        <span aria-hidden="true" className={`w-4 font-bold ${mark.tone}`}>
          {mark.mark}
        </span>
        <span className="flex-1">
          <span className="font-medium">{test.name}</span>
          <span className="sr-only"> {mark.label}</span>
          {test.visibility !== 'visible' && (
            <span className="ml-2 rounded bg-slate-100 px-1.5 text-xs text-slate-700">hidden test</span>
          )}
        </span>
        <span className="text-sm tabular-nums text-slate-700">
          {test.points}/{test.maxPoints}
        </span>
      </div>
      {test.limit !== undefined && <p className="ml-6 text-sm text-red-800">{limitInWords(test.limit)}</p>}
      {test.message !== '' && (
        <pre className="ml-6 whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-sm text-slate-800">
          {test.message}
        </pre>
      )}
      {test.hint !== undefined && (
        <p className="ml-6 text-sm text-indigo-900">
          <span className="font-semibold">Hint: </span>
          {test.hint}
        </p>
      )}
      {test.output !== '' && (
        <details className="ml-6 text-sm">
          <summary className="cursor-pointer text-slate-600">Your console output</summary>
          <pre className="whitespace-pre-wrap break-words font-mono text-xs">{test.output}</pre>
        </details>
      )}
      {drawable &&
        trace !== undefined &&
        ('onShow' in trace ? (
          <button
            type="button"
            onClick={() => trace.onShow(test)}
            className="ml-6 self-start text-sm text-indigo-700 underline"
          >
            Show what the machine did
          </button>
        ) : (
          <a href={trace.href(test)} className="ml-6 self-start text-sm text-indigo-700 underline">
            Show what the machine did
          </a>
        ))}
    </li>
  );
}
