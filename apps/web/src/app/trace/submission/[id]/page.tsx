/**
 * /trace/submission/<id>?test=<name> — one test of a graded submission,
 * drawn: the same picture the exercise page opens, on a page of its own (to
 * link to, or to read at full width). Signed in, and the submission read as
 * the rest of the app reads it: a learner's own only, through the view rules
 * (a hidden test carries no trace or recording for a learner).
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '../../../../server/db.ts';
import { readableSubmission } from '../../../../server/read-submission.ts';
import { requireUser } from '../../../../server/session.ts';
import { TestTrace } from '../../../../trace/test-trace.tsx';

export const metadata = { title: 'What the machine did' };

export default async function SubmissionTracePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ test?: string | string[] }>;
}) {
  const { id } = await params;
  const { test: asked } = await searchParams;
  const name = Array.isArray(asked) ? asked[0] : asked;
  const here = `/trace/submission/${encodeURIComponent(id)}${name === undefined ? '' : `?test=${encodeURIComponent(name)}`}`;
  const user = await requireUser(here);
  const found = await readableSubmission(await getDb(), user, id);
  if (found === null) notFound();
  const body = found.body;
  const back = (
    <Link
      href={`/exercises/${encodeURIComponent(found.submission.exerciseId)}`}
      className="text-indigo-800 underline"
    >
      Back to the exercise
    </Link>
  );
  if (body.status !== 'graded') {
    return (
      <main className="mx-auto max-w-3xl px-4 py-10" data-trace-ready="true" data-trace-error="true">
        <h1 className="text-2xl font-semibold">Not graded yet</h1>
        <p role="alert">
          {body.status === 'pending' ? 'This submission is still being graded.' : body.message}
        </p>
        <p className="mt-3">{back}</p>
      </main>
    );
  }
  const test = body.report.tests.find((t) => t.name === name);
  return (
    <main className="mx-auto flex max-w-[100rem] flex-col gap-4 px-4 py-6">
      <nav aria-label="Breadcrumb" className="text-sm">
        {back}
      </nav>
      {test === undefined ? (
        <div data-trace-ready="true" data-trace-error="true">
          <h1 className="text-2xl font-semibold">No such test</h1>
          <p role="alert">
            This submission has no test called “{name ?? ''}”. Its tests:{' '}
            {body.report.tests.map((t) => t.name).join('; ') || 'none'}.
          </p>
        </div>
      ) : (
        <TestTrace report={body.report} test={test} headingLevel={1} />
      )}
    </main>
  );
}
