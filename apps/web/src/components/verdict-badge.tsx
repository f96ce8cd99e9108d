/** A submission's state in a list: pending, its verdict and score, or that grading failed. */
import type { SubmissionSummary } from '@faultline/db';

const TONE: Record<string, string> = {
  pass: 'bg-emerald-100 text-emerald-900',
  fail: 'bg-amber-100 text-amber-900',
  pending: 'bg-slate-100 text-slate-800',
};

const WORD: Record<string, string> = {
  pass: 'passed',
  fail: 'failed tests',
  error: 'could not be graded',
  timeout: 'out of time',
  'memory-limit': 'out of memory',
  'compile-error': 'does not compile',
};

export function VerdictBadge({ submission }: { submission: SubmissionSummary }) {
  if (submission.status === 'pending')
    return <span className={`rounded px-2 py-0.5 text-sm ${TONE.pending}`}>grading…</span>;
  if (submission.status === 'grading-failed')
    return <span className="rounded bg-slate-200 px-2 py-0.5 text-sm text-slate-900">grading failed</span>;
  return (
    <span className={`rounded px-2 py-0.5 text-sm ${TONE[submission.verdict] ?? 'bg-red-100 text-red-900'}`}>
      {WORD[submission.verdict] ?? submission.verdict} · {submission.score}/{submission.maxScore}
    </span>
  );
}
