'use client';

/**
 * The learner's desk on an exercise page: the editor, Run (the visible tests,
 * in this browser) and Submit (everything, on the server), and the results
 * of both. The draft saves itself as the learner types.
 */
import type { Report, TestResult } from '@faultline/grader/report';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import { callApi } from '../client/api.ts';
import { runVisibleTests, warmUpRunner } from '../client/run-in-browser.ts';
import { awaitGrade, type SubmissionState } from '../client/submissions.ts';
import { CodeEditor } from '../editor/code-editor.tsx';
import { compileErrorMarkers } from '../editor/markers.ts';
import { TestTrace } from '../trace/test-trace.tsx';
import { ReportView } from './report-view.tsx';

type SaveState = 'saved' | 'saving' | 'unsaved' | { error: string };
type Activity = 'idle' | 'running' | 'submitting';

export function Workbench(props: {
  exerciseId: string;
  exerciseHash: string;
  starter: string;
  draft: string | null;
  assignmentId: string | null;
}) {
  const [code, setCode] = useState(props.draft ?? props.starter);
  const [save, setSave] = useState<SaveState>('saved');
  const [activity, setActivity] = useState<Activity>('idle');
  const [runReport, setRunReport] = useState<Report | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  /** How many Runs have finished: tests (and the benchmark) wait for it to move on. */
  const [runs, setRuns] = useState(0);
  const [submission, setSubmission] = useState<SubmissionState | null>(null);
  const lastSaved = useRef(props.draft ?? props.starter);
  /** The failed test whose picture is open, and the report it is from. */
  const [traced, setTraced] = useState<{ report: Report; test: TestResult } | null>(null);

  // The browser's runner compiles QuickJS and esbuild while the learner reads.
  useEffect(() => {
    const idle = setTimeout(warmUpRunner, 1500);
    return () => clearTimeout(idle);
  }, []);

  // Drafts save a moment after the learner stops typing.
  useEffect(() => {
    if (code === lastSaved.current) return;
    setSave('unsaved');
    const timer = setTimeout(async () => {
      setSave('saving');
      const result = await callApi(`/api/drafts/${encodeURIComponent(props.exerciseId)}`, {
        method: 'PUT',
        body: { code },
      });
      if (result.kind === 'ok') {
        lastSaved.current = code;
        setSave('saved');
      } else setSave({ error: result.message });
    }, 800);
    return () => clearTimeout(timer);
  }, [code, props.exerciseId]);

  const run = useCallback(async () => {
    setActivity('running');
    setRunError(null);
    const result = await runVisibleTests({
      exerciseId: props.exerciseId,
      exerciseHash: props.exerciseHash,
      code,
    });
    if (result.kind === 'ok') setRunReport(result.report);
    else setRunError(result.message);
    setRuns((n) => n + 1);
    setActivity('idle');
  }, [code, props.exerciseId, props.exerciseHash]);

  const submit = useCallback(async () => {
    setActivity('submitting');
    setSubmission({ kind: 'sending' });
    const created = await callApi<{ id: string }>('/api/submissions', {
      body: {
        exerciseId: props.exerciseId,
        code,
        ...(props.assignmentId === null ? {} : { assignmentId: props.assignmentId }),
      },
    });
    if (created.kind === 'err') {
      setSubmission({ kind: 'refused', message: created.message });
      setActivity('idle');
      return;
    }
    setSubmission({ kind: 'pending', id: created.value.id });
    setSubmission(await awaitGrade(created.value.id));
    setActivity('idle');
  }, [code, props.exerciseId, props.assignmentId]);

  const markers = compileErrorMarkers(
    (submission?.kind === 'graded' ? submission.report : runReport)?.compileErrors ?? [],
  );

  return (
    <section aria-label="Your code" className="flex min-w-0 flex-col gap-3">
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          onClick={run}
          disabled={activity !== 'idle'}
          className="rounded border border-indigo-700 px-4 py-1.5 font-medium text-indigo-800 hover:bg-indigo-50 disabled:opacity-60"
        >
          {activity === 'running' ? 'Running…' : 'Run visible tests'}
        </button>
        <button
          type="button"
          onClick={submit}
          disabled={activity !== 'idle'}
          className="rounded bg-indigo-700 px-4 py-1.5 font-medium text-white hover:bg-indigo-800 disabled:opacity-60"
        >
          {activity === 'submitting' ? 'Grading…' : 'Submit'}
        </button>
        <button
          type="button"
          onClick={() => {
            if (window.confirm('Replace your code with the starter? Your draft will be overwritten.'))
              setCode(props.starter);
          }}
          className="text-sm text-slate-600 underline"
        >
          Reset to starter
        </button>
        <span className="ml-auto text-sm text-slate-600" data-testid="save-state" aria-live="polite">
          {typeof save === 'object'
            ? `Not saved: ${save.error}`
            : save === 'saved'
              ? 'Draft saved'
              : save === 'saving'
                ? 'Saving…'
                : 'Editing'}
        </span>
      </div>
      <CodeEditor
        value={code}
        onChange={setCode}
        markers={markers}
        label={`Solution for ${props.exerciseId}`}
      />
      <div aria-live="polite" className="flex flex-col gap-4">
        {runError !== null && (
          <p role="alert" className="rounded bg-red-50 p-3 text-sm text-red-800">
            {runError}
          </p>
        )}
        {runReport !== null && (
          <div data-testid="run-result" data-runs={runs}>
            <ReportView
              report={runReport}
              title="Run (visible tests, in your browser)"
              trace={{ onShow: (test) => setTraced({ report: runReport, test }) }}
            />
          </div>
        )}
        {submission !== null && (
          <SubmissionView state={submission} onShowTrace={(report, test) => setTraced({ report, test })} />
        )}
        {traced !== null && (
          <section
            aria-label={`What the machine did in “${traced.test.name}”`}
            className="rounded border border-slate-200 bg-white p-3"
          >
            <div className="mb-2 flex justify-end">
              <button
                type="button"
                onClick={() => setTraced(null)}
                className="text-sm text-slate-600 underline"
              >
                Close the picture
              </button>
            </div>
            <TestTrace key={traced.test.name} report={traced.report} test={traced.test} />
          </section>
        )}
      </div>
    </section>
  );
}

function SubmissionView({
  state,
  onShowTrace,
}: {
  state: SubmissionState;
  onShowTrace: (report: Report, test: TestResult) => void;
}) {
  switch (state.kind) {
    case 'sending':
      return <p className="text-slate-700">Sending your submission…</p>;
    case 'pending':
      return <p className="text-slate-700">Submitted. Grading on the server…</p>;
    case 'refused':
    case 'lost':
      return (
        <p role="alert" className="rounded bg-red-50 p-3 text-sm text-red-800">
          {state.message}
        </p>
      );
    case 'graded':
      return (
        <div className="flex flex-col gap-2">
          <ReportView
            report={state.report}
            title="Submission"
            trace={{ onShow: (test) => onShowTrace(state.report, test) }}
          />
          <Link href={`/submissions/${state.id}`} className="text-sm text-indigo-700 underline">
            Open this submission
          </Link>
        </div>
      );
    case 'failed':
      return (
        <p role="alert" className="rounded bg-slate-100 p-3 text-sm">
          {state.message}{' '}
          <Link href={`/submissions/${state.id}`} className="text-indigo-700 underline">
            Open this submission
          </Link>
        </p>
      );
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}
