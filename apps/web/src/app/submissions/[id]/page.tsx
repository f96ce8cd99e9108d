import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LocalTime } from '../../../components/local-time.tsx';
import { ReportView } from '../../../components/report-view.tsx';
import { getDb } from '../../../server/db.ts';
import { currentExercise } from '../../../server/exercises.ts';
import { readableSubmission } from '../../../server/read-submission.ts';
import { requireUser } from '../../../server/session.ts';

export const metadata = { title: 'Submission' };

export default async function SubmissionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/submissions/${encodeURIComponent(id)}`);
  const db = await getDb();
  const found = await readableSubmission(db, user, id);
  // Another learner's submission is "not found": a 404 does not even say it exists.
  if (found === null) notFound();
  const { submission, body } = found;
  const exercise = await currentExercise(db, submission.exerciseId);
  return (
    <main className="mx-auto grid max-w-[100rem] gap-6 px-4 py-6 lg:grid-cols-2">
      <section aria-label="Code" className="min-w-0">
        <h1 className="text-xl font-bold">
          {exercise?.meta.title ?? submission.exerciseId}
          <span className="ml-2 text-base font-normal text-slate-600">
            submitted <LocalTime at={submission.createdAt} />
          </span>
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          <Link href={`/exercises/${submission.exerciseId}`} className="text-indigo-700 underline">
            Back to the exercise
          </Link>{' '}
          ·{' '}
          <Link href={`/submissions?exercise=${submission.exerciseId}`} className="text-indigo-700 underline">
            all submissions for it
          </Link>{' '}
          · graded against version{' '}
          <span className="font-mono" data-testid="exercise-version" title={submission.exerciseHash}>
            {submission.exerciseHash.slice(0, 12)}
          </span>
          {exercise !== null &&
            exercise.hash !== submission.exerciseHash &&
            ' (the exercise has changed since)'}
        </p>
        <pre
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
          tabIndex={0}
          data-testid="submitted-code"
          className="mt-4 max-h-[40rem] overflow-auto rounded bg-slate-900 p-4 font-mono text-sm text-slate-100"
        >
          {submission.code}
        </pre>
      </section>
      <section aria-label="Result" className="min-w-0">
        {body.status === 'pending' && (
          <p className="text-slate-700">Waiting to be graded. Reload in a moment.</p>
        )}
        {body.status === 'failed' && (
          <p role="alert" className="rounded bg-slate-100 p-3">
            {body.message}
          </p>
        )}
        {body.status === 'graded' && (
          <ReportView
            report={body.report}
            title="Result"
            trace={{
              href: (test) => `/trace/submission/${submission.id}?test=${encodeURIComponent(test.name)}`,
            }}
          />
        )}
      </section>
    </main>
  );
}
