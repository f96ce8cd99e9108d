'use client';

/**
 * A failed test's picture, for the exercise page: what the simulated machine
 * did in that test, opened at its last fault. The report arrives already cut
 * to what this reader may see (the grader's view rules strip a hidden test's
 * trace and recording), so a test without either has nothing to draw.
 *
 * A report graded with `record` carries each failed test's `recording` (page
 * tables and frames at every event); an older report, only the `trace`
 * (events), of which the walks are drawn.
 */
import type { Report, TestResult } from '@faultline/grader/report';
import { useMemo } from 'react';
import type { TraceInput } from './model.ts';
import { TraceView } from './trace-view.tsx';

export function TestTrace({
  report,
  test,
  headingLevel = 3,
}: {
  report: Report;
  test: TestResult;
  /** The view's heading: h3 inside the exercise page's report, h1 on a page of its own. */
  headingLevel?: 1 | 2 | 3;
}) {
  const input = useMemo<TraceInput | null>(() => {
    if (test.recording !== undefined) return { kind: 'recording', recording: test.recording };
    if (test.trace !== undefined && test.trace.length > 0)
      return { kind: 'events', events: test.trace, title: test.name };
    return null;
  }, [test]);
  if (input === null) {
    return (
      <p className="text-sm text-slate-700" data-trace-ready="true" data-trace-events={0}>
        There is no trace for “{test.name}”: only a failed test’s is kept, and a hidden test’s is not shown.
      </p>
    );
  }
  return (
    <TraceView
      input={input}
      start="last-fault"
      keys="focus"
      heading={`What the machine did: ${test.name}`}
      headingLevel={headingLevel}
      subtitle={`${report.exercise} — ${test.message.split('\n')[0] ?? ''}`}
    />
  );
}
